//! What the proxy hands the ledger for each request.

use chrono::{DateTime, Utc};
use sea_orm::Set;

use crate::entities::usage_event;
use crate::gateway::usage::Usage;

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The provider answered 2xx and the answer was delivered.
    Success,
    /// The provider answered with an error the client sees (4xx that is not a key problem).
    ClientError,
    /// Every key failed (429s, 5xx, connection errors, timeouts).
    UpstreamError,
    /// No key could serve the request.
    NoKey,
    /// The client went away before the answer was complete.
    ClientDisconnected,
    /// The provider cut a stream before it finished.
    UpstreamCut,
    /// The Keygate process stopped (crash, kill) while the request was with the provider;
    /// the row was reconciled from its write-ahead intent and charges the admission estimate.
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ClientError => "client_error",
            Outcome::UpstreamError => "upstream_error",
            Outcome::NoKey => "no_key",
            Outcome::ClientDisconnected => "client_disconnected",
            Outcome::UpstreamCut => "upstream_cut",
            Outcome::Interrupted => "interrupted",
        }
    }

    pub fn is_error(self) -> bool {
        !matches!(self, Outcome::Success)
    }
}

#[derive(Clone, Debug)]
pub struct UsageRecord {
    pub request_id: String,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    pub provider_key_id: Option<i32>,
    pub provider: String,
    pub model: String,
    pub endpoint: &'static str,
    pub stream: bool,
    pub usage: Usage,
    pub cost_micros: i64,
    pub price_version: String,
    pub unpriced: bool,
    pub first_byte_ms: Option<u32>,
    pub total_ms: u32,
    pub upstream_status: Option<u16>,
    pub outcome: Outcome,
    pub error_type: Option<String>,
    pub estimated: bool,
    /// The persona applied to the request, if any.
    pub persona_id: Option<i32>,
    /// The provider's id of the answer, when it sent one.
    pub response_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Budget reservations made at admission, settled when this row is written.
    pub holds: Vec<crate::limits::Hold>,
}

fn tokens(n: Option<u32>) -> Option<i64> {
    n.map(i64::from)
}

fn ms(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl UsageRecord {
    pub fn to_active(&self) -> usage_event::ActiveModel {
        usage_event::ActiveModel {
            request_id: Set(self.request_id.clone()),
            org_id: Set(self.org_id),
            project_id: Set(self.project_id),
            virtual_key_id: Set(self.virtual_key_id),
            user_id: Set(self.user_id),
            provider_key_id: Set(self.provider_key_id),
            provider: Set(self.provider.clone()),
            model: Set(self.model.chars().take(200).collect()),
            endpoint: Set(self.endpoint.to_owned()),
            stream: Set(self.stream),
            prompt_tokens: Set(tokens(self.usage.prompt_tokens)),
            completion_tokens: Set(tokens(self.usage.completion_tokens)),
            cached_tokens: Set(tokens(self.usage.cached_tokens)),
            reasoning_tokens: Set(tokens(self.usage.reasoning_tokens)),
            cost_micros: Set(self.cost_micros),
            price_version: Set(self.price_version.clone()),
            unpriced: Set(self.unpriced),
            first_byte_ms: Set(self.first_byte_ms.map(ms)),
            total_ms: Set(ms(self.total_ms)),
            upstream_status: Set(self.upstream_status.map(i32::from)),
            outcome: Set(self.outcome.as_str().to_owned()),
            error_type: Set(self.error_type.clone()),
            estimated: Set(self.estimated),
            persona_id: Set(self.persona_id),
            response_id: Set(self
                .response_id
                .as_ref()
                .map(|id| id.chars().take(200).collect())),
            created_at: Set(self.created_at),
            ..Default::default()
        }
    }
}

//! What the proxy knows about one request besides its body and answer: who called, which
//! provider and model it routed to, its budget reservation and its write-ahead usage intent.
//! It turns the request's result into the usage row the ledger writes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use domain::AppState;
use domain::error::Unavailability;
use domain::gateway::adapter::Api;
use domain::gateway::prices::Priced;
use domain::gateway::pricing;
use domain::gateway::usage::Usage;
use domain::ledger::intent::{self, Intent, Pending};
use domain::ledger::{Outcome, UsageRecord};
use domain::limits::{Estimate, Reservation};
use domain::virtual_keys::Caller;

use super::error::{Dialect, ProxyError};

/// Everything the ledger needs to know about a request besides its result.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub request_id: String,
    pub caller: Arc<Caller>,
    pub provider: String,
    pub model: String,
    pub api: Api,
    pub stream: bool,
    pub started: Instant,
    /// The persona applied to the request, if any.
    pub persona_id: Option<i32>,
    /// Budget reservations, handed to the ledger record that settles them.
    pub reservation: Arc<Reservation>,
    /// The write-ahead intent, once written (see [`RequestMeta::open_intent`]).
    pub intent: Option<Arc<Pending>>,
}

impl RequestMeta {
    /// Drops the intent of a request that was not forwarded after all (its key's endpoint
    /// was refused before sending).
    pub async fn discard_intent(&mut self, state: &AppState) {
        if let Some(intent) = self.intent.take() {
            intent.settle();
            intent::discard(&state.db, &self.request_id).await;
        }
    }

    /// Writes the request's write-ahead usage intent; call just before forwarding. If the
    /// database cannot take it the request is refused (503): nothing is forwarded unbilled.
    pub async fn open_intent(
        &mut self,
        state: &AppState,
        estimate: Estimate,
        dialect: Dialect,
    ) -> Result<(), ProxyError> {
        if !state.gateway.limits.usage_intents {
            return Ok(());
        }
        let intent = Intent {
            request_id: self.request_id.clone(),
            holder: state.gateway.instance(),
            org_id: self.caller.org_id,
            project_id: self.caller.project_id,
            virtual_key_id: self.caller.key_id,
            user_id: self.caller.user_id,
            provider: self.provider.clone(),
            model: self.model.clone(),
            endpoint: self.api.name(),
            stream: self.stream,
            persona_id: self.persona_id,
            estimate,
            holds: self.reservation.holds().to_vec(),
            created_at: chrono::Utc::now(),
        };
        state.gateway.intents.open(&intent).await.map_err(|e| {
            tracing::error!(error = %e, "cannot write a usage intent; refusing the request");
            if Unavailability::of(&e) == Some(Unavailability::StorageFull) {
                state.storage.mark_full();
            }
            ProxyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                dialect,
                "Keygate cannot record usage right now, so the request was not forwarded.",
            )
            .code("usage_unavailable")
        })?;
        self.intent = Some(Arc::new(Pending::new(
            &intent,
            self.reservation.clone(),
            state.gateway.ledger.clone(),
        )));
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        provider_key_id: Option<i32>,
        usage: Usage,
        priced: Option<&Priced>,
        first_byte: Option<Duration>,
        upstream_status: Option<u16>,
        outcome: Outcome,
        error_type: Option<String>,
        estimated: bool,
    ) -> UsageRecord {
        if let Some(intent) = &self.intent {
            intent.settle();
        }
        let (cost_micros, price_version, unpriced) = match priced {
            Some(Priced {
                price: Some(price),
                version,
            }) => (pricing::cost_micros(price, &usage), version.clone(), false),
            Some(Priced { version, .. }) => (0, version.clone(), true),
            None => (0, pricing::BUILTIN_PRICE_VERSION.to_owned(), true),
        };
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        UsageRecord {
            request_id: self.request_id.clone(),
            org_id: self.caller.org_id,
            project_id: self.caller.project_id,
            virtual_key_id: self.caller.key_id,
            user_id: self.caller.user_id,
            provider_key_id,
            provider: self.provider.clone(),
            model: self.model.clone(),
            endpoint: self.api.name(),
            stream: self.stream,
            usage,
            cost_micros,
            price_version,
            unpriced,
            first_byte_ms: first_byte.map(ms),
            total_ms: ms(self.started.elapsed()),
            upstream_status,
            outcome,
            error_type,
            estimated,
            persona_id: self.persona_id,
            response_id: None,
            created_at: chrono::Utc::now(),
            holds: self.reservation.take(),
        }
    }
}

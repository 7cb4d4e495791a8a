use sea_orm::entity::prelude::*;

/// One proxied request in the usage ledger (append-only, unique by request id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: String,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    /// `None` when an environment fallback key answered.
    pub provider_key_id: Option<i32>,
    pub provider: String,
    pub model: String,
    pub endpoint: String,
    pub stream: bool,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub cached_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub cost_micros: i64,
    pub price_version: String,
    pub unpriced: bool,
    pub first_byte_ms: Option<i32>,
    pub total_ms: i32,
    pub upstream_status: Option<i32>,
    pub outcome: String,
    pub error_type: Option<String>,
    pub estimated: bool,
    /// The persona applied to the request, if any.
    pub persona_id: Option<i32>,
    /// The provider's id of the answer (`chatcmpl-…`, `resp_…`, `msg_…`), for ratings.
    pub response_id: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

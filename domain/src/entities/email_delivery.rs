use sea_orm::entity::prelude::*;

/// One alert e-mail (all of a rule's recipients) and its delivery attempts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub rule_id: Option<i32>,
    pub alert_event_id: Option<i32>,
    /// alert.fired | alert.resolved
    pub event: String,
    /// JSON array of addresses.
    pub recipients: String,
    pub subject: String,
    pub body: String,
    /// pending | delivered | failed
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub delivered_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

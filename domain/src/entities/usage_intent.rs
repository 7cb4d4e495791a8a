use sea_orm::entity::prelude::*;

/// A proxied request between "about to forward" and "usage row written" (see
/// `crate::ledger::intent`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_intents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    pub holder: String,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    pub provider: String,
    pub model: String,
    pub endpoint: String,
    pub stream: bool,
    pub persona_id: Option<i32>,
    pub estimate_micros: i64,
    pub estimate_tokens: i64,
    pub holds: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

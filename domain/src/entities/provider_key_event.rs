use sea_orm::entity::prelude::*;

/// One entry of a provider key's history: created, rotated, revealed, verified, …
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_key_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub key_id: i32,
    pub org_id: i32,
    /// `None` for the system (e.g. the vault re-wrap job).
    pub actor_user_id: Option<i32>,
    pub action: String,
    pub detail: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

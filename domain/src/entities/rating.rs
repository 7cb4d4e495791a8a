use sea_orm::entity::prelude::*;

/// A caller's rating (1–5) of one proxied answer; one per request, re-rating replaces it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub request_id: String,
    pub response_id: String,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    pub persona_id: Option<i32>,
    pub model: String,
    pub score: i16,
    pub comment: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

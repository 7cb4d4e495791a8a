use sea_orm::entity::prelude::*;

/// A webhook endpoint. Its signing secret is derived from the master key and `uid`, so the
/// database holds nothing that signs.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub uid: String,
    pub org_id: i32,
    pub name: String,
    pub url: String,
    pub active: bool,
    pub created_by: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

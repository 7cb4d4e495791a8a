use sea_orm::entity::prelude::*;

/// A provider an admin defined (seed 004's ProviderConfig).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    /// What keys name as their provider, e.g. `together`.
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub api_version: Option<String>,
    /// `bearer`, `header` or `query`.
    pub auth_method: String,
    /// The header name (`header`) or query parameter (`query`).
    pub auth_param: Option<String>,
    pub requires_org: bool,
    /// JSON array of model names.
    pub models: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A per-project routing rule: requests for models matching `pattern` go to `provider`,
/// optionally under another model name.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_routes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub project_id: i32,
    pub pattern: String,
    /// A built-in provider id or a custom provider's slug.
    pub provider: String,
    pub target_model: Option<String>,
    /// Lower positions are tried first.
    pub position: i32,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

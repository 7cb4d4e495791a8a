use sea_orm::entity::prelude::*;

/// An organization's own price for a model, overriding the built-in table. Prices are
/// micro-dollars per million tokens.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_prices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub provider: String,
    pub model: String,
    pub input_micros: i64,
    pub output_micros: i64,
    pub cached_input_micros: i64,
    /// Bumped on every edit; ledger rows record `org-<id>-r<revision>`.
    pub revision: i32,
    pub updated_by: i32,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

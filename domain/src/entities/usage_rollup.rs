use sea_orm::entity::prelude::*;

/// Sums of usage events per hour or day and per (project, Keygate key, user, provider key,
/// model). Absent ids are 0.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_rollups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `hour` or `day`.
    pub granularity: String,
    pub bucket_start: ChronoDateTimeUtc,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: i32,
    pub provider_key_id: i32,
    pub provider: String,
    pub model: String,
    pub requests: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cached_tokens: i64,
    pub cost_micros: i64,
    pub total_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

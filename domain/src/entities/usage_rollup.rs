use sea_orm::entity::prelude::*;

/// Sums of usage events per hour or day and per (project, Keygate key, user, provider key,
/// model, persona). Absent ids are 0.
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
    /// 0 when no persona was applied.
    pub persona_id: i32,
    /// Latency histogram: requests whose total time fell in each bucket of
    /// [`crate::ledger::latency::BOUNDS_MS`].
    pub lat_0: i64,
    pub lat_1: i64,
    pub lat_2: i64,
    pub lat_3: i64,
    pub lat_4: i64,
    pub lat_5: i64,
    pub lat_6: i64,
    pub lat_7: i64,
    pub lat_8: i64,
    pub lat_9: i64,
    pub lat_10: i64,
    pub lat_11: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// Budget and rate limits of one scope (a Keygate key, user, project or provider key), with
/// the running totals of its current period. `reserved_*` holds in-flight requests'
/// worst-case estimates until the ledger settles them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_limits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    /// key | user | project | provider_key
    pub scope: String,
    pub scope_id: i32,
    /// daily | weekly | monthly | never
    pub period: String,
    pub limit_micros: Option<i64>,
    pub limit_tokens: Option<i64>,
    /// hard | soft
    pub enforcement: String,
    pub rpm: Option<i32>,
    pub tpm: Option<i32>,
    pub period_start: ChronoDateTimeUtc,
    pub spent_micros: i64,
    pub spent_tokens: i64,
    pub reserved_micros: i64,
    pub reserved_tokens: i64,
    pub created_by: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

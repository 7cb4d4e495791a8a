use sea_orm::entity::prelude::*;

/// A Keygate key (what clients send to `/v1`). Only its SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "virtual_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub project_id: i32,
    /// When set, the key acts as this user (their personal provider keys come first).
    pub user_id: Option<i32>,
    pub name: String,
    /// Hex SHA-256 of the whole key.
    pub key_hash: String,
    /// `sk-proxy-AbCd`: the start of the key, for recognising it.
    pub prefix: String,
    pub last_four: String,
    /// JSON array of allowed model patterns; empty = every model.
    pub models: String,
    /// The persona applied when a request names none (personas arrive later).
    pub persona_id: Option<i32>,
    pub created_by: i32,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    /// After a rotation: the replaced key's hash, accepted until `previous_expires_at`.
    pub previous_key_hash: Option<String>,
    pub previous_expires_at: Option<ChronoDateTimeUtc>,
    /// Cron expression or `every N days`; the key rotates itself when due.
    pub rotation_schedule: Option<String>,
    pub next_rotation_at: Option<ChronoDateTimeUtc>,
    /// JSON array of CIDR blocks this key may be used from; NULL = anywhere.
    pub allowed_ips: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

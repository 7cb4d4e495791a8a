use sea_orm::entity::prelude::*;

/// An organization JWT that was minted: its id (`jti`) and lifetime. The token itself is not
/// stored; revoking sets `revoked_at`, and the proxy refuses a revoked `jti` until expiry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_jwts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub jti: String,
    pub org_id: i32,
    /// The project whose provider keys serve the application's users.
    pub project_id: i32,
    pub name: String,
    pub created_by: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub last_used_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

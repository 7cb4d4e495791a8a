use sea_orm::entity::prelude::*;

/// A user's TOTP factor: pending while `enabled_at` is null, enabled after the first code was
/// confirmed. The sealed columns are opaque without the keyring; `Debug` still leaves them out.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_mfa")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub user_id: i32,
    /// The user's organization, bound into the ciphertext's AAD.
    pub org_id: i32,
    pub key_version: i32,
    pub wrapped_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: ChronoDateTimeUtc,
    pub enabled_at: Option<ChronoDateTimeUtc>,
    /// The last accepted TOTP time step (replay protection).
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserMfa")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("org_id", &self.org_id)
            .field("key_version", &self.key_version)
            .field("enabled_at", &self.enabled_at)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A provider key row. The sealed columns are opaque without the keyring; `Debug` still
/// leaves them out so logs stay small and boring.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Random id bound into the ciphertext's AAD (known before the row is inserted).
    pub uid: String,
    pub org_id: i32,
    pub project_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    pub provider: String,
    pub name: String,
    pub description: String,
    pub key_version: Option<i32>,
    pub wrapped_key: Option<Vec<u8>>,
    pub ciphertext: Option<Vec<u8>>,
    /// The masked form shown in lists, e.g. `sk-…abcd`.
    pub secret_hint: String,
    pub provider_org_id: Option<String>,
    pub base_url: Option<String>,
    pub region: Option<String>,
    pub rotation_schedule: Option<String>,
    pub active: bool,
    pub weight: i32,
    pub expires_at: Option<ChronoDateTimeUtc>,
    pub created_by: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    pub verify_status: String,
    pub verified_at: Option<ChronoDateTimeUtc>,
    pub verify_detail: Option<String>,
    pub deleted_at: Option<ChronoDateTimeUtc>,
    /// For `custom` keys: the admin-defined provider they belong to.
    pub custom_provider_id: Option<i32>,
    /// After a rotation: the replaced secret, sealed like the current one, used as a fallback
    /// until `previous_expires_at`.
    pub previous_key_version: Option<i32>,
    pub previous_wrapped_key: Option<Vec<u8>>,
    pub previous_ciphertext: Option<Vec<u8>>,
    pub previous_expires_at: Option<ChronoDateTimeUtc>,
    /// When the rotation schedule next falls due.
    pub next_rotation_at: Option<ChronoDateTimeUtc>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKey")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("project_id", &self.project_id)
            .field("owner_user_id", &self.owner_user_id)
            .field("provider", &self.provider)
            .field("key_version", &self.key_version)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

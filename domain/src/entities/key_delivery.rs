use sea_orm::entity::prelude::*;

/// A rotated Keygate key waiting for its owner to reveal it (once). The sealed columns are
/// opaque without the keyring; `Debug` still leaves them out.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Random id bound into the ciphertext's AAD.
    pub uid: String,
    pub org_id: i32,
    /// The recipient: the key's user, else its creator.
    pub user_id: i32,
    /// `virtual`.
    pub key_kind: String,
    pub key_id: i32,
    pub key_version: i32,
    pub wrapped_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: ChronoDateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDelivery")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("user_id", &self.user_id)
            .field("key_kind", &self.key_kind)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Pending deliveries of rotated Keygate keys: when a schedule rotates a key, the new key is
//! sealed with the vault (like provider secrets) for its owner, who reveals it once in the app;
//! the row is then deleted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyDeliveries {
    Table,
    Id,
    /// Random id bound into the ciphertext's AAD.
    Uid,
    OrgId,
    /// Who may reveal it: the key's user, else its creator.
    UserId,
    KeyKind,
    KeyId,
    KeyVersion,
    WrappedKey,
    Ciphertext,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyDeliveries::Table)
                    .if_not_exists()
                    .col(pk_auto(KeyDeliveries::Id))
                    .col(string_len(KeyDeliveries::Uid, 36))
                    .col(integer(KeyDeliveries::OrgId))
                    .col(integer(KeyDeliveries::UserId))
                    // virtual (provider keys cannot be minted by Keygate)
                    .col(string_len(KeyDeliveries::KeyKind, 16))
                    .col(integer(KeyDeliveries::KeyId))
                    .col(integer(KeyDeliveries::KeyVersion))
                    .col(blob(KeyDeliveries::WrappedKey))
                    .col(blob(KeyDeliveries::Ciphertext))
                    .col(timestamp_with_time_zone(KeyDeliveries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_key_deliveries_user")
                    .table(KeyDeliveries::Table)
                    .col(KeyDeliveries::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_key_deliveries_key")
                    .table(KeyDeliveries::Table)
                    .col(KeyDeliveries::KeyKind)
                    .col(KeyDeliveries::KeyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(KeyDeliveries::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

//! The vault keyring: master-key versions, each a random key sealed under the root key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VaultKeys {
    Table,
    Version,
    SealedKey,
    CreatedAt,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VaultKeys::Table)
                    .if_not_exists()
                    .col(integer(VaultKeys::Version).primary_key())
                    .col(text(VaultKeys::SealedKey))
                    .col(timestamp_with_time_zone(VaultKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(VaultKeys::RetiredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VaultKeys::Table).if_exists().to_owned())
            .await
    }
}

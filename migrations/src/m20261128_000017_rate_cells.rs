//! Shared rate-limit state: one GCRA "theoretical arrival time" per limit row and unit
//! (requests or tokens), so replicas on one database enforce one limit together.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateCells {
    Table,
    /// The usage limit row.
    LimitId,
    /// `requests` or `tokens`.
    Unit,
    /// Microseconds since the Unix epoch at which the bucket is empty again.
    TatUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateCells::Table)
                    .if_not_exists()
                    .col(integer(RateCells::LimitId))
                    .col(string_len(RateCells::Unit, 16))
                    .col(big_integer(RateCells::TatUs))
                    .primary_key(Index::create().col(RateCells::LimitId).col(RateCells::Unit))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateCells::Table).to_owned())
            .await
    }
}

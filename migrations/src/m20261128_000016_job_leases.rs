//! Leases for background jobs: with several replicas on one database, each periodic job
//! (rotation schedules, alert evaluation and delivery, audit pruning) runs on one replica at
//! a time. The holder renews its lease every run; when it stops, another takes over once the
//! lease expires.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    /// The job's name, e.g. `rotation`.
    Name,
    /// The replica instance holding the lease (a random id per process).
    Holder,
    /// Unix milliseconds: an integer compares the same on SQLite and PostgreSQL.
    ExpiresAtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .if_not_exists()
                    .col(string_len(JobLeases::Name, 64).primary_key())
                    .col(string_len(JobLeases::Holder, 64))
                    .col(big_integer(JobLeases::ExpiresAtMs))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobLeases::Table).to_owned())
            .await
    }
}

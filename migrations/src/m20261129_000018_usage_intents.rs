//! Write-ahead usage intents: one row per proxied request, written before the request is
//! forwarded and deleted in the transaction that writes its usage row. A row left behind
//! names a request whose process died in between; it is reconciled into a flagged usage row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageIntents {
    Table,
    RequestId,
    /// The `keygate` instance that forwarded the request.
    Holder,
    OrgId,
    ProjectId,
    VirtualKeyId,
    UserId,
    Provider,
    Model,
    Endpoint,
    Stream,
    PersonaId,
    /// The admission estimate (worst case), charged if the request is reconciled.
    EstimateMicros,
    EstimateTokens,
    /// Budget reservations (JSON), settled with the usage row.
    Holds,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UsageIntents::Table)
                    .if_not_exists()
                    .col(string_len(UsageIntents::RequestId, 64).primary_key())
                    .col(string_len(UsageIntents::Holder, 200))
                    .col(integer(UsageIntents::OrgId))
                    .col(integer(UsageIntents::ProjectId))
                    .col(integer(UsageIntents::VirtualKeyId))
                    .col(integer_null(UsageIntents::UserId))
                    .col(string_len(UsageIntents::Provider, 64))
                    .col(string_len(UsageIntents::Model, 200))
                    .col(string_len(UsageIntents::Endpoint, 64))
                    .col(boolean(UsageIntents::Stream))
                    .col(integer_null(UsageIntents::PersonaId))
                    .col(big_integer(UsageIntents::EstimateMicros))
                    .col(big_integer(UsageIntents::EstimateTokens))
                    .col(text(UsageIntents::Holds))
                    .col(timestamp_with_time_zone(UsageIntents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_intents_holder")
                    .table(UsageIntents::Table)
                    .col(UsageIntents::Holder)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UsageIntents::Table).to_owned())
            .await
    }
}

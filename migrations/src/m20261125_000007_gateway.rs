//! The gateway: Keygate keys (what clients send to `/v1`), per-project model routes, the
//! organization's price overrides, the usage ledger and its hourly/daily rollups.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VirtualKeys {
    Table,
    Id,
    OrgId,
    ProjectId,
    UserId,
    Name,
    KeyHash,
    Prefix,
    LastFour,
    Models,
    PersonaId,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ModelRoutes {
    Table,
    Id,
    OrgId,
    ProjectId,
    Pattern,
    Provider,
    TargetModel,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ModelPrices {
    Table,
    Id,
    OrgId,
    Provider,
    Model,
    InputMicros,
    OutputMicros,
    CachedInputMicros,
    Revision,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    Id,
    RequestId,
    OrgId,
    ProjectId,
    VirtualKeyId,
    UserId,
    ProviderKeyId,
    Provider,
    Model,
    Endpoint,
    Stream,
    PromptTokens,
    CompletionTokens,
    CachedTokens,
    ReasoningTokens,
    CostMicros,
    PriceVersion,
    Unpriced,
    FirstByteMs,
    TotalMs,
    UpstreamStatus,
    Outcome,
    ErrorType,
    Estimated,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageRollups {
    Table,
    Id,
    Granularity,
    BucketStart,
    OrgId,
    ProjectId,
    VirtualKeyId,
    UserId,
    ProviderKeyId,
    Provider,
    Model,
    Requests,
    Errors,
    PromptTokens,
    CompletionTokens,
    CachedTokens,
    CostMicros,
    TotalMs,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    BalanceStrategy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VirtualKeys::Table)
                    .if_not_exists()
                    .col(pk_auto(VirtualKeys::Id))
                    .col(integer(VirtualKeys::OrgId))
                    .col(integer(VirtualKeys::ProjectId))
                    .col(integer_null(VirtualKeys::UserId))
                    .col(string(VirtualKeys::Name))
                    .col(string_len_uniq(VirtualKeys::KeyHash, 64))
                    .col(string_len(VirtualKeys::Prefix, 32))
                    .col(string_len(VirtualKeys::LastFour, 8))
                    // JSON array of model patterns; empty = every model.
                    .col(text(VirtualKeys::Models))
                    .col(integer_null(VirtualKeys::PersonaId))
                    .col(integer(VirtualKeys::CreatedBy))
                    .col(timestamp_with_time_zone(VirtualKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(VirtualKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(VirtualKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(VirtualKeys::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_virtual_keys_project")
                    .table(VirtualKeys::Table)
                    .col(VirtualKeys::ProjectId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ModelRoutes::Table)
                    .if_not_exists()
                    .col(pk_auto(ModelRoutes::Id))
                    .col(integer(ModelRoutes::OrgId))
                    .col(integer(ModelRoutes::ProjectId))
                    .col(string(ModelRoutes::Pattern))
                    .col(string(ModelRoutes::Provider))
                    .col(string_null(ModelRoutes::TargetModel))
                    .col(integer(ModelRoutes::Position))
                    .col(timestamp_with_time_zone(ModelRoutes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_model_routes_project")
                    .table(ModelRoutes::Table)
                    .col(ModelRoutes::ProjectId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ModelPrices::Table)
                    .if_not_exists()
                    .col(pk_auto(ModelPrices::Id))
                    .col(integer(ModelPrices::OrgId))
                    .col(string(ModelPrices::Provider))
                    .col(string(ModelPrices::Model))
                    .col(big_integer(ModelPrices::InputMicros))
                    .col(big_integer(ModelPrices::OutputMicros))
                    .col(big_integer(ModelPrices::CachedInputMicros))
                    .col(integer(ModelPrices::Revision))
                    .col(integer(ModelPrices::UpdatedBy))
                    .col(timestamp_with_time_zone(ModelPrices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_model_prices_model")
                    .table(ModelPrices::Table)
                    .col(ModelPrices::OrgId)
                    .col(ModelPrices::Provider)
                    .col(ModelPrices::Model)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UsageEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(UsageEvents::Id))
                    .col(string_len_uniq(UsageEvents::RequestId, 64))
                    .col(integer(UsageEvents::OrgId))
                    .col(integer(UsageEvents::ProjectId))
                    .col(integer(UsageEvents::VirtualKeyId))
                    .col(integer_null(UsageEvents::UserId))
                    .col(integer_null(UsageEvents::ProviderKeyId))
                    .col(string_len(UsageEvents::Provider, 32))
                    .col(string(UsageEvents::Model))
                    .col(string_len(UsageEvents::Endpoint, 64))
                    .col(boolean(UsageEvents::Stream))
                    .col(big_integer_null(UsageEvents::PromptTokens))
                    .col(big_integer_null(UsageEvents::CompletionTokens))
                    .col(big_integer_null(UsageEvents::CachedTokens))
                    .col(big_integer_null(UsageEvents::ReasoningTokens))
                    .col(big_integer(UsageEvents::CostMicros))
                    .col(string_len(UsageEvents::PriceVersion, 64))
                    .col(boolean(UsageEvents::Unpriced))
                    .col(integer_null(UsageEvents::FirstByteMs))
                    .col(integer(UsageEvents::TotalMs))
                    .col(integer_null(UsageEvents::UpstreamStatus))
                    .col(string_len(UsageEvents::Outcome, 32))
                    .col(string_len_null(UsageEvents::ErrorType, 64))
                    .col(boolean(UsageEvents::Estimated))
                    .col(timestamp_with_time_zone(UsageEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_usage_events_project_time", UsageEvents::ProjectId),
            ("idx_usage_events_key_time", UsageEvents::VirtualKeyId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(UsageEvents::Table)
                        .col(column)
                        .col(UsageEvents::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }

        // One row per (granularity, bucket, who, which key, model): the ledger writer adds
        // each batch's sums with an upsert, so dashboards never scan raw events. Absent ids
        // are stored as 0 so the unique index covers every row.
        manager
            .create_table(
                Table::create()
                    .table(UsageRollups::Table)
                    .if_not_exists()
                    .col(big_pk_auto(UsageRollups::Id))
                    .col(string_len(UsageRollups::Granularity, 8))
                    .col(timestamp_with_time_zone(UsageRollups::BucketStart))
                    .col(integer(UsageRollups::OrgId))
                    .col(integer(UsageRollups::ProjectId))
                    .col(integer(UsageRollups::VirtualKeyId))
                    .col(integer(UsageRollups::UserId))
                    .col(integer(UsageRollups::ProviderKeyId))
                    .col(string_len(UsageRollups::Provider, 32))
                    .col(string(UsageRollups::Model))
                    .col(big_integer(UsageRollups::Requests))
                    .col(big_integer(UsageRollups::Errors))
                    .col(big_integer(UsageRollups::PromptTokens))
                    .col(big_integer(UsageRollups::CompletionTokens))
                    .col(big_integer(UsageRollups::CachedTokens))
                    .col(big_integer(UsageRollups::CostMicros))
                    .col(big_integer(UsageRollups::TotalMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_usage_rollups_bucket")
                    .table(UsageRollups::Table)
                    .col(UsageRollups::Granularity)
                    .col(UsageRollups::BucketStart)
                    .col(UsageRollups::ProjectId)
                    .col(UsageRollups::VirtualKeyId)
                    .col(UsageRollups::UserId)
                    .col(UsageRollups::ProviderKeyId)
                    .col(UsageRollups::Model)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_rollups_org_time")
                    .table(UsageRollups::Table)
                    .col(UsageRollups::OrgId)
                    .col(UsageRollups::Granularity)
                    .col(UsageRollups::BucketStart)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Projects::Table)
                    .add_column(string_len(Projects::BalanceStrategy, 32).default("least_used"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Projects::Table)
                    .drop_column(Projects::BalanceStrategy)
                    .to_owned(),
            )
            .await?;
        for table in [
            UsageRollups::Table.into_iden(),
            UsageEvents::Table.into_iden(),
            ModelPrices::Table.into_iden(),
            ModelRoutes::Table.into_iden(),
            VirtualKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

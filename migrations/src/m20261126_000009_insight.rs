//! Usage insight and personas: personas (named system prompts), the persona and upstream
//! response id of each ledger row, latency histograms and the persona in the rollups (so
//! dashboards read p50/p95 and persona analytics without scanning the ledger), ratings of
//! answers, and organization JWTs with their deny-list.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Personas {
    Table,
    Id,
    OrgId,
    UserId,
    Name,
    Description,
    Content,
    Active,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    PersonaId,
    ResponseId,
    VirtualKeyId,
}

#[derive(DeriveIden)]
enum UsageRollups {
    Table,
    Granularity,
    BucketStart,
    ProjectId,
    VirtualKeyId,
    UserId,
    ProviderKeyId,
    Model,
    PersonaId,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    Id,
    OrgId,
    RequestId,
    ResponseId,
    VirtualKeyId,
    UserId,
    PersonaId,
    Model,
    Score,
    Comment,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrgJwts {
    Table,
    Id,
    Jti,
    OrgId,
    ProjectId,
    Name,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    AutoCreateUsers,
}

/// Upper bounds (ms) of the latency histogram buckets kept in each rollup row; the last
/// bucket is open-ended. Must match `domain::ledger::latency::BOUNDS_MS`.
pub const LATENCY_BUCKETS: usize = 12;

fn latency_column(i: usize) -> Alias {
    Alias::new(format!("lat_{i}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Personas::Table)
                    .if_not_exists()
                    .col(pk_auto(Personas::Id))
                    .col(integer(Personas::OrgId))
                    // NULL: organization-wide; else only this user may use it.
                    .col(integer_null(Personas::UserId))
                    .col(string_len(Personas::Name, 100))
                    .col(string_len(Personas::Description, 500).default(""))
                    .col(text(Personas::Content))
                    .col(boolean(Personas::Active).default(true))
                    .col(integer_null(Personas::CreatedBy))
                    .col(timestamp_with_time_zone(Personas::CreatedAt))
                    .col(timestamp_with_time_zone(Personas::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_personas_org_name")
                    .table(Personas::Table)
                    .col(Personas::OrgId)
                    .col(Personas::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        for column in [
            integer_null(UsageEvents::PersonaId),
            string_len_null(UsageEvents::ResponseId, 200),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UsageEvents::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_events_response")
                    .table(UsageEvents::Table)
                    .col(UsageEvents::ResponseId)
                    .col(UsageEvents::VirtualKeyId)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(UsageRollups::Table)
                    .add_column(integer(UsageRollups::PersonaId).default(0))
                    .to_owned(),
            )
            .await?;
        for i in 0..LATENCY_BUCKETS {
            manager
                .alter_table(
                    Table::alter()
                        .table(UsageRollups::Table)
                        .add_column(big_integer(latency_column(i)).default(0))
                        .to_owned(),
                )
                .await?;
        }
        // The persona becomes part of a rollup row's identity. The new unique index gets a
        // name of its own: re-creating the old name right after dropping it is refused on
        // SQLite when the two statements run on different pooled connections.
        manager
            .create_index(
                Index::create()
                    .name("uq_usage_rollups_bucket_persona")
                    .table(UsageRollups::Table)
                    .col(UsageRollups::Granularity)
                    .col(UsageRollups::BucketStart)
                    .col(UsageRollups::ProjectId)
                    .col(UsageRollups::VirtualKeyId)
                    .col(UsageRollups::UserId)
                    .col(UsageRollups::ProviderKeyId)
                    .col(UsageRollups::Model)
                    .col(UsageRollups::PersonaId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_usage_rollups_bucket")
                    .table(UsageRollups::Table)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .if_not_exists()
                    .col(pk_auto(Ratings::Id))
                    .col(integer(Ratings::OrgId))
                    .col(string(Ratings::RequestId))
                    .col(string_len(Ratings::ResponseId, 200))
                    .col(integer(Ratings::VirtualKeyId))
                    .col(integer_null(Ratings::UserId))
                    .col(integer_null(Ratings::PersonaId))
                    .col(string(Ratings::Model))
                    // 1..=5; a thumbs-up is stored as 5 and a thumbs-down as 1.
                    .col(small_integer(Ratings::Score))
                    .col(string_len(Ratings::Comment, 2000).default(""))
                    .col(timestamp_with_time_zone(Ratings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ratings_request")
                    .table(Ratings::Table)
                    .col(Ratings::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrgJwts::Table)
                    .if_not_exists()
                    .col(pk_auto(OrgJwts::Id))
                    .col(string_len_uniq(OrgJwts::Jti, 64))
                    .col(integer(OrgJwts::OrgId))
                    // The project whose provider keys serve the application's users.
                    .col(integer(OrgJwts::ProjectId))
                    .col(string_len(OrgJwts::Name, 100).default(""))
                    .col(integer_null(OrgJwts::CreatedBy))
                    .col(timestamp_with_time_zone(OrgJwts::CreatedAt))
                    .col(timestamp_with_time_zone(OrgJwts::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OrgJwts::RevokedAt))
                    .col(timestamp_with_time_zone_null(OrgJwts::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(boolean(Organizations::AutoCreateUsers).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::AutoCreateUsers)
                    .to_owned(),
            )
            .await?;
        for table in [
            OrgJwts::Table.into_iden(),
            Ratings::Table.into_iden(),
            Personas::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
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
            .drop_index(
                Index::drop()
                    .name("uq_usage_rollups_bucket_persona")
                    .table(UsageRollups::Table)
                    .to_owned(),
            )
            .await?;
        let mut columns: Vec<Alias> = (0..LATENCY_BUCKETS).map(latency_column).collect();
        columns.push(Alias::new("persona_id"));
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(UsageRollups::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_usage_events_response")
                    .table(UsageEvents::Table)
                    .to_owned(),
            )
            .await?;
        for column in ["response_id", "persona_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UsageEvents::Table)
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

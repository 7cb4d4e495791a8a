//! Governance: usage limits (budgets and rate limits) per Keygate key, user, project and
//! provider key; the hash-chained audit log and its chain head; a grace-period predecessor for
//! rotated Keygate keys and provider keys; rotation schedules and history; audit retention.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageLimits {
    Table,
    Id,
    OrgId,
    Scope,
    ScopeId,
    Period,
    LimitMicros,
    LimitTokens,
    Enforcement,
    Rpm,
    Tpm,
    PeriodStart,
    SpentMicros,
    SpentTokens,
    ReservedMicros,
    ReservedTokens,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OrgId,
    CreatedAt,
    ActorUserId,
    Actor,
    Action,
    TargetKind,
    TargetId,
    TargetLabel,
    Outcome,
    Ip,
    UserAgent,
    Detail,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
}

#[derive(DeriveIden)]
enum VirtualKeys {
    Table,
    PreviousKeyHash,
    PreviousExpiresAt,
    RotationSchedule,
    NextRotationAt,
}

#[derive(DeriveIden)]
enum ProviderKeys {
    Table,
    PreviousKeyVersion,
    PreviousWrappedKey,
    PreviousCiphertext,
    PreviousExpiresAt,
    NextRotationAt,
}

#[derive(DeriveIden)]
enum KeyRotations {
    Table,
    Id,
    OrgId,
    KeyKind,
    KeyId,
    Trigger,
    ActorUserId,
    Outcome,
    Detail,
    GraceUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    AuditRetentionDays,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Scope,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UsageLimits::Table)
                    .if_not_exists()
                    .col(pk_auto(UsageLimits::Id))
                    .col(integer(UsageLimits::OrgId))
                    // key | user | project | provider_key
                    .col(string_len(UsageLimits::Scope, 16))
                    .col(integer(UsageLimits::ScopeId))
                    // daily | weekly | monthly | never
                    .col(string_len(UsageLimits::Period, 16))
                    .col(big_integer_null(UsageLimits::LimitMicros))
                    .col(big_integer_null(UsageLimits::LimitTokens))
                    // hard (refuse) | soft (alert only)
                    .col(string_len(UsageLimits::Enforcement, 8))
                    .col(integer_null(UsageLimits::Rpm))
                    .col(integer_null(UsageLimits::Tpm))
                    .col(timestamp_with_time_zone(UsageLimits::PeriodStart))
                    .col(big_integer(UsageLimits::SpentMicros).default(0))
                    .col(big_integer(UsageLimits::SpentTokens).default(0))
                    .col(big_integer(UsageLimits::ReservedMicros).default(0))
                    .col(big_integer(UsageLimits::ReservedTokens).default(0))
                    .col(integer_null(UsageLimits::CreatedBy))
                    .col(timestamp_with_time_zone(UsageLimits::CreatedAt))
                    .col(timestamp_with_time_zone(UsageLimits::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_usage_limits_scope")
                    .table(UsageLimits::Table)
                    .col(UsageLimits::OrgId)
                    .col(UsageLimits::Scope)
                    .col(UsageLimits::ScopeId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(integer_null(AuditLog::OrgId))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .col(integer_null(AuditLog::ActorUserId))
                    .col(string_len(AuditLog::Actor, 320))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len_null(AuditLog::TargetKind, 32))
                    .col(string_len_null(AuditLog::TargetId, 64))
                    .col(string_len_null(AuditLog::TargetLabel, 320))
                    .col(string_len(AuditLog::Outcome, 16))
                    .col(string_len_null(AuditLog::Ip, 64))
                    .col(string_len_null(AuditLog::UserAgent, 512))
                    .col(text_null(AuditLog::Detail))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_audit_log_org", vec![AuditLog::OrgId, AuditLog::Id]),
            ("idx_audit_log_action", vec![AuditLog::Action]),
            ("idx_audit_log_created", vec![AuditLog::CreatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // One row: the chain's head. Appending locks it, so entries chain in order even with
        // several replicas writing.
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .if_not_exists()
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::LastId).default(0))
                    .col(string_len(AuditHead::LastHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::LastId, AuditHead::LastHash])
                    .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                    .to_owned(),
            )
            .await?;

        for column in [
            string_len_null(VirtualKeys::PreviousKeyHash, 64),
            timestamp_with_time_zone_null(VirtualKeys::PreviousExpiresAt),
            string_len_null(VirtualKeys::RotationSchedule, 100),
            timestamp_with_time_zone_null(VirtualKeys::NextRotationAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(VirtualKeys::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_virtual_keys_previous_hash")
                    .table(VirtualKeys::Table)
                    .col(VirtualKeys::PreviousKeyHash)
                    .to_owned(),
            )
            .await?;
        for column in [
            integer_null(ProviderKeys::PreviousKeyVersion),
            blob_null(ProviderKeys::PreviousWrappedKey),
            blob_null(ProviderKeys::PreviousCiphertext),
            timestamp_with_time_zone_null(ProviderKeys::PreviousExpiresAt),
            timestamp_with_time_zone_null(ProviderKeys::NextRotationAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ProviderKeys::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(KeyRotations::Table)
                    .if_not_exists()
                    .col(pk_auto(KeyRotations::Id))
                    .col(integer(KeyRotations::OrgId))
                    // virtual | provider
                    .col(string_len(KeyRotations::KeyKind, 16))
                    .col(integer(KeyRotations::KeyId))
                    // manual | schedule
                    .col(string_len(KeyRotations::Trigger, 16))
                    .col(integer_null(KeyRotations::ActorUserId))
                    // success | failed | due
                    .col(string_len(KeyRotations::Outcome, 16))
                    .col(string_len(KeyRotations::Detail, 500).default(""))
                    .col(timestamp_with_time_zone_null(KeyRotations::GraceUntil))
                    .col(timestamp_with_time_zone(KeyRotations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_key_rotations_key")
                    .table(KeyRotations::Table)
                    .col(KeyRotations::KeyKind)
                    .col(KeyRotations::KeyId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(integer(Organizations::AuditRetentionDays).default(365))
                    .to_owned(),
            )
            .await?;
        // What an admin token may do: read_only | keys | admin (service tokens: admin).
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(string_len(ApiTokens::Scope, 16).default("admin"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .drop_column(ApiTokens::Scope)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::AuditRetentionDays)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_virtual_keys_previous_hash")
                    .table(VirtualKeys::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            "previous_key_hash",
            "previous_expires_at",
            "rotation_schedule",
            "next_rotation_at",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(VirtualKeys::Table)
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            "previous_key_version",
            "previous_wrapped_key",
            "previous_ciphertext",
            "previous_expires_at",
            "next_rotation_at",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ProviderKeys::Table)
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            KeyRotations::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            UsageLimits::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

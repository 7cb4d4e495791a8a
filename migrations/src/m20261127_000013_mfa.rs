//! Two-factor authentication: each user's TOTP secret (sealed with the vault, like provider
//! secrets), their single-use recovery codes (SHA-256 hashes only), and the organization
//! setting that makes two-factor sign-in mandatory.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserMfa {
    Table,
    Id,
    /// One row per user: a pending enrolment (`enabled_at` null) or the enabled factor.
    UserId,
    /// The user's organization, bound into the ciphertext's AAD.
    OrgId,
    KeyVersion,
    WrappedKey,
    Ciphertext,
    CreatedAt,
    EnabledAt,
    /// The last accepted TOTP time step: a code is never accepted twice.
    LastStep,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    UserId,
    /// Hex SHA-256 of the normalised code.
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    RequireMfa,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserMfa::Table)
                    .if_not_exists()
                    .col(pk_auto(UserMfa::Id))
                    .col(integer_uniq(UserMfa::UserId))
                    .col(integer(UserMfa::OrgId))
                    .col(integer(UserMfa::KeyVersion))
                    .col(blob(UserMfa::WrappedKey))
                    .col(blob(UserMfa::Ciphertext))
                    .col(timestamp_with_time_zone(UserMfa::CreatedAt))
                    .col(timestamp_with_time_zone_null(UserMfa::EnabledAt))
                    .col(big_integer_null(UserMfa::LastStep))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .if_not_exists()
                    .col(pk_auto(MfaRecoveryCodes::Id))
                    .col(integer(MfaRecoveryCodes::UserId))
                    .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(MfaRecoveryCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_recovery_codes_user")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::UserId)
                    .col(MfaRecoveryCodes::CodeHash)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(boolean(Organizations::RequireMfa).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::RequireMfa)
                    .to_owned(),
            )
            .await?;
        for table in [
            MfaRecoveryCodes::Table.into_iden(),
            UserMfa::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

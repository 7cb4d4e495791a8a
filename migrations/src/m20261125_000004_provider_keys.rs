//! Provider keys (sealed in the vault) and their history.
//!
//! A key belongs to a project (shared by the project's programs) or to one user (personal).
//! Secrets are envelope-encrypted: `wrapped_key` is the data key sealed under keyring version
//! `key_version`, `ciphertext` the secret sealed under the data key. A soft delete clears the
//! three and keeps the row, so history stays readable.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProviderKeys {
    Table,
    Id,
    Uid,
    OrgId,
    ProjectId,
    OwnerUserId,
    Provider,
    Name,
    Description,
    KeyVersion,
    WrappedKey,
    Ciphertext,
    SecretHint,
    ProviderOrgId,
    BaseUrl,
    Region,
    RotationSchedule,
    Active,
    Weight,
    ExpiresAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    LastUsedAt,
    VerifyStatus,
    VerifiedAt,
    VerifyDetail,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ProviderKeyEvents {
    Table,
    Id,
    KeyId,
    OrgId,
    ActorUserId,
    Action,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProviderKeys::Table)
                    .if_not_exists()
                    .col(pk_auto(ProviderKeys::Id))
                    .col(string_len_uniq(ProviderKeys::Uid, 36))
                    .col(integer(ProviderKeys::OrgId))
                    .col(integer_null(ProviderKeys::ProjectId))
                    .col(integer_null(ProviderKeys::OwnerUserId))
                    .col(string_len(ProviderKeys::Provider, 32))
                    .col(string(ProviderKeys::Name))
                    .col(text(ProviderKeys::Description).default(""))
                    .col(integer_null(ProviderKeys::KeyVersion))
                    .col(blob_null(ProviderKeys::WrappedKey))
                    .col(blob_null(ProviderKeys::Ciphertext))
                    .col(string(ProviderKeys::SecretHint).default(""))
                    .col(string_null(ProviderKeys::ProviderOrgId))
                    .col(text_null(ProviderKeys::BaseUrl))
                    .col(string_null(ProviderKeys::Region))
                    .col(string_null(ProviderKeys::RotationSchedule))
                    .col(boolean(ProviderKeys::Active).default(true))
                    .col(integer(ProviderKeys::Weight).default(1))
                    .col(timestamp_with_time_zone_null(ProviderKeys::ExpiresAt))
                    .col(integer(ProviderKeys::CreatedBy))
                    .col(timestamp_with_time_zone(ProviderKeys::CreatedAt))
                    .col(timestamp_with_time_zone(ProviderKeys::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ProviderKeys::LastUsedAt))
                    .col(string_len(ProviderKeys::VerifyStatus, 16).default("never"))
                    .col(timestamp_with_time_zone_null(ProviderKeys::VerifiedAt))
                    .col(text_null(ProviderKeys::VerifyDetail))
                    .col(timestamp_with_time_zone_null(ProviderKeys::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provider_keys_org")
                            .from(ProviderKeys::Table, ProviderKeys::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provider_keys_project")
                            .from(ProviderKeys::Table, ProviderKeys::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provider_keys_owner")
                            .from(ProviderKeys::Table, ProviderKeys::OwnerUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_provider_keys_org", ProviderKeys::OrgId),
            ("idx_provider_keys_project", ProviderKeys::ProjectId),
            ("idx_provider_keys_owner", ProviderKeys::OwnerUserId),
            // The vault re-wrap job walks rows by keyring version.
            ("idx_provider_keys_key_version", ProviderKeys::KeyVersion),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ProviderKeys::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ProviderKeyEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(ProviderKeyEvents::Id))
                    .col(integer(ProviderKeyEvents::KeyId))
                    .col(integer(ProviderKeyEvents::OrgId))
                    .col(integer_null(ProviderKeyEvents::ActorUserId))
                    .col(string_len(ProviderKeyEvents::Action, 32))
                    .col(text(ProviderKeyEvents::Detail).default(""))
                    .col(timestamp_with_time_zone(ProviderKeyEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provider_key_events_key")
                            .from(ProviderKeyEvents::Table, ProviderKeyEvents::KeyId)
                            .to(ProviderKeys::Table, ProviderKeys::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_provider_key_events_key")
                    .table(ProviderKeyEvents::Table)
                    .col(ProviderKeyEvents::KeyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ProviderKeyEvents::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(ProviderKeys::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

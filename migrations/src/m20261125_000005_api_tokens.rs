//! Tokens for programs: `kg_admin_…` (the admin REST API) and `kg_svc_…` (the credential
//! broker). Only a SHA-256 of each token is stored, with a display prefix and last four.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    OrgId,
    Kind,
    Name,
    TokenHash,
    Hint,
    ProjectId,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(pk_auto(ApiTokens::Id))
                    .col(integer(ApiTokens::OrgId))
                    .col(string_len(ApiTokens::Kind, 16))
                    .col(string(ApiTokens::Name))
                    .col(string_len_uniq(ApiTokens::TokenHash, 64))
                    .col(string(ApiTokens::Hint))
                    .col(integer_null(ApiTokens::ProjectId))
                    .col(integer(ApiTokens::CreatedBy))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_org")
                            .from(ApiTokens::Table, ApiTokens::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).if_exists().to_owned())
            .await
    }
}

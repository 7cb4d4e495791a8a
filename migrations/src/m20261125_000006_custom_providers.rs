//! Custom providers an admin defines (seed 004's ProviderConfig), and the link from a key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomProviders {
    Table,
    Id,
    OrgId,
    Slug,
    Name,
    BaseUrl,
    ApiVersion,
    AuthMethod,
    AuthParam,
    RequiresOrg,
    Models,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProviderKeys {
    Table,
    CustomProviderId,
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
                    .table(CustomProviders::Table)
                    .if_not_exists()
                    .col(pk_auto(CustomProviders::Id))
                    .col(integer(CustomProviders::OrgId))
                    .col(string_len(CustomProviders::Slug, 40))
                    .col(string(CustomProviders::Name))
                    .col(text(CustomProviders::BaseUrl))
                    .col(string_null(CustomProviders::ApiVersion))
                    .col(string_len(CustomProviders::AuthMethod, 16))
                    .col(string_null(CustomProviders::AuthParam))
                    .col(boolean(CustomProviders::RequiresOrg).default(false))
                    .col(text(CustomProviders::Models).default("[]"))
                    .col(timestamp_with_time_zone(CustomProviders::CreatedAt))
                    .col(timestamp_with_time_zone(CustomProviders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_custom_providers_org")
                            .from(CustomProviders::Table, CustomProviders::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_custom_providers_org_slug")
                    .table(CustomProviders::Table)
                    .col(CustomProviders::OrgId)
                    .col(CustomProviders::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderKeys::Table)
                    .add_column(integer_null(ProviderKeys::CustomProviderId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderKeys::Table)
                    .drop_column(ProviderKeys::CustomProviderId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(CustomProviders::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

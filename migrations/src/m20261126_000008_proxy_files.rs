//! Files uploaded through the proxy's `/v1/files`: which project owns each upstream file and
//! which provider key stored it (retrieve, content and delete must use that same key), and its
//! size, which counts towards the project's `storage_used_bytes`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProxyFiles {
    Table,
    Id,
    FileId,
    OrgId,
    ProjectId,
    VirtualKeyId,
    UserId,
    Provider,
    ProviderKeyId,
    Personal,
    Filename,
    Purpose,
    Bytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProxyFiles::Table)
                    .if_not_exists()
                    .col(pk_auto(ProxyFiles::Id))
                    .col(string(ProxyFiles::FileId))
                    .col(integer(ProxyFiles::OrgId))
                    .col(integer(ProxyFiles::ProjectId))
                    .col(integer(ProxyFiles::VirtualKeyId))
                    .col(integer_null(ProxyFiles::UserId))
                    .col(string_len(ProxyFiles::Provider, 64))
                    // NULL: stored with the environment fallback key.
                    .col(integer_null(ProxyFiles::ProviderKeyId))
                    // Stored with the uploader's personal key: only that user sees it.
                    .col(boolean(ProxyFiles::Personal))
                    .col(string(ProxyFiles::Filename))
                    .col(string(ProxyFiles::Purpose))
                    .col(big_integer(ProxyFiles::Bytes))
                    .col(timestamp_with_time_zone(ProxyFiles::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_proxy_files_project_file")
                    .table(ProxyFiles::Table)
                    .col(ProxyFiles::ProjectId)
                    .col(ProxyFiles::FileId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProxyFiles::Table).to_owned())
            .await
    }
}

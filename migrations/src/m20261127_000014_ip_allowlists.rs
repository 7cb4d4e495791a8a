//! IP allowlists: which client networks may use a Keygate key, and which may reach an
//! organization's admin console. Each is a JSON array of CIDR blocks; NULL means "anywhere".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VirtualKeys {
    Table,
    AllowedIps,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    AdminAllowedIps,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite cannot add several in one statement.
        manager
            .alter_table(
                Table::alter()
                    .table(VirtualKeys::Table)
                    .add_column(text_null(VirtualKeys::AllowedIps))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(text_null(Organizations::AdminAllowedIps))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::AdminAllowedIps)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(VirtualKeys::Table)
                    .drop_column(VirtualKeys::AllowedIps)
                    .to_owned(),
            )
            .await
    }
}

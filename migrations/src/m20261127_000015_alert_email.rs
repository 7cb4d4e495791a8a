//! E-mail as an alert channel: each rule's recipients, and the queue of messages with their
//! delivery attempts (the SMTP counterpart of `webhook_deliveries`, kept apart because a
//! message has recipients and a subject where a webhook delivery has an endpoint).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    EmailTo,
}

#[derive(DeriveIden)]
enum EmailDeliveries {
    Table,
    Id,
    OrgId,
    RuleId,
    AlertEventId,
    Event,
    Recipients,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // JSON array of addresses; existing rules send no e-mail.
        manager
            .alter_table(
                Table::alter()
                    .table(AlertRules::Table)
                    .add_column(text(AlertRules::EmailTo).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailDeliveries::Table)
                    .if_not_exists()
                    .col(pk_auto(EmailDeliveries::Id))
                    .col(integer(EmailDeliveries::OrgId))
                    .col(integer_null(EmailDeliveries::RuleId))
                    .col(integer_null(EmailDeliveries::AlertEventId))
                    // alert.fired | alert.resolved
                    .col(string_len(EmailDeliveries::Event, 32))
                    // JSON array of addresses, fixed when the message is queued.
                    .col(text(EmailDeliveries::Recipients))
                    .col(string_len(EmailDeliveries::Subject, 300))
                    .col(text(EmailDeliveries::Body))
                    // pending | delivered | failed
                    .col(string_len(EmailDeliveries::Status, 16))
                    .col(integer(EmailDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(EmailDeliveries::NextAttemptAt))
                    .col(string_len_null(EmailDeliveries::LastError, 500))
                    .col(timestamp_with_time_zone(EmailDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(EmailDeliveries::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_email_deliveries_due")
                    .table(EmailDeliveries::Table)
                    .col(EmailDeliveries::Status)
                    .col(EmailDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(EmailDeliveries::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AlertRules::Table)
                    .drop_column(AlertRules::EmailTo)
                    .to_owned(),
            )
            .await
    }
}

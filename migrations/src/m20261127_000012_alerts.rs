//! Alerts: rules, the conditions they fired on (one row per condition and period, so nothing
//! fires twice), in-app notifications per recipient, webhooks and their delivery log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    OrgId,
    Name,
    Kind,
    Params,
    InApp,
    Webhooks,
    Enabled,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AlertEvents {
    Table,
    Id,
    OrgId,
    RuleId,
    ConditionKey,
    State,
    Message,
    FiredAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrgId,
    UserId,
    AlertEventId,
    Severity,
    Title,
    Body,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Uid,
    OrgId,
    Name,
    Url,
    Active,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    OrgId,
    WebhookId,
    AlertEventId,
    Event,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .if_not_exists()
                    .col(pk_auto(AlertRules::Id))
                    .col(integer(AlertRules::OrgId))
                    .col(string_len(AlertRules::Name, 100))
                    .col(string_len(AlertRules::Kind, 32))
                    // JSON: the kind's parameters (threshold, window, days, …).
                    .col(text(AlertRules::Params))
                    .col(boolean(AlertRules::InApp).default(true))
                    // JSON array of webhook ids.
                    .col(text(AlertRules::Webhooks))
                    .col(boolean(AlertRules::Enabled).default(true))
                    .col(integer_null(AlertRules::CreatedBy))
                    .col(timestamp_with_time_zone(AlertRules::CreatedAt))
                    .col(timestamp_with_time_zone(AlertRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(AlertEvents::Id))
                    .col(integer(AlertEvents::OrgId))
                    .col(integer(AlertEvents::RuleId))
                    .col(string_len(AlertEvents::ConditionKey, 200))
                    // firing | resolved
                    .col(string_len(AlertEvents::State, 16))
                    .col(string_len(AlertEvents::Message, 1000))
                    .col(timestamp_with_time_zone(AlertEvents::FiredAt))
                    .col(timestamp_with_time_zone_null(AlertEvents::ResolvedAt))
                    .to_owned(),
            )
            .await?;
        // One event per rule and condition: a condition that stays true never fires again,
        // and period-keyed conditions fire once per period.
        manager
            .create_index(
                Index::create()
                    .name("uq_alert_events_condition")
                    .table(AlertEvents::Table)
                    .col(AlertEvents::RuleId)
                    .col(AlertEvents::ConditionKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(pk_auto(Notifications::Id))
                    .col(integer(Notifications::OrgId))
                    .col(integer(Notifications::UserId))
                    .col(integer_null(Notifications::AlertEventId))
                    // info | warning | critical
                    .col(string_len(Notifications::Severity, 16))
                    .col(string_len(Notifications::Title, 200))
                    .col(string_len(Notifications::Body, 1000))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::ReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .if_not_exists()
                    .col(pk_auto(Webhooks::Id))
                    // Random id the signing secret is derived from (HKDF of the master key).
                    .col(string_len_uniq(Webhooks::Uid, 64))
                    .col(integer(Webhooks::OrgId))
                    .col(string_len(Webhooks::Name, 100))
                    .col(string_len(Webhooks::Url, 2000))
                    .col(boolean(Webhooks::Active).default(true))
                    .col(integer_null(Webhooks::CreatedBy))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(pk_auto(WebhookDeliveries::Id))
                    .col(integer(WebhookDeliveries::OrgId))
                    .col(integer(WebhookDeliveries::WebhookId))
                    .col(integer_null(WebhookDeliveries::AlertEventId))
                    // alert.fired | alert.resolved | webhook.test
                    .col(string_len(WebhookDeliveries::Event, 32))
                    .col(text(WebhookDeliveries::Payload))
                    // pending | delivered | failed
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(string_len_null(WebhookDeliveries::LastError, 500))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            Webhooks::Table.into_iden(),
            Notifications::Table.into_iden(),
            AlertEvents::Table.into_iden(),
            AlertRules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

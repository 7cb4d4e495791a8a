//! Channels: an in-app notification for each of the organization's admins, a queued,
//! signed delivery for each of the rule's webhooks (sent by [`super::webhooks::deliver_due`]),
//! and one queued e-mail to the rule's recipients (sent by [`super::email::deliver_due`]).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::conditions::Severity;
use super::rules::webhooks_of;
use crate::entities::{alert_event, alert_rule, notification, user, webhook, webhook_delivery};
use crate::error::DomainError;

/// The JSON every webhook receives; `text` makes it a valid Slack incoming-webhook message.
pub fn payload(
    rule: &alert_rule::Model,
    event: &alert_event::Model,
    kind: &str,
    severity: Severity,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let verb = if kind == "alert.resolved" {
        "Resolved"
    } else {
        "Alert"
    };
    json!({
        "event": kind,
        "text": format!("[Keygate] {verb}: {} — {}", rule.name, event.message),
        "organizationId": rule.org_id,
        "alert": {
            "id": event.id,
            "ruleId": rule.id,
            "rule": rule.name,
            "kind": rule.kind,
            "condition": event.condition_key,
            "message": event.message,
            "severity": severity.as_str(),
            "state": if kind == "alert.resolved" { "resolved" } else { "firing" },
            "firedAt": event.fired_at.to_rfc3339(),
            "resolvedAt": (kind == "alert.resolved").then(|| now.to_rfc3339()),
        },
        "sentAt": now.to_rfc3339(),
    })
}

async fn send(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    event: &alert_event::Model,
    kind: &str,
    severity: Severity,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if rule.in_app {
        let admins = user::Entity::find()
            .filter(user::Column::OrgId.eq(rule.org_id))
            .filter(user::Column::Disabled.eq(false))
            .filter(user::Column::Role.is_in(["admin", "owner"]))
            .all(db)
            .await?;
        let title = if kind == "alert.resolved" {
            format!("Resolved: {}", rule.name)
        } else {
            format!("Alert: {}", rule.name)
        };
        let rows: Vec<notification::ActiveModel> = admins
            .iter()
            .map(|admin| notification::ActiveModel {
                org_id: Set(rule.org_id),
                user_id: Set(admin.id),
                alert_event_id: Set(Some(event.id)),
                severity: Set(severity.as_str().to_owned()),
                title: Set(crate::audit::truncate(&title, 200)),
                body: Set(crate::audit::truncate(&event.message, 1000)),
                created_at: Set(now),
                read_at: Set(None),
                ..Default::default()
            })
            .collect();
        if !rows.is_empty() {
            notification::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
    }
    let body = payload(rule, event, kind, severity, now).to_string();
    for webhook_id in webhooks_of(rule) {
        let Some(hook) = webhook::Entity::find_by_id(webhook_id)
            .one(db)
            .await?
            .filter(|w| w.active && w.org_id == rule.org_id)
        else {
            continue;
        };
        webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
            org_id: Set(rule.org_id),
            webhook_id: Set(hook.id),
            alert_event_id: Set(Some(event.id)),
            event: Set(kind.to_owned()),
            payload: Set(body.clone()),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    super::email::queue(db, rule, event, kind, severity, now).await
}

pub async fn fired(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    event: &alert_event::Model,
    severity: Severity,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    send(db, rule, event, "alert.fired", severity, now).await
}

pub async fn resolved(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    event: &alert_event::Model,
    severity: Severity,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    send(db, rule, event, "alert.resolved", severity, now).await
}

//! E-mail as a channel: when a rule with recipients fires or resolves, one plain-text message
//! to all of them is queued here, and [`deliver_due`] sends it through the configured
//! [`Mailer`](super::smtp::Mailer) with the webhooks' back-off (30 s … 6 h) and give-up after
//! [`MAX_ATTEMPTS`]. Without SMTP configured, queued messages fail at once with a reason the
//! delivery log shows, so nothing piles up and the admin sees why no mail came.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::conditions::Severity;
use super::webhooks::{BATCH, DeliveryReport, MAX_ATTEMPTS, retry_wait};
use crate::AppState;
use crate::entities::{alert_event, alert_rule, email_delivery};
use crate::error::DomainError;

/// Why a message was not sent when no SMTP server is configured.
pub const NOT_CONFIGURED: &str =
    "SMTP is not configured (set KEYGATE_SMTP_URL and KEYGATE_SMTP_FROM)";

/// How long a sender holds a message it is sending, so another replica's pass skips it.
const CLAIM: i64 = 5 * 60;

/// A stored rule's e-mail recipients.
pub fn recipients_of(rule: &alert_rule::Model) -> Vec<String> {
    serde_json::from_str(&rule.email_to).unwrap_or_default()
}

/// Rule names are typed by admins: keep the subject one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

/// The subject and body of an alert e-mail (the link to the Alerts page is added when sent,
/// from the public URL).
pub fn compose(
    rule: &alert_rule::Model,
    event: &alert_event::Model,
    kind: &str,
    severity: Severity,
    now: DateTime<Utc>,
) -> (String, String) {
    let resolved = kind == "alert.resolved";
    let verb = if resolved { "Resolved" } else { "Alert" };
    let subject = format!("[Keygate] {verb}: {}", one_line(&rule.name));
    let mut body = format!(
        "{verb}: {name}\n\n{message}\n\nRule:      {name} ({kind})\nSeverity:  {severity}\n\
         State:     {state}\nFired at:  {fired}\n",
        name = one_line(&rule.name),
        message = event.message,
        kind = rule.kind,
        severity = severity.as_str(),
        state = if resolved { "resolved" } else { "firing" },
        fired = event.fired_at.to_rfc3339(),
    );
    if resolved {
        body.push_str(&format!("Resolved:  {}\n", now.to_rfc3339()));
    }
    (subject, body)
}

/// Queues one message for the rule's recipients (none queued when it has none).
pub async fn queue(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    event: &alert_event::Model,
    kind: &str,
    severity: Severity,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let to = recipients_of(rule);
    if to.is_empty() {
        return Ok(());
    }
    let (subject, body) = compose(rule, event, kind, severity, now);
    email_delivery::Entity::insert(email_delivery::ActiveModel {
        org_id: Set(rule.org_id),
        rule_id: Set(Some(rule.id)),
        alert_event_id: Set(Some(event.id)),
        event: Set(kind.to_owned()),
        recipients: Set(serde_json::to_string(&to).unwrap_or_else(|_| "[]".into())),
        subject: Set(crate::audit::truncate(&subject, 300)),
        body: Set(body),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The organization's alert e-mails (one rule's, with `rule_id`), newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    org_id: i32,
    rule_id: Option<i32>,
    limit: u64,
) -> Result<Vec<email_delivery::Model>, DomainError> {
    let mut query = email_delivery::Entity::find().filter(email_delivery::Column::OrgId.eq(org_id));
    if let Some(rule_id) = rule_id {
        query = query.filter(email_delivery::Column::RuleId.eq(rule_id));
    }
    Ok(query
        .order_by_desc(email_delivery::Column::Id)
        .limit(limit.clamp(1, 500))
        .all(db)
        .await?)
}

/// Takes a due message for this pass; `false` when another sender took it first.
async fn claim(
    db: &DatabaseConnection,
    delivery: &email_delivery::Model,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let taken = email_delivery::Entity::update_many()
        .col_expr(
            email_delivery::Column::NextAttemptAt,
            Expr::value(now + Duration::seconds(CLAIM)),
        )
        .filter(email_delivery::Column::Id.eq(delivery.id))
        .filter(email_delivery::Column::Status.eq("pending"))
        .filter(email_delivery::Column::Attempts.eq(delivery.attempts))
        .filter(email_delivery::Column::NextAttemptAt.lte(now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Sends every message that is due at `now`.
pub async fn deliver_due(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, DomainError> {
    let db = &state.db;
    let due = email_delivery::Entity::find()
        .filter(email_delivery::Column::Status.eq("pending"))
        .filter(email_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(email_delivery::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut report = DeliveryReport::default();
    for delivery in due {
        let Some(mailer) = state.mailer.as_deref() else {
            let mut active: email_delivery::ActiveModel = delivery.into();
            active.status = Set("failed".into());
            active.last_error = Set(Some(NOT_CONFIGURED.to_owned()));
            active.update(db).await?;
            report.failed += 1;
            continue;
        };
        if !claim(db, &delivery, now).await? {
            continue;
        }
        let to: Vec<String> = serde_json::from_str(&delivery.recipients).unwrap_or_default();
        let body = format!(
            "{}\n-- \nSent by Keygate. Alerts: {}/alerts\n",
            delivery.body,
            mailer.public_url()
        );
        let outcome = mailer.send(&to, &delivery.subject, &body).await;
        let attempts = delivery.attempts + 1;
        let mut active: email_delivery::ActiveModel = delivery.into();
        active.attempts = Set(attempts);
        match outcome {
            Ok(()) => {
                active.status = Set("delivered".into());
                active.last_error = Set(None);
                active.delivered_at = Set(Some(now));
                report.delivered += 1;
            }
            Err(reason) => {
                tracing::warn!(attempts, error = %reason, "cannot send an alert e-mail");
                active.last_error = Set(Some(crate::audit::truncate(&reason, 500)));
                if attempts >= MAX_ATTEMPTS {
                    active.status = Set("failed".into());
                    report.failed += 1;
                } else {
                    active.next_attempt_at = Set(now + retry_wait(attempts));
                    report.retrying += 1;
                }
            }
        }
        active.update(db).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_stay_on_one_line() {
        assert_eq!(one_line("a\r\nBcc: x@y.test"), "a  Bcc: x@y.test");
        assert_eq!(one_line(&"x".repeat(300)).len(), 200);
    }
}

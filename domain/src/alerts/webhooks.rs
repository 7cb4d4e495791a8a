//! Webhooks: endpoints, their signing secrets, and delivery with retries.
//!
//! Each request carries `X-Keygate-Timestamp` (Unix seconds) and `X-Keygate-Signature:
//! sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. The secret is derived from the master
//! key and the webhook's random uid (HKDF), so the database holds nothing that signs.
//! A failed delivery is retried with back-off (30 s, 2 min, 10 min, 1 h, 6 h) and marked
//! failed after [`MAX_ATTEMPTS`]; every attempt's status is kept in the delivery log.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use sha2::Sha256;

use crate::AppState;
use crate::entities::{webhook, webhook_delivery};
use crate::error::DomainError;
use crate::vault::MasterKey;

pub const MAX_ATTEMPTS: i32 = 6;
const BACKOFF_SECS: [i64; 5] = [30, 120, 600, 3600, 6 * 3600];
/// Deliveries sent per pass (the rest wait for the next tick).
pub(crate) const BATCH: u64 = 50;

/// How long to wait after the `attempts`-th failed attempt (e-mails use the same schedule).
pub(crate) fn retry_wait(attempts: i32) -> Duration {
    let wait = BACKOFF_SECS
        .get(usize::try_from(attempts - 1).unwrap_or(0))
        .copied()
        .unwrap_or(6 * 3600);
    Duration::seconds(wait)
}

/// The signing secret of a webhook, as receivers configure it (`whsec_…`).
pub fn signing_secret(master: &MasterKey, uid: &str) -> Result<String, DomainError> {
    let purpose = format!("keygate/webhook/hmac-sha256/v1/{uid}");
    let key = master
        .derive_secret(purpose.as_bytes())
        .map_err(|e| DomainError::internal("webhook secret", e))?;
    Ok(format!("whsec_{}", hex::encode(key.as_ref())))
}

/// `sha256=<hex>` over `"<timestamp>.<body>"` with the webhook's secret.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub async fn create(
    state: &AppState,
    org_id: i32,
    actor: Option<i32>,
    name: &str,
    url: &str,
    now: DateTime<Utc>,
) -> Result<webhook::Model, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::validation(
            "name",
            "Name the webhook (at most 100 characters).",
        ));
    }
    let url = url.trim();
    state.upstreams.webhook_endpoint(url).map_err(|e| match e {
        DomainError::Validation { message, .. } => DomainError::validation(
            "url",
            message
                .replace("Base URLs", "Webhook URLs")
                .replace("base URL", "webhook URL"),
        ),
        other => other,
    })?;
    Ok(webhook::ActiveModel {
        uid: Set(uuid::Uuid::new_v4().simple().to_string()),
        org_id: Set(org_id),
        name: Set(name.to_owned()),
        url: Set(url.to_owned()),
        active: Set(true),
        created_by: Set(actor),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?)
}

pub async fn list(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<Vec<webhook::Model>, DomainError> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::OrgId.eq(org_id))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(
    db: &DatabaseConnection,
    org_id: i32,
    id: i32,
) -> Result<webhook::Model, DomainError> {
    webhook::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|w| w.org_id == org_id)
        .ok_or(DomainError::NotFound)
}

/// Deletes a webhook; its pending deliveries are dropped, the log of sent ones stays.
pub async fn delete(db: &DatabaseConnection, org_id: i32, id: i32) -> Result<(), DomainError> {
    let hook = get(db, org_id, id).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    webhook::Entity::delete_by_id(hook.id).exec(db).await?;
    Ok(())
}

/// The delivery log of a webhook, newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    org_id: i32,
    webhook_id: i32,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DomainError> {
    let hook = get(db, org_id, webhook_id).await?;
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit.min(500))
        .all(db)
        .await?)
}

/// Queues a `webhook.test` message (sent on the next pass).
pub async fn queue_test(
    db: &DatabaseConnection,
    org_id: i32,
    webhook_id: i32,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model, DomainError> {
    let hook = get(db, org_id, webhook_id).await?;
    let payload = serde_json::json!({
        "event": "webhook.test",
        "text": format!("[Keygate] Test message for webhook {}.", hook.name),
        "organizationId": org_id,
        "sentAt": now.to_rfc3339(),
    });
    Ok(webhook_delivery::ActiveModel {
        org_id: Set(org_id),
        webhook_id: Set(hook.id),
        alert_event_id: Set(None),
        event: Set("webhook.test".into()),
        payload: Set(payload.to_string()),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// What one delivery pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// One attempt: `Ok(status)` for an HTTP answer, `Err(reason)` when none came.
async fn attempt(
    state: &AppState,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
    now: DateTime<Utc>,
) -> Result<u16, String> {
    let endpoint = state
        .upstreams
        .webhook_endpoint(&hook.url)
        .map_err(|e| e.to_string())?;
    let secret = signing_secret(&state.master_key, &hook.uid).map_err(|e| e.to_string())?;
    let timestamp = now.timestamp();
    let response = endpoint
        .client
        .post(endpoint.base)
        .header("content-type", "application/json")
        .header("user-agent", "Keygate-Webhooks/1")
        .header("x-keygate-event", delivery.event.as_str())
        .header("x-keygate-delivery", delivery.id.to_string())
        .header("x-keygate-timestamp", timestamp.to_string())
        .header(
            "x-keygate-signature",
            sign(&secret, timestamp, &delivery.payload),
        )
        .body(delivery.payload.clone())
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "request failed".to_owned()
            }
        })?;
    Ok(response.status().as_u16())
}

/// Sends every delivery that is due at `now`.
pub async fn deliver_due(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, DomainError> {
    let db = &state.db;
    let due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut report = DeliveryReport::default();
    for delivery in due {
        let Some(hook) = webhook::Entity::find_by_id(delivery.webhook_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let outcome = attempt(state, &hook, &delivery, now).await;
        let attempts = delivery.attempts + 1;
        let mut active: webhook_delivery::ActiveModel = delivery.into();
        active.attempts = Set(attempts);
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                active.status = Set("delivered".into());
                active.last_status = Set(Some(i32::from(status)));
                active.last_error = Set(None);
                active.delivered_at = Set(Some(now));
                report.delivered += 1;
            }
            other => {
                match other {
                    Ok(status) => {
                        active.last_status = Set(Some(i32::from(status)));
                        active.last_error = Set(Some(format!("HTTP {status}")));
                    }
                    Err(reason) => {
                        active.last_status = Set(None);
                        active.last_error = Set(Some(crate::audit::truncate(&reason, 500)));
                    }
                }
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
    fn signatures_cover_timestamp_and_body() {
        let a = sign("whsec_x", 1_700_000_000, "{\"a\":1}");
        assert!(a.starts_with("sha256="));
        assert_eq!(a.len(), "sha256=".len() + 64);
        assert_eq!(a, sign("whsec_x", 1_700_000_000, "{\"a\":1}"));
        assert_ne!(a, sign("whsec_x", 1_700_000_001, "{\"a\":1}"));
        assert_ne!(a, sign("whsec_x", 1_700_000_000, "{\"a\":2}"));
        assert_ne!(a, sign("whsec_y", 1_700_000_000, "{\"a\":1}"));
    }
}

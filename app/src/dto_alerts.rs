//! Alerts as the browser sees them (the Alerts page and the notification bell): rules, fired
//! events, webhooks with their delivery log, and the signed-in user's notifications. Never
//! entities.

use serde::{Deserialize, Serialize};

/// The kinds of rule: (value sent, label).
pub const KINDS: [(&str, &str); 7] = [
    ("budget_threshold", "Budget reaches a percentage"),
    ("budget_exhausted", "Budget exhausted"),
    ("cost_above", "Cost above an amount"),
    ("error_rate", "Error rate above a percentage"),
    ("key_expiring", "Key expiring soon"),
    ("rotation_overdue", "Rotation overdue"),
    ("key_quarantined", "Provider key quarantined"),
];

/// Periods of a cost rule: (value sent, label).
pub const COST_PERIODS: [(&str, &str); 2] = [("monthly", "Monthly"), ("daily", "Daily")];

/// The label of a kind value, or the value itself.
pub fn kind_label(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(value, _)| *value == kind)
        .map_or(kind, |(_, label)| *label)
}

/// An alert rule with its parameters (unused ones are `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDto {
    pub id: i32,
    pub name: String,
    pub kind: String,
    pub percent: Option<u32>,
    pub limit_id: Option<i32>,
    pub amount_micros: Option<i64>,
    pub period: Option<String>,
    pub window_minutes: Option<u32>,
    pub min_requests: Option<u32>,
    pub days: Option<u32>,
    pub in_app: bool,
    pub webhook_ids: Vec<i32>,
    /// E-mail recipients.
    pub email_to: Vec<String>,
    pub enabled: bool,
    /// What the rule watches, in words, e.g. `50% of any budget`.
    pub summary: String,
}

/// A limit a budget rule can watch: (id, label).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertLimitDto {
    pub id: i32,
    pub label: String,
}

/// One firing (and maybe resolved) condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEventDto {
    pub id: i32,
    pub rule_id: i32,
    pub rule_name: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub message: String,
    pub fired_at: String,
    pub resolved_at: Option<String>,
}

/// A webhook endpoint (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDto {
    pub id: i32,
    pub name: String,
    pub url: String,
    pub active: bool,
    pub created_at: String,
}

/// A webhook just added, with its signing secret (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookDto {
    pub webhook: WebhookDto,
    pub secret: String,
}

/// One attempt to send an event to a webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryDto {
    pub id: i32,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// One alert e-mail and how its sending went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDeliveryDto {
    pub id: i32,
    pub event: String,
    pub recipients: Vec<String>,
    pub subject: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// One in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationDto {
    pub id: i32,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub read: bool,
}

/// The signed-in user's latest notifications and how many are unread.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsDto {
    pub unread: u64,
    pub items: Vec<NotificationDto>,
}

/// The bell's accessible name.
pub fn bell_label(unread: u64) -> String {
    format!("Notifications, {unread} unread")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(kind_label("cost_above"), "Cost above an amount");
        assert_eq!(kind_label("other"), "other");
        assert_eq!(bell_label(2), "Notifications, 2 unread");
    }
}

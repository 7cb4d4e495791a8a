//! Alert rules: what to watch and where to send it. Parameters are validated here and kept
//! as JSON, so new kinds need no migration.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::entities::{alert_rule, webhook};
use crate::error::DomainError;

/// What a rule watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// A budget's use reached a percentage of its limit.
    BudgetThreshold,
    /// A budget is used up.
    BudgetExhausted,
    /// The organization's cost this day or month passed an amount.
    CostAbove,
    /// The share of failed requests over a window passed a percentage.
    ErrorRate,
    /// A provider key or Keygate key expires within N days.
    KeyExpiring,
    /// A provider key's rotation schedule is overdue.
    RotationOverdue,
    /// The proxy quarantined a provider key the provider refused.
    KeyQuarantined,
}

impl RuleKind {
    pub const ALL: [RuleKind; 7] = [
        RuleKind::BudgetThreshold,
        RuleKind::BudgetExhausted,
        RuleKind::CostAbove,
        RuleKind::ErrorRate,
        RuleKind::KeyExpiring,
        RuleKind::RotationOverdue,
        RuleKind::KeyQuarantined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::BudgetThreshold => "budget_threshold",
            RuleKind::BudgetExhausted => "budget_exhausted",
            RuleKind::CostAbove => "cost_above",
            RuleKind::ErrorRate => "error_rate",
            RuleKind::KeyExpiring => "key_expiring",
            RuleKind::RotationOverdue => "rotation_overdue",
            RuleKind::KeyQuarantined => "key_quarantined",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }
}

/// Parameters of every kind (each kind reads its own; unused ones stay `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleParams {
    /// budget_threshold: percent of the limit (1–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    /// budget_threshold / budget_exhausted: one limit's id (all limits when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_id: Option<i32>,
    /// cost_above: the amount in micro-dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_micros: Option<i64>,
    /// cost_above: `daily` or `monthly` (default monthly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// error_rate: the window in minutes (5–1440, default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u32>,
    /// error_rate: fewest requests in the window before the rate counts (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_requests: Option<u32>,
    /// key_expiring: days ahead (1–365, default 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// A rule as an admin writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInput {
    pub name: String,
    pub kind: RuleKind,
    pub params: RuleParams,
    pub in_app: bool,
    pub webhook_ids: Vec<i32>,
    /// E-mail recipients (at most [`super::recipients::MAX_RECIPIENTS`]).
    pub email_to: Vec<String>,
    pub enabled: bool,
}

fn invalid(field: &'static str, message: &str) -> DomainError {
    DomainError::validation(field, message)
}

impl RuleInput {
    /// Checks the parameters the kind needs and fills in defaults.
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > 100 {
            return Err(invalid("name", "Name the rule (at most 100 characters)."));
        }
        let p = &mut self.params;
        match self.kind {
            RuleKind::BudgetThreshold => {
                let percent = p.percent.ok_or_else(|| {
                    invalid("percent", "Give the percentage of the budget (1–100).")
                })?;
                if !(1..=100).contains(&percent) {
                    return Err(invalid("percent", "The percentage must be 1–100."));
                }
            }
            RuleKind::CostAbove => {
                let amount = p
                    .amount_micros
                    .ok_or_else(|| invalid("amount", "Give the amount in dollars."))?;
                if amount <= 0 {
                    return Err(invalid("amount", "The amount must be more than $0."));
                }
                let period = p.period.get_or_insert_with(|| "monthly".into());
                if period != "daily" && period != "monthly" {
                    return Err(invalid("period", "The period must be daily or monthly."));
                }
            }
            RuleKind::ErrorRate => {
                let percent = *p.percent.get_or_insert(10);
                if !(1..=100).contains(&percent) {
                    return Err(invalid("percent", "The error rate must be 1–100%."));
                }
                let window = *p.window_minutes.get_or_insert(15);
                if !(5..=1440).contains(&window) {
                    return Err(invalid(
                        "windowMinutes",
                        "The window must be 5–1440 minutes.",
                    ));
                }
                let min = *p.min_requests.get_or_insert(20);
                if !(1..=1_000_000).contains(&min) {
                    return Err(invalid(
                        "minRequests",
                        "Minimum requests must be at least 1.",
                    ));
                }
            }
            RuleKind::KeyExpiring => {
                let days = *p.days.get_or_insert(7);
                if !(1..=365).contains(&days) {
                    return Err(invalid("days", "Days ahead must be 1–365."));
                }
            }
            RuleKind::BudgetExhausted | RuleKind::RotationOverdue | RuleKind::KeyQuarantined => {}
        }
        self.email_to = super::recipients::validate(std::mem::take(&mut self.email_to))?;
        if !self.in_app && self.webhook_ids.is_empty() && self.email_to.is_empty() {
            return Err(invalid(
                "channels",
                "Send the alert somewhere: in-app, a webhook or e-mail.",
            ));
        }
        self.webhook_ids.sort_unstable();
        self.webhook_ids.dedup();
        Ok(self)
    }
}

/// A stored rule's parameters (defaults if the JSON is unreadable).
pub fn params_of(rule: &alert_rule::Model) -> RuleParams {
    serde_json::from_str(&rule.params).unwrap_or_default()
}

/// A stored rule's e-mail recipients.
pub use super::email::recipients_of;

/// A stored rule's webhook ids.
pub fn webhooks_of(rule: &alert_rule::Model) -> Vec<i32> {
    serde_json::from_str(&rule.webhooks).unwrap_or_default()
}

async fn check_webhooks(
    db: &DatabaseConnection,
    org_id: i32,
    ids: &[i32],
) -> Result<(), DomainError> {
    for id in ids {
        let found = webhook::Entity::find_by_id(*id)
            .one(db)
            .await?
            .is_some_and(|w| w.org_id == org_id);
        if !found {
            return Err(invalid("webhooks", "A chosen webhook does not exist."));
        }
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    org_id: i32,
    actor: Option<i32>,
    input: RuleInput,
    now: DateTime<Utc>,
) -> Result<alert_rule::Model, DomainError> {
    let input = input.validate()?;
    check_webhooks(db, org_id, &input.webhook_ids).await?;
    Ok(alert_rule::ActiveModel {
        org_id: Set(org_id),
        name: Set(input.name),
        kind: Set(input.kind.as_str().to_owned()),
        params: Set(serde_json::to_string(&input.params).unwrap_or_else(|_| "{}".into())),
        in_app: Set(input.in_app),
        webhooks: Set(serde_json::to_string(&input.webhook_ids).unwrap_or_else(|_| "[]".into())),
        email_to: Set(serde_json::to_string(&input.email_to).unwrap_or_else(|_| "[]".into())),
        enabled: Set(input.enabled),
        created_by: Set(actor),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(
    db: &DatabaseConnection,
    org_id: i32,
    id: i32,
) -> Result<alert_rule::Model, DomainError> {
    alert_rule::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| r.org_id == org_id)
        .ok_or(DomainError::NotFound)
}

pub async fn update(
    db: &DatabaseConnection,
    org_id: i32,
    id: i32,
    input: RuleInput,
    now: DateTime<Utc>,
) -> Result<alert_rule::Model, DomainError> {
    let existing = get(db, org_id, id).await?;
    let input = input.validate()?;
    check_webhooks(db, org_id, &input.webhook_ids).await?;
    let mut active: alert_rule::ActiveModel = existing.into();
    active.name = Set(input.name);
    active.kind = Set(input.kind.as_str().to_owned());
    active.params = Set(serde_json::to_string(&input.params).unwrap_or_else(|_| "{}".into()));
    active.in_app = Set(input.in_app);
    active.webhooks =
        Set(serde_json::to_string(&input.webhook_ids).unwrap_or_else(|_| "[]".into()));
    active.email_to = Set(serde_json::to_string(&input.email_to).unwrap_or_else(|_| "[]".into()));
    active.enabled = Set(input.enabled);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

pub async fn list(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<Vec<alert_rule::Model>, DomainError> {
    Ok(alert_rule::Entity::find()
        .filter(alert_rule::Column::OrgId.eq(org_id))
        .order_by_asc(alert_rule::Column::Id)
        .all(db)
        .await?)
}

/// Deletes a rule and its events (their notifications stay).
pub async fn delete(db: &DatabaseConnection, org_id: i32, id: i32) -> Result<(), DomainError> {
    let rule = get(db, org_id, id).await?;
    crate::entities::alert_event::Entity::delete_many()
        .filter(crate::entities::alert_event::Column::RuleId.eq(rule.id))
        .exec(db)
        .await?;
    alert_rule::Entity::delete_by_id(rule.id).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn input(kind: RuleKind, params: RuleParams) -> RuleInput {
        RuleInput {
            name: "rule".into(),
            kind,
            params,
            in_app: true,
            webhook_ids: vec![],
            email_to: vec![],
            enabled: true,
        }
    }

    #[test]
    fn kinds_need_their_parameters_and_get_defaults() {
        assert!(
            input(RuleKind::BudgetThreshold, RuleParams::default())
                .validate()
                .is_err()
        );
        let ok = input(
            RuleKind::BudgetThreshold,
            RuleParams {
                percent: Some(80),
                ..Default::default()
            },
        );
        assert!(ok.validate().is_ok());
        let rate = input(RuleKind::ErrorRate, RuleParams::default())
            .validate()
            .unwrap();
        assert_eq!(rate.params.percent, Some(10));
        assert_eq!(rate.params.window_minutes, Some(15));
        assert_eq!(rate.params.min_requests, Some(20));
        let cost = input(
            RuleKind::CostAbove,
            RuleParams {
                amount_micros: Some(5_000_000),
                ..Default::default()
            },
        )
        .validate()
        .unwrap();
        assert_eq!(cost.params.period.as_deref(), Some("monthly"));
    }

    #[test]
    fn a_rule_must_go_somewhere() {
        let mut quiet = input(RuleKind::KeyQuarantined, RuleParams::default());
        quiet.in_app = false;
        assert!(quiet.clone().validate().is_err());
        quiet.email_to = vec![" ops@acme.test ".into()];
        assert_eq!(quiet.validate().unwrap().email_to, ["ops@acme.test"]);
    }

    #[test]
    fn email_recipients_are_checked() {
        let mut rule = input(RuleKind::KeyQuarantined, RuleParams::default());
        rule.email_to = vec!["ops@acme.test".into(), "not-an-address".into()];
        let err = rule.validate().unwrap_err();
        assert!(err.to_string().contains("not-an-address"), "{err}");
    }
}

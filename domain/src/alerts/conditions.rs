//! What is true now for a rule: each condition has a stable key, so the engine can tell a
//! new condition from one that already fired. Budget and cost conditions carry their period
//! in the key (they fire once per period); the others re-fire only after they resolved.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::rules::{RuleKind, RuleParams, params_of};
use crate::entities::{alert_rule, provider_key, usage_event, virtual_key};
use crate::error::DomainError;
use crate::gateway::quarantine::QUARANTINE_DETAIL;
use crate::insight::export::usd;
use crate::ledger::query::{self, UsageFilter};
use crate::limits::Period;
use crate::limits::store::{self, scope_of};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One thing a rule is alerting about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub key: String,
    pub message: String,
    pub severity: Severity,
    /// Fire once per key, ever (the key names the period); otherwise fire again after the
    /// condition resolved and came back.
    pub once: bool,
}

fn limit_name(limit: &crate::entities::usage_limit::Model) -> String {
    let scope = scope_of(limit).map_or("limit", |s| s.noun());
    format!("the {} {} {} budget", limit.period, scope, limit.scope_id)
}

/// Percent of the budget used (the larger of dollars and tokens).
fn used_percent(limit: &crate::entities::usage_limit::Model, now: DateTime<Utc>) -> f64 {
    let status = store::status(limit, now);
    let ratio = |used: i64, of: Option<i64>| of.filter(|l| *l > 0).map(|l| used as f64 / l as f64);
    let dollars = ratio(status.spent_micros, limit.limit_micros).unwrap_or(0.0);
    let tokens = ratio(status.spent_tokens, limit.limit_tokens).unwrap_or(0.0);
    dollars.max(tokens) * 100.0
}

async fn budgets(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    params: &RuleParams,
    exhausted_only: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Condition>, DomainError> {
    let mut found = Vec::new();
    for limit in store::list(db, rule.org_id).await? {
        if params.limit_id.is_some_and(|id| id != limit.id)
            || (limit.limit_micros.is_none() && limit.limit_tokens.is_none())
        {
            continue;
        }
        let percent = used_percent(&limit, now);
        let period_start = store::status(&limit, now).period_start.date_naive();
        if exhausted_only {
            if percent >= 100.0 {
                found.push(Condition {
                    key: format!("exhausted:{}:{period_start}", limit.id),
                    message: format!("Budget exhausted: {} is used up.", limit_name(&limit)),
                    severity: Severity::Critical,
                    once: true,
                });
            }
        } else if let Some(threshold) = params.percent
            && percent >= f64::from(threshold)
        {
            found.push(Condition {
                key: format!("threshold:{}:{period_start}", limit.id),
                message: format!(
                    "Budget {threshold}% used: {} is at {:.0}%.",
                    limit_name(&limit),
                    percent
                ),
                severity: Severity::Warning,
                once: true,
            });
        }
    }
    Ok(found)
}

async fn cost_above(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    params: &RuleParams,
    now: DateTime<Utc>,
) -> Result<Vec<Condition>, DomainError> {
    let period = if params.period.as_deref() == Some("daily") {
        Period::Daily
    } else {
        Period::Monthly
    };
    let start = period.start(now);
    let end = period.reset_at(start).unwrap_or(now);
    let total = query::total(db, &UsageFilter::new(rule.org_id, start, end)).await?;
    let amount = params.amount_micros.unwrap_or(i64::MAX);
    if total.cost_micros < amount {
        return Ok(Vec::new());
    }
    Ok(vec![Condition {
        key: format!("cost:{}:{}", period.as_str(), start.date_naive()),
        message: format!(
            "Cost this {} is ${}, above ${}.",
            if period == Period::Daily {
                "day"
            } else {
                "month"
            },
            usd(total.cost_micros),
            usd(amount)
        ),
        severity: Severity::Warning,
        once: true,
    }])
}

async fn error_rate(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    params: &RuleParams,
    now: DateTime<Utc>,
) -> Result<Vec<Condition>, DomainError> {
    let window = params.window_minutes.unwrap_or(15);
    let since = now - Duration::minutes(i64::from(window));
    let in_window = || {
        usage_event::Entity::find()
            .filter(usage_event::Column::OrgId.eq(rule.org_id))
            .filter(usage_event::Column::CreatedAt.gte(since))
            .filter(usage_event::Column::CreatedAt.lte(now))
    };
    let requests = in_window().count(db).await?;
    let failed = in_window()
        .filter(usage_event::Column::Outcome.ne("success"))
        .count(db)
        .await?;
    let min = u64::from(params.min_requests.unwrap_or(20));
    let percent = params.percent.unwrap_or(10);
    if requests < min.max(1) || failed * 100 < u64::from(percent) * requests {
        return Ok(Vec::new());
    }
    Ok(vec![Condition {
        key: "error_rate".into(),
        message: format!(
            "Error rate {:.0}% over the last {window} minutes ({failed} of {requests} requests failed).",
            failed as f64 * 100.0 / requests as f64
        ),
        severity: Severity::Critical,
        once: false,
    }])
}

async fn expiring(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    params: &RuleParams,
    now: DateTime<Utc>,
) -> Result<Vec<Condition>, DomainError> {
    let horizon = now + Duration::days(i64::from(params.days.unwrap_or(7)));
    let mut found = Vec::new();
    let provider_keys = provider_key::Entity::find()
        .filter(provider_key::Column::OrgId.eq(rule.org_id))
        .filter(provider_key::Column::DeletedAt.is_null())
        .filter(provider_key::Column::ExpiresAt.lte(horizon))
        .all(db)
        .await?;
    for key in provider_keys {
        if let Some(at) = key.expires_at {
            found.push(Condition {
                key: format!("expiring:provider:{}:{}", key.id, at.date_naive()),
                message: format!(
                    "Provider key {} ({}) expires {}.",
                    key.name,
                    key.provider,
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                severity: Severity::Warning,
                once: false,
            });
        }
    }
    let keygate_keys = virtual_key::Entity::find()
        .filter(virtual_key::Column::OrgId.eq(rule.org_id))
        .filter(virtual_key::Column::RevokedAt.is_null())
        .filter(virtual_key::Column::ExpiresAt.lte(horizon))
        .all(db)
        .await?;
    for key in keygate_keys {
        if let Some(at) = key.expires_at {
            found.push(Condition {
                key: format!("expiring:keygate:{}:{}", key.id, at.date_naive()),
                message: format!(
                    "Keygate key {} expires {}.",
                    key.name,
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                severity: Severity::Warning,
                once: false,
            });
        }
    }
    Ok(found)
}

async fn provider_key_states(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    kind: RuleKind,
    now: DateTime<Utc>,
) -> Result<Vec<Condition>, DomainError> {
    let keys = provider_key::Entity::find()
        .filter(provider_key::Column::OrgId.eq(rule.org_id))
        .filter(provider_key::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let mut found = Vec::new();
    for key in keys {
        if kind == RuleKind::RotationOverdue
            && let Some(due) = key.next_rotation_at.filter(|due| *due <= now)
        {
            found.push(Condition {
                key: format!("overdue:{}:{}", key.id, due.timestamp()),
                message: format!(
                    "Rotation overdue: provider key {} ({}) was due {}.",
                    key.name,
                    key.provider,
                    due.format("%Y-%m-%d %H:%M UTC")
                ),
                severity: Severity::Warning,
                once: false,
            });
        }
        if kind == RuleKind::KeyQuarantined
            && key.verify_status == "invalid"
            && key
                .verify_detail
                .as_deref()
                .is_some_and(|d| d.starts_with(QUARANTINE_DETAIL))
        {
            found.push(Condition {
                key: format!("quarantined:{}", key.id),
                message: format!(
                    "Provider key {} ({}) was quarantined: the provider refused it.",
                    key.name, key.provider
                ),
                severity: Severity::Critical,
                once: false,
            });
        }
    }
    Ok(found)
}

/// The conditions that hold for `rule` at `now`.
pub async fn current(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    now: DateTime<Utc>,
) -> Result<Vec<Condition>, DomainError> {
    let params = params_of(rule);
    match RuleKind::parse(&rule.kind) {
        Some(RuleKind::BudgetThreshold) => budgets(db, rule, &params, false, now).await,
        Some(RuleKind::BudgetExhausted) => budgets(db, rule, &params, true, now).await,
        Some(RuleKind::CostAbove) => cost_above(db, rule, &params, now).await,
        Some(RuleKind::ErrorRate) => error_rate(db, rule, &params, now).await,
        Some(RuleKind::KeyExpiring) => expiring(db, rule, &params, now).await,
        Some(kind @ (RuleKind::RotationOverdue | RuleKind::KeyQuarantined)) => {
            provider_key_states(db, rule, kind, now).await
        }
        None => Ok(Vec::new()),
    }
}

//! Evaluation: compares each enabled rule's current conditions with the events it already
//! fired, fires the new ones, resolves the cleared ones, and hands both to the channels.
//! Inserting an event is guarded by a unique (rule, condition) index and state changes are
//! conditional updates, so two evaluators never fire the same condition twice.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::conditions::{self, Condition, Severity};
use super::notify;
use crate::entities::{alert_event, alert_rule};
use crate::error::DomainError;

/// What one evaluation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub fired: Vec<i32>,
    pub resolved: Vec<i32>,
}

/// Evaluates every enabled rule of every organization at `now`.
pub async fn evaluate(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Evaluation, DomainError> {
    let rules = alert_rule::Entity::find()
        .filter(alert_rule::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let mut done = Evaluation::default();
    for rule in rules {
        match evaluate_rule(db, &rule, now).await {
            Ok(one) => {
                done.fired.extend(one.fired);
                done.resolved.extend(one.resolved);
            }
            // One broken rule must not silence the others.
            Err(e) => {
                tracing::error!(rule_id = rule.id, error = %e, "cannot evaluate an alert rule")
            }
        }
    }
    Ok(done)
}

async fn fire(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    condition: &Condition,
    existing: Option<&alert_event::Model>,
    now: DateTime<Utc>,
) -> Result<Option<alert_event::Model>, DomainError> {
    match existing {
        None => {
            let inserted = alert_event::Entity::insert(alert_event::ActiveModel {
                org_id: Set(rule.org_id),
                rule_id: Set(rule.id),
                condition_key: Set(condition.key.clone()),
                state: Set("firing".into()),
                message: Set(condition.message.clone()),
                fired_at: Set(now),
                resolved_at: Set(None),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([
                    alert_event::Column::RuleId,
                    alert_event::Column::ConditionKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
            if inserted == 0 {
                return Ok(None);
            }
        }
        Some(event) if event.state == "resolved" && !condition.once => {
            let changed = alert_event::Entity::update_many()
                .col_expr(alert_event::Column::State, Expr::value("firing"))
                .col_expr(
                    alert_event::Column::Message,
                    Expr::value(condition.message.clone()),
                )
                .col_expr(alert_event::Column::FiredAt, Expr::value(now))
                .col_expr(
                    alert_event::Column::ResolvedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(alert_event::Column::Id.eq(event.id))
                .filter(alert_event::Column::State.eq("resolved"))
                .exec(db)
                .await?;
            if changed.rows_affected == 0 {
                return Ok(None);
            }
        }
        Some(_) => return Ok(None),
    }
    Ok(alert_event::Entity::find()
        .filter(alert_event::Column::RuleId.eq(rule.id))
        .filter(alert_event::Column::ConditionKey.eq(condition.key.clone()))
        .one(db)
        .await?)
}

async fn resolve(
    db: &DatabaseConnection,
    event: &alert_event::Model,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let changed = alert_event::Entity::update_many()
        .col_expr(alert_event::Column::State, Expr::value("resolved"))
        .col_expr(alert_event::Column::ResolvedAt, Expr::value(now))
        .filter(alert_event::Column::Id.eq(event.id))
        .filter(alert_event::Column::State.eq("firing"))
        .exec(db)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Evaluates one rule.
pub async fn evaluate_rule(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    now: DateTime<Utc>,
) -> Result<Evaluation, DomainError> {
    let current = conditions::current(db, rule, now).await?;
    let events = alert_event::Entity::find()
        .filter(alert_event::Column::RuleId.eq(rule.id))
        .all(db)
        .await?;
    let mut done = Evaluation::default();
    for condition in &current {
        let existing = events.iter().find(|e| e.condition_key == condition.key);
        if let Some(event) = fire(db, rule, condition, existing, now).await? {
            notify::fired(db, rule, &event, condition.severity, now).await?;
            done.fired.push(event.id);
        }
    }
    for event in events.iter().filter(|e| e.state == "firing") {
        if current.iter().any(|c| c.key == event.condition_key) {
            continue;
        }
        if resolve(db, event, now).await? {
            notify::resolved(db, rule, event, Severity::Info, now).await?;
            done.resolved.push(event.id);
        }
    }
    Ok(done)
}

/// The organization's most recent alert events, newest first (at most 500).
pub async fn recent_events(
    db: &DatabaseConnection,
    org_id: i32,
    limit: u64,
) -> Result<Vec<alert_event::Model>, DomainError> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(alert_event::Entity::find()
        .filter(alert_event::Column::OrgId.eq(org_id))
        .order_by_desc(alert_event::Column::FiredAt)
        .order_by_desc(alert_event::Column::Id)
        .limit(limit.clamp(1, 500))
        .all(db)
        .await?)
}

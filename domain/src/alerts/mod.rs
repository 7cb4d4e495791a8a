//! Alerts: rules watch budgets, cost, error rates, expiring keys, overdue rotations and
//! quarantined keys; each condition fires once (per period, for budgets and cost) and
//! resolves when it clears; channels are in-app notifications, signed webhooks and e-mail
//! over SMTP (when configured), both with retries. A background task runs [`tick`] every
//! [`TICK`].

pub mod conditions;
pub mod email;
pub mod engine;
pub mod notifications;
pub mod notify;
pub mod recipients;
pub mod rules;
pub mod smtp;
pub mod webhooks;

use std::time::Duration;

use chrono::Utc;

pub use engine::{Evaluation, evaluate};
pub use rules::{RuleInput, RuleKind, RuleParams};

use crate::AppState;

/// How often rules are evaluated and webhooks and e-mails sent.
pub const TICK: Duration = Duration::from_secs(30);

/// One pass: evaluate the rules, then send due webhook deliveries and e-mails.
pub async fn tick(state: &AppState) {
    let now = Utc::now();
    if let Err(e) = evaluate(&state.db, now).await {
        tracing::error!(error = %e, "cannot evaluate alert rules");
    }
    if let Err(e) = webhooks::deliver_due(state, now).await {
        tracing::error!(error = %e, "cannot send webhook deliveries");
    }
    if let Err(e) = email::deliver_due(state, now).await {
        tracing::error!(error = %e, "cannot send alert e-mails");
    }
}

/// Runs [`tick`] forever while this replica holds `lease` (the server aborts the task on
/// shutdown).
pub async fn run_forever(state: AppState, every: Duration, lease: crate::jobs::Lease) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if lease.hold(chrono::Utc::now()).await {
            tick(&state).await;
        }
    }
}

//! Alerts: rules watch budgets, cost, error rates, expiring keys, overdue rotations and
//! quarantined keys; each condition fires once (per period, for budgets and cost) and
//! resolves when it clears; channels are in-app notifications and signed webhooks with
//! retries. A background task runs [`tick`] every [`TICK`].

pub mod conditions;
pub mod engine;
pub mod notifications;
pub mod notify;
pub mod rules;
pub mod webhooks;

use std::time::Duration;

use chrono::Utc;

pub use engine::{Evaluation, evaluate};
pub use rules::{RuleInput, RuleKind, RuleParams};

use crate::AppState;

/// How often rules are evaluated and webhooks sent.
pub const TICK: Duration = Duration::from_secs(30);

/// One pass: evaluate the rules, then send due webhook deliveries.
pub async fn tick(state: &AppState) {
    let now = Utc::now();
    if let Err(e) = evaluate(&state.db, now).await {
        tracing::error!(error = %e, "cannot evaluate alert rules");
    }
    if let Err(e) = webhooks::deliver_due(state, now).await {
        tracing::error!(error = %e, "cannot send webhook deliveries");
    }
}

/// Runs [`tick`] forever (the server aborts the task on shutdown).
pub async fn run_forever(state: AppState, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        tick(&state).await;
    }
}

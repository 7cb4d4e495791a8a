//! The rotation scheduler: [`run_due`] does one pass at a given time (the server calls it
//! about once a minute; tests pass their own clock). Each pass
//! - rotates Keygate keys whose schedule fell due and hands the new keys to their owners,
//! - writes one `due` entry for each provider key whose schedule fell due,
//! - forgets grace-period predecessors whose time ran out (destroying old provider secrets).
//!
//! One key failing (say, the audit log is unavailable) never stops the others.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{provider_keys, virtual_keys};
use crate::error::DomainError;
use crate::state::AppState;

/// How often the server runs the scheduler unless configured otherwise.
pub const DEFAULT_TICK: Duration = Duration::from_secs(60);

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Keygate keys rotated.
    pub rotated: Vec<i32>,
    /// Provider keys whose `due` entry this pass wrote.
    pub due: Vec<i32>,
    /// Keys (Keygate keys) whose rotation failed; retried on the next pass.
    pub failed: Vec<i32>,
    /// Grace-period predecessors forgotten.
    pub expired: u64,
}

/// One scheduler pass at `now`.
pub async fn run_due(state: &AppState, now: DateTime<Utc>) -> Result<RunReport, DomainError> {
    let db = &state.db;
    let mut report = RunReport::default();
    for key in virtual_keys::due(db, now).await? {
        match virtual_keys::rotate_scheduled(state, &key, now).await {
            Ok(_) => report.rotated.push(key.id),
            Err(e) => {
                tracing::warn!(virtual_key_id = key.id, error = %e, "scheduled rotation failed");
                report.failed.push(key.id);
            }
        }
    }
    for key in provider_keys::due(db, now).await? {
        match provider_keys::mark_due(db, &key, now).await {
            Ok(true) => report.due.push(key.id),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(provider_key_id = key.id, error = %e, "cannot note a due rotation");
            }
        }
    }
    report.expired =
        virtual_keys::sweep_expired(db, now).await? + provider_keys::sweep_expired(db, now).await?;
    if !report.rotated.is_empty() || report.expired > 0 {
        state.gateway.forget_cached();
    }
    if !report.rotated.is_empty() || !report.due.is_empty() {
        tracing::info!(
            rotated = report.rotated.len(),
            due = report.due.len(),
            "rotation schedules ran"
        );
    }
    Ok(report)
}

/// Runs [`run_due`] every `tick` while this replica holds `lease`, until the task is dropped
/// (aborted). Errors are logged.
pub async fn run_forever(state: AppState, tick: Duration, lease: crate::jobs::Lease) {
    let mut every = tokio::time::interval(tick);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = Utc::now();
        if !lease.hold(now).await {
            continue;
        }
        if let Err(e) = run_due(&state, now).await {
            tracing::warn!(error = %e, "the rotation scheduler could not run");
        }
    }
}

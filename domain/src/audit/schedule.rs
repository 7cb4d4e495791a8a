//! The daily prune: every organization's entries older than its retention are deleted by the
//! server itself (recorded as the `system` actor), so retention holds without a cron job.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::entities::organization;
use crate::error::DomainError;

/// How often the server prunes.
pub const PRUNE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Prunes every organization; returns how many entries were deleted.
pub async fn prune_all(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DomainError> {
    let mut deleted = 0;
    for org in organization::Entity::find().all(db).await? {
        deleted += super::prune(db, org.id, now).await?.deleted;
    }
    Ok(deleted)
}

/// Prunes now and then every `every`, until the task is dropped.
pub async fn run_forever(db: DatabaseConnection, every: Duration, lease: crate::jobs::Lease) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = Utc::now();
        if !lease.hold(now).await {
            continue;
        }
        match prune_all(&db, now).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned old audit entries"),
            Err(e) => tracing::warn!(error = %e, "could not prune the audit log"),
        }
    }
}

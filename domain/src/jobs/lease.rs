//! One lease row per job, taken or renewed with a single conditional upsert.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, QueryFilter, Set};

use crate::entities::job_lease::{self, Column};

/// Takes the lease of `job` for `holder` until `now + ttl` when it is free, expired or
/// already `holder`'s. Returns whether `holder` holds it now. One statement: two replicas
/// racing for an expired lease cannot both win.
pub async fn try_acquire(
    db: &DatabaseConnection,
    job: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let now_ms = now.timestamp_millis();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let row = job_lease::ActiveModel {
        name: Set(job.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at_ms: Set(now_ms.saturating_add(ttl_ms)),
    };
    let renewable = Expr::col((job_lease::Entity, Column::Holder))
        .eq(holder)
        .or(Expr::col((job_lease::Entity, Column::ExpiresAtMs)).lt(now_ms));
    let taken = job_lease::Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Name)
                .update_columns([Column::Holder, Column::ExpiresAtMs])
                .action_and_where(renewable)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(taken == 1)
}

/// Gives the lease up (at shutdown), so another replica takes over at its next tick.
pub async fn release(db: &DatabaseConnection, job: &str, holder: &str) -> Result<(), DbErr> {
    job_lease::Entity::delete_many()
        .filter(Column::Name.eq(job))
        .filter(Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// A periodic job's lease as its loop uses it.
#[derive(Clone, Debug)]
pub struct Lease {
    db: DatabaseConnection,
    job: &'static str,
    holder: Arc<str>,
    ttl: Duration,
}

impl Lease {
    /// The lease of `job`, run every `period` by the replica `holder`. It lasts a period and
    /// a half (at least 5 s more than a period), so a live holder always renews in time and a
    /// dead one is replaced within that.
    pub fn new(
        db: DatabaseConnection,
        job: &'static str,
        holder: Arc<str>,
        period: Duration,
    ) -> Self {
        let ttl = period + (period / 2).max(Duration::from_secs(5));
        Self {
            db,
            job,
            holder,
            ttl,
        }
    }

    /// Whether this replica should run the job's tick at `now`. A database error means no
    /// (the job waits for the next tick) and is logged.
    pub async fn hold(&self, now: DateTime<Utc>) -> bool {
        match try_acquire(&self.db, self.job, &self.holder, self.ttl, now).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(job = self.job, error = %e, "cannot take a job lease");
                false
            }
        }
    }

    /// Gives the lease up.
    pub async fn release(&self) {
        if let Err(e) = release(&self.db, self.job, &self.holder).await {
            tracing::warn!(job = self.job, error = %e, "cannot release a job lease");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    async fn db() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect_and_migrate(&url).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn one_holder_at_a_time_until_expiry() {
        let (_dir, db) = db().await;
        let t0 = Utc::now();
        let ttl = Duration::from_secs(60);
        assert!(try_acquire(&db, "rotation", "a", ttl, t0).await.unwrap());
        assert!(
            !try_acquire(&db, "rotation", "b", ttl, t0).await.unwrap(),
            "held by a"
        );
        assert!(
            try_acquire(&db, "alerts", "b", ttl, t0).await.unwrap(),
            "other jobs are free"
        );
        // The holder renews; the other still cannot take it before expiry.
        let t1 = t0 + chrono::Duration::seconds(30);
        assert!(try_acquire(&db, "rotation", "a", ttl, t1).await.unwrap());
        let t2 = t0 + chrono::Duration::seconds(80);
        assert!(
            !try_acquire(&db, "rotation", "b", ttl, t2).await.unwrap(),
            "renewed at t1"
        );
        // a stops renewing: after expiry b takes over, and a is out.
        let t3 = t1 + chrono::Duration::seconds(61);
        assert!(try_acquire(&db, "rotation", "b", ttl, t3).await.unwrap());
        assert!(!try_acquire(&db, "rotation", "a", ttl, t3).await.unwrap());
    }

    #[tokio::test]
    async fn release_hands_over_at_once() {
        let (_dir, db) = db().await;
        let now = Utc::now();
        let ttl = Duration::from_secs(600);
        assert!(try_acquire(&db, "alerts", "a", ttl, now).await.unwrap());
        release(&db, "alerts", "b").await.unwrap();
        assert!(
            !try_acquire(&db, "alerts", "b", ttl, now).await.unwrap(),
            "only the holder releases"
        );
        release(&db, "alerts", "a").await.unwrap();
        assert!(try_acquire(&db, "alerts", "b", ttl, now).await.unwrap());
    }

    #[tokio::test]
    async fn racing_replicas_elect_exactly_one() {
        let (_dir, db) = db().await;
        let now = Utc::now();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                try_acquire(&db, "prune", &format!("r{i}"), Duration::from_secs(60), now).await
            }));
        }
        let mut winners = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1);
    }
}

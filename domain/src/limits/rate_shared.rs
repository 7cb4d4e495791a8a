//! Rate limits shared by every replica on one database: the same GCRA as the in-memory
//! limiter, with each quota's "theoretical arrival time" (TAT) in the `rate_cells` table and
//! every decision one conditional upsert, so concurrent requests on any number of servers
//! never together exceed a limit.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, Value};

/// A minute, in microseconds: every quota is "per minute".
const WINDOW_US: i64 = 60_000_000;

/// One quota's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Taken; this many cells are left right now.
    Admitted { remaining: u32 },
    /// Not enough cells until `retry_after`.
    Refused { retry_after: Duration },
    /// More cells than the whole quota holds: never admitted.
    TooLarge,
}

/// Takes `cells` from the quota of `per_minute` cells of limit row `limit_id` / `unit` at
/// `now_us` (microseconds since the epoch).
pub async fn take(
    db: &DatabaseConnection,
    limit_id: i32,
    unit: &str,
    per_minute: u32,
    cells: u32,
    now_us: i64,
) -> Result<Decision, DbErr> {
    let per_minute = i64::from(per_minute.max(1));
    // Emission interval: one cell every `interval` µs; the bucket holds `per_minute` cells.
    let interval = (WINDOW_US / per_minute).max(1);
    let capacity = interval * per_minute;
    let increment = interval.saturating_mul(i64::from(cells.max(1)));
    if increment > capacity {
        return Ok(Decision::TooLarge);
    }
    let backend = db.get_database_backend();
    let greatest = match backend {
        DatabaseBackend::Postgres => "GREATEST",
        _ => "MAX",
    };
    let sql = format!(
        "INSERT INTO rate_cells (limit_id, unit, tat_us) VALUES ({p1}, {p2}, {p3}) \
         ON CONFLICT (limit_id, unit) DO UPDATE \
         SET tat_us = {greatest}(rate_cells.tat_us, {p4}) + {p5} \
         WHERE {greatest}(rate_cells.tat_us, {p4}) + {p5} <= {p6} \
         RETURNING tat_us",
        p1 = placeholder(backend, 1),
        p2 = placeholder(backend, 2),
        p3 = placeholder(backend, 3),
        p4 = placeholder(backend, 4),
        p5 = placeholder(backend, 5),
        p6 = placeholder(backend, 6),
    );
    let values: Vec<Value> = vec![
        limit_id.into(),
        unit.into(),
        (now_us + increment).into(),
        now_us.into(),
        increment.into(),
        (now_us + capacity).into(),
    ];
    // SQLite numbers placeholders by position, so a repeated one is sent again.
    let values = match backend {
        DatabaseBackend::Postgres => values,
        _ => vec![
            values[0].clone(),
            values[1].clone(),
            values[2].clone(),
            values[3].clone(),
            values[4].clone(),
            values[3].clone(),
            values[4].clone(),
            values[5].clone(),
        ],
    };
    let taken = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    if let Some(row) = taken {
        let tat: i64 = row.try_get_by_index(0)?;
        let remaining = (now_us + capacity - tat).max(0) / interval;
        return Ok(Decision::Admitted {
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
        });
    }
    let current = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT tat_us FROM rate_cells WHERE limit_id = {} AND unit = {}",
                placeholder(backend, 1),
                placeholder(backend, 2)
            ),
            [limit_id.into(), unit.into()],
        ))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(now_us);
    let wait_us = current.max(now_us) + increment - (now_us + capacity);
    Ok(Decision::Refused {
        retry_after: Duration::from_micros(u64::try_from(wait_us.max(1)).unwrap_or(1)),
    })
}

fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    async fn db() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        (dir, crate::db::connect_and_migrate(&url).await.unwrap())
    }

    #[tokio::test]
    async fn a_burst_then_refusal_then_replenishment() {
        let (_dir, db) = db().await;
        let t0 = 1_000_000_000_000;
        for remaining in [2, 1, 0] {
            assert_eq!(
                take(&db, 1, "requests", 3, 1, t0).await.unwrap(),
                Decision::Admitted { remaining }
            );
        }
        let Decision::Refused { retry_after } = take(&db, 1, "requests", 3, 1, t0).await.unwrap()
        else {
            panic!("the fourth request in the same instant must be refused");
        };
        assert_eq!(retry_after, Duration::from_secs(20), "one request per 20 s");
        // 20 s later exactly one more fits.
        let t1 = t0 + 20_000_000;
        assert_eq!(
            take(&db, 1, "requests", 3, 1, t1).await.unwrap(),
            Decision::Admitted { remaining: 0 }
        );
        // Other units and limits are independent.
        assert_eq!(
            take(&db, 1, "tokens", 1000, 600, t1).await.unwrap(),
            Decision::Admitted { remaining: 400 }
        );
        assert_eq!(
            take(&db, 1, "tokens", 1000, 5000, t1).await.unwrap(),
            Decision::TooLarge
        );
        assert!(matches!(
            take(&db, 1, "tokens", 1000, 600, t1).await.unwrap(),
            Decision::Refused { .. }
        ));
    }

    #[tokio::test]
    async fn concurrent_takers_never_exceed_the_quota() {
        let (_dir, db) = db().await;
        let now = 2_000_000_000_000;
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { take(&db, 9, "requests", 10, 1, now).await.unwrap() })
            })
            .collect();
        let mut admitted = 0;
        for task in tasks {
            if matches!(task.await.unwrap(), Decision::Admitted { .. }) {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 10);
    }
}

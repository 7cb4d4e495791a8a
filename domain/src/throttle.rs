//! Login throttling with exponential back-off, per account and per client IP.
//!
//! State lives in the database so every replica sees the same counters. A key is allowed
//! `free_failures` failures; after that each further attempt must wait `2^(n - free + 1)` seconds
//! (2 s, 4 s, 8 s, … capped) after the last failure. Counters reset after a quiet window.

use std::net::IpAddr;

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::entities::login_throttle;
use crate::error::DomainError;
use crate::types::Email;

/// How many failures a key gets before back-off starts, and how it grows.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub free_failures: u32,
    pub max_delay_secs: u64,
    /// Failures older than this are forgotten.
    pub window_secs: u64,
}

impl ThrottlePolicy {
    pub const ACCOUNT: Self = Self {
        free_failures: 5,
        max_delay_secs: 15 * 60,
        window_secs: 60 * 60,
    };
    /// Shared offices sit behind one address, so an IP gets more room than an account.
    pub const IP: Self = Self {
        free_failures: 50,
        max_delay_secs: 15 * 60,
        window_secs: 60 * 60,
    };

    /// Seconds to wait after the last failure, given `failures` so far.
    pub fn delay_secs(&self, failures: u32) -> u64 {
        if failures < self.free_failures {
            return 0;
        }
        let exponent = (failures - self.free_failures + 1).min(20);
        (1u64 << exponent).min(self.max_delay_secs)
    }

    /// Seconds the caller must still wait at `now_ms`, or 0 if an attempt is allowed.
    pub fn retry_after_secs(&self, failures: u32, last_failure_ms: i64, now_ms: i64) -> u64 {
        let elapsed_ms = now_ms.saturating_sub(last_failure_ms).max(0);
        if elapsed_ms as u64 >= self.window_secs * 1000 {
            return 0;
        }
        let delay_ms = self.delay_secs(failures) * 1000;
        let remaining_ms = delay_ms.saturating_sub(elapsed_ms as u64);
        remaining_ms.div_ceil(1000)
    }
}

fn account_key(email: &Email) -> String {
    format!("account:{email}")
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn wait_for(
    db: &DatabaseConnection,
    key: String,
    policy: ThrottlePolicy,
    now: i64,
) -> Result<u64, DomainError> {
    Ok(
        match login_throttle::Entity::find_by_id(key).one(db).await? {
            Some(row) => {
                policy.retry_after_secs(row.failures.max(0) as u32, row.last_failure_at, now)
            }
            None => 0,
        },
    )
}

/// Refuses the attempt with `Throttled` if the account or the address must still wait.
pub async fn check(
    db: &DatabaseConnection,
    email: &Email,
    ip: Option<IpAddr>,
) -> Result<(), DomainError> {
    let now = now_ms();
    let mut wait = wait_for(db, account_key(email), ThrottlePolicy::ACCOUNT, now).await?;
    if let Some(ip) = ip {
        wait = wait.max(wait_for(db, ip_key(ip), ThrottlePolicy::IP, now).await?);
    }
    if wait > 0 {
        return Err(DomainError::Throttled {
            retry_after_secs: wait,
        });
    }
    Ok(())
}

async fn bump(
    db: &DatabaseConnection,
    key: String,
    policy: ThrottlePolicy,
    now: i64,
) -> Result<(), DomainError> {
    match login_throttle::Entity::find_by_id(key.clone())
        .one(db)
        .await?
    {
        Some(row) => {
            let stale =
                now.saturating_sub(row.last_failure_at) >= (policy.window_secs * 1000) as i64;
            let failures = if stale {
                1
            } else {
                row.failures.saturating_add(1)
            };
            let mut active: login_throttle::ActiveModel = row.into();
            active.failures = Set(failures);
            active.last_failure_at = Set(now);
            active.update(db).await?;
        }
        None => {
            login_throttle::ActiveModel {
                key: Set(key),
                failures: Set(1),
                last_failure_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Records a failed attempt against the account and the address.
pub async fn record_failure(
    db: &DatabaseConnection,
    email: &Email,
    ip: Option<IpAddr>,
) -> Result<(), DomainError> {
    let now = now_ms();
    bump(db, account_key(email), ThrottlePolicy::ACCOUNT, now).await?;
    if let Some(ip) = ip {
        bump(db, ip_key(ip), ThrottlePolicy::IP, now).await?;
    }
    Ok(())
}

/// A successful sign-in clears the account's counter. The address keeps its own, so one valid
/// account cannot be used to reset an address that is guessing at others.
pub async fn record_success(db: &DatabaseConnection, email: &Email) -> Result<(), DomainError> {
    login_throttle::Entity::delete_by_id(account_key(email))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_after_the_free_failures_and_doubles() {
        let p = ThrottlePolicy::ACCOUNT;
        assert_eq!(p.delay_secs(0), 0);
        assert_eq!(p.delay_secs(4), 0);
        assert_eq!(p.delay_secs(5), 2);
        assert_eq!(p.delay_secs(6), 4);
        assert_eq!(p.delay_secs(7), 8);
        assert_eq!(p.delay_secs(40), 15 * 60);
    }

    #[test]
    fn retry_after_counts_down_and_expires_with_the_window() {
        let p = ThrottlePolicy::ACCOUNT;
        let t0 = 1_000_000;
        assert_eq!(p.retry_after_secs(5, t0, t0), 2);
        assert_eq!(p.retry_after_secs(5, t0, t0 + 1_500), 1);
        assert_eq!(p.retry_after_secs(5, t0, t0 + 2_000), 0);
        assert_eq!(p.retry_after_secs(4, t0, t0), 0);
        assert_eq!(p.retry_after_secs(30, t0, t0 + 3_600_000), 0);
    }

    #[test]
    fn addresses_get_more_room_than_accounts() {
        assert_eq!(ThrottlePolicy::IP.delay_secs(49), 0);
        assert_eq!(ThrottlePolicy::IP.delay_secs(50), 2);
    }
}

//! What two-factor authentication keeps in the session:
//!
//! - a *pending sign-in* (`keygate.mfa_pending`): the password was right, the second factor is
//!   still owed. It names the user and expires after five minutes; the session is not signed in
//!   meanwhile, and the password is never kept or re-sent.
//! - *recently verified* (`keygate.mfa_verified_at`): when the session last proved a code.
//!   Sensitive actions need this within the last five minutes from users with two-factor on.

use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::auth::SessionUser;
use crate::error::DomainError;

pub const PENDING_KEY: &str = "keygate.mfa_pending";
pub const VERIFIED_AT_KEY: &str = "keygate.mfa_verified_at";
/// How long a pending sign-in waits for its code.
pub const PENDING_SECS: i64 = 5 * 60;
/// How long a verified code counts for sensitive actions.
pub const REVERIFY_SECS: i64 = 5 * 60;

#[derive(Serialize, Deserialize)]
struct Pending {
    user_id: i32,
    expires_at: i64,
}

fn session_err(err: impl std::fmt::Display) -> DomainError {
    DomainError::internal("session", err)
}

/// Marks the session as waiting for `user_id`'s second factor until `now + PENDING_SECS`.
pub async fn set_pending(session: &Session, user_id: i32, now: i64) -> Result<(), DomainError> {
    let pending = Pending {
        user_id,
        expires_at: now.saturating_add(PENDING_SECS),
    };
    session
        .insert(PENDING_KEY, pending)
        .await
        .map_err(session_err)
}

/// The user whose second factor this session waits for, unless it expired.
pub async fn pending_user(session: &Session, now: i64) -> Result<Option<i32>, DomainError> {
    let pending: Option<Pending> = session.get(PENDING_KEY).await.map_err(session_err)?;
    match pending {
        Some(p) if p.expires_at > now => Ok(Some(p.user_id)),
        Some(_) => {
            clear_pending(session).await?;
            Ok(None)
        }
        None => Ok(None),
    }
}

pub async fn clear_pending(session: &Session) -> Result<(), DomainError> {
    session
        .remove::<Pending>(PENDING_KEY)
        .await
        .map(|_| ())
        .map_err(session_err)
}

/// Records that this session proved a code at `now`.
pub async fn mark_verified(session: &Session, now: i64) -> Result<(), DomainError> {
    session
        .insert(VERIFIED_AT_KEY, now)
        .await
        .map_err(session_err)
}

/// Whether a code verified at `verified_at` still counts at `now`.
pub fn is_recent(verified_at: Option<i64>, now: i64) -> bool {
    verified_at.is_some_and(|at| at <= now && now - at <= REVERIFY_SECS)
}

/// Refuses with `ReverifyRequired` unless `user` has two-factor off or this session verified
/// a code within the last five minutes.
pub async fn require_recent(
    db: &DatabaseConnection,
    session: &Session,
    user: &SessionUser,
    now: i64,
) -> Result<(), DomainError> {
    if !super::store::is_enabled(db, user.id).await? {
        return Ok(());
    }
    let verified_at: Option<i64> = session.get(VERIFIED_AT_KEY).await.map_err(session_err)?;
    if is_recent(verified_at, now) {
        Ok(())
    } else {
        Err(DomainError::ReverifyRequired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_counts_for_five_minutes() {
        let t = 1_000_000;
        assert!(is_recent(Some(t), t));
        assert!(is_recent(Some(t), t + REVERIFY_SECS));
        assert!(!is_recent(Some(t), t + REVERIFY_SECS + 1));
        assert!(!is_recent(None, t));
        // A time from the future (a tampered or skewed clock) does not count.
        assert!(!is_recent(Some(t + 10), t));
    }
}

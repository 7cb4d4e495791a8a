//! Key rotation: manual, scheduled, with a grace period for the replaced key, and a history.
//!
//! - Keygate keys ([`virtual_keys`]): a new key is generated; the old one keeps working until
//!   its grace period ends (its hash moves to `previous_key_hash`), then answers 401. A key's
//!   schedule rotates it by itself ([`scheduler::run_due`]); the new key then waits, sealed
//!   with the vault, for its owner to reveal it once ([`delivery`]).
//! - Provider keys ([`provider_keys`]): Keygate cannot mint them, so a rotation takes the new
//!   secret from a person, verifies it against the provider first, and keeps the old secret
//!   (sealed exactly like the current one) as the proxy's fallback until the grace period
//!   ends. When a provider key's schedule falls due, a `due` entry is written once and the key
//!   shows as overdue until someone rotates it.
//! - Every rotation, refused verification and due notice is a row of `key_rotations`
//!   ([`history`]). Rotations are sensitive: the audit entry is written first and the rotation
//!   refused when it cannot be.
//!
//! Replacing a grace-period predecessor: rotating again before the grace period ends drops
//! the older predecessor at once (only one previous key or secret is kept).

pub mod delivery;
pub mod history;
pub mod provider_keys;
pub mod rewrap;
pub mod schedule;
pub mod scheduler;
pub mod virtual_keys;

use chrono::Duration;

use crate::error::DomainError;

/// Grace period when a request names none.
pub const DEFAULT_GRACE_HOURS: i64 = 24;
/// Longest grace period (30 days).
pub const MAX_GRACE_HOURS: i64 = 720;

/// Which kind of key a rotation is about (stored in `key_rotations.key_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Virtual,
    Provider,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Virtual => "virtual",
            KeyKind::Provider => "provider",
        }
    }
}

/// What started a rotation (stored in `key_rotations.trigger`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Schedule,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
        }
    }
}

/// How a rotation ended (stored in `key_rotations.outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failed,
    /// A provider key's schedule fell due; a person has to rotate it.
    Due,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failed => "failed",
            Outcome::Due => "due",
        }
    }
}

/// The grace period asked for: `None` is [`DEFAULT_GRACE_HOURS`]; 0 ends the old key at once.
pub fn grace_period(hours: Option<i64>) -> Result<Duration, DomainError> {
    let hours = hours.unwrap_or(DEFAULT_GRACE_HOURS);
    if !(0..=MAX_GRACE_HOURS).contains(&hours) {
        return Err(DomainError::validation(
            "graceHours",
            format!("The grace period must be between 0 and {MAX_GRACE_HOURS} hours."),
        ));
    }
    Ok(Duration::hours(hours))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn grace_periods_default_to_a_day_and_are_bounded() {
        assert_eq!(grace_period(None).unwrap(), Duration::hours(24));
        assert_eq!(grace_period(Some(0)).unwrap(), Duration::zero());
        assert_eq!(grace_period(Some(720)).unwrap(), Duration::hours(720));
        assert!(grace_period(Some(721)).is_err());
        assert!(grace_period(Some(-1)).is_err());
    }
}

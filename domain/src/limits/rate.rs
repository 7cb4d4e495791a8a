//! Rate limits: requests and tokens per minute per Keygate key, user and project, enforced
//! with GCRA — in this server's memory (the `governor` crate; a limiter per limit row, rebuilt
//! when its quota changes), or shared by every replica through the database
//! ([`super::rate_shared`]). Every admitted request gets the most restrictive state as
//! `x-ratelimit-*` headers, the OpenAI way; a refused one gets `Retry-After`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::Scope;
use super::store::scope_of;
use crate::entities::usage_limit;

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Unit {
    Requests,
    Tokens,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Requests => "requests",
            Unit::Tokens => "tokens",
        }
    }
}

/// Why a rate check did not admit a request.
#[derive(Clone, Debug)]
pub enum RateError {
    Refused(RateRefusal),
    /// The shared state could not be read or written: refuse rather than guess.
    Unavailable(String),
}

/// One quota's state after a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub limit: u32,
    pub remaining: u32,
    /// Until the quota is full again.
    pub reset: Duration,
}

/// What an admitted request is told about its rate limits (the tightest of each unit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateState {
    pub requests: Option<Window>,
    pub tokens: Option<Window>,
}

impl RateState {
    /// `x-ratelimit-*` header names and values.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(w) = self.requests {
            headers.push(("x-ratelimit-limit-requests", w.limit.to_string()));
            headers.push(("x-ratelimit-remaining-requests", w.remaining.to_string()));
            headers.push(("x-ratelimit-reset-requests", format_duration(w.reset)));
        }
        if let Some(w) = self.tokens {
            headers.push(("x-ratelimit-limit-tokens", w.limit.to_string()));
            headers.push(("x-ratelimit-remaining-tokens", w.remaining.to_string()));
            headers.push(("x-ratelimit-reset-tokens", format_duration(w.reset)));
        }
        headers
    }

    fn tighten(&mut self, unit: Unit, window: Window) {
        let slot = match unit {
            Unit::Requests => &mut self.requests,
            Unit::Tokens => &mut self.tokens,
        };
        if slot.is_none_or(|w| window.remaining < w.remaining) {
            *slot = Some(window);
        }
    }
}

/// Why a request was refused by a rate limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateRefusal {
    pub scope: Scope,
    pub scope_id: i32,
    pub tokens: bool,
    pub limit: u32,
    pub retry_after: Duration,
    /// The request alone needs more tokens than the per-minute limit allows.
    pub too_large: bool,
    pub state: RateState,
}

impl RateRefusal {
    pub fn message(&self) -> String {
        let unit = if self.tokens { "tokens" } else { "requests" };
        if self.too_large {
            return format!(
                "Rate limit: this request needs more tokens than the {} {}'s limit of {} tokens per minute.",
                self.scope.noun(),
                self.scope_id,
                self.limit
            );
        }
        format!(
            "Rate limit reached: the {} {} allows {} {unit} per minute. Retry after {}.",
            self.scope.noun(),
            self.scope_id,
            self.limit,
            format_duration(self.retry_after)
        )
    }

    /// Whole seconds for `Retry-After` (at least 1).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// OpenAI's reset format: `20ms`, `1.5s`, `6m0s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let tenths = (ms + 50) / 100;
        if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
    } else {
        let secs = d.as_secs();
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

struct Slot {
    per_minute: u32,
    limiter: Arc<Limiter>,
}

/// The limiters of this server, by limit row and unit — or, when `shared` is set, the
/// database every replica uses.
#[derive(Default)]
pub struct RateLimits {
    slots: Mutex<HashMap<(i32, Unit), Slot>>,
    clock: DefaultClock,
    shared: Option<sea_orm::DatabaseConnection>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

impl RateLimits {
    /// Limits kept in `db`, exact across every replica sharing it.
    pub fn shared(db: sea_orm::DatabaseConnection) -> Self {
        Self {
            shared: Some(db),
            ..Self::default()
        }
    }

    /// Whether decisions are shared through the database.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Takes one request and `tokens` tokens from every rate limit in `limits`, in memory or
    /// in the database.
    pub async fn check(
        &self,
        limits: &[usage_limit::Model],
        tokens: u32,
    ) -> Result<RateState, RateError> {
        match &self.shared {
            None => self.check_here(limits, tokens).map_err(RateError::Refused),
            Some(db) => check_shared(db, limits, tokens).await,
        }
    }

    fn limiter(&self, limit_id: i32, unit: Unit, per_minute: NonZeroU32) -> Arc<Limiter> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let slot = slots.entry((limit_id, unit)).or_insert_with(|| Slot {
            per_minute: 0,
            limiter: Arc::new(new_limiter(per_minute)),
        });
        if slot.per_minute != per_minute.get() {
            if slot.per_minute != 0 {
                slot.limiter = Arc::new(new_limiter(per_minute));
            }
            slot.per_minute = per_minute.get();
        }
        slot.limiter.clone()
    }

    /// Takes one request and `tokens` tokens from every rate limit in `limits`, in this
    /// server's memory.
    pub fn check_here(
        &self,
        limits: &[usage_limit::Model],
        tokens: u32,
    ) -> Result<RateState, RateRefusal> {
        let mut state = RateState::default();
        for limit in limits {
            let scope = scope_of(limit).unwrap_or(Scope::Project);
            let quotas = [
                (Unit::Requests, limit.rpm, 1u32),
                (Unit::Tokens, limit.tpm, tokens.max(1)),
            ];
            for (unit, per_minute, cells) in quotas {
                let Some(per_minute) = per_minute
                    .and_then(|v| u32::try_from(v).ok())
                    .and_then(NonZeroU32::new)
                else {
                    continue;
                };
                let limiter = self.limiter(limit.id, unit, per_minute);
                let refusal =
                    |retry_after: Duration, too_large: bool, state: RateState| RateRefusal {
                        scope,
                        scope_id: limit.scope_id,
                        tokens: unit == Unit::Tokens,
                        limit: per_minute.get(),
                        retry_after,
                        too_large,
                        state,
                    };
                let cells = NonZeroU32::new(cells).unwrap_or(NonZeroU32::MIN);
                match limiter.check_n(cells) {
                    Ok(Ok(snapshot)) => {
                        let remaining = snapshot.remaining_burst_capacity();
                        state.tighten(unit, window(per_minute.get(), remaining));
                    }
                    Ok(Err(not_until)) => {
                        let wait = not_until.wait_time_from(self.clock.now());
                        state.tighten(unit, window(per_minute.get(), 0));
                        return Err(refusal(wait, false, state));
                    }
                    Err(_) => {
                        state.tighten(unit, window(per_minute.get(), 0));
                        return Err(refusal(Duration::from_secs(60), true, state));
                    }
                }
            }
        }
        Ok(state)
    }
}

/// [`RateLimits::check`] against the shared `rate_cells` table.
async fn check_shared(
    db: &sea_orm::DatabaseConnection,
    limits: &[usage_limit::Model],
    tokens: u32,
) -> Result<RateState, RateError> {
    use super::rate_shared::{Decision, take};
    let now_us = chrono::Utc::now().timestamp_micros();
    let mut state = RateState::default();
    for limit in limits {
        let scope = scope_of(limit).unwrap_or(Scope::Project);
        let quotas = [
            (Unit::Requests, limit.rpm, 1u32),
            (Unit::Tokens, limit.tpm, tokens.max(1)),
        ];
        for (unit, per_minute, cells) in quotas {
            let Some(per_minute) = per_minute
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
            else {
                continue;
            };
            let decision = take(db, limit.id, unit.as_str(), per_minute, cells, now_us)
                .await
                .map_err(|e| RateError::Unavailable(e.to_string()))?;
            let refusal = |retry_after: Duration, too_large: bool, state: RateState| {
                RateError::Refused(RateRefusal {
                    scope,
                    scope_id: limit.scope_id,
                    tokens: unit == Unit::Tokens,
                    limit: per_minute,
                    retry_after,
                    too_large,
                    state,
                })
            };
            match decision {
                Decision::Admitted { remaining } => {
                    state.tighten(unit, window(per_minute, remaining));
                }
                Decision::Refused { retry_after } => {
                    state.tighten(unit, window(per_minute, 0));
                    return Err(refusal(retry_after, false, state));
                }
                Decision::TooLarge => {
                    state.tighten(unit, window(per_minute, 0));
                    return Err(refusal(Duration::from_secs(60), true, state));
                }
            }
        }
    }
    Ok(state)
}

fn new_limiter(per_minute: NonZeroU32) -> Limiter {
    RateLimiter::direct(Quota::per_minute(per_minute))
        .with_middleware::<StateInformationMiddleware>()
}

/// A window whose `remaining` cells refill at `limit` per minute.
fn window(limit: u32, remaining: u32) -> Window {
    let missing = u64::from(limit.saturating_sub(remaining));
    let reset = Duration::from_millis(missing * 60_000 / u64::from(limit.max(1)));
    Window {
        limit,
        remaining,
        reset,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::Utc;

    use super::*;

    fn limit(id: i32, rpm: Option<i32>, tpm: Option<i32>) -> usage_limit::Model {
        usage_limit::Model {
            id,
            org_id: 1,
            scope: "key".into(),
            scope_id: 7,
            period: "monthly".into(),
            limit_micros: None,
            limit_tokens: None,
            enforcement: "hard".into(),
            rpm,
            tpm,
            period_start: Utc::now(),
            spent_micros: 0,
            spent_tokens: 0,
            reserved_micros: 0,
            reserved_tokens: 0,
            created_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn requests_beyond_the_burst_are_refused_with_a_retry_time() {
        let limits = RateLimits::default();
        let rows = [limit(1, Some(3), None)];
        for expected_remaining in [2, 1, 0] {
            let state = limits.check_here(&rows, 10).unwrap();
            assert_eq!(state.requests.unwrap().remaining, expected_remaining);
            assert_eq!(state.tokens, None);
        }
        let refused = limits.check_here(&rows, 10).unwrap_err();
        assert!(!refused.tokens);
        assert_eq!(refused.limit, 3);
        // One request per 20 s replenishes.
        assert!(refused.retry_after <= Duration::from_secs(20));
        assert!(refused.retry_after > Duration::from_secs(15));
        assert!(refused.retry_after_secs() >= 16);
        assert!(refused.message().contains("3 requests per minute"));
    }

    #[test]
    fn tokens_are_taken_in_bulk_and_oversized_requests_refused() {
        let limits = RateLimits::default();
        let rows = [limit(2, None, Some(1000))];
        let state = limits.check_here(&rows, 600).unwrap();
        assert_eq!(state.tokens.unwrap().remaining, 400);
        assert!(limits.check_here(&rows, 600).unwrap_err().tokens);
        let too_large = limits.check_here(&rows, 5000).unwrap_err();
        assert!(too_large.too_large);
        assert!(too_large.message().contains("more tokens"));
    }

    #[test]
    fn the_tightest_window_is_reported_and_quota_changes_rebuild() {
        let limits = RateLimits::default();
        let state = limits
            .check_here(&[limit(3, Some(100), None), limit(4, Some(5), None)], 1)
            .unwrap();
        assert_eq!(state.requests.unwrap().limit, 5);
        assert_eq!(state.requests.unwrap().remaining, 4);
        // Raising the quota starts a fresh limiter.
        let state = limits.check_here(&[limit(4, Some(50), None)], 1).unwrap();
        assert_eq!(state.requests.unwrap().remaining, 49);
        let headers = state.headers();
        assert!(headers.contains(&("x-ratelimit-limit-requests", "50".to_owned())));
        assert!(headers.contains(&("x-ratelimit-remaining-requests", "49".to_owned())));
    }

    #[test]
    fn durations_use_openai_reset_format() {
        assert_eq!(format_duration(Duration::from_millis(20)), "20ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_secs(360)), "6m0s");
    }
}

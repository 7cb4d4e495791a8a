//! Trying provider keys in order until one answers: failing over on 429, 5xx, connection
//! errors and timeouts (cooling the key down, honouring `Retry-After`), quarantining keys the
//! provider refuses (401/403), and turning "every key failed" into one client error.

use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument as _;

use axum::body::Bytes;
use axum::http::StatusCode;
use domain::AppState;
use domain::gateway::candidates::{Candidate, Candidates};
use domain::gateway::health::Strategy;
use domain::gateway::scrub;
use domain::virtual_keys::Caller;
use serde_json::Value;

use super::error::{Dialect, ProxyError};

/// How long a key rests after a 5xx, a connection error or a timeout.
const ERROR_COOLDOWN: Duration = Duration::from_secs(10);
/// How long a key rests after a 429 without `Retry-After`.
const RATE_LIMIT_COOLDOWN: Duration = Duration::from_secs(30);
/// Largest upstream error body read (for its message).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The keys to try, in order: personal keys, then the project's, then the environment
/// fallback — each group ordered by health and the project's balancing strategy.
pub fn attempt_order(
    state: &AppState,
    caller: &Caller,
    candidates: &Candidates,
) -> Vec<Arc<Candidate>> {
    let strategy = Strategy::parse(&caller.balance_strategy);
    let mut order = Vec::new();
    for group in [&candidates.personal, &candidates.project] {
        let ids: Vec<(i32, i32)> = group
            .iter()
            .map(|c| (c.key_id.unwrap_or(0), c.weight))
            .collect();
        for i in state.gateway.health.order(&ids, strategy) {
            order.push(group[i].clone());
        }
    }
    if let Some(fallback) = &candidates.fallback {
        order.push(fallback.clone());
    }
    order.truncate(state.gateway.limits.max_attempts);
    order
}

/// Why the keys tried so far failed.
#[derive(Default)]
pub struct Failures {
    attempts: usize,
    rate_limited: usize,
    timed_out: bool,
    retry_after: Option<u64>,
    pub last_status: Option<u16>,
    last_message: Option<String>,
}

impl Failures {
    /// The ledger's error type for this failure.
    pub fn error_type(&self) -> &'static str {
        if self.attempts > 0 && self.rate_limited == self.attempts {
            "rate_limited"
        } else if self.timed_out {
            "timeout"
        } else {
            "upstream_error"
        }
    }

    /// What the client sees: 429 when every key was rate limited, 504 after a timeout, else 502.
    pub fn into_error(self, dialect: Dialect, provider: &str) -> ProxyError {
        let error_type = self.error_type();
        let status = match error_type {
            "rate_limited" => StatusCode::TOO_MANY_REQUESTS,
            "timeout" => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        };
        let detail = self
            .last_message
            .map(|m| format!(" Last error: {m}"))
            .unwrap_or_default();
        ProxyError::new(
            status,
            dialect,
            format!(
                "Every {provider} key failed ({} tried).{detail}",
                self.attempts
            ),
        )
        .code(error_type)
        .retry_after(if status == StatusCode::TOO_MANY_REQUESTS {
            Some(self.retry_after.unwrap_or(RATE_LIMIT_COOLDOWN.as_secs()))
        } else {
            None
        })
    }
}

/// The result of trying the keys.
pub enum Attempted {
    /// A key got an answer worth handing back (2xx, or a 4xx about the request itself).
    Answered {
        candidate: Arc<Candidate>,
        response: reqwest::Response,
    },
    /// The request cannot be sent to this provider at all (e.g. an unsupported provider).
    Refused(String),
    /// Every key failed.
    Failed(Failures),
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s.ceil() as u64)
}

/// The provider's error message, scrubbed of anything that could be a key.
pub fn upstream_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = value
        .pointer("/error/message")
        .or_else(|| value.pointer("/message"))
        .and_then(Value::as_str)?;
    // Scrub first: cutting first could shorten a key below what the scrubber recognises.
    Some(scrub::scrub(message).chars().take(500).collect())
}

async fn read_limited(response: reqwest::Response, limit: usize) -> Bytes {
    use futures_util::StreamExt as _;
    let mut out = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(Ok(chunk)) = body.next().await {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    Bytes::from(out)
}

/// Sends the request built by `build` with each key in `order` until one answers. A key the
/// provider refuses (401/403) that was rotated recently is tried again at once with its
/// previous secret, while that secret's grace period lasts; it is quarantined only when the
/// provider refuses that one too.
pub async fn send_with_failover(
    state: &AppState,
    provider: &str,
    order: Vec<Arc<Candidate>>,
    build: impl Fn(&Candidate) -> Result<reqwest::RequestBuilder, domain::DomainError>,
) -> Attempted {
    let mut failures = Failures::default();
    let mut queue: std::collections::VecDeque<Arc<Candidate>> = order.into();
    while let Some(candidate) = queue.pop_front() {
        failures.attempts += 1;
        let health = &state.gateway.health;
        if let Some(id) = candidate.key_id {
            health.record_use(id);
        }
        let cool = |d: Duration, kind: &'static str| {
            crate::metrics::upstream_error(provider, candidate.key_id, kind);
            if let Some(id) = candidate.key_id {
                health.cool_down(id, d);
            }
        };
        let request = match build(&candidate) {
            Ok(request) => request,
            Err(domain::DomainError::Validation { message, .. }) => {
                return Attempted::Refused(message);
            }
            Err(e) => {
                tracing::warn!(error = %e, key_id = ?candidate.key_id, "cannot prepare an upstream request");
                failures.last_message = Some("The key's endpoint is not usable.".into());
                continue;
            }
        };
        let attempt = tracing::info_span!(
            "upstream.attempt",
            gen_ai.system = provider,
            keygate.provider_key_id = candidate.key_id.unwrap_or(0),
        );
        let response = match tokio::time::timeout(
            state.gateway.limits.first_byte_timeout,
            request.send().instrument(attempt),
        )
        .await
        {
            Err(_) => {
                cool(ERROR_COOLDOWN, "timeout");
                failures.timed_out = true;
                failures.last_message = Some("The provider did not answer in time.".into());
                continue;
            }
            Ok(Err(e)) => {
                cool(
                    ERROR_COOLDOWN,
                    if e.is_timeout() { "timeout" } else { "connect" },
                );
                failures.timed_out |= e.is_timeout();
                failures.last_message = Some("The provider could not be reached.".into());
                continue;
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        failures.last_status = Some(status);
        match status {
            429 => {
                let after = retry_after(response.headers());
                cool(
                    after.map_or(RATE_LIMIT_COOLDOWN, Duration::from_secs),
                    "rate_limited",
                );
                failures.rate_limited += 1;
                failures.retry_after = match (failures.retry_after, after) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                failures.last_message =
                    upstream_message(&read_limited(response, MAX_ERROR_BODY).await);
            }
            401 | 403 => {
                crate::metrics::upstream_error(provider, candidate.key_id, "refused");
                if let Some(previous) = candidate.with_previous_secret(chrono::Utc::now()) {
                    queue.push_front(Arc::new(previous));
                    failures.last_message = Some("The provider refused the key.".into());
                    continue;
                }
                if let Some(id) = candidate.key_id {
                    let db = state.db.clone();
                    let gateway = state.gateway.clone();
                    tokio::spawn(async move {
                        domain::gateway::quarantine::quarantine(&db, id, status).await;
                        gateway.candidates.forget_all();
                    });
                }
                failures.last_message = Some("The provider refused the key.".into());
            }
            500..=599 => {
                cool(ERROR_COOLDOWN, "5xx");
                failures.last_message =
                    upstream_message(&read_limited(response, MAX_ERROR_BODY).await);
            }
            _ => {
                return Attempted::Answered {
                    candidate,
                    response,
                };
            }
        }
    }
    Attempted::Failed(failures)
}

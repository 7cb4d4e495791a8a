//! Admission control before a request is forwarded: rate limits (in memory, GCRA) and budgets
//! (reserved in the database, fail closed). Refusals are 429s in the caller's dialect naming
//! the limit; a database that cannot be read or written refuses with 503.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use domain::AppState;
use domain::gateway::adapter::Api;
use domain::gateway::prices::Priced;
use domain::gateway::usage::Usage;
use domain::gateway::{estimate, pricing};
use domain::limits::admission::{self, Subject};
use domain::limits::rate::{RateError, RateState};
use domain::limits::{Estimate, Refusal, Reservation};
use domain::virtual_keys::Caller;
use serde_json::Value;

use super::error::{Dialect, ProxyError};

/// A request let through: its reservation, rate-limit state and the provider keys it must not
/// use (their hard budget is spent).
#[derive(Debug)]
pub struct Admitted {
    pub reservation: Arc<Reservation>,
    pub rate: RateState,
    pub exhausted_provider_keys: Vec<i32>,
    /// The worst case reserved (zero when no limit needed it).
    pub estimate: Estimate,
}

/// The most output a request asks for: `max_tokens`, `max_completion_tokens` or
/// `max_output_tokens`, else the configured default.
fn max_output_tokens(api: Api, body: &Value, default: u32) -> u32 {
    if matches!(api, Api::Embeddings | Api::CountTokens) {
        return 0;
    }
    ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        .iter()
        .find_map(|field| body.get(*field).and_then(Value::as_u64))
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .unwrap_or(default)
}

/// The worst case of a request: prompt tokens (counted) plus its maximum output, priced.
pub fn estimate(
    state: &AppState,
    api: Api,
    model: &str,
    body: &Value,
    priced: &Priced,
) -> Estimate {
    if api == Api::CountTokens {
        // Counting tokens is free at the provider.
        return Estimate::default();
    }
    let prompt = api
        .wire()
        .map(|wire| estimate::prompt_tokens(wire, model, body))
        .unwrap_or(0);
    let output = max_output_tokens(api, body, state.gateway.limits.default_max_tokens);
    let usage = Usage {
        prompt_tokens: Some(prompt),
        completion_tokens: Some(output),
        ..Usage::default()
    };
    Estimate {
        micros: priced
            .price
            .as_ref()
            .map_or(0, |price| pricing::cost_micros(price, &usage)),
        tokens: i64::from(prompt) + i64::from(output),
    }
}

fn unavailable(dialect: Dialect, error: &dyn std::fmt::Display) -> ProxyError {
    tracing::error!(error = %error, "cannot read or write usage limits; refusing the request");
    ProxyError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        dialect,
        "Keygate cannot check usage limits right now, so the request was not forwarded.",
    )
    .code("limits_unavailable")
}

/// Checks rate limits and reserves budgets for one request.
pub async fn admit(
    state: &AppState,
    caller: &Caller,
    api: Api,
    model: &str,
    body: &Value,
    priced: &Priced,
    dialect: Dialect,
) -> Result<Admitted, ProxyError> {
    let subject = Subject {
        org_id: caller.org_id,
        key_id: caller.key_id,
        user_id: caller.user_id,
        project_id: caller.project_id,
    };
    let applicable = admission::applicable(&state.db, subject)
        .await
        .map_err(|e| unavailable(dialect, &e))?;
    let estimate = if applicable.needs_estimate() {
        estimate(state, api, model, body, priced)
    } else {
        Estimate::default()
    };
    let tokens = u32::try_from(estimate.tokens).unwrap_or(u32::MAX);
    let rate = state
        .gateway
        .rate_limits
        .check(&applicable.own, tokens)
        .await
        .map_err(|error| match error {
            RateError::Unavailable(e) => unavailable(dialect, &e),
            RateError::Refused(refusal) => {
                let mut error =
                    ProxyError::new(StatusCode::TOO_MANY_REQUESTS, dialect, refusal.message())
                        .code(if refusal.tokens {
                            "tokens_rate_limit_exceeded"
                        } else {
                            "requests_rate_limit_exceeded"
                        })
                        .retry_after(Some(refusal.retry_after_secs()));
                error.headers = refusal.state.headers();
                error
            }
        })?;
    let now = chrono::Utc::now();
    let reservation = admission::reserve(&state.db, &applicable, estimate, now)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Exhausted(exhausted) => {
                let mut error =
                    ProxyError::new(StatusCode::TOO_MANY_REQUESTS, dialect, exhausted.message())
                        .code("budget_exceeded");
                error.headers = rate.headers();
                error
            }
            Refusal::Unavailable(e) => unavailable(dialect, &e),
        })?;
    Ok(Admitted {
        reservation,
        rate,
        exhausted_provider_keys: applicable.exhausted_provider_keys(now),
        estimate,
    })
}

/// Adds `x-ratelimit-*` headers to a response.
pub fn add_headers(response: &mut Response, rate: &RateState) {
    for (name, value) in rate.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_maximum_output_comes_from_the_request_or_the_default() {
        let chat = json!({"max_tokens": 50});
        assert_eq!(max_output_tokens(Api::ChatCompletions, &chat, 4096), 50);
        let newer = json!({"max_completion_tokens": 70, "max_tokens": 50});
        assert_eq!(max_output_tokens(Api::ChatCompletions, &newer, 4096), 70);
        let responses = json!({"max_output_tokens": 90});
        assert_eq!(max_output_tokens(Api::Responses, &responses, 4096), 90);
        assert_eq!(max_output_tokens(Api::Messages, &json!({}), 4096), 4096);
        assert_eq!(max_output_tokens(Api::Embeddings, &chat, 4096), 0);
    }
}

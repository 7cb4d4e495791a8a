//! Forwarding one JSON API request: route the model, try the chosen provider keys in order
//! (failing over on 429, 5xx, connection errors and timeouts; quarantining keys the provider
//! refuses), then hand the answer back — whole, or as a metered stream — and meter it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::gateway::adapter::{self, Api};
use domain::gateway::candidates::Candidate;
use domain::gateway::health::Strategy;
use domain::gateway::prices::Priced;
use domain::gateway::routing::{self, Target};
use domain::gateway::usage::{self, Usage};
use domain::gateway::{estimate, pricing, scrub};
use domain::ledger::{Outcome, UsageRecord};
use domain::providers::ProviderKind;
use domain::virtual_keys::Caller;
use domain::virtual_keys::input::model_allowed;
use serde_json::Value;

use super::auth;
use super::error::{Dialect, ProxyError};
use super::stream;

/// How long a key rests after a 5xx, a connection error or a timeout.
const ERROR_COOLDOWN: Duration = Duration::from_secs(10);
/// How long a key rests after a 429 without `Retry-After`.
const RATE_LIMIT_COOLDOWN: Duration = Duration::from_secs(30);
/// Largest upstream error body read (for its message).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Everything the ledger needs to know about a request besides its result.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub request_id: String,
    pub caller: Arc<Caller>,
    pub provider: String,
    pub model: String,
    pub api: Api,
    pub stream: bool,
    pub started: Instant,
}

impl RequestMeta {
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        provider_key_id: Option<i32>,
        usage: Usage,
        priced: Option<&Priced>,
        first_byte: Option<Duration>,
        upstream_status: Option<u16>,
        outcome: Outcome,
        error_type: Option<String>,
        estimated: bool,
    ) -> UsageRecord {
        let (cost_micros, price_version, unpriced) = match priced {
            Some(Priced {
                price: Some(price),
                version,
            }) => (pricing::cost_micros(price, &usage), version.clone(), false),
            Some(Priced { version, .. }) => (0, version.clone(), true),
            None => (0, pricing::BUILTIN_PRICE_VERSION.to_owned(), true),
        };
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        UsageRecord {
            request_id: self.request_id.clone(),
            org_id: self.caller.org_id,
            project_id: self.caller.project_id,
            virtual_key_id: self.caller.key_id,
            user_id: self.caller.user_id,
            provider_key_id,
            provider: self.provider.clone(),
            model: self.model.clone(),
            endpoint: self.api.name(),
            stream: self.stream,
            usage,
            cost_micros,
            price_version,
            unpriced,
            first_byte_ms: first_byte.map(ms),
            total_ms: ms(self.started.elapsed()),
            upstream_status,
            outcome,
            error_type,
            estimated,
            created_at: chrono::Utc::now(),
        }
    }
}

pub async fn handle(
    api: Api,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let dialect = if api.is_anthropic() {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    };
    let request_id = format!("req_{}", uuid::Uuid::new_v4().simple());
    let result = match body {
        Ok(body) => run(api, &state, &headers, body, dialect, &request_id).await,
        Err(rejection) => Err(ProxyError::new(
            rejection.status(),
            dialect,
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "The request body is larger than {} bytes.",
                    state.gateway.limits.max_body_bytes
                )
            } else {
                "The request body could not be read.".to_owned()
            },
        )),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn unavailable(dialect: Dialect) -> impl Fn(domain::DomainError) -> ProxyError {
    move |e| {
        tracing::error!(error = %e, "proxy cannot read its configuration");
        ProxyError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            dialect,
            "Keygate cannot serve requests right now.",
        )
    }
}

/// The keys to try, in order: personal keys, then the project's, then the environment
/// fallback — each group ordered by health and the project's balancing strategy.
fn attempt_order(
    state: &AppState,
    caller: &Caller,
    candidates: &domain::gateway::candidates::Candidates,
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
struct Failures {
    attempts: usize,
    rate_limited: usize,
    timed_out: bool,
    retry_after: Option<u64>,
    last_status: Option<u16>,
    last_message: Option<String>,
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
fn upstream_message(body: &[u8]) -> Option<String> {
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

async fn run(
    api: Api,
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
    dialect: Dialect,
    request_id: &str,
) -> Result<Response, ProxyError> {
    let caller = auth::authenticate(state, headers, dialect).await?;
    let started = Instant::now();
    let bad_request =
        |message: &str| ProxyError::new(StatusCode::BAD_REQUEST, dialect, message.to_owned());
    let mut json: Value = serde_json::from_slice(&body)
        .map_err(|_| bad_request("The request body is not valid JSON."))?;
    if !json.is_object() {
        return Err(bad_request("The request body must be a JSON object."));
    }
    let model = json
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty() && m.len() <= 256)
        .map(str::to_owned)
        .ok_or_else(|| bad_request("Name a model in the `model` field."))?;
    if !model_allowed(&caller.models, &model) {
        return Err(ProxyError::new(
            StatusCode::FORBIDDEN,
            dialect,
            format!("This Keygate key may not use model {model}."),
        )
        .code("model_not_allowed"));
    }
    let routing = state
        .gateway
        .routes
        .get(&state.db, caller.org_id, caller.project_id)
        .await
        .map_err(unavailable(dialect))?;
    let route =
        routing::resolve(&routing.routes, &model, &routing.custom_slugs).ok_or_else(|| {
            ProxyError::new(
                StatusCode::NOT_FOUND,
                dialect,
                format!("No provider serves model {model}. Ask an admin to add a route for it."),
            )
            .code("model_not_found")
        })?;
    if api.is_anthropic() && route.target != Target::Builtin(ProviderKind::Anthropic) {
        return Err(bad_request(
            "The Messages API serves Anthropic models only; use /v1/chat/completions.",
        ));
    }
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let meta = RequestMeta {
        request_id: request_id.to_owned(),
        caller: caller.clone(),
        provider: route.target.id().to_owned(),
        model: route.upstream_model.clone(),
        api,
        stream,
        started,
    };
    let candidates = state
        .gateway
        .candidates
        .get(state, &caller, &route.target)
        .await
        .map_err(unavailable(dialect))?;
    let order = attempt_order(state, &caller, &candidates);
    if order.is_empty() {
        state.gateway.ledger.record(meta.record(
            None,
            Usage::default(),
            None,
            None,
            None,
            Outcome::NoKey,
            Some("no_key_available".into()),
            false,
        ));
        return Err(ProxyError::new(
            StatusCode::FORBIDDEN,
            dialect,
            format!(
                "No key available: this project has no active {} key.",
                route.target.id()
            ),
        )
        .code("no_key_available"));
    }

    // The upstream body: the provider's model name, and usage reporting on streams.
    json["model"] = Value::String(route.upstream_model.clone());
    let client_wants_usage = json
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if stream
        && matches!(api, Api::ChatCompletions | Api::Completions)
        && let Some(object) = json.as_object_mut()
    {
        let options = object
            .entry("stream_options")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(options) = options.as_object_mut() {
            options.insert("include_usage".into(), Value::Bool(true));
        }
    }
    let payload = Bytes::from(serde_json::to_vec(&json).unwrap_or_default());
    let priced = state
        .gateway
        .prices
        .price(
            &state.db,
            caller.org_id,
            route.target.id(),
            &route.upstream_model,
        )
        .await;

    let mut failures = Failures::default();
    for candidate in order {
        failures.attempts += 1;
        let health = &state.gateway.health;
        if let Some(id) = candidate.key_id {
            health.record_use(id);
        }
        let cool = |d: Duration| {
            if let Some(id) = candidate.key_id {
                health.cool_down(id, d);
            }
        };
        let prepared = match adapter::prepare(
            &state.upstreams,
            &route.target,
            candidates.custom.as_deref(),
            &candidate,
            api,
            "",
            headers,
        ) {
            Ok(prepared) => prepared,
            Err(domain::DomainError::Validation { message, .. }) => {
                return Err(bad_request(&message));
            }
            Err(e) => {
                tracing::warn!(error = %e, key_id = ?candidate.key_id, "cannot prepare an upstream request");
                failures.last_message = Some("The key's endpoint is not usable.".into());
                continue;
            }
        };
        let send = prepared
            .client
            .post(prepared.url)
            .headers(prepared.headers)
            .header("content-type", "application/json")
            .body(payload.clone())
            .send();
        let response =
            match tokio::time::timeout(state.gateway.limits.first_byte_timeout, send).await {
                Err(_) => {
                    cool(ERROR_COOLDOWN);
                    failures.timed_out = true;
                    failures.last_message = Some("The provider did not answer in time.".into());
                    continue;
                }
                Ok(Err(e)) => {
                    cool(ERROR_COOLDOWN);
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
                cool(after.map_or(RATE_LIMIT_COOLDOWN, Duration::from_secs));
                failures.rate_limited += 1;
                failures.retry_after = match (failures.retry_after, after) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                failures.last_message =
                    upstream_message(&read_limited(response, MAX_ERROR_BODY).await);
                continue;
            }
            401 | 403 => {
                if let Some(id) = candidate.key_id {
                    let db = state.db.clone();
                    let gateway = state.gateway.clone();
                    tokio::spawn(async move {
                        domain::gateway::quarantine::quarantine(&db, id, status).await;
                        gateway.candidates.forget_all();
                    });
                }
                failures.last_message = Some("The provider refused the key.".into());
                continue;
            }
            500..=599 => {
                cool(ERROR_COOLDOWN);
                failures.last_message =
                    upstream_message(&read_limited(response, MAX_ERROR_BODY).await);
                continue;
            }
            _ => {}
        }
        return Ok(deliver(
            state,
            meta,
            candidate.key_id,
            response,
            priced,
            client_wants_usage,
            json,
            dialect,
        )
        .await);
    }

    // Every key failed.
    let (status, error_type) = if failures.rate_limited == failures.attempts {
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    } else if failures.timed_out {
        (StatusCode::GATEWAY_TIMEOUT, "timeout")
    } else {
        (StatusCode::BAD_GATEWAY, "upstream_error")
    };
    state.gateway.ledger.record(meta.record(
        None,
        Usage::default(),
        Some(&priced),
        None,
        failures.last_status,
        Outcome::UpstreamError,
        Some(error_type.into()),
        false,
    ));
    let detail = failures
        .last_message
        .map(|m| format!(" Last error: {m}"))
        .unwrap_or_default();
    Err(ProxyError::new(
        status,
        dialect,
        format!(
            "Every {} key failed ({} tried).{detail}",
            route.target.id(),
            failures.attempts
        ),
    )
    .code(error_type)
    .retry_after(if status == StatusCode::TOO_MANY_REQUESTS {
        Some(
            failures
                .retry_after
                .unwrap_or(RATE_LIMIT_COOLDOWN.as_secs()),
        )
    } else {
        None
    }))
}

/// Hands a provider's answer (2xx, or a 4xx about the request itself) to the client.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    state: &AppState,
    meta: RequestMeta,
    key_id: Option<i32>,
    response: reqwest::Response,
    priced: Priced,
    client_wants_usage: bool,
    request: Value,
    dialect: Dialect,
) -> Response {
    let first_byte = meta.started.elapsed();
    let status = response.status();
    let is_event_stream = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if meta.stream
        && status.is_success()
        && is_event_stream
        && let Some(wire) = meta.api.wire()
    {
        return stream::respond(
            stream::StreamMeter::new(
                meta,
                key_id,
                priced,
                wire,
                client_wants_usage,
                request,
                first_byte,
                state.gateway.ledger.clone(),
            ),
            response,
        );
    }
    let content_type = response.headers().get("content-type").cloned();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(_) => {
            state.gateway.ledger.record(meta.record(
                key_id,
                Usage::default(),
                Some(&priced),
                Some(first_byte),
                Some(status.as_u16()),
                Outcome::UpstreamCut,
                Some("truncated_body".into()),
                false,
            ));
            return ProxyError::new(
                StatusCode::BAD_GATEWAY,
                dialect,
                "The provider's answer was cut off.",
            )
            .into_response();
        }
    };
    if !status.is_success() {
        state.gateway.ledger.record(meta.record(
            key_id,
            Usage::default(),
            Some(&priced),
            Some(first_byte),
            Some(status.as_u16()),
            Outcome::ClientError,
            Some(format!("http_{}", status.as_u16())),
            false,
        ));
        let message = upstream_message(&body)
            .unwrap_or_else(|| format!("The provider answered {}.", status.as_u16()));
        return ProxyError::new(
            StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY),
            dialect,
            message,
        )
        .into_response();
    }
    let reported = meta.api.wire().and_then(|wire| {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| usage::from_body(wire, &v))
    });
    let (usage, estimated) = match (reported, meta.api.wire()) {
        (Some(usage), _) => (usage, false),
        (None, Some(wire)) => (
            Usage {
                prompt_tokens: Some(estimate::prompt_tokens(wire, &meta.model, &request)),
                ..Usage::default()
            },
            true,
        ),
        (None, None) => (Usage::default(), false),
    };
    state.gateway.ledger.record(meta.record(
        key_id,
        usage,
        Some(&priced),
        Some(first_byte),
        Some(status.as_u16()),
        Outcome::Success,
        None,
        estimated,
    ));
    let mut out = Response::new(Body::from(body));
    *out.status_mut() = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::OK);
    out.headers_mut().insert(
        "content-type",
        content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
    );
    out
}

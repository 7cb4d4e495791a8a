//! Forwarding one JSON API request: route the model, try the chosen provider keys in order
//! (failing over on 429, 5xx, connection errors and timeouts; quarantining keys the provider
//! refuses), then hand the answer back — whole, or as a metered stream — and meter it.

use std::net::IpAddr;

use crate::client_addr::Client;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::gateway::adapter::{self, Api};
use domain::gateway::estimate;
use domain::gateway::prices::Priced;
use domain::gateway::routing::{self, Target};
use domain::gateway::usage::{self, Usage};
use domain::ledger::Outcome;
use domain::providers::ProviderKind;
use domain::virtual_keys::input::model_allowed;
use serde_json::Value;
use tracing::Instrument as _;

use super::admission::{self, Admitted};
use super::auth;
use super::error::{Dialect, ProxyError};
use super::failover::{Attempted, attempt_order, send_with_failover, upstream_message};
use super::meta::RequestMeta;
use super::stream;

/// The header carrying Keygate's request id to the provider.
const CLIENT_REQUEST_ID: &str = "x-client-request-id";

/// What `run` learned that `handle` reports even when the request was refused.
#[derive(Default)]
struct Observed {
    rate: Option<domain::limits::rate::RateState>,
    /// The provider the model routed to (`None` when refused before routing).
    provider: Option<String>,
}

/// Errors are answered in the shape of the API the client called.
fn dialect_of(api: Api) -> Dialect {
    if api.is_anthropic() {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    }
}

pub async fn handle(
    api: Api,
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let dialect = dialect_of(api);
    let request_id = format!("req_{}", uuid::Uuid::new_v4().simple());
    let received = Instant::now();
    let mut seen = Observed::default();
    // One span per proxied call (exported when OpenTelemetry is configured); its fields are
    // filled in as they become known. No secrets, no prompt text.
    let span = tracing::info_span!(
        "proxy.request",
        keygate.request_id = %request_id,
        keygate.endpoint = api.name(),
        gen_ai.system = tracing::field::Empty,
        gen_ai.request.model = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    let result = match body {
        Ok(body) => {
            run(api, &state, &headers, client, body, &request_id, &mut seen)
                .instrument(span.clone())
                .await
        }
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
        Err(error) => {
            crate::metrics::refused(error.code);
            error.into_response()
        }
    };
    if let Some(rate) = &seen.rate {
        admission::add_headers(&mut response, rate);
    }
    // A stream's duration is recorded when it ends (see `stream`).
    let is_stream = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    crate::metrics::proxied(
        seen.provider.as_deref().unwrap_or("none"),
        api.name(),
        response.status().as_u16(),
        (!is_stream).then(|| received.elapsed()),
    );
    if let Some(provider) = &seen.provider {
        span.record("gen_ai.system", provider.as_str());
    }
    span.record("http.response.status_code", response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

pub(super) fn unavailable(dialect: Dialect) -> impl Fn(domain::DomainError) -> ProxyError {
    move |e| {
        tracing::error!(error = %e, "proxy cannot read its configuration");
        ProxyError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            dialect,
            "Keygate cannot serve requests right now.",
        )
    }
}

async fn run(
    api: Api,
    state: &AppState,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    body: Bytes,
    request_id: &str,
    seen: &mut Observed,
) -> Result<Response, ProxyError> {
    let dialect = dialect_of(api);
    let caller = auth::authenticate(state, headers, client, dialect).await?;
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
    tracing::Span::current().record("gen_ai.request.model", model.as_str());
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
    seen.provider = Some(route.target.id().to_owned());
    if api.is_anthropic() && route.target != Target::Builtin(ProviderKind::Anthropic) {
        return Err(bad_request(
            "The Messages API serves Anthropic models only; use /v1/chat/completions.",
        ));
    }
    let persona_id =
        super::persona::apply(state, &caller, headers, api, &mut json, dialect).await?;
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
    let Admitted {
        reservation,
        rate: admitted_rate,
        exhausted_provider_keys,
        estimate,
    } = admission::admit(
        state,
        &caller,
        api,
        &route.upstream_model,
        &json,
        &priced,
        dialect,
    )
    .await?;
    seen.rate = Some(admitted_rate);
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let mut meta = RequestMeta {
        request_id: request_id.to_owned(),
        caller: caller.clone(),
        provider: route.target.id().to_owned(),
        model: route.upstream_model.clone(),
        api,
        stream,
        started,
        persona_id,
        reservation,
        intent: None,
    };
    let candidates = state
        .gateway
        .candidates
        .get(state, &caller, &route.target)
        .await
        .map_err(unavailable(dialect))?;
    let mut order = attempt_order(state, &caller, &candidates);
    let before_budgets = order.len();
    order.retain(|c| {
        c.key_id
            .is_none_or(|id| !exhausted_provider_keys.contains(&id))
    });
    if order.is_empty() && before_budgets > 0 {
        return Err(ProxyError::new(
            StatusCode::TOO_MANY_REQUESTS,
            dialect,
            format!(
                "Budget exhausted: every {} provider key that serves this project has used up its budget.",
                route.target.id()
            ),
        )
        .code("budget_exceeded"));
    }
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

    meta.open_intent(state, estimate, dialect).await?;
    let attempted = send_with_failover(state, route.target.id(), order, |candidate| {
        let prepared = adapter::prepare(
            &state.upstreams,
            &route.target,
            candidates.custom.as_deref(),
            candidate,
            api,
            "",
            headers,
        )?;
        let mut upstream_headers = prepared.headers;
        // OpenAI logs a client-chosen request id under this header, so a request can be
        // traced from Keygate's ledger to the provider's records (others ignore it).
        if !upstream_headers.contains_key(CLIENT_REQUEST_ID)
            && let Ok(id) = HeaderValue::from_str(request_id)
        {
            upstream_headers.insert(CLIENT_REQUEST_ID, id);
        }
        Ok(prepared
            .client
            .post(prepared.url)
            .headers(upstream_headers)
            .header("content-type", "application/json")
            .body(payload.clone()))
    })
    .await;
    match attempted {
        Attempted::Answered {
            candidate,
            response,
        } => Ok(deliver(
            state,
            meta,
            candidate.key_id,
            response,
            priced,
            client_wants_usage,
            json,
            dialect,
        )
        .await),
        Attempted::Refused(message) => {
            meta.discard_intent(state).await;
            Err(bad_request(&message))
        }
        Attempted::Failed(failures) => {
            state.gateway.ledger.record(meta.record(
                None,
                Usage::default(),
                Some(&priced),
                None,
                failures.last_status,
                Outcome::UpstreamError,
                Some(failures.error_type().into()),
                false,
            ));
            Err(failures.into_error(dialect, route.target.id()))
        }
    }
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
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    let reported = meta
        .api
        .wire()
        .zip(parsed.as_ref())
        .and_then(|(wire, v)| usage::from_body(wire, v));
    let response_id = parsed
        .as_ref()
        .and_then(usage::response_id)
        .map(str::to_owned);
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
    let mut record = meta.record(
        key_id,
        usage,
        Some(&priced),
        Some(first_byte),
        Some(status.as_u16()),
        Outcome::Success,
        None,
        estimated,
    );
    record.response_id = response_id;
    state.gateway.ledger.record(record);
    let mut out = Response::new(Body::from(body));
    *out.status_mut() = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::OK);
    out.headers_mut().insert(
        "content-type",
        content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
    );
    out
}

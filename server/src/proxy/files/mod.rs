//! `/v1/files`: upload, list, retrieve, download and delete files on an OpenAI-compatible
//! provider through Keygate.
//!
//! Uploads pass through unchanged (multipart, up to `KEYGATE_PROXY_MAX_FILE_BYTES`) to the
//! provider named by `X-Keygate-Provider` (default `openai`), with the usual key choice and
//! failover. Keygate records which project and which provider key stored each file: listing
//! answers from that record (a project never sees another project's files, even when they
//! share a provider account), retrieve/content/delete go to the key that stored the file, and
//! the file's bytes count towards the project's storage until it is deleted.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use domain::AppState;
use domain::gateway::adapter::{self, Api};
use domain::gateway::candidates::{Candidate, Candidates};
use domain::gateway::prices::Priced;
use domain::gateway::routing::Target;
use domain::gateway::usage::Usage;
use domain::ledger::Outcome;
use domain::providers::ProviderKind;
use domain::virtual_keys::Caller;

use super::error::{Dialect, ProxyError};
use super::failover::upstream_message;
use super::forward::unavailable;
use super::meta::RequestMeta;

mod stored;
mod upload;

pub use stored::{content, delete, list, retrieve};
pub use upload::upload;

const DIALECT: Dialect = Dialect::OpenAi;
/// Ledger model name for file operations (they name no model).
const FILES_MODEL: &str = "files";

fn bad_request(message: impl Into<String>) -> ProxyError {
    ProxyError::new(StatusCode::BAD_REQUEST, DIALECT, message)
}

fn no_such_file(id: &str) -> ProxyError {
    ProxyError::new(
        StatusCode::NOT_FOUND,
        DIALECT,
        format!("No such File object: {id}"),
    )
    .code("file_not_found")
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn new_request_id() -> String {
    format!("req_{}", uuid::Uuid::new_v4().simple())
}

/// The provider a file operation goes to: `X-Keygate-Provider`, else OpenAI.
async fn file_target(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
) -> Result<Target, ProxyError> {
    let raw = headers
        .get("x-keygate-provider")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("openai");
    match Target::parse(raw) {
        Target::Builtin(ProviderKind::Anthropic | ProviderKind::Aws) => Err(bad_request(format!(
            "Keygate serves /v1/files for OpenAI-compatible providers only, not {raw}."
        ))),
        Target::Builtin(provider) => Ok(Target::Builtin(provider)),
        Target::Custom(slug) => {
            let routing = state
                .gateway
                .routes
                .get(&state.db, caller.org_id, caller.project_id)
                .await
                .map_err(unavailable(DIALECT))?;
            if routing.custom_slugs.contains(&slug) {
                Ok(Target::Custom(slug))
            } else {
                Err(bad_request(format!("Unknown provider {raw}.")))
            }
        }
    }
}

fn upstream_request(
    state: &AppState,
    target: &Target,
    candidates: &Candidates,
    candidate: &Candidate,
    method: Method,
    subpath: &str,
    headers: &HeaderMap,
) -> Result<reqwest::RequestBuilder, domain::DomainError> {
    let prepared = adapter::prepare(
        &state.upstreams,
        target,
        candidates.custom.as_deref(),
        candidate,
        Api::Files,
        subpath,
        headers,
    )?;
    Ok(prepared
        .client
        .request(method, prepared.url)
        .headers(prepared.headers))
}

fn meta(caller: &Arc<Caller>, target: &Target, request_id: &str, started: Instant) -> RequestMeta {
    RequestMeta {
        request_id: request_id.to_owned(),
        caller: caller.clone(),
        provider: target.id().to_owned(),
        model: FILES_MODEL.to_owned(),
        api: Api::Files,
        stream: false,
        started,
        persona_id: None,
        // File operations carry no tokens or cost, so they reserve nothing.
        reservation: domain::limits::Reservation::none(),
        intent: None,
    }
}

/// A file-operation ledger row: no tokens, no cost.
fn record(
    state: &AppState,
    meta: &RequestMeta,
    key_id: Option<i32>,
    status: Option<u16>,
    outcome: Outcome,
    error_type: Option<&str>,
) {
    let priced = Priced {
        price: None,
        version: domain::gateway::pricing::BUILTIN_PRICE_VERSION.to_owned(),
    };
    state.gateway.ledger.record(meta.record(
        key_id,
        Usage::default(),
        Some(&priced),
        Some(meta.started.elapsed()),
        status,
        outcome,
        error_type.map(str::to_owned),
        false,
    ));
}

/// The upstream answer as the client's response, with its status and content type.
async fn pass_through(response: reqwest::Response) -> Result<Response, ProxyError> {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::OK);
    let content_type = response.headers().get("content-type").cloned();
    let body = response.bytes().await.map_err(|_| {
        ProxyError::new(
            StatusCode::BAD_GATEWAY,
            DIALECT,
            "The provider's answer was cut off.",
        )
    })?;
    if !status.is_success() {
        let message = upstream_message(&body)
            .unwrap_or_else(|| format!("The provider answered {}.", status.as_u16()));
        return Err(ProxyError::new(status, DIALECT, message));
    }
    let mut out = Response::new(Body::from(body));
    *out.status_mut() = status;
    if let Some(content_type) = content_type {
        out.headers_mut().insert("content-type", content_type);
    }
    Ok(out)
}

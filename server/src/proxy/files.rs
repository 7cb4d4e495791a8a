//! `/v1/files`: upload, list, retrieve, download and delete files on an OpenAI-compatible
//! provider through Keygate.
//!
//! Uploads pass through unchanged (multipart, up to `KEYGATE_PROXY_MAX_FILE_BYTES`) to the
//! provider named by `X-Keygate-Provider` (default `openai`), with the usual key choice and
//! failover. Keygate records which project and which provider key stored each file: listing
//! answers from that record (a project never sees another project's files, even when they
//! share a provider account), retrieve/content/delete go to the key that stored the file, and
//! the file's bytes count towards the project's storage until it is deleted.

use std::net::IpAddr;

use crate::client_addr::Client;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::entities::proxy_file;
use domain::gateway::adapter::{self, Api};
use domain::gateway::candidates::{Candidate, Candidates, KeySource};
use domain::gateway::files::{self, NewFile};
use domain::gateway::prices::Priced;
use domain::gateway::routing::Target;
use domain::gateway::usage::Usage;
use domain::ledger::Outcome;
use domain::limits::Estimate;
use domain::providers::ProviderKind;
use domain::virtual_keys::Caller;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth;
use super::error::{Dialect, ProxyError};
use super::failover::{Attempted, attempt_order, send_with_failover, upstream_message};
use super::forward::{RequestMeta, unavailable};

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

/// The file's name and purpose from the multipart form (for the record, when the
/// provider's answer lacks them). The body itself is forwarded untouched.
async fn form_fields(content_type: &str, body: &Bytes) -> (Option<String>, Option<String>) {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return (None, None);
    };
    let whole = body.clone();
    let stream =
        futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(whole) });
    let mut form = multer::Multipart::new(stream, boundary);
    let (mut filename, mut purpose) = (None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("file") => filename = field.file_name().map(str::to_owned),
            Some("purpose") => purpose = field.text().await.ok().map(|p| p.trim().to_owned()),
            _ => {}
        }
    }
    (filename, purpose)
}

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request_id = new_request_id();
    let result = run_upload(&state, &headers, client, body, &request_id).await;
    with_request_id(
        result.unwrap_or_else(IntoResponse::into_response),
        &request_id,
    )
}

async fn run_upload(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    body: Result<Bytes, BytesRejection>,
    request_id: &str,
) -> Result<Response, ProxyError> {
    let caller = auth::authenticate(state, headers, client, DIALECT).await?;
    let started = Instant::now();
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ProxyError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                DIALECT,
                format!(
                    "The file is larger than {} bytes.",
                    state.gateway.limits.max_file_bytes
                ),
            )
        } else {
            bad_request("The request body could not be read.")
        }
    })?;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("multipart/form-data"))
        .ok_or_else(|| {
            bad_request("Upload files as multipart/form-data with `file` and `purpose`.")
        })?
        .to_owned();
    let (filename, purpose) = form_fields(&content_type, &body).await;
    let purpose = purpose.ok_or_else(|| bad_request("Name the file's `purpose`."))?;
    let filename = filename.ok_or_else(|| bad_request("Attach the file as the `file` field."))?;
    let target = file_target(state, &caller, headers).await?;
    let mut meta = meta(&caller, &target, request_id, started);
    let candidates = state
        .gateway
        .candidates
        .get(state, &caller, &target)
        .await
        .map_err(unavailable(DIALECT))?;
    let order = attempt_order(state, &caller, &candidates);
    if order.is_empty() {
        record(
            state,
            &meta,
            None,
            None,
            Outcome::NoKey,
            Some("no_key_available"),
        );
        return Err(ProxyError::new(
            StatusCode::FORBIDDEN,
            DIALECT,
            format!(
                "No key available: this project has no active {} key.",
                target.id()
            ),
        )
        .code("no_key_available"));
    }
    meta.open_intent(state, Estimate::default(), DIALECT)
        .await?;
    let attempted = send_with_failover(state, target.id(), order, |candidate| {
        Ok(upstream_request(
            state,
            &target,
            &candidates,
            candidate,
            Method::POST,
            "",
            headers,
        )?
        .header("content-type", content_type.as_str())
        .body(body.clone()))
    })
    .await;
    let (candidate, response) = match attempted {
        Attempted::Answered {
            candidate,
            response,
        } => (candidate, response),
        Attempted::Refused(message) => {
            meta.discard_intent(state).await;
            return Err(bad_request(message));
        }
        Attempted::Failed(failures) => {
            record(
                state,
                &meta,
                None,
                failures.last_status,
                Outcome::UpstreamError,
                Some(failures.error_type()),
            );
            return Err(failures.into_error(DIALECT, target.id()));
        }
    };
    let status = response.status().as_u16();
    let answer = pass_through(response).await;
    let Ok(answer) = answer else {
        record(
            state,
            &meta,
            candidate.key_id,
            Some(status),
            Outcome::ClientError,
            Some("upload_refused"),
        );
        return answer;
    };
    let (parts, bytes) = answer.into_parts();
    let object: Value = serde_json::from_slice(
        &axum::body::to_bytes(bytes, usize::MAX)
            .await
            .unwrap_or_default(),
    )
    .unwrap_or(Value::Null);
    let Some(file_id) = object.get("id").and_then(Value::as_str) else {
        record(
            state,
            &meta,
            candidate.key_id,
            Some(status),
            Outcome::UpstreamError,
            Some("no_file_id"),
        );
        return Err(ProxyError::new(
            StatusCode::BAD_GATEWAY,
            DIALECT,
            "The provider's answer named no file id.",
        ));
    };
    let size = object
        .get("bytes")
        .and_then(Value::as_i64)
        .unwrap_or(i64::try_from(body.len()).unwrap_or(i64::MAX));
    files::record_upload(
        &state.db,
        NewFile {
            file_id: file_id.to_owned(),
            org_id: caller.org_id,
            project_id: caller.project_id,
            virtual_key_id: caller.key_id,
            user_id: caller.user_id,
            provider: target.id().to_owned(),
            provider_key_id: candidate.key_id,
            personal: candidate.source == KeySource::Personal,
            filename: object
                .get("filename")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or(filename),
            purpose: object
                .get("purpose")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or(purpose),
            bytes: size,
        },
    )
    .await
    .map_err(unavailable(DIALECT))?;
    record(
        state,
        &meta,
        candidate.key_id,
        Some(status),
        Outcome::Success,
        None,
    );
    Ok(Response::from_parts(
        parts,
        Body::from(serde_json::to_vec(&object).unwrap_or_default()),
    ))
}

/// The record's shape in OpenAI's file object.
fn file_object(file: &proxy_file::Model) -> Value {
    json!({
        "id": file.file_id,
        "object": "file",
        "bytes": file.bytes,
        "created_at": file.created_at.timestamp(),
        "filename": file.filename,
        "purpose": file.purpose,
        "status": "processed",
    })
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    purpose: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Query(query): Query<ListQuery>,
) -> Response {
    let caller = match auth::authenticate(&state, &headers, client, DIALECT).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    match files::list(
        &state.db,
        caller.project_id,
        caller.user_id,
        query.purpose.as_deref(),
    )
    .await
    {
        Ok(found) => axum::Json(json!({
            "object": "list",
            "data": found.iter().map(file_object).collect::<Vec<_>>(),
            "has_more": false,
        }))
        .into_response(),
        Err(e) => unavailable(DIALECT)(e).into_response(),
    }
}

/// What retrieve, content and delete do upstream.
#[derive(Clone, Copy)]
enum FileAction {
    Retrieve,
    Content,
    Delete,
}

pub async fn retrieve(
    state: State<AppState>,
    headers: HeaderMap,
    client: Client,
    id: Path<String>,
) -> Response {
    on_file(FileAction::Retrieve, state, headers, client, id).await
}

pub async fn content(
    state: State<AppState>,
    headers: HeaderMap,
    client: Client,
    id: Path<String>,
) -> Response {
    on_file(FileAction::Content, state, headers, client, id).await
}

pub async fn delete(
    state: State<AppState>,
    headers: HeaderMap,
    client: Client,
    id: Path<String>,
) -> Response {
    on_file(FileAction::Delete, state, headers, client, id).await
}

async fn on_file(
    action: FileAction,
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path(id): Path<String>,
) -> Response {
    let request_id = new_request_id();
    let result = run_on_file(action, &state, &headers, client, &id, &request_id).await;
    with_request_id(
        result.unwrap_or_else(IntoResponse::into_response),
        &request_id,
    )
}

async fn run_on_file(
    action: FileAction,
    state: &AppState,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    id: &str,
    request_id: &str,
) -> Result<Response, ProxyError> {
    let caller = auth::authenticate(state, headers, client, DIALECT).await?;
    let started = Instant::now();
    let file = files::find(&state.db, caller.project_id, caller.user_id, id)
        .await
        .map_err(unavailable(DIALECT))?
        .ok_or_else(|| no_such_file(id))?;
    let target = Target::parse(&file.provider);
    let mut meta = meta(&caller, &target, request_id, started);
    let candidates = state
        .gateway
        .candidates
        .get(state, &caller, &target)
        .await
        .map_err(unavailable(DIALECT))?;
    // Only the key that stored the file can reach it.
    let owner = candidates
        .personal
        .iter()
        .chain(candidates.project.iter())
        .chain(candidates.fallback.iter())
        .find(|c| c.key_id == file.provider_key_id)
        .cloned()
        .ok_or_else(|| {
            ProxyError::new(
                StatusCode::CONFLICT,
                DIALECT,
                format!(
                    "The {} key that stored {id} is no longer active, so the file cannot be reached.",
                    target.id()
                ),
            )
            .code("file_key_unavailable")
        })?;
    let (method, subpath) = match action {
        FileAction::Retrieve => (Method::GET, format!("/{id}")),
        FileAction::Content => (Method::GET, format!("/{id}/content")),
        FileAction::Delete => (Method::DELETE, format!("/{id}")),
    };
    meta.open_intent(state, Estimate::default(), DIALECT)
        .await?;
    let attempted = send_with_failover(state, target.id(), vec![owner], |candidate| {
        upstream_request(
            state,
            &target,
            &candidates,
            candidate,
            method.clone(),
            &subpath,
            headers,
        )
    })
    .await;
    let (candidate, response) = match attempted {
        Attempted::Answered {
            candidate,
            response,
        } => (candidate, response),
        Attempted::Refused(message) => {
            meta.discard_intent(state).await;
            return Err(bad_request(message));
        }
        Attempted::Failed(failures) => {
            record(
                state,
                &meta,
                file.provider_key_id,
                failures.last_status,
                Outcome::UpstreamError,
                Some(failures.error_type()),
            );
            return Err(failures.into_error(DIALECT, target.id()));
        }
    };
    let status = response.status().as_u16();
    let gone_upstream = status == 404;
    let answer = match action {
        // A file already gone upstream is forgotten here too, so its bytes are not stranded.
        FileAction::Delete if gone_upstream => {
            Ok(axum::Json(json!({ "id": id, "object": "file", "deleted": true })).into_response())
        }
        _ => pass_through(response).await,
    };
    let outcome = if answer.is_ok() {
        Outcome::Success
    } else {
        Outcome::ClientError
    };
    record(state, &meta, candidate.key_id, Some(status), outcome, None);
    if matches!(action, FileAction::Delete) && answer.is_ok() {
        files::forget(&state.db, &file)
            .await
            .map_err(unavailable(DIALECT))?;
    }
    answer
}

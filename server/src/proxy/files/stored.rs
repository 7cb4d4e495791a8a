//! Files Keygate already knows: list (from its own record), retrieve, content and delete
//! (on the provider key that stored the file).

use std::net::IpAddr;
use std::time::Instant;

use crate::client_addr::Client;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::entities::proxy_file;
use domain::gateway::files;
use domain::gateway::routing::Target;
use domain::ledger::Outcome;
use domain::limits::Estimate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    DIALECT, bad_request, meta, new_request_id, no_such_file, pass_through, record,
    upstream_request, with_request_id,
};
use crate::proxy::auth;
use crate::proxy::error::ProxyError;
use crate::proxy::failover::{Attempted, send_with_failover};
use crate::proxy::forward::unavailable;

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

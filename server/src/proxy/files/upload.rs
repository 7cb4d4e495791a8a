//! `POST /v1/files`: the multipart upload, passed through to the chosen provider key.

use std::net::IpAddr;
use std::time::Instant;

use crate::client_addr::Client;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::gateway::candidates::KeySource;
use domain::gateway::files::{self, NewFile};
use domain::ledger::Outcome;
use domain::limits::Estimate;
use serde_json::Value;

use super::{
    DIALECT, bad_request, file_target, meta, new_request_id, pass_through, record,
    upstream_request, with_request_id,
};
use crate::proxy::auth;
use crate::proxy::error::ProxyError;
use crate::proxy::failover::{Attempted, attempt_order, send_with_failover};
use crate::proxy::forward::unavailable;

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

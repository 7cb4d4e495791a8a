//! `POST /v1/responses/{id}/rating`, `/v1/chat/completions/{id}/rating` and
//! `/v1/messages/{id}/rating`: the caller that made a request rates its answer with
//! `{"score": 1..5}` or `{"thumbs": "up"|"down"}` and an optional `comment`.

use std::net::IpAddr;

use crate::client_addr::Client;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::DomainError;
use domain::ratings::{self, Rater, Score};
use serde_json::{Value, json};

use super::auth;
use super::error::{Dialect, ProxyError};

async fn rate(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    response_id: &str,
    body: &[u8],
    dialect: Dialect,
) -> Result<Response, ProxyError> {
    let caller = auth::authenticate(state, headers, client, dialect).await?;
    let bad = |message: String| ProxyError::new(StatusCode::BAD_REQUEST, dialect, message);
    let json: Value = serde_json::from_slice(body)
        .map_err(|_| bad("The request body is not valid JSON.".into()))?;
    let score = Score::from_json(&json).map_err(|e| bad(e.to_string()))?;
    let comment = match json.get("comment") {
        None | Some(Value::Null) => "",
        Some(Value::String(c)) => c.as_str(),
        Some(_) => return Err(bad("`comment` must be a string.".into())),
    };
    let rater = Rater {
        org_id: caller.org_id,
        virtual_key_id: caller.key_id,
        user_id: caller.user_id,
    };
    let mut result = ratings::rate(&state.db, rater, response_id, score, comment).await;
    if matches!(result, Err(DomainError::NotFound)) {
        // The answer may still be in the ledger's batching window.
        state.gateway.ledger.flush().await;
        result = ratings::rate(&state.db, rater, response_id, score, comment).await;
    }
    match result {
        Ok(r) => Ok((
            StatusCode::CREATED,
            Json(json!({
                "id": r.id,
                "responseId": r.response_id,
                "score": r.score,
                "comment": r.comment,
                "model": r.model,
                "personaId": r.persona_id,
                "createdAt": r.created_at.to_rfc3339(),
            })),
        )
            .into_response()),
        Err(DomainError::NotFound) => Err(ProxyError::new(
            StatusCode::NOT_FOUND,
            dialect,
            format!("No answer {response_id:?} made with this key to rate."),
        )
        .code("response_not_found")),
        Err(DomainError::Validation { message, .. }) => Err(bad(message)),
        Err(e) => {
            tracing::error!(error = %e, "cannot record a rating");
            Err(ProxyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                dialect,
                "Keygate cannot record ratings right now.",
            ))
        }
    }
}

pub async fn openai(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    rate(&state, &headers, client, &id, &body, Dialect::OpenAi)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub async fn anthropic(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    rate(&state, &headers, client, &id, &body, Dialect::Anthropic)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

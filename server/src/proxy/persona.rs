//! Applying a persona to a proxied request: the one named by `X-Keygate-Persona` (id or
//! name), else the Keygate key's default. Unknown → 404; restricted to another user or
//! deactivated → 403. A key's default is skipped silently on endpoints without system text
//! (embeddings, legacy completions); a persona named explicitly there is a 400.

use axum::http::{HeaderMap, StatusCode};
use domain::AppState;
use domain::gateway::adapter::Api;
use domain::personas::inject::{self, Shape};
use domain::personas::{self, Refusal};
use domain::virtual_keys::Caller;
use serde_json::Value;

use super::error::{Dialect, ProxyError};
use super::forward::unavailable;

pub const HEADER: &str = "x-keygate-persona";

fn shape(api: Api) -> Option<Shape> {
    match api {
        Api::ChatCompletions => Some(Shape::Chat),
        Api::Responses => Some(Shape::Responses),
        Api::Messages | Api::CountTokens => Some(Shape::Messages),
        Api::Completions | Api::Embeddings | Api::Files => None,
    }
}

/// Applies the request's persona to `body`; returns the persona's id when one was applied.
pub async fn apply(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    api: Api,
    body: &mut Value,
    dialect: Dialect,
) -> Result<Option<i32>, ProxyError> {
    let named = match headers.get(HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 200)
                .ok_or_else(|| {
                    ProxyError::new(
                        StatusCode::BAD_REQUEST,
                        dialect,
                        "X-Keygate-Persona must name a persona by id or name.",
                    )
                })?
                .to_owned(),
        ),
        None => None,
    };
    let reference = match (&named, caller.persona_id) {
        (Some(name), _) => name.clone(),
        (None, Some(id)) => id.to_string(),
        (None, None) => return Ok(None),
    };
    let Some(shape) = shape(api) else {
        return if named.is_some() {
            Err(ProxyError::new(
                StatusCode::BAD_REQUEST,
                dialect,
                "Personas apply to chat completions, responses and messages only.",
            )
            .code("persona_not_applicable"))
        } else {
            Ok(None)
        };
    };
    let found = personas::for_request(&state.db, caller.org_id, caller.user_id, &reference)
        .await
        .map_err(unavailable(dialect))?;
    let persona = found.map_err(|refusal| {
        let (status, code) = match refusal {
            Refusal::Unknown => (StatusCode::NOT_FOUND, "persona_not_found"),
            Refusal::OtherUser | Refusal::Inactive => (StatusCode::FORBIDDEN, "persona_forbidden"),
        };
        ProxyError::new(status, dialect, refusal.message(&reference)).code(code)
    })?;
    inject::apply(shape, body, &persona.content)
        .map_err(|e| ProxyError::new(StatusCode::BAD_REQUEST, dialect, e.0))?;
    Ok(Some(persona.id))
}

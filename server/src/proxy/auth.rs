//! Reading and checking the caller's Keygate key.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use domain::AppState;
use domain::virtual_keys::{AuthFailure, Caller};

use super::error::{Dialect, ProxyError};

/// The key from `Authorization: Bearer …` or `x-api-key` (both SDKs' ways).
fn presented(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(value.trim());
    }
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    dialect: Dialect,
) -> Result<Arc<Caller>, ProxyError> {
    let Some(key) = presented(headers) else {
        return Err(ProxyError::new(
            StatusCode::UNAUTHORIZED,
            dialect,
            "Missing Keygate key: send it as `Authorization: Bearer sk-proxy-…` or `x-api-key`.",
        )
        .code("invalid_api_key"));
    };
    state
        .gateway
        .keys
        .authenticate(&state.db, key)
        .await
        .map_err(|failure| {
            let status = match failure {
                AuthFailure::ProjectInactive => StatusCode::FORBIDDEN,
                AuthFailure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            ProxyError::new(status, dialect, failure.message()).code("invalid_api_key")
        })
}

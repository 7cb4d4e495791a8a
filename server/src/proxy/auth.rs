//! Reading and checking the caller's Keygate key.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use domain::AppState;
use domain::virtual_keys::{AuthFailure, Caller};
use sea_orm::EntityTrait as _;

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
    if domain::org_jwts::looks_like_jwt(key) {
        return authenticate_jwt(state, headers, key, dialect).await;
    }
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

/// An application calling with an organization JWT and `X-User-ID`: it acts as that user
/// (created on first sight when the organization allows it), served by the token's project —
/// the user's personal keys first, then the project's.
async fn authenticate_jwt(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    dialect: Dialect,
) -> Result<Arc<Caller>, ProxyError> {
    use domain::org_jwts::{self, JwtRefusal};
    let unavailable = |e: domain::DomainError| {
        tracing::error!(error = %e, "cannot check an organization token");
        ProxyError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            dialect,
            "Keygate cannot check tokens right now.",
        )
    };
    let external_id = headers.get("x-user-id").and_then(|v| v.to_str().ok());
    let verified = org_jwts::authenticate(
        &state.db,
        &state.master_key,
        &state.hasher,
        token,
        external_id,
        chrono::Utc::now(),
    )
    .await
    .map_err(unavailable)?;
    let caller = verified.map_err(|refusal| {
        let status = match refusal {
            JwtRefusal::UnknownUser | JwtRefusal::UserDisabled => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        ProxyError::new(status, dialect, refusal.message()).code("invalid_api_key")
    })?;
    let project = domain::entities::project::Entity::find_by_id(caller.project_id)
        .one(&state.db)
        .await
        .map_err(|e| unavailable(e.into()))?
        .filter(|p| p.active)
        .ok_or_else(|| {
            ProxyError::new(
                StatusCode::FORBIDDEN,
                dialect,
                AuthFailure::ProjectInactive.message(),
            )
            .code("invalid_api_key")
        })?;
    Ok(Arc::new(Caller {
        // No Keygate key: the ledger records key 0 and the user.
        key_id: 0,
        org_id: caller.org_id,
        project_id: project.id,
        user_id: Some(caller.user_id),
        models: Vec::new(),
        persona_id: None,
        balance_strategy: project.balance_strategy,
    }))
}

//! Reading and checking the caller's Keygate key.

use std::net::IpAddr;
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

/// The caller behind a proxy request: a Keygate key (or an organization JWT) that is live
/// and, when the key has an IP allowlist, used from inside it (403 `ip_not_allowed`, audited).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    dialect: Dialect,
) -> Result<Arc<Caller>, ProxyError> {
    let caller = identify(state, headers, dialect).await?;
    if caller.allowed_ips.allows(client) {
        return Ok(caller);
    }
    let from = client.map_or_else(|| "an unknown address".to_owned(), |ip| ip.to_string());
    let entry = domain::audit::Entry::new(
        Some(caller.org_id),
        domain::audit::Actor::key(caller.key_id),
        "access.denied",
    )
    .outcome(domain::audit::Outcome::Denied)
    .target("virtual_key", caller.key_id, String::new())
    .client(&domain::audit::ClientInfo {
        ip: client.map(|ip| ip.to_string()),
        user_agent: headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| domain::audit::truncate(ua, domain::audit::MAX_USER_AGENT)),
    })
    .detail(serde_json::json!({ "reason": "ip_allowlist" }));
    domain::audit::record(&state.db, entry).await;
    Err(ProxyError::new(
        StatusCode::FORBIDDEN,
        dialect,
        format!("This Keygate key cannot be used from {from}: the address is not on the key's IP allowlist."),
    )
    .code("ip_not_allowed"))
}

async fn identify(
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
        // Organization tokens are for server-side applications; their network is governed
        // by the admin who minted the token, not a key allowlist.
        allowed_ips: Default::default(),
    }))
}

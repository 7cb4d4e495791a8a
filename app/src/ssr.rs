//! Server-side plumbing for server functions: state, the session, role checks and statuses.
//! Server functions stay thin: they call these, then one domain function.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use domain::AppState;
use domain::auth::{Admin, AuthSession, SessionUser};
use http::StatusCode;
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::error::AppError;

/// The per-request CSP nonce, put in request extensions by the security middleware so the
/// page's hydration scripts carry the same value as the `Content-Security-Policy` header.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Makes the current response carry `err`'s status (and `Retry-After` when throttled).
pub fn answer_with(err: &AppError) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        if let AppError::Throttled { retry_after_secs } = err {
            response.insert_header(http::header::RETRY_AFTER, (*retry_after_secs).into());
        }
    }
}

fn fail(err: AppError) -> AppError {
    answer_with(&err);
    err
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        fail(AppError::Internal)
    })
}

pub async fn auth_session() -> Result<AuthSession, AppError> {
    leptos_axum::extract::<AuthSession>().await.map_err(|e| {
        tracing::error!(error = %e, "auth session missing");
        fail(AppError::Internal)
    })
}

/// The signed-in user, or 401; 403 `MfaSetupRequired` while their organization requires
/// two-factor authentication and they have not set it up.
pub async fn require_user() -> Result<(SessionUser, AuthSession), AppError> {
    let (user, auth) = require_signed_in().await?;
    domain::mfa::policy::ensure_set_up(&state()?.db, &user).await?;
    Ok((user, auth))
}

/// The signed-in user, or 401, even before a required second factor is set up: only for
/// setting it up (and seeing who is signed in).
pub async fn require_signed_in() -> Result<(SessionUser, AuthSession), AppError> {
    let auth = auth_session().await?;
    match auth.user.clone() {
        Some(user) => Ok((user, auth)),
        None => Err(fail(AppError::Unauthorized)),
    }
}

/// Refuses a sensitive action with 403 `ReverifyRequired` unless the user has two-factor
/// authentication off or this session verified a code within the last five minutes.
pub async fn require_recent_mfa(auth: &AuthSession, user: &SessionUser) -> Result<(), AppError> {
    let now = chrono::Utc::now().timestamp();
    Ok(domain::mfa::session::require_recent(&state()?.db, &auth.session, user, now).await?)
}

/// A signed-in admin or owner, or 401/403 (also 403 from outside the organization's admin IP
/// allowlist).
pub async fn require_admin() -> Result<(Admin, AuthSession), AppError> {
    // Read the request's context before the first await: during server-side rendering a
    // resource's future may be polled where the context is no longer reachable.
    let state = state()?;
    let client = client_info();
    let client_addr = client_ip();
    let path = use_context::<Parts>()
        .map(|p| p.uri.path().to_owned())
        .unwrap_or_default();
    let (user, auth) = require_user().await?;
    let denied = |reason: Option<&str>| {
        let detail = match reason {
            Some(reason) => serde_json::json!({ "path": path, "reason": reason }),
            None => serde_json::json!({ "path": path }),
        };
        domain::audit::Entry::new(
            Some(user.org_id),
            domain::audit::Actor::user(&user),
            "access.denied",
        )
        .client(&client)
        .outcome(domain::audit::Outcome::Denied)
        .detail(detail)
    };
    let admin = match Admin::new(user.clone()) {
        Ok(admin) => admin,
        Err(err) => {
            domain::audit::record(&state.db, denied(None)).await;
            return Err(err.into());
        }
    };
    match domain::ip_access::ensure_admin_access(&state.db, user.org_id, client_addr).await {
        Ok(()) => Ok((admin, auth)),
        Err(err @ domain::DomainError::Forbidden(_)) => {
            domain::audit::record(&state.db, denied(Some("ip_allowlist"))).await;
            Err(err.into())
        }
        Err(other) => Err(other.into()),
    }
}

/// Where this request came from, for the audit log: the peer address (forwarding headers are
/// not trusted) and the user agent (cut to 512 characters).
pub fn client_info() -> domain::audit::ClientInfo {
    let parts = use_context::<Parts>();
    domain::audit::ClientInfo {
        ip: client_ip().map(|ip| ip.to_string()),
        user_agent: parts
            .as_ref()
            .and_then(|p| p.headers.get(http::header::USER_AGENT))
            .and_then(|v| v.to_str().ok())
            .map(|ua| domain::audit::truncate(ua, domain::audit::MAX_USER_AGENT)),
    }
}

/// An audit entry for `action` by `user` in their organization, from this request's client.
pub fn audit_entry(user: &SessionUser, action: &str) -> domain::audit::Entry {
    domain::audit::Entry::new(Some(user.org_id), domain::audit::Actor::user(user), action)
        .client(&client_info())
}

/// Records `entry`; a failure is logged, never shown to the user.
pub async fn audit(entry: domain::audit::Entry) {
    match use_context::<AppState>() {
        Some(state) => domain::audit::record(&state.db, entry).await,
        None => tracing::error!("AppState missing from context; audit entry not written"),
    }
}

/// The client address of this request: the peer, or what a trusted reverse proxy forwarded
/// (resolved once by the server's outermost layer).
pub fn client_ip() -> Option<IpAddr> {
    let parts = use_context::<Parts>()?;
    match parts.extensions.get::<domain::ip_access::ClientAddr>() {
        Some(addr) => addr.0,
        None => parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_canonical()),
    }
}

/// Signs `user` in (cycling the session id).
pub async fn sign_in(auth: &mut AuthSession, user: &SessionUser) -> Result<(), AppError> {
    Ok(domain::auth::start_session(auth, user).await?)
}

pub async fn sign_out(auth: &mut AuthSession) -> Result<(), AppError> {
    Ok(domain::auth::end_session(auth).await?)
}

/// Makes the page's scripts use the nonce the security middleware put in the request.
pub fn provide_request_nonce() {
    if let Some(nonce) =
        use_context::<Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

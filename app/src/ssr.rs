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

/// The signed-in user, or 401.
pub async fn require_user() -> Result<(SessionUser, AuthSession), AppError> {
    let auth = auth_session().await?;
    match auth.user.clone() {
        Some(user) => Ok((user, auth)),
        None => Err(fail(AppError::Unauthorized)),
    }
}

/// A signed-in admin or owner, or 401/403.
pub async fn require_admin() -> Result<(Admin, AuthSession), AppError> {
    let (user, auth) = require_user().await?;
    Ok((Admin::new(user)?, auth))
}

/// The peer address of this request (Keygate does not trust forwarding headers by default).
pub fn client_ip() -> Option<IpAddr> {
    use_context::<Parts>()?
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
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

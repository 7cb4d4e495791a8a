//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/me`.

use std::net::SocketAddr;

use app::dto::MeDto;
use axum::Json;
use axum::extract::{ConnectInfo, FromRef as _, FromRequestParts as _, State};
use domain::AppState;
use domain::auth::{AuthSession, Credentials};
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;

use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// For users with two-factor authentication: the current code from the authenticator
    /// app, or a recovery code (used up). Without it such users get 401 `mfa_required`.
    #[serde(default)]
    code: Option<String>,
}

/// Signs in and sets the session cookie. Users with two-factor authentication send `code` too,
/// or, after a 401 `mfa_required`, send the code alone to `POST /api/auth/mfa` (same cookies).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = app::dto::MeDto),
        (status = 401, description = "Wrong credentials, or `mfa_required`: a code is needed", body = ErrorBody),
        (status = 422, description = "Wrong or reused code", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut auth: AuthSession,
    client: Client,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<MeDto>, ApiError> {
    let creds = Credentials {
        email: body.email,
        password: SecretString::from(body.password),
        ip: Some(peer.ip()),
    };
    use domain::mfa::sign_in::{PasswordStep, code_step, password_step};
    let now = chrono::Utc::now();
    let code = body.code.filter(|c| !c.trim().is_empty());
    let (user, with_code) = match password_step(&state, &creds, &client.0).await? {
        PasswordStep::SignedIn(user) => (user, false),
        PasswordStep::CodeRequired(user) => match code {
            Some(code) => (
                code_step(&state, user.id, &code, &client.0, now).await?.0,
                true,
            ),
            None => {
                domain::mfa::session::set_pending(&auth.session, user.id, now.timestamp()).await?;
                return Err(app::error::AppError::MfaRequired.into());
            }
        },
    };
    domain::auth::start_session(&mut auth, &user).await?;
    if with_code {
        domain::mfa::session::mark_verified(&auth.session, now.timestamp()).await?;
    }
    tracing::info!(user_id = user.id, "signed in (api)");
    super::mfa::me(&state, &user).await.map(Json)
}

/// Ends the session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    mut auth: AuthSession,
    client: Client,
) -> Result<StatusCode, ApiError> {
    let user = auth.user.clone();
    domain::auth::end_session(&mut auth).await?;
    if let Some(user) = user {
        domain::audit::record(&state.db, client.entry(&user, "auth.sign_out")).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("session" = [])),
    responses((status = 200, body = app::dto::MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, auth: AuthSession) -> Result<Json<MeDto>, ApiError> {
    let user = auth
        .user
        .ok_or_else(|| ApiError::from(app::error::AppError::Unauthorized))?;
    super::mfa::me(&state, &user).await.map(Json)
}

/// The caller of a REST request: a `Bearer kg_admin_…` token (acting as the admin who made
/// it) or else the session cookie. A bearer token that is wrong, revoked or expired is a 401,
/// never a fall-back to the cookie.
async fn rest_caller<S>(
    parts: &mut axum::http::request::Parts,
    state: &S,
) -> Result<domain::auth::SessionUser, ApiError>
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    let unauthorized = || ApiError::from(app::error::AppError::Unauthorized);
    if let Some(value) = parts.headers.get(http::header::AUTHORIZATION) {
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        let app_state = AppState::from_ref(state);
        return match domain::api_tokens::authenticate(
            &app_state.db,
            domain::api_tokens::TokenKind::Admin,
            presented,
        )
        .await
        {
            Ok((token, user)) => {
                let scope = domain::api_tokens::TokenScope::of(&token);
                if scope.allows(parts.method.as_str(), parts.uri.path()) {
                    return Ok(user);
                }
                let entry = super::client::Client(super::client::client_of(parts))
                    .entry(&user, "access.denied")
                    .outcome(domain::audit::Outcome::Denied)
                    .target("api_token", token.id, token.name.clone())
                    .detail(serde_json::json!({
                        "method": parts.method.as_str(),
                        "path": parts.uri.path(),
                        "scope": scope.as_str(),
                    }));
                domain::audit::record(&app_state.db, entry).await;
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    format!(
                        "This token's scope ({}) does not allow {} {}.",
                        scope.as_str(),
                        parts.method,
                        parts.uri.path()
                    ),
                ))
            }
            Err(domain::DomainError::Internal(e)) => {
                tracing::error!(error = %e, "admin token check failed");
                Err(ApiError::from(app::error::AppError::Internal))
            }
            Err(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "The bearer token is not a valid, live Keygate admin token.",
            )),
        };
    }
    let auth = AuthSession::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::from(app::error::AppError::Internal))?;
    let user = auth.user.ok_or_else(unauthorized)?;
    // A session of someone whose organization requires two-factor authentication they have
    // not set up may only set it up (in the app).
    domain::mfa::policy::ensure_set_up(&AppState::from_ref(state).db, &user).await?;
    Ok(user)
}

/// The request's path as the client sent it: the REST router is nested under `/api`, so
/// `parts.uri` lacks the prefix; the original URI has it.
fn full_path(parts: &axum::http::request::Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |o| o.0.path().to_owned())
}

/// Refuses an admin request from outside the organization's admin IP allowlist (403
/// `ip_not_allowed`, audited).
async fn ensure_admin_network<S>(
    parts: &axum::http::request::Parts,
    state: &S,
    user: &domain::auth::SessionUser,
) -> Result<(), ApiError>
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    let app_state = AppState::from_ref(state);
    let client = crate::client_addr::of(parts);
    match domain::ip_access::ensure_admin_access(&app_state.db, user.org_id, client).await {
        Ok(()) => Ok(()),
        Err(domain::DomainError::Forbidden(message)) => {
            let entry = super::client::Client(super::client::client_of(parts))
                .entry(user, "access.denied")
                .outcome(domain::audit::Outcome::Denied)
                .detail(serde_json::json!({
                    "method": parts.method.as_str(),
                    "path": full_path(parts),
                    "reason": "ip_allowlist",
                }));
            domain::audit::record(&app_state.db, entry).await;
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "ip_not_allowed",
                message,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// The admin or owner behind a REST request (401 without credentials, 403 for members or
/// from outside the organization's admin IP allowlist).
pub struct RestAdmin(pub domain::auth::Admin);

impl<S> axum::extract::FromRequestParts<S> for RestAdmin
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let user = rest_caller(parts, state).await?;
        match domain::auth::Admin::new(user.clone()) {
            Ok(admin) => {
                ensure_admin_network(parts, state, &user).await?;
                Ok(Self(admin))
            }
            Err(err) => {
                let app_state = AppState::from_ref(state);
                let path = full_path(parts);
                let entry = super::client::Client(super::client::client_of(parts))
                    .entry(&user, "access.denied")
                    .outcome(domain::audit::Outcome::Denied)
                    .detail(serde_json::json!({
                        "method": parts.method.as_str(),
                        "path": path,
                    }));
                domain::audit::record(&app_state.db, entry).await;
                Err(err.into())
            }
        }
    }
}

/// The user behind a REST request, any role (401 without credentials).
pub struct RestUser(pub domain::auth::SessionUser);

impl<S> axum::extract::FromRequestParts<S> for RestUser
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        rest_caller(parts, state).await.map(Self)
    }
}

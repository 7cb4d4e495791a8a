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

use super::error::{ApiError, ApiJson, ErrorBody};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// Signs in and sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = app::dto::MeDto), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut auth: AuthSession,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<MeDto>, ApiError> {
    let creds = Credentials {
        email: body.email,
        password: SecretString::from(body.password),
        ip: Some(peer.ip()),
    };
    let user = domain::accounts::login::authenticate(&state.db, &state.hasher, &creds).await?;
    domain::auth::start_session(&mut auth, &user).await?;
    let org = domain::accounts::org::get(&state.db, &user).await?;
    tracing::info!(user_id = user.id, "signed in (api)");
    Ok(Json(MeDto::new(&user, &org)))
}

/// Ends the session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(mut auth: AuthSession) -> Result<StatusCode, ApiError> {
    domain::auth::end_session(&mut auth).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("session" = [])),
    responses((status = 200, body = app::dto::MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, auth: AuthSession) -> Result<Json<MeDto>, ApiError> {
    let user = auth
        .user
        .ok_or_else(|| ApiError::from(app::error::AppError::Unauthorized))?;
    let org = domain::accounts::org::get(&state.db, &user).await?;
    Ok(Json(MeDto::new(&user, &org)))
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
            Ok((_, user)) => Ok(user),
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
    auth.user.ok_or_else(unauthorized)
}

/// The admin or owner behind a REST request (401 without credentials, 403 for members).
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
        Ok(Self(domain::auth::Admin::new(user)?))
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

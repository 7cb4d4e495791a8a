//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/me`.

use std::net::SocketAddr;

use app::dto::MeDto;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use domain::AppState;
use domain::auth::{AuthSession, Credentials};
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;

use super::error::{ApiError, ApiJson};

#[derive(Deserialize)]
pub struct LoginRequest {
    email: String,
    password: String,
}

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

pub async fn logout(mut auth: AuthSession) -> Result<StatusCode, ApiError> {
    domain::auth::end_session(&mut auth).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, auth: AuthSession) -> Result<Json<MeDto>, ApiError> {
    let user = auth
        .user
        .ok_or_else(|| ApiError::from(app::error::AppError::Unauthorized))?;
    let org = domain::accounts::org::get(&state.db, &user).await?;
    Ok(Json(MeDto::new(&user, &org)))
}

/// The signed-in admin or owner of a REST request (401 without a session, 403 for members).
pub struct RestAdmin(pub domain::auth::Admin);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RestAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let auth = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::from(app::error::AppError::Internal))?;
        let user = auth
            .user
            .ok_or_else(|| ApiError::from(app::error::AppError::Unauthorized))?;
        Ok(Self(domain::auth::Admin::new(user)?))
    }
}

/// The signed-in user of a REST request, any role (401 without a session).
pub struct RestUser(pub domain::auth::SessionUser);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RestUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let auth = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::from(app::error::AppError::Internal))?;
        auth.user
            .map(Self)
            .ok_or_else(|| ApiError::from(app::error::AppError::Unauthorized))
    }
}

//! Two-factor authentication over REST: `POST /api/auth/mfa` (the code step of a pending
//! sign-in, or re-verification of a signed-in session), and the recent-verification check
//! that sensitive endpoints make for session callers. Bearer tokens are for programs and are
//! never asked for a code.

use app::dto::MeDto;
use axum::Json;
use axum::extract::State;
use domain::AppState;
use domain::auth::{AuthSession, SessionUser};
use domain::mfa::session;
use http::HeaderMap;
use serde::Deserialize;

use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The current code from the authenticator app; to finish a sign-in, a recovery code
    /// works too (once).
    code: String,
}

/// Proves a second-factor code. After `POST /api/auth/login` answered 401 `mfa_required`, this
/// finishes the sign-in (same cookie jar; the password is not sent again). For a signed-in
/// session it records a fresh verification, which sensitive actions (revealing a key) need
/// within the last five minutes.
#[utoipa::path(post, path = "/api/auth/mfa", tag = "auth", request_body = CodeRequest,
    responses((status = 200, body = app::dto::MeDto),
        (status = 401, description = "No pending sign-in and no session", body = ErrorBody),
        (status = 422, description = "Wrong or reused code", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    mut auth: AuthSession,
    client: Client,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Json<MeDto>, ApiError> {
    let now = chrono::Utc::now();
    let user = match auth.user.clone() {
        Some(user) => {
            domain::mfa::account::verify(&state, &user, &body.code, false, &client.0, now).await?;
            user
        }
        None => {
            let Some(user_id) = session::pending_user(&auth.session, now.timestamp()).await? else {
                return Err(app::error::AppError::Unauthorized.into());
            };
            let (user, method) =
                domain::mfa::sign_in::code_step(&state, user_id, &body.code, &client.0, now)
                    .await?;
            session::clear_pending(&auth.session).await?;
            domain::auth::start_session(&mut auth, &user).await?;
            tracing::info!(
                user_id = user.id,
                second_factor = method.as_str(),
                "signed in (api)"
            );
            user
        }
    };
    session::mark_verified(&auth.session, now.timestamp()).await?;
    me(&state, &user).await.map(Json)
}

pub(crate) async fn me(state: &AppState, user: &SessionUser) -> Result<MeDto, ApiError> {
    let org = domain::accounts::org::get(&state.db, user).await?;
    let mut me = MeDto::new(user, &org);
    me.mfa_setup_required = domain::mfa::policy::setup_required(&state.db, user).await?;
    Ok(me)
}

/// For a caller on a session cookie with two-factor on: refuses (403
/// `mfa_verification_required`) unless the session verified a code in the last five minutes.
/// Callers with a bearer token pass.
pub async fn require_recent(
    state: &AppState,
    auth: &AuthSession,
    headers: &HeaderMap,
    user: &SessionUser,
) -> Result<(), ApiError> {
    if headers.contains_key(http::header::AUTHORIZATION) {
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp();
    Ok(session::require_recent(&state.db, &auth.session, user, now).await?)
}

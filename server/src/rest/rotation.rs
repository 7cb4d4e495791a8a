//! Key rotation for admins: rotate a provider key (with the new secret, verified first) or a
//! Keygate key (a new key, shown once), set a rotation schedule, read the history. The old
//! key or secret keeps working until `expiresAt` (grace period, default 24 h).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::AppState;
use domain::entities::key_rotation;
use domain::rotation::{self, KeyKind, history};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::projects::ProjectId as KeyId;

/// A JSON body that may also be absent (an empty body reads as `T::default()`).
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(
    body: &Bytes,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let (status, code) = if e.is_data() {
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        } else {
            (StatusCode::BAD_REQUEST, "bad_request")
        };
        ApiError::new(status, code, super::error::redact_quoted(&e.to_string()))
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RotateProviderKey {
    /// The new secret, created at the provider. Verified before anything changes.
    key: String,
    /// AWS only: the new secret access key.
    secret_access_key: Option<String>,
    /// How long the old secret stays usable as a fallback, 0–720 (default 24).
    grace_hours: Option<i64>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RotateVirtualKey {
    /// How long the old key keeps working, 0–720 (default 24).
    pub grace_hours: Option<i64>,
}

/// A rotation's answer. For provider keys both keys are masked; for Keygate keys `newKey` is
/// the new key itself, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedBody {
    pub old_key: String,
    pub new_key: String,
    /// When the old key or secret stops working.
    pub expires_at: String,
}

impl RotatedBody {
    pub fn virtual_key(rotated: &rotation::virtual_keys::Rotated) -> Self {
        Self {
            old_key: rotated.old_hint.clone(),
            new_key: rotated.secret.expose_secret().to_owned(),
            expires_at: rotated.grace_until.to_rfc3339(),
        }
    }
}

/// One entry of a key's rotation history.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotationEntry {
    id: i32,
    /// `manual` or `schedule`.
    trigger: String,
    /// `success`, `failed` or `due`.
    outcome: String,
    actor_user_id: Option<i32>,
    detail: String,
    /// Until when the replaced key or secret stayed usable.
    grace_until: Option<String>,
    created_at: String,
}

impl From<key_rotation::Model> for RotationEntry {
    fn from(r: key_rotation::Model) -> Self {
        Self {
            id: r.id,
            trigger: r.trigger,
            outcome: r.outcome,
            actor_user_id: r.actor_user_id,
            detail: r.detail,
            grace_until: r.grace_until.map(|t| t.to_rfc3339()),
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RotationHistory {
    rotations: Vec<RotationEntry>,
}

impl RotationHistory {
    pub fn new(rows: Vec<key_rotation::Model>) -> Self {
        Self {
            rotations: rows.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleBody {
    /// A five-field cron expression (UTC) such as `0 3 1 * *`, or `every N days`; `null`
    /// removes the schedule.
    schedule: Option<String>,
}

/// A key's rotation schedule and when it next falls due.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleState {
    schedule: Option<String>,
    next_rotation_at: Option<String>,
    /// Provider keys only: set when the schedule fell due and nobody rotated the key yet.
    overdue_since: Option<String>,
}

impl ScheduleState {
    pub fn new(schedule: Option<String>, next: Option<DateTime<Utc>>, provider: bool) -> Self {
        let now = Utc::now();
        Self {
            overdue_since: next
                .filter(|at| provider && schedule.is_some() && *at <= now)
                .map(|at| at.to_rfc3339()),
            schedule,
            next_rotation_at: next.map(|at| at.to_rfc3339()),
        }
    }
}

/// Rotates a provider key: verifies the new secret against the provider, then makes it
/// current; the old secret is the proxy's fallback until `expiresAt`.
#[utoipa::path(put, path = "/api/admin/api-keys/{id}/rotate", tag = "rotation", request_body = RotateProviderKey,
    params(("id" = i32, Path, description = "Provider key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RotatedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The key changed meanwhile", body = ErrorBody),
        (status = 422, description = "Invalid input, or the provider refused the new secret (nothing changed)", body = ErrorBody)))]
pub async fn rotate_provider_key(
    State(state): State<AppState>,
    Client(client): Client,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
    ApiJson(body): ApiJson<RotateProviderKey>,
) -> Result<Json<RotatedBody>, ApiError> {
    let new = rotation::provider_keys::NewSecret {
        key: SecretString::from(body.key),
        secret_access_key: body.secret_access_key.map(SecretString::from),
    };
    let rotated =
        rotation::provider_keys::rotate(&state, admin.user(), id, new, body.grace_hours, &client)
            .await?;
    tracing::info!(actor = admin.user().id, key_id = id, "provider key rotated");
    Ok(Json(RotatedBody {
        old_key: rotated.old_hint,
        new_key: rotated.key.secret_hint,
        expires_at: rotated.grace_until.to_rfc3339(),
    }))
}

/// A provider key's rotation history, newest first.
#[utoipa::path(get, path = "/api/admin/api-keys/{id}/rotations", tag = "rotation",
    params(("id" = i32, Path, description = "Provider key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RotationHistory), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn provider_key_rotations(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
) -> Result<Json<RotationHistory>, ApiError> {
    let key = domain::provider_keys::get(&state.db, admin.user(), id).await?;
    let rows = history::list(&state.db, key.org_id, KeyKind::Provider, key.id).await?;
    Ok(Json(RotationHistory::new(rows)))
}

/// Sets or removes a provider key's rotation schedule. Keygate cannot mint provider keys:
/// when the schedule falls due, the key is marked overdue until someone rotates it.
#[utoipa::path(put, path = "/api/admin/api-keys/{id}/rotation-schedule", tag = "rotation", request_body = ScheduleBody,
    params(("id" = i32, Path, description = "Provider key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ScheduleState), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Not a valid schedule", body = ErrorBody)))]
pub async fn provider_key_schedule(
    State(state): State<AppState>,
    Client(client): Client,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<ScheduleState>, ApiError> {
    let key = rotation::provider_keys::set_schedule(
        &state,
        admin.user(),
        id,
        body.schedule.as_deref(),
        &client,
    )
    .await?;
    Ok(Json(ScheduleState::new(
        key.rotation_schedule,
        key.next_rotation_at,
        true,
    )))
}

/// Rotates a Keygate key: `newKey` is the new key, shown this once; the old key keeps working
/// until `expiresAt`, then answers 401.
#[utoipa::path(post, path = "/api/admin/virtual-keys/{id}/rotate", tag = "rotation", request_body(content = RotateVirtualKey, description = "Optional"),
    params(("id" = i32, Path, description = "Keygate key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RotatedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The key is revoked, expired or changed meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn rotate_virtual_key(
    State(state): State<AppState>,
    Client(client): Client,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
    body: Bytes,
) -> Result<Json<RotatedBody>, ApiError> {
    let body: RotateVirtualKey = optional_json(&body)?;
    let rotated =
        rotation::virtual_keys::rotate(&state, admin.user(), id, body.grace_hours, &client).await?;
    tracing::info!(
        actor = admin.user().id,
        virtual_key_id = id,
        "keygate key rotated"
    );
    Ok(Json(RotatedBody::virtual_key(&rotated)))
}

/// A Keygate key's rotation history, newest first.
#[utoipa::path(get, path = "/api/admin/virtual-keys/{id}/rotations", tag = "rotation",
    params(("id" = i32, Path, description = "Keygate key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RotationHistory), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn virtual_key_rotations(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
) -> Result<Json<RotationHistory>, ApiError> {
    let key = rotation::virtual_keys::load(&state.db, admin.user(), id).await?;
    let rows = history::list(&state.db, key.org_id, KeyKind::Virtual, key.id).await?;
    Ok(Json(RotationHistory::new(rows)))
}

/// Sets or removes a Keygate key's rotation schedule. When it falls due, the key rotates
/// itself and its owner (its user, else its creator) can reveal the new key once in the app.
#[utoipa::path(put, path = "/api/admin/virtual-keys/{id}/rotation-schedule", tag = "rotation", request_body = ScheduleBody,
    params(("id" = i32, Path, description = "Keygate key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ScheduleState), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Not a valid schedule", body = ErrorBody)))]
pub async fn virtual_key_schedule(
    State(state): State<AppState>,
    Client(client): Client,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<ScheduleState>, ApiError> {
    let key = rotation::virtual_keys::set_schedule(
        &state,
        admin.user(),
        id,
        body.schedule.as_deref(),
        &client,
    )
    .await?;
    Ok(Json(ScheduleState::new(
        key.rotation_schedule,
        key.next_rotation_at,
        false,
    )))
}

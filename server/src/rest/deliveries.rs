//! For any signed-in user: rotating the Keygate keys that act as them, and the keys their
//! schedules rotated, waiting to be revealed once (`/api/deliveries`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use domain::AppState;
use domain::rotation::{self, delivery};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use super::auth::RestUser;
use super::client::Client;
use super::error::{ApiError, ErrorBody};
use super::projects::ProjectId as KeyId;
use super::rotation::{RotateVirtualKey, RotatedBody, optional_json};

/// A rotated key waiting for its owner (never the key itself).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryBody {
    id: i32,
    /// The Keygate key it belongs to.
    key_id: i32,
    key_name: String,
    /// The new key's `sk-proxy-AbCd…wxyz`.
    hint: String,
    created_at: String,
}

impl From<delivery::Pending> for DeliveryBody {
    fn from(p: delivery::Pending) -> Self {
        Self {
            id: p.id,
            key_id: p.key_id,
            key_name: p.key_name,
            hint: p.hint,
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    deliveries: Vec<DeliveryBody>,
}

/// A revealed delivery: the new key, this once.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevealedDelivery {
    #[serde(flatten)]
    delivery: DeliveryBody,
    key: String,
}

/// Rotates a Keygate key that acts as the caller (admins may rotate any key of their
/// organization): `newKey` is shown this once; the old key works until `expiresAt`.
#[utoipa::path(post, path = "/api/virtual-keys/{id}/rotate", tag = "rotation", request_body(content = RotateVirtualKey, description = "Optional"),
    params(("id" = i32, Path, description = "Keygate key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RotatedBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such key, or not the caller's", body = ErrorBody),
        (status = 409, description = "The key is revoked, expired or changed meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn rotate_own(
    State(state): State<AppState>,
    Client(client): Client,
    RestUser(user): RestUser,
    KeyId(id): KeyId,
    body: Bytes,
) -> Result<Json<RotatedBody>, ApiError> {
    let body: RotateVirtualKey = optional_json(&body)?;
    let rotated =
        rotation::virtual_keys::rotate(&state, &user, id, body.grace_hours, &client).await?;
    tracing::info!(actor = user.id, virtual_key_id = id, "keygate key rotated");
    Ok(Json(RotatedBody::virtual_key(&rotated)))
}

/// The caller's rotated keys waiting to be revealed, newest first.
#[utoipa::path(get, path = "/api/deliveries", tag = "rotation", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = DeliveryList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestUser(user): RestUser,
) -> Result<Json<DeliveryList>, ApiError> {
    let pending = delivery::pending(&state.db, &user).await?;
    Ok(Json(DeliveryList {
        deliveries: pending.into_iter().map(Into::into).collect(),
    }))
}

/// Reveals a rotated key, once: the delivery is deleted, so asking again answers 404.
#[utoipa::path(post, path = "/api/deliveries/{id}/reveal", tag = "rotation",
    params(("id" = i32, Path, description = "Delivery id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RevealedDelivery), (status = 401, body = ErrorBody),
        (status = 404, description = "No such delivery, or already revealed", body = ErrorBody)))]
pub async fn reveal(
    State(state): State<AppState>,
    Client(client): Client,
    RestUser(user): RestUser,
    KeyId(id): KeyId,
) -> Result<Json<RevealedDelivery>, ApiError> {
    let (pending, secret) = delivery::reveal(&state, &user, id, &client).await?;
    tracing::info!(
        actor = user.id,
        virtual_key_id = pending.key_id,
        "rotated key revealed"
    );
    Ok(Json(RevealedDelivery {
        delivery: pending.into(),
        key: secret.expose_secret().to_owned(),
    }))
}

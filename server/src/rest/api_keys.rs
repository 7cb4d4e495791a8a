//! `/api/admin/api-keys` (seed 004): the organization's provider keys, for admins.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::AppState;
use domain::audit;
use domain::provider_keys::{self, KeyChanges, KeyFilter, KeyScope, NewKey, ScopeFilter};
use domain::providers::ProviderKind;
use secrecy::SecretString;
use serde::Deserialize;

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::key_body::{KeyBody, KeyList, VerifyBody};
use super::projects::ProjectId as KeyId;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListQuery {
    provider: Option<String>,
    /// `active`, `inactive` or `all`.
    status: Option<String>,
    /// `project`, `personal` or `all`.
    scope: Option<String>,
    project_id: Option<i32>,
    name: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKey {
    provider: String,
    name: String,
    key: String,
    project_id: i32,
    #[serde(default)]
    description: String,
    /// The provider-side organization id.
    organization_id: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    rotation_schedule: Option<String>,
    base_url: Option<String>,
    secret_access_key: Option<String>,
    region: Option<String>,
    weight: Option<i32>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateKey {
    name: Option<String>,
    description: Option<String>,
    /// A new secret; absent or blank keeps the stored one.
    key: Option<String>,
    secret_access_key: Option<String>,
    organization_id: Option<String>,
    /// `null` removes the expiry.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    expires_at: Option<Option<DateTime<Utc>>>,
    rotation_schedule: Option<String>,
    base_url: Option<String>,
    region: Option<String>,
    weight: Option<i32>,
    active: Option<bool>,
}

/// Tells `"expiresAt": null` (remove) apart from a missing field (keep).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(de).map(Some)
    }
}

impl UpdateKey {
    pub fn into_changes(self) -> KeyChanges {
        KeyChanges {
            name: self.name,
            description: self.description,
            key: self.key.map(SecretString::from),
            secret_access_key: self.secret_access_key.map(SecretString::from),
            region: self.region,
            provider_org_id: self.organization_id,
            base_url: self.base_url,
            expires_at: self.expires_at,
            weight: self.weight,
            rotation_schedule: self.rotation_schedule,
            active: self.active,
        }
    }
}

pub fn parse_status(raw: Option<&str>) -> Result<Option<bool>, ApiError> {
    match raw {
        None | Some("") | Some("all") => Ok(None),
        Some("active") => Ok(Some(true)),
        Some("inactive") => Ok(Some(false)),
        Some(_) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "status must be active, inactive or all.",
        )),
    }
}

pub fn parse_provider(raw: Option<&str>) -> Result<Option<ProviderKind>, ApiError> {
    match raw.filter(|p| !p.is_empty() && *p != "all") {
        None => Ok(None),
        Some(p) => Ok(Some(ProviderKind::parse(p)?)),
    }
}

/// Every provider key of the organization (masked), filtered.
#[utoipa::path(get, path = "/api/admin/api-keys", tag = "provider keys", params(ListQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = KeyList), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<KeyList>, ApiError> {
    let scope = match query.scope.as_deref() {
        None | Some("") | Some("all") => None,
        Some("project") => Some(ScopeFilter::Project),
        Some("personal") => Some(ScopeFilter::Personal),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "scope must be project, personal or all.",
            ));
        }
    };
    let filter = KeyFilter {
        provider: parse_provider(query.provider.as_deref())?,
        active: parse_status(query.status.as_deref())?,
        scope,
        project_id: query.project_id,
        mine_only: false,
        name_contains: query.name,
    };
    let keys = provider_keys::list(&state.db, admin.user(), &filter).await?;
    Ok(Json(KeyList::new(&keys)))
}

/// Adds a project key; the secret is sealed at once and never returned.
#[utoipa::path(post, path = "/api/admin/api-keys", tag = "provider keys", request_body = CreateKey, security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = KeyBody), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<KeyBody>), ApiError> {
    let input = NewKey {
        scope: KeyScope::Project(body.project_id),
        provider: body.provider,
        name: body.name,
        description: body.description,
        key: SecretString::from(body.key),
        secret_access_key: body.secret_access_key.map(SecretString::from),
        region: body.region,
        provider_org_id: body.organization_id,
        base_url: body.base_url,
        expires_at: body.expires_at,
        weight: body.weight,
        rotation_schedule: body.rotation_schedule,
    };
    let created = provider_keys::create(&state, admin.user(), input).await?;
    tracing::info!(actor = admin.user().id, key_id = created.id, provider = %created.provider, "provider key created");
    let entry = client
        .entry(admin.user(), "provider_key.create")
        .provider_key(&created);
    audit::record(&state.db, entry).await;
    Ok((StatusCode::CREATED, Json(KeyBody::from(&created))))
}

/// One key (masked).
#[utoipa::path(get, path = "/api/admin/api-keys/{id}", tag = "provider keys", params(("id" = i32, Path, description = "Key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = KeyBody), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
) -> Result<Json<KeyBody>, ApiError> {
    let key = provider_keys::get(&state.db, admin.user(), id).await?;
    Ok(Json(KeyBody::from(&key)))
}

/// Changes a key. A blank or absent `key` keeps the secret; a new one is a rotation.
#[utoipa::path(put, path = "/api/admin/api-keys/{id}", tag = "provider keys", params(("id" = i32, Path, description = "Key id")), request_body = UpdateKey, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = KeyBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    KeyId(id): KeyId,
    ApiJson(body): ApiJson<UpdateKey>,
) -> Result<Json<KeyBody>, ApiError> {
    let updated = provider_keys::update(&state, admin.user(), id, body.into_changes()).await?;
    tracing::info!(actor = admin.user().id, key_id = id, "provider key updated");
    let entry = client
        .entry(admin.user(), "provider_key.update")
        .provider_key(&updated);
    audit::record(&state.db, entry).await;
    Ok(Json(KeyBody::from(&updated)))
}

/// Soft-deletes a key: the secret is destroyed, the history kept.
#[utoipa::path(delete, path = "/api/admin/api-keys/{id}", tag = "provider keys", params(("id" = i32, Path, description = "Key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    KeyId(id): KeyId,
) -> Result<StatusCode, ApiError> {
    let key = provider_keys::get(&state.db, admin.user(), id).await?;
    provider_keys::delete(&state.db, admin.user(), id).await?;
    let entry = client
        .entry(admin.user(), "provider_key.delete")
        .provider_key(&key);
    audit::record(&state.db, entry).await;
    tracing::info!(actor = admin.user().id, key_id = id, "provider key deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Tests the key against its provider (10 s timeout) and records the result.
#[utoipa::path(post, path = "/api/admin/api-keys/{id}/verify", tag = "provider keys", params(("id" = i32, Path, description = "Key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = VerifyBody), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    KeyId(id): KeyId,
) -> Result<Json<VerifyBody>, ApiError> {
    let (key, outcome) = provider_keys::verify::verify(&state, admin.user(), id).await?;
    let entry = client
        .entry(admin.user(), "provider_key.verify")
        .provider_key_check(&key, &outcome);
    audit::record(&state.db, entry).await;
    Ok(Json(outcome.into()))
}

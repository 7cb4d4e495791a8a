//! Providers: `GET /api/providers` (built-in and the organization's own, for anyone signed in)
//! and `/api/admin/providers` to define custom ones (seed 004's ProviderConfig).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::AppState;
use domain::custom_providers::{self, ProviderInput};
use domain::entities::custom_provider;
use domain::providers::ProviderKind;
use serde::{Deserialize, Serialize};

use super::auth::{RestAdmin, RestUser};
use super::error::{ApiError, ApiJson, ErrorBody};
use super::projects::ProjectId as ProviderId;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BuiltInProvider {
    id: &'static str,
    name: &'static str,
    /// Key prefixes a well-formed key starts with (empty: any).
    key_prefixes: Vec<&'static str>,
    /// The public endpoint (before any operator override); absent for AWS and custom.
    base_url: Option<&'static str>,
}

/// Seed 004's ProviderConfig, plus what Keygate needs to call it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomProviderBody {
    id: i32,
    /// What keys name as their `provider`.
    slug: String,
    name: String,
    base_url: String,
    /// Seed 004 shape: the endpoints (here, the base URL).
    endpoints: Vec<String>,
    api_version: Option<String>,
    /// `bearer`, `header` or `query`.
    auth_method: String,
    /// The header name or query parameter carrying the key.
    auth_param: Option<String>,
    requires_org: bool,
    models: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<&custom_provider::Model> for CustomProviderBody {
    fn from(p: &custom_provider::Model) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            base_url: p.base_url.clone(),
            endpoints: vec![p.base_url.clone()],
            api_version: p.api_version.clone(),
            auth_method: p.auth_method.clone(),
            auth_param: p.auth_param.clone(),
            requires_org: p.requires_org,
            models: custom_providers::models(p),
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderCatalog {
    built_in: Vec<BuiltInProvider>,
    custom: Vec<CustomProviderBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderRequest {
    slug: String,
    name: String,
    base_url: String,
    api_version: Option<String>,
    /// `bearer` (default), `header` or `query`.
    #[serde(default)]
    auth_method: String,
    auth_param: Option<String>,
    #[serde(default)]
    requires_org: bool,
    #[serde(default)]
    models: Vec<String>,
}

impl From<ProviderRequest> for ProviderInput {
    fn from(r: ProviderRequest) -> Self {
        ProviderInput {
            slug: r.slug,
            name: r.name,
            base_url: r.base_url,
            api_version: r.api_version,
            auth_method: r.auth_method,
            auth_param: r.auth_param,
            requires_org: r.requires_org,
            models: r.models,
        }
    }
}

/// Every provider a key can be for.
#[utoipa::path(get, path = "/api/providers", tag = "providers",
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProviderCatalog), (status = 401, body = ErrorBody)))]
pub async fn catalog(
    State(state): State<AppState>,
    RestUser(user): RestUser,
) -> Result<Json<ProviderCatalog>, ApiError> {
    let custom = custom_providers::list(&state.db, &user).await?;
    Ok(Json(ProviderCatalog {
        built_in: ProviderKind::ALL
            .into_iter()
            .map(|p| BuiltInProvider {
                id: p.id(),
                name: p.display_name(),
                key_prefixes: p.key_prefixes().to_vec(),
                base_url: p.default_base_url(),
            })
            .collect(),
        custom: custom.iter().map(CustomProviderBody::from).collect(),
    }))
}

/// Defines a custom provider.
#[utoipa::path(post, path = "/api/admin/providers", tag = "providers", request_body = ProviderRequest,
    security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = CustomProviderBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ApiJson(body): ApiJson<ProviderRequest>,
) -> Result<(StatusCode, Json<CustomProviderBody>), ApiError> {
    let created = custom_providers::create(
        &state.db,
        &admin,
        &body.into(),
        state.upstreams.allow_private(),
    )
    .await?;
    tracing::info!(
        actor = admin.user().id,
        provider_id = created.id,
        "custom provider created"
    );
    Ok((StatusCode::CREATED, Json((&created).into())))
}

#[utoipa::path(get, path = "/api/admin/providers/{id}", tag = "providers",
    params(("id" = i32, Path, description = "Custom provider id")),
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = CustomProviderBody), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProviderId(id): ProviderId,
) -> Result<Json<CustomProviderBody>, ApiError> {
    let found = custom_providers::get(&state.db, admin.user().org_id, id).await?;
    Ok(Json((&found).into()))
}

/// Replaces a custom provider's definition.
#[utoipa::path(put, path = "/api/admin/providers/{id}", tag = "providers", request_body = ProviderRequest,
    params(("id" = i32, Path, description = "Custom provider id")),
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = CustomProviderBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProviderId(id): ProviderId,
    ApiJson(body): ApiJson<ProviderRequest>,
) -> Result<Json<CustomProviderBody>, ApiError> {
    let updated = custom_providers::update(
        &state.db,
        &admin,
        id,
        &body.into(),
        state.upstreams.allow_private(),
    )
    .await?;
    Ok(Json((&updated).into()))
}

/// Removes a custom provider that no live key uses (409 otherwise).
#[utoipa::path(delete, path = "/api/admin/providers/{id}", tag = "providers",
    params(("id" = i32, Path, description = "Custom provider id")),
    security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProviderId(id): ProviderId,
) -> Result<StatusCode, ApiError> {
    custom_providers::delete(&state.db, &admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

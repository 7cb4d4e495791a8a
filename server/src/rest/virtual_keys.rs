//! `/api/admin/virtual-keys`: Keygate keys for the proxy — generate (shown once), list,
//! revoke one, revoke all of a project's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::AppState;
use domain::entities::virtual_key;
use domain::virtual_keys::store::{self, KeyStatus, NewVirtualKey, models_of};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::projects::ProjectId;

/// A Keygate key as the API shows it (never the key itself, except once on creation).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualKeyBody {
    id: i32,
    project_id: i32,
    user_id: Option<i32>,
    name: String,
    /// `sk-proxy-AbCd…wxyz`.
    hint: String,
    /// `active`, `revoked` or `expired`.
    status: &'static str,
    models: Vec<String>,
    persona_id: Option<i32>,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
    /// Cron expression (UTC) or `every N days`: the key rotates itself when due.
    rotation_schedule: Option<String>,
    next_rotation_at: Option<String>,
    /// After a rotation: until when the previous key still works.
    previous_key_until: Option<String>,
    /// IP addresses / CIDR blocks the key may be used from; empty = anywhere.
    allowed_ips: Vec<String>,
}

impl From<virtual_key::Model> for VirtualKeyBody {
    fn from(k: virtual_key::Model) -> Self {
        Self {
            id: k.id,
            project_id: k.project_id,
            user_id: k.user_id,
            hint: format!("{}…{}", k.prefix, k.last_four),
            status: KeyStatus::of(&k, chrono::Utc::now()).as_str(),
            models: models_of(&k),
            allowed_ips: store::allowed_ips_of(&k),
            persona_id: k.persona_id,
            name: k.name,
            created_at: k.created_at.to_rfc3339(),
            expires_at: k.expires_at.map(|t| t.to_rfc3339()),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
            last_used_at: k.last_used_at.map(|t| t.to_rfc3339()),
            rotation_schedule: k.rotation_schedule,
            next_rotation_at: k.next_rotation_at.map(|t| t.to_rfc3339()),
            previous_key_until: k
                .previous_expires_at
                .filter(|at| *at > chrono::Utc::now())
                .map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateVirtualKey {
    project_id: i32,
    name: String,
    /// `1h`, `24h`, `7d`, `30d`, `90d`, `365d` … or `never` (default).
    expires_in: Option<String>,
    /// Bind the key to a user: their personal provider keys are used first.
    user_id: Option<i32>,
    /// Allowed model patterns (`gpt-4o*`); empty or absent = every model.
    #[serde(default)]
    models: Vec<String>,
    /// The persona applied when a request names none (`X-Keygate-Persona` overrides it).
    persona_id: Option<i32>,
    /// IP addresses or CIDR blocks (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`) the key
    /// may be used from; empty or absent = anywhere. At most 100.
    #[serde(default)]
    allowed_ips: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowedIps {
    /// IP addresses or CIDR blocks; empty = anywhere. At most 100.
    allowed_ips: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedVirtualKey {
    /// The key itself. Shown this once; Keygate stores only its hash.
    key: String,
    virtual_key: VirtualKeyBody,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListQuery {
    project_id: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualKeyList {
    virtual_keys: Vec<VirtualKeyBody>,
    total: u64,
    active: u64,
    /// Created in the last 7 days.
    recent: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevokedCount {
    revoked: u64,
}

#[utoipa::path(post, path = "/api/admin/virtual-keys", tag = "virtual-keys", request_body = CreateVirtualKey,
    security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = CreatedVirtualKey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid input, or the project is inactive", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<CreateVirtualKey>,
) -> Result<(StatusCode, Json<CreatedVirtualKey>), ApiError> {
    let (model, secret) = store::create(
        &state.db,
        &admin,
        NewVirtualKey {
            project_id: body.project_id,
            name: body.name,
            expires_in: body.expires_in,
            user_id: body.user_id,
            models: body.models,
            persona_id: body.persona_id,
            allowed_ips: body.allowed_ips,
        },
    )
    .await?;
    let entry = client
        .entry(admin.user(), "virtual_key.create")
        .virtual_key(&model);
    domain::audit::record(&state.db, entry).await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedVirtualKey {
            key: secret.expose_secret().to_owned(),
            virtual_key: model.into(),
        }),
    ))
}

#[utoipa::path(get, path = "/api/admin/virtual-keys", tag = "virtual-keys", params(ListQuery),
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = VirtualKeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<VirtualKeyList>, ApiError> {
    let keys = store::list(&state.db, &admin, query.project_id).await?;
    let counts = store::counts(&keys, chrono::Utc::now());
    Ok(Json(VirtualKeyList {
        virtual_keys: keys.into_iter().map(Into::into).collect(),
        total: counts.total,
        active: counts.active,
        recent: counts.recent,
    }))
}

#[utoipa::path(post, path = "/api/admin/virtual-keys/{id}/revoke", tag = "virtual-keys",
    params(("id" = i32, Path, description = "Keygate key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = VirtualKeyBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ProjectId(id): ProjectId,
) -> Result<Json<VirtualKeyBody>, ApiError> {
    let org_id = admin.user().org_id;
    let name = domain::audit::targets::name_of(&state.db, "virtual_key", org_id, id).await?;
    let entry = client
        .entry(admin.user(), "virtual_key.revoke")
        .target("virtual_key", id, name);
    let revoke = store::revoke(&state.db, &admin, id);
    let key = domain::audit::guarded(&state.db, entry, revoke).await?;
    state.gateway.forget_cached();
    Ok(Json(key.into()))
}

#[utoipa::path(put, path = "/api/admin/virtual-keys/{id}/allowed-ips", tag = "virtual-keys", request_body = AllowedIps,
    params(("id" = i32, Path, description = "Keygate key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = VirtualKeyBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Not an IP address or CIDR block, or more than 100", body = ErrorBody)))]
pub async fn set_allowed_ips(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ProjectId(id): ProjectId,
    ApiJson(body): ApiJson<AllowedIps>,
) -> Result<Json<VirtualKeyBody>, ApiError> {
    let key = store::set_allowed_ips(&state.db, &admin, id, &body.allowed_ips).await?;
    state.gateway.forget_cached();
    let entry = client
        .entry(admin.user(), "virtual_key.update")
        .virtual_key(&key)
        .detail(serde_json::json!({ "allowedIps": store::allowed_ips_of(&key) }));
    domain::audit::record(&state.db, entry).await;
    Ok(Json(key.into()))
}

#[utoipa::path(post, path = "/api/admin/projects/{id}/revoke-all-tokens", tag = "virtual-keys",
    params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RevokedCount), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_all(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ProjectId(id): ProjectId,
) -> Result<Json<RevokedCount>, ApiError> {
    let entry = client
        .entry(admin.user(), "virtual_key.revoke_all")
        .target("project", id, "");
    let revoke = store::revoke_all(&state.db, &admin, id);
    let revoked = domain::audit::guarded(&state.db, entry, revoke).await?;
    state.gateway.forget_cached();
    Ok(Json(RevokedCount { revoked }))
}

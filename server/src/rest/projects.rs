//! `/api/admin/projects`: list, create, read, update, activate, deactivate. Never delete.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use domain::AppState;
use domain::audit;
use domain::entities::project;
use domain::projects::{self, ProjectFilter};
use serde::{Deserialize, Serialize};

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};

/// A project as the REST API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBody {
    id: i32,
    name: String,
    description: String,
    active: bool,
    storage_used_bytes: i64,
    /// How the proxy balances among the project's keys: `least_used` or `weighted`.
    balance_strategy: String,
    created_at: String,
    updated_at: String,
    /// Live provider keys of the project (in lists and single reads).
    keys: u64,
    active_keys: u64,
}

impl ProjectBody {
    fn with_counts(mut self, counts: &std::collections::HashMap<i32, (u64, u64)>) -> Self {
        (self.keys, self.active_keys) = counts.get(&self.id).copied().unwrap_or_default();
        self
    }
}

impl From<project::Model> for ProjectBody {
    fn from(p: project::Model) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            active: p.active,
            storage_used_bytes: p.storage_used_bytes,
            balance_strategy: p.balance_strategy,
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
            keys: 0,
            active_keys: 0,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectList {
    projects: Vec<ProjectBody>,
    total: usize,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    name: Option<String>,
    /// `active` or `inactive`.
    status: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateProject {
    name: Option<String>,
    description: Option<String>,
    /// `least_used` (default) or `weighted` (round-robin by key weight).
    balance_strategy: Option<String>,
}

/// A numeric id from the path; anything else names no project.
pub struct ProjectId(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for ProjectId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found())?;
        raw.parse()
            .map(ProjectId)
            .map_err(|_| ApiError::not_found())
    }
}

/// The organization's projects, filtered by name and status.
#[utoipa::path(get, path = "/api/admin/projects", tag = "projects", params(ListQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProjectList), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    query: Result<axum::extract::Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ProjectList>, ApiError> {
    let axum::extract::Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
    let active = match query.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some("active") => Some(true),
        Some("inactive") => Some(false),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "status must be active, inactive or all.",
            ));
        }
    };
    let filter = ProjectFilter {
        name_contains: query.name,
        active,
    };
    let found = projects::list(&state.db, &admin, &filter).await?;
    let counts = domain::provider_keys::count_by_project(&state.db, admin.user().org_id).await?;
    let total = found.len();
    Ok(Json(ProjectList {
        projects: found
            .into_iter()
            .map(|p| ProjectBody::from(p).with_counts(&counts))
            .collect(),
        total,
    }))
}

/// Creates a project.
#[utoipa::path(post, path = "/api/admin/projects", tag = "projects", request_body = CreateProject, security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = ProjectBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<(StatusCode, Json<ProjectBody>), ApiError> {
    let created = projects::create(&state.db, &admin, &body.name, &body.description).await?;
    tracing::info!(
        actor = admin.user().id,
        project_id = created.id,
        "project created"
    );
    let entry = client
        .entry(admin.user(), "project.create")
        .project(&created);
    audit::record(&state.db, entry).await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One project.
#[utoipa::path(get, path = "/api/admin/projects/{id}", tag = "projects", params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProjectBody), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProjectId(id): ProjectId,
) -> Result<Json<ProjectBody>, ApiError> {
    let counts = domain::provider_keys::count_by_project(&state.db, admin.user().org_id).await?;
    Ok(Json(
        ProjectBody::from(projects::get(&state.db, &admin, id).await?).with_counts(&counts),
    ))
}

/// Renames or re-describes a project, or changes how the proxy balances among its keys.
#[utoipa::path(put, path = "/api/admin/projects/{id}", tag = "projects", params(("id" = i32, Path, description = "Project id")), request_body = UpdateProject, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProjectBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ProjectId(id): ProjectId,
    ApiJson(body): ApiJson<UpdateProject>,
) -> Result<Json<ProjectBody>, ApiError> {
    // The strategy first: it is the field most likely to be refused, and then nothing changed.
    if let Some(strategy) = body.balance_strategy.as_deref() {
        projects::set_balance_strategy(&state.db, &admin, id, strategy).await?;
        state.gateway.forget_cached();
    }
    let updated = projects::update(
        &state.db,
        &admin,
        id,
        body.name.as_deref(),
        body.description.as_deref(),
    )
    .await?;
    let entry = client
        .entry(admin.user(), "project.update")
        .project(&updated)
        .detail(serde_json::json!({ "balance_strategy": body.balance_strategy }));
    audit::record(&state.db, entry).await;
    Ok(Json(updated.into()))
}

/// Activates a project.
#[utoipa::path(post, path = "/api/admin/projects/{id}/activate", tag = "projects", params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProjectBody), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ProjectId(id): ProjectId,
) -> Result<Json<ProjectBody>, ApiError> {
    let project = projects::set_active(&state.db, &admin, id, true).await?;
    let entry = client
        .entry(admin.user(), "project.activate")
        .project(&project);
    audit::record(&state.db, entry).await;
    Ok(Json(project.into()))
}

/// Deactivates (archives) a project.
#[utoipa::path(post, path = "/api/admin/projects/{id}/deactivate", tag = "projects", params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProjectBody), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ProjectId(id): ProjectId,
) -> Result<Json<ProjectBody>, ApiError> {
    let project = projects::set_active(&state.db, &admin, id, false).await?;
    let entry = client
        .entry(admin.user(), "project.deactivate")
        .project(&project);
    audit::record(&state.db, entry).await;
    Ok(Json(project.into()))
}

/// Projects are never deleted: their keys' history and the audit trail stay intact.
#[utoipa::path(delete, path = "/api/admin/projects/{id}", tag = "projects", params(("id" = i32, Path, description = "Project id")),
    responses((status = 405, description = "Projects are never deleted", body = ErrorBody)))]
pub async fn delete() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Projects are never deleted; deactivate the project instead.",
    )
}

//! `/api/admin/personas`: named system prompts. Admins create, change, activate, deactivate
//! and delete them; every user lists and reads the ones they may use, and their analytics.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::AppState;
use domain::audit;
use domain::entities::persona;
use domain::personas::{self, NewPersona, PersonaChanges, analytics};
use serde::{Deserialize, Deserializer, Serialize};

use super::auth::{RestAdmin, RestUser};
use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::projects::ProjectId as PersonaId;
use super::usage::GroupBody;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaBody {
    id: i32,
    name: String,
    description: String,
    /// The system prompt.
    content: String,
    /// `null`: organization-wide.
    user_id: Option<i32>,
    active: bool,
    content_length: usize,
    created_at: String,
    updated_at: String,
}

impl From<persona::Model> for PersonaBody {
    fn from(p: persona::Model) -> Self {
        Self {
            id: p.id,
            content_length: p.content.chars().count(),
            name: p.name,
            description: p.description,
            content: p.content,
            user_id: p.user_id,
            active: p.active,
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonaList {
    personas: Vec<PersonaBody>,
    total: usize,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePersona {
    name: String,
    #[serde(default)]
    description: String,
    content: String,
    /// Restricts the persona to this user; leave out for organization-wide.
    user_id: Option<i32>,
}

/// Absent → `None` (unchanged); `null` → `Some(None)`; a value → `Some(Some(v))`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    Option::<i32>::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePersona {
    name: Option<String>,
    description: Option<String>,
    content: Option<String>,
    /// A user id restricts the persona; `null` makes it organization-wide.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    user_id: Option<Option<i32>>,
}

/// The personas the caller may see (admins: all of the organization's).
#[utoipa::path(get, path = "/api/admin/personas", tag = "personas", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PersonaList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestUser(user): RestUser,
) -> Result<Json<PersonaList>, ApiError> {
    let found = personas::list(&state.db, &user).await?;
    Ok(Json(PersonaList {
        total: found.len(),
        personas: found.into_iter().map(PersonaBody::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/admin/personas", tag = "personas", request_body = CreatePersona, security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = PersonaBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<CreatePersona>,
) -> Result<(StatusCode, Json<PersonaBody>), ApiError> {
    let created = personas::create(
        &state.db,
        &admin,
        NewPersona {
            name: body.name,
            description: body.description,
            content: body.content,
            user_id: body.user_id,
        },
    )
    .await?;
    tracing::info!(
        actor = admin.user().id,
        persona_id = created.id,
        "persona created"
    );
    let entry = client
        .entry(admin.user(), "persona.create")
        .persona(&created);
    audit::record(&state.db, entry).await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(get, path = "/api/admin/personas/{id}", tag = "personas", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PersonaBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    PersonaId(id): PersonaId,
) -> Result<Json<PersonaBody>, ApiError> {
    Ok(Json(personas::get(&state.db, &user, id).await?.into()))
}

#[utoipa::path(put, path = "/api/admin/personas/{id}", tag = "personas", params(("id" = i32, Path)), request_body = UpdatePersona, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PersonaBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    PersonaId(id): PersonaId,
    ApiJson(body): ApiJson<UpdatePersona>,
) -> Result<Json<PersonaBody>, ApiError> {
    let changes = PersonaChanges {
        name: body.name,
        description: body.description,
        content: body.content,
        user_id: body.user_id,
    };
    let updated = personas::update(&state.db, &admin, id, changes).await?;
    tracing::info!(actor = admin.user().id, persona_id = id, "persona updated");
    let entry = client
        .entry(admin.user(), "persona.update")
        .persona(&updated);
    audit::record(&state.db, entry).await;
    Ok(Json(updated.into()))
}

async fn set_active(
    state: &AppState,
    admin: &domain::auth::Admin,
    client: &Client,
    id: i32,
    active: bool,
) -> Result<Json<PersonaBody>, ApiError> {
    let changed = personas::set_active(&state.db, admin, id, active).await?;
    let action = if active {
        "persona.activate"
    } else {
        "persona.deactivate"
    };
    audit::record(
        &state.db,
        client.entry(admin.user(), action).persona(&changed),
    )
    .await;
    tracing::info!(
        actor = admin.user().id,
        persona_id = id,
        active,
        "persona activation changed"
    );
    Ok(Json(changed.into()))
}

#[utoipa::path(post, path = "/api/admin/personas/{id}/activate", tag = "personas", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PersonaBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    PersonaId(id): PersonaId,
) -> Result<Json<PersonaBody>, ApiError> {
    set_active(&state, &admin, &client, id, true).await
}

#[utoipa::path(post, path = "/api/admin/personas/{id}/deactivate", tag = "personas", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PersonaBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    PersonaId(id): PersonaId,
) -> Result<Json<PersonaBody>, ApiError> {
    set_active(&state, &admin, &client, id, false).await
}

/// Deletes a persona; Keygate keys that used it by default lose the default.
#[utoipa::path(delete, path = "/api/admin/personas/{id}", tag = "personas", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    PersonaId(id): PersonaId,
) -> Result<StatusCode, ApiError> {
    let deleted = personas::delete(&state.db, &admin, id).await?;
    let entry = client
        .entry(admin.user(), "persona.delete")
        .persona(&deleted);
    audit::record(&state.db, entry).await;
    tracing::info!(actor = admin.user().id, persona_id = id, "persona deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingsBody {
    count: i64,
    average: Option<f64>,
    positive: i64,
    negative: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsBody {
    persona: PersonaBody,
    total_requests: i64,
    /// Share of requests that succeeded (0–1).
    success_rate: f64,
    total_tokens: i64,
    total_cost_micros: i64,
    top_models: Vec<GroupBody>,
    top_users: Vec<GroupBody>,
    /// The last seven days (UTC), oldest first.
    daily: Vec<GroupBody>,
    ratings: RatingsBody,
}

/// A persona's usage (seed: `get-analytics`).
#[utoipa::path(get, path = "/api/admin/personas/{id}/analytics", tag = "personas", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AnalyticsBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn analytics(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    PersonaId(id): PersonaId,
) -> Result<Json<AnalyticsBody>, ApiError> {
    let a = analytics::analytics(&state.db, &user, id, chrono::Utc::now()).await?;
    let users = domain::insight::labels::labels(
        &state.db,
        user.org_id,
        domain::ledger::query::GroupBy::User,
        &a.top_users,
    )
    .await?;
    let label = |g: &domain::ledger::query::Group| users.get(&g.key).cloned().unwrap_or_default();
    Ok(Json(AnalyticsBody {
        total_requests: a.total.requests,
        success_rate: a.success_rate(),
        total_tokens: a.total.tokens(),
        total_cost_micros: a.total.cost_micros,
        top_models: a
            .top_models
            .iter()
            .map(|g| GroupBody::new(g, g.key.clone()))
            .collect(),
        top_users: a
            .top_users
            .iter()
            .map(|g| GroupBody::new(g, label(g)))
            .collect(),
        daily: a
            .daily
            .iter()
            .map(|g| GroupBody::new(g, g.key.clone()))
            .collect(),
        ratings: RatingsBody {
            count: a.ratings.count,
            average: a.ratings.average,
            positive: a.ratings.positive,
            negative: a.ratings.negative,
        },
        persona: a.persona.into(),
    }))
}

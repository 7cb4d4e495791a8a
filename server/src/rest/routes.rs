//! Gateway settings over REST: a project's model routes and usage, the organization's prices.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::AppState;
use domain::entities::{model_price, model_route};
use domain::gateway::pricing::ModelPrice;
use domain::gateway::{prices, routes};
use domain::ledger::summary::{self, Periods, Scope, Totals};
use serde::{Deserialize, Serialize};

use super::auth::RestAdmin;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::projects::ProjectId;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteBody {
    id: i32,
    pattern: String,
    provider: String,
    target_model: Option<String>,
    position: i32,
}

impl From<model_route::Model> for RouteBody {
    fn from(r: model_route::Model) -> Self {
        Self {
            id: r.id,
            pattern: r.pattern,
            provider: r.provider,
            target_model: r.target_model,
            position: r.position,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateRoute {
    /// A model id or pattern with `*` (`gpt-4o*`).
    pattern: String,
    /// A built-in provider id (`openai`, `groq`, …) or a custom provider's slug.
    provider: String,
    /// The model name sent upstream instead of the requested one.
    target_model: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RouteList {
    routes: Vec<RouteBody>,
}

#[utoipa::path(get, path = "/api/admin/projects/{id}/routes", tag = "gateway",
    params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RouteList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProjectId(id): ProjectId,
) -> Result<Json<RouteList>, ApiError> {
    let routes = routes::list(&state.db, &admin, id).await?;
    Ok(Json(RouteList {
        routes: routes.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/admin/projects/{id}/routes", tag = "gateway", request_body = CreateRoute,
    params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = RouteBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProjectId(id): ProjectId,
    ApiJson(body): ApiJson<CreateRoute>,
) -> Result<(StatusCode, Json<RouteBody>), ApiError> {
    let route = routes::add(
        &state.db,
        &admin,
        id,
        routes::NewRoute {
            pattern: body.pattern,
            provider: body.provider,
            target_model: body.target_model,
        },
    )
    .await?;
    state.gateway.forget_cached();
    Ok((StatusCode::CREATED, Json(route.into())))
}

#[utoipa::path(delete, path = "/api/admin/projects/{id}/routes/{route_id}", tag = "gateway",
    params(("id" = i32, Path, description = "Project id"), ("route_id" = i32, Path, description = "Route id")),
    security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    path: Result<axum::extract::Path<(i32, i32)>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, ApiError> {
    let axum::extract::Path((id, route_id)) = path.map_err(|_| ApiError::not_found())?;
    routes::delete(&state.db, &admin, id, route_id).await?;
    state.gateway.forget_cached();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotalsBody {
    requests: i64,
    errors: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    /// Micro-dollars (1,000,000 = $1).
    cost_micros: i64,
}

impl From<Totals> for TotalsBody {
    fn from(t: Totals) -> Self {
        Self {
            requests: t.requests,
            errors: t.errors,
            prompt_tokens: t.prompt_tokens,
            completion_tokens: t.completion_tokens,
            cost_micros: t.cost_micros,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodsBody {
    today: TotalsBody,
    month: TotalsBody,
}

impl From<Periods> for PeriodsBody {
    fn from(p: Periods) -> Self {
        Self {
            today: p.today.into(),
            month: p.month.into(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyUsage {
    virtual_key_id: i32,
    #[serde(flatten)]
    periods: PeriodsBody,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectUsage {
    today: TotalsBody,
    month: TotalsBody,
    virtual_keys: Vec<KeyUsage>,
}

/// Today's and this month's (UTC) requests, tokens and cost of a project, per Keygate key too.
#[utoipa::path(get, path = "/api/admin/projects/{id}/usage", tag = "gateway",
    params(("id" = i32, Path, description = "Project id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ProjectUsage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProjectId(id): ProjectId,
) -> Result<Json<ProjectUsage>, ApiError> {
    domain::projects::get(&state.db, &admin, id).await?;
    let org_id = admin.user().org_id;
    let now = chrono::Utc::now();
    let total = summary::periods(&state.db, org_id, Scope::Project(id), now).await?;
    let mut per_key: Vec<KeyUsage> = summary::per_virtual_key(&state.db, org_id, id, now)
        .await?
        .into_iter()
        .map(|(virtual_key_id, p)| KeyUsage {
            virtual_key_id,
            periods: p.into(),
        })
        .collect();
    per_key.sort_by_key(|k| k.virtual_key_id);
    Ok(Json(ProjectUsage {
        today: total.today.into(),
        month: total.month.into(),
        virtual_keys: per_key,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceBody {
    id: i32,
    provider: String,
    model: String,
    /// Micro-dollars per million input tokens.
    input_micros: i64,
    output_micros: i64,
    cached_input_micros: i64,
    /// Recorded on ledger rows as `org-<id>-r<revision>`.
    revision: i32,
}

impl From<model_price::Model> for PriceBody {
    fn from(p: model_price::Model) -> Self {
        Self {
            id: p.id,
            provider: p.provider,
            model: p.model,
            input_micros: p.input_micros,
            output_micros: p.output_micros,
            cached_input_micros: p.cached_input_micros,
            revision: p.revision,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PriceList {
    prices: Vec<PriceBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetPrice {
    provider: String,
    /// A model id; also matches longer ids that start with it (dated snapshots).
    model: String,
    input_micros: i64,
    output_micros: i64,
    #[serde(default)]
    cached_input_micros: Option<i64>,
}

#[utoipa::path(get, path = "/api/admin/prices", tag = "gateway", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PriceList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn prices(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<PriceList>, ApiError> {
    Ok(Json(PriceList {
        prices: prices::list(&state.db, &admin)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// Sets the organization's own price for a model (overrides the built-in table).
#[utoipa::path(put, path = "/api/admin/prices", tag = "gateway", request_body = SetPrice,
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = PriceBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_price(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ApiJson(body): ApiJson<SetPrice>,
) -> Result<Json<PriceBody>, ApiError> {
    let row = prices::set(
        &state.db,
        &admin,
        &body.provider,
        &body.model,
        ModelPrice {
            input: body.input_micros,
            output: body.output_micros,
            cached_input: body.cached_input_micros.unwrap_or(body.input_micros),
        },
    )
    .await?;
    state.gateway.prices.forget_all();
    Ok(Json(row.into()))
}

#[utoipa::path(delete, path = "/api/admin/prices/{id}", tag = "gateway",
    params(("id" = i32, Path, description = "Price id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_price(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ProjectId(id): ProjectId,
) -> Result<StatusCode, ApiError> {
    prices::delete(&state.db, &admin, id).await?;
    state.gateway.prices.forget_all();
    Ok(StatusCode::NO_CONTENT)
}

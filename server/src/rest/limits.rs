//! `/api/admin/limits`: budgets and rate limits per Keygate key, user, project and provider
//! key. Admins only; every change is audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::AppState;
use domain::audit;
use domain::entities::usage_limit;
use domain::limits::store::{self, LimitSettings};
use domain::limits::{Enforcement, Period, Scope};
use serde::{Deserialize, Serialize};

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitUsage {
    /// Spent in the current period (settled requests).
    spent_micros: i64,
    spent_usd: String,
    spent_tokens: i64,
    /// Held by requests in flight (worst-case estimates).
    reserved_micros: i64,
    reserved_tokens: i64,
    period_start: String,
    /// `null` when the period is `never`.
    reset_at: Option<String>,
    /// A hard budget with nothing left.
    exhausted: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitBody {
    id: i32,
    /// key | user | project | provider_key
    scope: String,
    scope_id: i32,
    /// daily | weekly | monthly | never
    period: String,
    limit_micros: Option<i64>,
    limit_usd: Option<String>,
    limit_tokens: Option<i64>,
    /// hard | soft
    enforcement: String,
    rpm: Option<i32>,
    tpm: Option<i32>,
    usage: LimitUsage,
    updated_at: String,
}

impl LimitBody {
    fn new(model: usage_limit::Model) -> Self {
        let status = store::status(&model, chrono::Utc::now());
        Self {
            id: model.id,
            scope: model.scope,
            scope_id: model.scope_id,
            period: model.period,
            limit_micros: model.limit_micros,
            limit_usd: model.limit_micros.map(domain::insight::export::usd),
            limit_tokens: model.limit_tokens,
            enforcement: model.enforcement,
            rpm: model.rpm,
            tpm: model.tpm,
            usage: LimitUsage {
                spent_micros: status.spent_micros,
                spent_usd: domain::insight::export::usd(status.spent_micros),
                spent_tokens: status.spent_tokens,
                reserved_micros: status.reserved_micros,
                reserved_tokens: status.reserved_tokens,
                period_start: status.period_start.to_rfc3339(),
                reset_at: status.reset_at.map(|t| t.to_rfc3339()),
                exhausted: status.exhausted,
            },
            updated_at: model.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LimitList {
    limits: Vec<LimitBody>,
    total: usize,
}

/// A budget in dollars (`limitUsd`, e.g. `12.5`) or micro-dollars (`limitMicros`), and/or in
/// tokens; rate limits in requests and tokens per minute. Leave a field out for no limit.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetLimit {
    /// daily | weekly | monthly | never (default monthly)
    period: Option<String>,
    limit_usd: Option<f64>,
    limit_micros: Option<i64>,
    limit_tokens: Option<i64>,
    /// hard (refuse, default) | soft (alert only)
    enforcement: Option<String>,
    rpm: Option<u32>,
    tpm: Option<u32>,
}

impl SetLimit {
    fn settings(self) -> Result<LimitSettings, ApiError> {
        let invalid = |field: &'static str, message: &str| {
            ApiError::from(domain::DomainError::validation(field, message))
        };
        let period = match self.period.as_deref() {
            None => Period::Monthly,
            Some(raw) => Period::parse(raw).ok_or_else(|| {
                invalid("period", "Period must be daily, weekly, monthly or never.")
            })?,
        };
        let enforcement = match self.enforcement.as_deref() {
            None => Enforcement::Hard,
            Some(raw) => Enforcement::parse(raw)
                .ok_or_else(|| invalid("enforcement", "Enforcement must be hard or soft."))?,
        };
        let limit_micros = match (self.limit_usd, self.limit_micros) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "limitUsd",
                    "Give the dollar budget as limitUsd or limitMicros, not both.",
                ));
            }
            (Some(usd), None) if usd.is_finite() => Some((usd * 1_000_000.0).round() as i64),
            (Some(_), None) => return Err(invalid("limitUsd", "limitUsd must be a number.")),
            (None, micros) => micros,
        };
        Ok(LimitSettings {
            period,
            limit_micros,
            limit_tokens: self.limit_tokens,
            enforcement,
            rpm: self.rpm,
            tpm: self.tpm,
        })
    }
}

fn scope(raw: &str) -> Result<Scope, ApiError> {
    Scope::parse(raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Limits exist for key, user, project and provider_key.",
        )
    })
}

/// Every limit of the organization with its current usage.
#[utoipa::path(get, path = "/api/admin/limits", tag = "limits", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = LimitList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<LimitList>, ApiError> {
    let limits = store::list(&state.db, admin.user().org_id).await?;
    Ok(Json(LimitList {
        total: limits.len(),
        limits: limits.into_iter().map(LimitBody::new).collect(),
    }))
}

#[utoipa::path(get, path = "/api/admin/limits/{scope}/{id}", tag = "limits", security(("session" = []), ("adminToken" = [])),
    params(("scope" = String, Path, description = "key | user | project | provider_key"), ("id" = i32, Path)),
    responses((status = 200, body = LimitBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    Path((raw_scope, id)): Path<(String, i32)>,
) -> Result<Json<LimitBody>, ApiError> {
    let scope = scope(&raw_scope)?;
    let found = store::get(&state.db, admin.user().org_id, scope, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(LimitBody::new(found)))
}

/// Sets (creates or replaces) the limits of one scope.
#[utoipa::path(put, path = "/api/admin/limits/{scope}/{id}", tag = "limits", request_body = SetLimit, security(("session" = []), ("adminToken" = [])),
    params(("scope" = String, Path, description = "key | user | project | provider_key"), ("id" = i32, Path)),
    responses((status = 200, body = LimitBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    Path((raw_scope, id)): Path<(String, i32)>,
    ApiJson(body): ApiJson<SetLimit>,
) -> Result<Json<LimitBody>, ApiError> {
    let scope = scope(&raw_scope)?;
    let settings = body.settings()?;
    let user = admin.user();
    let saved = store::set(
        &state.db,
        user.org_id,
        scope,
        id,
        &settings,
        Some(user.id),
        chrono::Utc::now(),
    )
    .await?;
    audit::record(
        &state.db,
        client
            .entry(user, "limit.set")
            .target(scope.as_str(), id, format!("{} {id}", scope.noun()))
            .detail(serde_json::json!({
                "period": saved.period,
                "limitMicros": saved.limit_micros,
                "limitTokens": saved.limit_tokens,
                "enforcement": saved.enforcement,
                "rpm": saved.rpm,
                "tpm": saved.tpm,
            })),
    )
    .await;
    Ok(Json(LimitBody::new(saved)))
}

#[utoipa::path(delete, path = "/api/admin/limits/{scope}/{id}", tag = "limits", security(("session" = []), ("adminToken" = [])),
    params(("scope" = String, Path, description = "key | user | project | provider_key"), ("id" = i32, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    Path((raw_scope, id)): Path<(String, i32)>,
) -> Result<StatusCode, ApiError> {
    let scope = scope(&raw_scope)?;
    let user = admin.user();
    store::remove(&state.db, user.org_id, scope, id).await?;
    audit::record(
        &state.db,
        client.entry(user, "limit.remove").target(
            scope.as_str(),
            id,
            format!("{} {id}", scope.noun()),
        ),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

//! `/api/usage…`: usage grouped any way a dashboard needs, CSV export (streamed), the live
//! change feed for open dashboards, and a provider key's period usage (seed 004). Admins see
//! their organization; members only their own usage.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use domain::AppState;
use domain::auth::SessionUser;
use domain::insight::{self, export, key_usage, labels};
use domain::ledger::query::{self, Group, GroupBy, UsageFilter};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use super::auth::{RestAdmin, RestUser};
use super::error::{ApiError, ApiQuery, ErrorBody};
use super::projects::ProjectId as KeyId;

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageQuery {
    /// `model`, `user`, `key`, `project`, `provider`, `providerKey`, `persona`, `day`,
    /// `hour` (default `day`). For CSV export, leave it out to get the raw ledger rows.
    group_by: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD` (UTC midnight). Default: 30 days before `to`.
    from: Option<String>,
    /// Exclusive; RFC 3339 or `YYYY-MM-DD`. Default: the start of tomorrow (UTC).
    to: Option<String>,
    project_id: Option<i32>,
    user_id: Option<i32>,
    key_id: Option<i32>,
    provider_key_id: Option<i32>,
    persona_id: Option<i32>,
    provider: Option<String>,
    model: Option<String>,
}

/// Sums for one group.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupBody {
    /// The model or provider, the id of the user / key / project / provider key / persona
    /// (`0`: none), or the bucket start of a day or hour.
    key: String,
    label: String,
    requests: i64,
    errors: i64,
    error_rate: f64,
    prompt_tokens: i64,
    completion_tokens: i64,
    tokens: i64,
    cost_micros: i64,
    /// Dollars, six decimals.
    cost: String,
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
}

impl GroupBody {
    pub fn new(g: &Group, label: String) -> Self {
        Self {
            key: g.key.clone(),
            label,
            requests: g.requests,
            errors: g.errors,
            error_rate: g.error_rate(),
            prompt_tokens: g.prompt_tokens,
            completion_tokens: g.completion_tokens,
            tokens: g.tokens(),
            cost_micros: g.cost_micros,
            cost: export::usd(g.cost_micros),
            p50_ms: g.p50_ms(),
            p95_ms: g.p95_ms(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageBody {
    group_by: String,
    /// The range actually read (aligned to whole hours or days).
    from: String,
    to: String,
    /// `hour` or `day`: the rollups read.
    granularity: String,
    groups: Vec<GroupBody>,
    total: GroupBody,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn parse_time(raw: &str, name: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            bad(format!(
                "`{name}` must be an RFC 3339 time or a YYYY-MM-DD date."
            ))
        })
}

/// Longest range one query may cover.
const MAX_RANGE_DAYS: i64 = 3 * 366;

fn filter_of(q: &UsageQuery, user: &SessionUser) -> Result<UsageFilter, ApiError> {
    let now = Utc::now();
    let tomorrow = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now) + TimeDelta::days(1);
    let to = match q.to.as_deref() {
        Some(raw) => parse_time(raw, "to")?,
        None => tomorrow,
    };
    let from = match q.from.as_deref() {
        Some(raw) => parse_time(raw, "from")?,
        None => to - TimeDelta::days(30),
    };
    if from >= to {
        return Err(bad("`from` must be before `to`."));
    }
    if to - from > TimeDelta::days(MAX_RANGE_DAYS) {
        return Err(bad(format!(
            "A range covers at most {MAX_RANGE_DAYS} days."
        )));
    }
    let mut filter = UsageFilter::new(user.org_id, from, to);
    filter.project_id = q.project_id;
    filter.user_id = q.user_id;
    filter.virtual_key_id = q.key_id;
    filter.provider_key_id = q.provider_key_id;
    filter.persona_id = q.persona_id;
    filter.provider = q.provider.clone().filter(|p| !p.is_empty());
    filter.model = q.model.clone().filter(|m| !m.is_empty());
    Ok(insight::restrict(user, filter)?)
}

fn group_by_of(raw: Option<&str>) -> Result<GroupBy, ApiError> {
    let raw = raw.unwrap_or("day");
    GroupBy::parse(raw).ok_or_else(|| {
        bad(format!(
            "`groupBy` must be one of: {}.",
            GroupBy::NAMES.join(", ")
        ))
    })
}

async fn labelled(
    state: &AppState,
    org_id: i32,
    group_by: GroupBy,
    groups: &[Group],
) -> Result<HashMap<String, String>, ApiError> {
    Ok(labels::labels(&state.db, org_id, group_by, groups).await?)
}

fn label_of(labels: &HashMap<String, String>, g: &Group) -> String {
    labels.get(&g.key).cloned().unwrap_or_else(|| g.key.clone())
}

/// Usage grouped by one dimension over a range, with totals. Read from the hourly/daily
/// rollups, never the raw ledger.
#[utoipa::path(get, path = "/api/usage", tag = "usage", params(UsageQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = UsageBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, description = "A member asked for another user's usage", body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<UsageBody>, ApiError> {
    let filter = filter_of(&q, &user)?;
    let group_by = group_by_of(q.group_by.as_deref())?;
    let groups = if group_by.is_time() {
        query::series(&state.db, &filter, group_by).await?
    } else {
        query::grouped_with(&state.db, &filter, group_by, query::Latency::Included).await?
    };
    let total = query::total(&state.db, &filter).await?;
    let labels = labelled(&state, filter.org_id, group_by, &groups).await?;
    let w = query::window(&filter, group_by);
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(Json(UsageBody {
        group_by: group_by.name().to_owned(),
        from: stamp(w.from),
        to: stamp(w.to),
        granularity: w.granularity.to_owned(),
        groups: groups
            .iter()
            .map(|g| GroupBody::new(g, label_of(&labels, g)))
            .collect(),
        total: GroupBody::new(&total, "total".into()),
    }))
}

/// CSV: with `groupBy`, that breakdown; without, the raw ledger rows (streamed in pages, so
/// memory stays constant).
#[utoipa::path(get, path = "/api/usage/export.csv", tag = "usage", params(UsageQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, content_type = "text/csv", description = "CSV with a header row"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Response, ApiError> {
    let filter = filter_of(&q, &user)?;
    let (body, name) = match q.group_by.as_deref() {
        None | Some("") | Some("ledger") => {
            let stream = export::ledger_csv(state.db.clone(), filter).map(|chunk| {
                chunk.map_err(|e| {
                    tracing::error!(error = %e, "ledger export failed part-way");
                    std::io::Error::other("export failed")
                })
            });
            (Body::from_stream(stream), "keygate-ledger.csv".to_owned())
        }
        Some(raw) => {
            let group_by = group_by_of(Some(raw))?;
            let groups = if group_by.is_time() {
                query::series(&state.db, &filter, group_by).await?
            } else {
                query::grouped_with(&state.db, &filter, group_by, query::Latency::Included).await?
            };
            let labels = labelled(&state, filter.org_id, group_by, &groups).await?;
            let bytes = export::groups_csv(group_by.name(), &groups, |g| label_of(&labels, g))?;
            (
                Body::from(bytes),
                format!("keygate-usage-by-{}.csv", group_by.name()),
            )
        }
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Server-sent events for open dashboards: an event `usage` (data `{"orgIds":[…]}`) after
/// each ledger commit that touched the caller's organization, and keep-alive comments.
#[utoipa::path(get, path = "/api/usage/events", tag = "usage", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "`usage` events"), (status = 401, body = ErrorBody)))]
pub async fn events(State(state): State<AppState>, RestUser(user): RestUser) -> impl IntoResponse {
    let org_id = user.org_id;
    let commits = state.gateway.ledger.subscribe();
    let stream = futures_util::stream::unfold(commits, move |mut commits| async move {
        loop {
            let relevant = match commits.recv().await {
                Ok(c) => c.org_ids.contains(&org_id),
                // A lagged receiver just means "something changed" too.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
            if relevant {
                let event = Event::default()
                    .event("usage")
                    .data(format!("{{\"orgIds\":[{org_id}]}}"));
                return Some((Ok::<Event, Infallible>(event), commits));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodBody {
    /// Used in the current period, in `unit`: the key's budget period, or the calendar month
    /// (UTC) in tokens when it has no budget.
    current: i64,
    /// `null`: no limit set.
    limit: Option<i64>,
    /// `tokens` or `micros` (micro-dollars).
    unit: &'static str,
    /// `null`: the budget never resets.
    reset_at: Option<String>,
    requests: i64,
    cost_micros: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricBody {
    /// Day start (RFC 3339) or month (`YYYY-MM`).
    period: String,
    requests: i64,
    errors: i64,
    tokens_used: i64,
    cost: f64,
    cost_micros: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryBody {
    daily: Vec<MetricBody>,
    monthly: Vec<MetricBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostsBody {
    /// Dollars this month so far.
    current: f64,
    /// Dollars projected at the end of the month from the last seven days' run-rate.
    projected: f64,
    current_micros: i64,
    projected_micros: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyUsageBody {
    usage: PeriodBody,
    history: HistoryBody,
    costs: CostsBody,
}

fn dollars(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

fn metric(g: &Group) -> MetricBody {
    MetricBody {
        period: g.key.clone(),
        requests: g.requests,
        errors: g.errors,
        tokens_used: g.tokens(),
        cost: dollars(g.cost_micros),
        cost_micros: g.cost_micros,
    }
}

/// A provider key's usage this period against its limit, daily (30 days) and monthly (12
/// months) history, and cost so far this month with its projection (seed 004).
#[utoipa::path(get, path = "/api/admin/api-keys/{id}/usage", tag = "provider keys", params(("id" = i32, Path, description = "Key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = KeyUsageBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn key(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    KeyId(id): KeyId,
) -> Result<Json<KeyUsageBody>, ApiError> {
    let key = domain::provider_keys::get(&state.db, admin.user(), id).await?;
    let now = Utc::now();
    let mut filter = UsageFilter::new(key.org_id, now, now);
    filter.provider_key_id = Some(key.id);
    let mut u = key_usage::key_usage(&state.db, &filter, now).await?;
    let budget = domain::limits::store::get(
        &state.db,
        key.org_id,
        domain::limits::Scope::ProviderKey,
        key.id,
    )
    .await?;
    if let Some(budget) = &budget {
        key_usage::apply_limit(&mut u.usage, budget, now);
    }
    Ok(Json(KeyUsageBody {
        usage: PeriodBody {
            current: u.usage.current,
            limit: u.usage.limit,
            unit: u.usage.unit,
            reset_at: u.usage.reset_at.map(|t| t.to_rfc3339()),
            requests: u.usage.requests,
            cost_micros: u.usage.cost_micros,
        },
        history: HistoryBody {
            daily: u.daily.iter().map(metric).collect(),
            monthly: u.monthly.iter().map(metric).collect(),
        },
        costs: CostsBody {
            current: dollars(u.cost_current_micros),
            projected: dollars(u.cost_projected_micros),
            current_micros: u.cost_current_micros,
            projected_micros: u.cost_projected_micros,
        },
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `YYYY-MM` (a month) or `YYYY-MM-DD` (a day); default: the current month.
    period: Option<String>,
}

/// The organization's usage report for a month or a day as CSV (members: their own usage),
/// one line item per row with a `section` column: total, previous, trend, project, model,
/// provider, user, projection.
#[utoipa::path(get, path = "/api/usage/report.csv", tag = "usage", params(ReportQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, content_type = "text/csv", description = "The report"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_csv(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    use chrono::Datelike as _;
    use domain::insight::report::{self, Period};
    let now = Utc::now();
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(raw) => Period::parse(raw)?,
        None => Period::Month {
            year: now.year(),
            month: now.month(),
        },
    };
    let base = insight::restrict(&user, UsageFilter::new(user.org_id, now, now))?;
    let r = report::report(&state.db, &base, period, now).await?;
    let bytes = report::to_csv(&r)?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"keygate-report-{}.csv\"",
        period.label()
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

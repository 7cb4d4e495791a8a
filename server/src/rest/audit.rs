//! `/api/admin/audit…`: the tamper-evident audit log for admins — list with filters, verify
//! the hash chain, export CSV, read and set the retention.

use app::dto_audit::{AuditPageDto, AuditRetentionDto, AuditVerificationDto};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use domain::AppState;
use domain::audit::{self, AuditQuery};
use futures_util::StreamExt as _;
use http::HeaderValue;
use http::header;
use serde_json::json;

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};

/// Entries of the caller's organization (and installation-wide ones, such as failed sign-ins
/// for unknown e-mails), newest first, filtered; page with `before` = the last `nextBefore`.
#[utoipa::path(get, path = "/api/admin/audit", tag = "audit", params(AuditQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AuditPageDto), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPageDto>, ApiError> {
    let filter = query.filter(Some(admin.user().org_id))?;
    let page = audit::list(&state.db, &filter, query.before, query.limit).await?;
    Ok(Json(page.into()))
}

/// Walks the whole hash chain: `ok`, or the first entry that does not verify and why.
#[utoipa::path(get, path = "/api/admin/audit/verify", tag = "audit", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AuditVerificationDto), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    RestAdmin(_admin): RestAdmin,
) -> Result<Json<AuditVerificationDto>, ApiError> {
    Ok(Json(audit::verify(&state.db).await?.into()))
}

/// The filtered entries as CSV, oldest first (streamed; text cells that a spreadsheet would
/// evaluate start with `'`). The export itself is recorded.
#[utoipa::path(get, path = "/api/admin/audit/export.csv", tag = "audit", params(AuditQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, content_type = "text/csv", description = "CSV with a header row"), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filter(Some(admin.user().org_id))?;
    let entry = client
        .entry(admin.user(), "audit.export")
        .detail(json!({ "format": "csv" }));
    audit::record(&state.db, entry).await;
    let stream = audit::audit_csv(state.db.clone(), filter).map(|chunk| {
        chunk.map_err(|e| {
            tracing::error!(error = %e, "audit export failed part-way");
            std::io::Error::other("export failed")
        })
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"keygate-audit.csv\""),
    );
    Ok(response)
}

/// How many days entries are kept before `keygate audit prune` (or the daily prune) deletes
/// them.
#[utoipa::path(get, path = "/api/admin/audit/retention", tag = "audit", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AuditRetentionDto), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn get_retention(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<AuditRetentionDto>, ApiError> {
    let days = audit::retention_days(&state.db, admin.user().org_id).await?;
    Ok(Json(AuditRetentionDto { days }))
}

/// Sets the retention, 1–3650 days (recorded).
#[utoipa::path(put, path = "/api/admin/audit/retention", tag = "audit", request_body = AuditRetentionDto, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AuditRetentionDto), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn set_retention(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<AuditRetentionDto>,
) -> Result<Json<AuditRetentionDto>, ApiError> {
    let days = audit::set_retention_days(
        &state.db,
        admin.user().org_id,
        body.days,
        audit::Actor::user(admin.user()),
        &client.0,
    )
    .await?;
    Ok(Json(AuditRetentionDto { days }))
}

//! `/api/admin/ip-allowlist`: the networks an organization's admin console (pages, server
//! functions and the admin REST API) may be used from.

use app::dto_access::{AdminIpAllowlistDto, SetAdminIpAllowlistDto};
use axum::Json;
use axum::extract::State;
use domain::AppState;
use domain::ip_access::{self, IpAllowlist};

use super::auth::RestAdmin;
use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};

#[utoipa::path(get, path = "/api/admin/ip-allowlist", tag = "access", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AdminIpAllowlistDto), (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin, or outside the allowlist", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
) -> Result<Json<AdminIpAllowlistDto>, ApiError> {
    let list = ip_access::admin_allowlist(&state.db, admin.user().org_id).await?;
    Ok(Json(AdminIpAllowlistDto {
        allowed_ips: list.entries(),
        your_ip: client.0.ip,
    }))
}

/// Replaces the list; empty allows every address. A list without the caller's own address
/// is refused (422), so nobody locks themselves out by mistake (recorded in the audit log).
#[utoipa::path(put, path = "/api/admin/ip-allowlist", tag = "access", request_body = SetAdminIpAllowlistDto,
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = AdminIpAllowlistDto), (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin, or outside the allowlist", body = ErrorBody),
        (status = 422, description = "Not an IP address or CIDR block, more than 100, or it would lock the caller out", body = ErrorBody)))]
pub async fn set(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<SetAdminIpAllowlistDto>,
) -> Result<Json<AdminIpAllowlistDto>, ApiError> {
    let list = IpAllowlist::parse(&body.allowed_ips)
        .map_err(|e| domain::DomainError::validation("allowed_ips", e.to_string()))?;
    let from = client.0.ip.as_deref().and_then(|ip| ip.parse().ok());
    let entry = client
        .entry(admin.user(), "organization.ip_allowlist")
        .target("organization", admin.user().org_id, "")
        .detail(serde_json::json!({ "allowedIps": list.entries() }));
    let change = ip_access::set_admin_allowlist(&state.db, admin.user().org_id, &list, from);
    domain::audit::guarded(&state.db, entry, change).await?;
    Ok(Json(AdminIpAllowlistDto {
        allowed_ips: list.entries(),
        your_ip: client.0.ip,
    }))
}

//! The organization's admin IP allowlist (admins).

use leptos::prelude::*;

use crate::dto_access::AdminIpAllowlistDto;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "admin_ip_allowlist_get")]
pub async fn admin_ip_allowlist_get() -> Result<AdminIpAllowlistDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let list = domain::ip_access::admin_allowlist(&state.db, admin.user().org_id).await?;
    Ok(AdminIpAllowlistDto {
        allowed_ips: list.entries(),
        your_ip: ssr::client_ip().map(|ip| ip.to_string()),
    })
}

/// Replaces the list from free text (one entry per line, or comma-separated). A list that
/// would shut out the admin's own address is refused.
#[server(prefix = "/rpc", endpoint = "admin_ip_allowlist_set")]
pub async fn admin_ip_allowlist_set(allowed_ips: String) -> Result<AdminIpAllowlistDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let list = domain::ip_access::IpAllowlist::parse_text(&allowed_ips)
        .map_err(|e| domain::DomainError::validation("allowed_ips", e.to_string()))?;
    let org_id = admin.user().org_id;
    let entry = ssr::audit_entry(admin.user(), "organization.ip_allowlist")
        .target("organization", org_id, "")
        .detail(serde_json::json!({ "allowedIps": list.entries() }));
    let from = ssr::client_ip();
    let change = domain::ip_access::set_admin_allowlist(&state.db, org_id, &list, from);
    domain::audit::guarded(&state.db, entry, change).await?;
    tracing::info!(
        actor = admin.user().id,
        entries = list.entries().len(),
        "admin IP allowlist changed"
    );
    Ok(AdminIpAllowlistDto {
        allowed_ips: list.entries(),
        your_ip: from.map(|ip| ip.to_string()),
    })
}

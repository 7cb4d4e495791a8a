//! The audit page's data, for admins: a page of entries for the filters, the chain's
//! verification, and the retention setting. The CSV export is the REST endpoint
//! `/api/admin/audit/export.csv`, which the page links to.

use leptos::prelude::*;

use crate::dto_audit::{AuditFilters, AuditPageDto, AuditRetentionDto, AuditVerificationDto};
use crate::error::AppError;

/// Entries per page on the audit page.
pub const PAGE_SIZE: u64 = 50;

/// A page of entries, newest first, older than `before` when given.
#[server(prefix = "/rpc", endpoint = "audit_list")]
pub async fn audit_list(
    filters: AuditFilters,
    #[server(default)] before: Option<i64>,
) -> Result<AuditPageDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let query = domain::audit::AuditQuery {
        actor: Some(filters.actor),
        action: Some(filters.action),
        target_kind: Some(filters.target_kind),
        target_id: Some(filters.target_id),
        outcome: Some(filters.outcome),
        from: Some(filters.from),
        to: Some(filters.to),
        before,
        limit: Some(PAGE_SIZE),
    };
    let filter = query.filter(Some(admin.user().org_id))?;
    let page = domain::audit::list(&state.db, &filter, before, Some(PAGE_SIZE)).await?;
    Ok(page.into())
}

/// Walks the hash chain.
#[server(prefix = "/rpc", endpoint = "audit_verify")]
pub async fn audit_verify() -> Result<AuditVerificationDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    ssr::require_admin().await?;
    Ok(domain::audit::verify(&state.db).await?.into())
}

#[server(prefix = "/rpc", endpoint = "audit_retention")]
pub async fn audit_retention() -> Result<AuditRetentionDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let days = domain::audit::retention_days(&state.db, admin.user().org_id).await?;
    Ok(AuditRetentionDto { days })
}

/// Sets how many days entries are kept (1–3650); the form sends the number as text.
#[server(prefix = "/rpc", endpoint = "audit_set_retention")]
pub async fn audit_set_retention(days: String) -> Result<AuditRetentionDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let Ok(days) = days.trim().parse::<i32>() else {
        let err = AppError::validation("days", "Enter a whole number of days (1 to 3650).");
        ssr::answer_with(&err);
        return Err(err);
    };
    let days = domain::audit::set_retention_days(
        &state.db,
        admin.user().org_id,
        days,
        domain::audit::Actor::user(admin.user()),
        &ssr::client_info(),
    )
    .await?;
    Ok(AuditRetentionDto { days })
}

/// Records that the caller was shown the "not allowed" page for `path` (an admin page opened
/// by a member). Any signed-in user may call it; it only ever records their own refusal.
#[server(prefix = "/rpc", endpoint = "audit_page_denied")]
pub async fn audit_page_denied(path: String) -> Result<(), AppError> {
    use crate::ssr;
    let (user, _) = ssr::require_user().await?;
    if user.role.is_admin() {
        return Ok(());
    }
    let path: String = path.chars().take(200).collect();
    let entry = ssr::audit_entry(&user, "access.denied")
        .outcome(domain::audit::Outcome::Denied)
        .detail(serde_json::json!({ "page": path }));
    ssr::audit(entry).await;
    Ok(())
}

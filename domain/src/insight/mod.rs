//! Usage insight for people: who may see which usage, names for the ids the rollups group
//! by, a provider key's period usage and cost projection, and CSV export.

pub mod dashboard;
pub mod export;
pub mod key_usage;
pub mod labels;
pub mod report;

use crate::auth::{Admin, SessionUser};
use crate::error::DomainError;
use crate::ledger::query::UsageFilter;

/// Narrows `filter` to what `viewer` may see: admins see their whole organization, members
/// only their own usage (asking for another user's is refused).
pub fn restrict(viewer: &SessionUser, mut filter: UsageFilter) -> Result<UsageFilter, DomainError> {
    filter.org_id = viewer.org_id;
    if Admin::new(viewer.clone()).is_ok() {
        return Ok(filter);
    }
    match filter.user_id {
        Some(other) if other != viewer.id => Err(DomainError::Forbidden(
            "Members see only their own usage.".into(),
        )),
        _ => {
            filter.user_id = Some(viewer.id);
            Ok(filter)
        }
    }
}

/// Whether `viewer` sees the whole organization's usage.
pub fn sees_organization(viewer: &SessionUser) -> bool {
    Admin::new(viewer.clone()).is_ok()
}

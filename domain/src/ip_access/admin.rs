//! The admin console's allowlist, one per organization.

use std::net::IpAddr;

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use super::IpAllowlist;
use crate::entities::organization;
use crate::error::{DomainError, DomainResult};

/// The outcome of checking an admin request's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminAccess {
    Allowed,
    /// Refused; the message is safe to show (it names the address, never the list).
    Refused(String),
}

impl AdminAccess {
    /// Judges `client` against an organization's list.
    pub fn judge(list: &IpAllowlist, client: Option<IpAddr>) -> Self {
        if list.allows(client) {
            return Self::Allowed;
        }
        let from = client.map_or_else(|| "an unknown address".to_owned(), |ip| ip.to_string());
        Self::Refused(format!(
            "The admin console of this organization cannot be used from {from}: it is not on the organization's IP allowlist."
        ))
    }
}

/// The organization's admin allowlist (empty when unset).
pub async fn admin_allowlist(db: &DatabaseConnection, org_id: i32) -> DomainResult<IpAllowlist> {
    let org = organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(IpAllowlist::from_stored(org.admin_allowed_ips.as_deref()))
}

/// Refuses (403, [`DomainError::Forbidden`]) an admin request from outside the organization's
/// allowlist. Read per request: the admin console is not a hot path, and a change applies at
/// once on every replica.
pub async fn ensure_admin_access(
    db: &DatabaseConnection,
    org_id: i32,
    client: Option<IpAddr>,
) -> DomainResult<()> {
    match AdminAccess::judge(&admin_allowlist(db, org_id).await?, client) {
        AdminAccess::Allowed => Ok(()),
        AdminAccess::Refused(message) => Err(DomainError::Forbidden(message)),
    }
}

/// Replaces the organization's admin allowlist. A list that would refuse the address the
/// change comes from is refused itself, so an admin cannot lock themselves out by a typo
/// (the CLI's `keygate org admin-ips --clear` is the way back for a changed address).
pub async fn set_admin_allowlist(
    db: &DatabaseConnection,
    org_id: i32,
    list: &IpAllowlist,
    changed_from: Option<IpAddr>,
) -> DomainResult<()> {
    if let AdminAccess::Refused(_) = AdminAccess::judge(list, changed_from) {
        let from =
            changed_from.map_or_else(|| "an unknown address".to_owned(), |ip| ip.to_string());
        return Err(DomainError::validation(
            "allowed_ips",
            format!(
                "This list would lock you out: your address {from} is not in it. Add it (or its network) first."
            ),
        ));
    }
    store_admin_allowlist(db, org_id, list).await
}

/// Replaces the list without the lock-out check: the operator's recovery path (CLI only, run
/// on the server, where there is no caller address to protect).
pub async fn store_admin_allowlist(
    db: &DatabaseConnection,
    org_id: i32,
    list: &IpAllowlist,
) -> DomainResult<()> {
    let org = organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let mut active: organization::ActiveModel = org.into();
    active.admin_allowed_ips = Set(list.to_stored());
    active.update(db).await?;
    Ok(())
}

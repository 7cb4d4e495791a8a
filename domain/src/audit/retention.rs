//! Retention: how long entries are kept, and pruning the oldest ones.
//!
//! The chain is installation-wide, so pruning deletes only a prefix of it: the oldest
//! entries that are older than the organization's retention and belong to that organization
//! (or to none). It stops at the first entry that must be kept, even if later ones are old —
//! with one organization (the usual deployment) that is simply "everything older than the
//! cutoff". The prune is recorded as an `audit.prune` entry whose detail holds the anchor
//! (`anchor_id`, `anchor_prev_hash`): verification trusts the oldest kept entry's `prev_hash`
//! only if it matches that anchor.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession as _, TransactionTrait,
};
use serde_json::json;

use super::append::{append_locked, lock_head};
use super::chain::time_text;
use super::entry::{Actor, ClientInfo, Entry};
use crate::entities::{audit_log, organization};
use crate::error::DomainError;

pub const MIN_RETENTION_DAYS: i32 = 1;
pub const MAX_RETENTION_DAYS: i32 = 3650;
/// The action recorded for a prune; verification looks it up.
pub const PRUNE_ACTION: &str = "audit.prune";

/// What a prune did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneReport {
    pub deleted: u64,
    pub cutoff: DateTime<Utc>,
}

async fn organization(
    db: &impl ConnectionTrait,
    org_id: i32,
) -> Result<organization::Model, DomainError> {
    organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The organization's audit retention in days.
pub async fn retention_days(db: &impl ConnectionTrait, org_id: i32) -> Result<i32, DomainError> {
    Ok(organization(db, org_id).await?.audit_retention_days)
}

/// Sets the retention (1..=3650 days) and records the change.
pub async fn set_retention_days<C>(
    db: &C,
    org_id: i32,
    days: i32,
    actor: Actor,
    client: &ClientInfo,
) -> Result<i32, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if !(MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) {
        return Err(DomainError::validation(
            "days",
            format!(
                "Retention must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days."
            ),
        ));
    }
    let org = organization(db, org_id).await?;
    let previous = org.audit_retention_days;
    let mut active: organization::ActiveModel = org.into();
    active.audit_retention_days = Set(days);
    active.update(db).await?;
    super::record(
        db,
        Entry::new(Some(org_id), actor, "audit.retention")
            .target("organization", org_id, "")
            .client(client)
            .detail(json!({ "from_days": previous, "to_days": days })),
    )
    .await;
    Ok(days)
}

/// Deletes the organization's entries older than its retention (a prefix of the chain) and,
/// when any were deleted, records the prune as the system.
pub async fn prune<C>(db: &C, org_id: i32, now: DateTime<Utc>) -> Result<PruneReport, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    prune_by(db, org_id, now, Actor::system(), &ClientInfo::default()).await
}

/// [`prune`], recorded as done by `actor`.
pub async fn prune_by<C>(
    db: &C,
    org_id: i32,
    now: DateTime<Utc>,
    actor: Actor,
    client: &ClientInfo,
) -> Result<PruneReport, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let days = retention_days(db, org_id).await?;
    let cutoff = now - Duration::days(i64::from(days));
    let txn = db.begin().await?;
    let head = lock_head(&txn).await?;
    // The first entry that must be kept: recent enough, or another organization's.
    let keep = audit_log::Entity::find()
        .filter(
            Condition::any()
                .add(audit_log::Column::CreatedAt.gte(cutoff))
                .add(
                    Condition::all()
                        .add(audit_log::Column::OrgId.is_not_null())
                        .add(audit_log::Column::OrgId.ne(org_id)),
                ),
        )
        .order_by_asc(audit_log::Column::Id)
        .one(&txn)
        .await?;
    let (anchor_id, anchor_prev_hash) = match &keep {
        Some(row) => (row.id, row.prev_hash.clone()),
        // Nothing is kept: the prune entry itself becomes the oldest.
        None => (head.last_id + 1, head.last_hash.clone()),
    };
    let deleted = audit_log::Entity::delete_many()
        .filter(audit_log::Column::Id.lt(anchor_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        txn.rollback().await?;
        return Ok(PruneReport { deleted, cutoff });
    }
    let entry = Entry::new(Some(org_id), actor, PRUNE_ACTION)
        .target("audit", org_id, "audit log")
        .client(client)
        .detail(json!({
            "deleted": deleted,
            "retention_days": days,
            "cutoff": time_text(&cutoff),
            "anchor_id": anchor_id,
            "anchor_prev_hash": anchor_prev_hash,
        }));
    append_locked(&txn, &head, entry, Utc::now()).await?;
    txn.commit().await?;
    Ok(PruneReport { deleted, cutoff })
}

//! Appending to the chain: one transaction that locks the head, links the new entry to it
//! and moves it forward.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement, TransactionSession as _,
    TransactionTrait,
};

use super::chain::{entry_hash, storable_time};
use super::entry::Entry;
use crate::entities::{audit_head, audit_log};
use crate::error::DomainError;

/// Appends `entry` and returns its id. Sensitive actions call this *before* acting and refuse
/// to act when it fails.
pub async fn append<C>(db: &C, entry: Entry) -> Result<i64, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let head = lock_head(&txn).await?;
    let row = append_locked(&txn, &head, entry, Utc::now()).await?;
    txn.commit().await?;
    Ok(row.id)
}

/// Appends `entry`; a failure is logged (without the entry's content) and otherwise ignored.
/// For actions that are not sensitive enough to be refused when the log is unavailable.
pub async fn record<C>(db: &C, entry: Entry)
where
    C: ConnectionTrait + TransactionTrait,
{
    let action = entry.action.clone();
    if let Err(e) = append(db, entry).await {
        tracing::error!(action = %action, error = %e, "could not write the audit log");
    }
}

/// Takes the head row's lock (row lock on PostgreSQL, the write lock on SQLite) so concurrent
/// appenders chain one after another, then reads it.
pub(super) async fn lock_head(
    txn: &impl ConnectionTrait,
) -> Result<audit_head::Model, DomainError> {
    let backend = txn.get_database_backend();
    let locked = txn
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE audit_head SET last_id = last_id WHERE id = 1",
        ))
        .await?;
    if locked.rows_affected() != 1 {
        return Err(DomainError::Internal(
            "the audit chain head is missing".into(),
        ));
    }
    audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::Internal("the audit chain head is missing".into()))
}

/// Inserts `entry` right after `head` (whose lock the caller holds) and moves the head.
pub(super) async fn append_locked(
    txn: &impl ConnectionTrait,
    head: &audit_head::Model,
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<audit_log::Model, DomainError> {
    let entry = entry.clamped();
    let detail = entry
        .detail
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| DomainError::internal("audit detail", e))?;
    let (target_kind, target_id, target_label) = match entry.target {
        Some(t) => (Some(t.kind), Some(t.id), Some(t.label)),
        None => (None, None, None),
    };
    let mut row = audit_log::Model {
        // Ids are assigned under the head lock, so they are gap-free and hashed.
        id: head.last_id + 1,
        org_id: entry.org_id,
        created_at: storable_time(now),
        actor_user_id: entry.actor.user_id,
        actor: entry.actor.label,
        action: entry.action,
        target_kind,
        target_id,
        target_label,
        outcome: entry.outcome.as_str().to_owned(),
        ip: entry.client.ip,
        user_agent: entry.client.user_agent,
        detail,
        prev_hash: head.last_hash.clone(),
        hash: String::new(),
    };
    row.hash = entry_hash(&row);
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: Set(row.id),
        org_id: Set(row.org_id),
        created_at: Set(row.created_at),
        actor_user_id: Set(row.actor_user_id),
        actor: Set(row.actor.clone()),
        action: Set(row.action.clone()),
        target_kind: Set(row.target_kind.clone()),
        target_id: Set(row.target_id.clone()),
        target_label: Set(row.target_label.clone()),
        outcome: Set(row.outcome.clone()),
        ip: Set(row.ip.clone()),
        user_agent: Set(row.user_agent.clone()),
        detail: Set(row.detail.clone()),
        prev_hash: Set(row.prev_hash.clone()),
        hash: Set(row.hash.clone()),
    })
    .exec_without_returning(txn)
    .await?;
    let mut moved: audit_head::ActiveModel = head.clone().into();
    moved.last_id = Set(row.id);
    moved.last_hash = Set(row.hash.clone());
    moved.update(txn).await?;
    Ok(row)
}

//! The rotation history of a key (`key_rotations`): when, by whom or by schedule, how it
//! ended, and until when the replaced key stays usable. Details never hold a secret.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{KeyKind, Outcome, Trigger};
use crate::entities::key_rotation;
use crate::error::DomainError;

/// Entries shown per key at most (newest first).
pub const MAX_ENTRIES: u64 = 200;
/// Longest detail kept (the column holds 500).
const MAX_DETAIL: usize = 500;

/// One history entry to write.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    pub org_id: i32,
    pub kind: KeyKind,
    pub key_id: i32,
    pub trigger: Trigger,
    pub actor_user_id: Option<i32>,
    pub outcome: Outcome,
    pub detail: &'a str,
    pub grace_until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

pub async fn record(
    db: &impl ConnectionTrait,
    entry: Record<'_>,
) -> Result<key_rotation::Model, DomainError> {
    let detail: String = entry.detail.chars().take(MAX_DETAIL).collect();
    Ok(key_rotation::ActiveModel {
        org_id: Set(entry.org_id),
        key_kind: Set(entry.kind.as_str().to_owned()),
        key_id: Set(entry.key_id),
        trigger: Set(entry.trigger.as_str().to_owned()),
        actor_user_id: Set(entry.actor_user_id),
        outcome: Set(entry.outcome.as_str().to_owned()),
        detail: Set(detail),
        grace_until: Set(entry.grace_until),
        created_at: Set(entry.at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A key's history, newest first. Callers check that the key is visible to the reader.
pub async fn list(
    db: &impl ConnectionTrait,
    org_id: i32,
    kind: KeyKind,
    key_id: i32,
) -> Result<Vec<key_rotation::Model>, DomainError> {
    Ok(key_rotation::Entity::find()
        .filter(key_rotation::Column::OrgId.eq(org_id))
        .filter(key_rotation::Column::KeyKind.eq(kind.as_str()))
        .filter(key_rotation::Column::KeyId.eq(key_id))
        .order_by_desc(key_rotation::Column::CreatedAt)
        .order_by_desc(key_rotation::Column::Id)
        .limit(MAX_ENTRIES)
        .all(db)
        .await?)
}

/// True when a `due` entry for this key was written at or after `due_at` (so one due time
/// gives one entry, however often the scheduler runs).
pub async fn due_noted_since(
    db: &impl ConnectionTrait,
    kind: KeyKind,
    key_id: i32,
    due_at: DateTime<Utc>,
) -> Result<bool, DomainError> {
    Ok(key_rotation::Entity::find()
        .filter(key_rotation::Column::KeyKind.eq(kind.as_str()))
        .filter(key_rotation::Column::KeyId.eq(key_id))
        .filter(key_rotation::Column::Outcome.eq(Outcome::Due.as_str()))
        .filter(key_rotation::Column::CreatedAt.gte(due_at))
        .one(db)
        .await?
        .is_some())
}

/// The e-mail of each person who appears in `rows` (for showing who rotated a key).
pub async fn actor_emails(
    db: &impl ConnectionTrait,
    org_id: i32,
    rows: &[key_rotation::Model],
) -> Result<std::collections::HashMap<i32, String>, DomainError> {
    let ids: Vec<i32> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(crate::entities::user::Entity::find()
        .filter(crate::entities::user::Column::OrgId.eq(org_id))
        .filter(crate::entities::user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

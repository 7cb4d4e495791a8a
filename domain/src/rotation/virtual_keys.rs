//! Rotating Keygate keys: a new key at once, the old one accepted until its grace period ends.
//!
//! Admins rotate any key of their organization; a key's own user rotates theirs. The switch is
//! one conditional UPDATE (same id, same current hash, not revoked), so a manual rotation and
//! a scheduled one racing on two replicas cannot both win.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use super::delivery::{self, Prepared};
use super::history::{self, Record};
use super::schedule::{self, Schedule};
use super::{KeyKind, Outcome, Trigger, grace_period};
use crate::audit::{self, Actor, ClientInfo, Entry};
use crate::auth::SessionUser;
use crate::entities::{key_rotation, virtual_key};
use crate::error::DomainError;
use crate::state::AppState;
use crate::virtual_keys::format;

/// A rotated Keygate key.
pub struct Rotated {
    pub key: virtual_key::Model,
    /// The replaced key's `sk-proxy-AbCd…wxyz`.
    pub old_hint: String,
    /// The new key: shown once, never stored.
    pub secret: SecretString,
    /// The old key answers 401 from then on.
    pub grace_until: DateTime<Utc>,
}

impl std::fmt::Debug for Rotated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotated")
            .field("key_id", &self.key.id)
            .field("grace_until", &self.grace_until)
            .finish_non_exhaustive()
    }
}

pub fn hint(key: &virtual_key::Model) -> String {
    format!("{}…{}", key.prefix, key.last_four)
}

/// Whether `user` may rotate, schedule and read the history of `key`: admins of its
/// organization and the user the key acts as.
pub fn can_manage(user: &SessionUser, key: &virtual_key::Model) -> bool {
    key.org_id == user.org_id && (user.role.is_admin() || key.user_id == Some(user.id))
}

/// Loads a key `user` may manage; anything else looks absent.
pub async fn load(
    db: &DatabaseConnection,
    user: &SessionUser,
    id: i32,
) -> Result<virtual_key::Model, DomainError> {
    virtual_key::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|key| can_manage(user, key))
        .ok_or(DomainError::NotFound)
}

/// The live and past Keygate keys that act as `user`, newest first.
pub async fn acting_as(
    db: &DatabaseConnection,
    user: &SessionUser,
) -> Result<Vec<virtual_key::Model>, DomainError> {
    Ok(virtual_key::Entity::find()
        .filter(virtual_key::Column::OrgId.eq(user.org_id))
        .filter(virtual_key::Column::UserId.eq(user.id))
        .order_by_desc(virtual_key::Column::Id)
        .all(db)
        .await?)
}

fn ensure_rotatable(key: &virtual_key::Model, now: DateTime<Utc>) -> Result<(), DomainError> {
    if key.revoked_at.is_some() {
        return Err(DomainError::Conflict(
            "This Keygate key is revoked; revoked keys cannot be rotated.".into(),
        ));
    }
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err(DomainError::Conflict(
            "This Keygate key has expired; expired keys cannot be rotated.".into(),
        ));
    }
    Ok(())
}

/// How one rotation is made.
struct Change {
    trigger: Trigger,
    actor: Option<i32>,
    grace: Duration,
    now: DateTime<Utc>,
    delivery: Option<Prepared>,
}

/// Switches `key` to `secret`, writes the history entry and (scheduled rotations) the
/// delivery, in one transaction.
async fn apply(
    db: &DatabaseConnection,
    key: &virtual_key::Model,
    secret: &SecretString,
    change: Change,
) -> Result<(virtual_key::Model, key_rotation::Model), DomainError> {
    let new = secret.expose_secret();
    let grace_until = change.now + change.grace;
    let (previous_hash, previous_until) = if change.grace > Duration::zero() {
        (Some(key.key_hash.clone()), Some(grace_until))
    } else {
        (None, None)
    };
    let next = schedule::next_due(key.rotation_schedule.as_deref(), change.now);
    let txn = db.begin().await?;
    let switched = virtual_key::Entity::update_many()
        .col_expr(
            virtual_key::Column::KeyHash,
            Expr::value(format::digest(new)),
        )
        .col_expr(
            virtual_key::Column::Prefix,
            Expr::value(format::display_prefix(new)),
        )
        .col_expr(
            virtual_key::Column::LastFour,
            Expr::value(format::last_four(new)),
        )
        .col_expr(
            virtual_key::Column::PreviousKeyHash,
            Expr::value(previous_hash),
        )
        .col_expr(
            virtual_key::Column::PreviousExpiresAt,
            Expr::value(previous_until),
        )
        .col_expr(virtual_key::Column::NextRotationAt, Expr::value(next))
        .filter(virtual_key::Column::Id.eq(key.id))
        .filter(virtual_key::Column::KeyHash.eq(key.key_hash.as_str()))
        .filter(virtual_key::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if switched.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "This Keygate key changed meanwhile (rotated or revoked); reload and try again.".into(),
        ));
    }
    let detail = format!(
        "{} → {}…{}",
        hint(key),
        format::display_prefix(new),
        format::last_four(new)
    );
    let entry = history::record(
        &txn,
        Record {
            org_id: key.org_id,
            kind: KeyKind::Virtual,
            key_id: key.id,
            trigger: change.trigger,
            actor_user_id: change.actor,
            outcome: Outcome::Success,
            detail: &detail,
            grace_until: Some(grace_until),
            at: change.now,
        },
    )
    .await?;
    delivery::forget_key(&txn, key.id).await?;
    if let Some(prepared) = change.delivery {
        delivery::store(&txn, prepared, change.now).await?;
    }
    txn.commit().await?;
    let updated = virtual_key::Entity::find_by_id(key.id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok((updated, entry))
}

/// Rotates a key by hand (`grace_hours`: 0..=720, default 24). The audit entry is written
/// first; without it nothing changes.
pub async fn rotate(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    grace_hours: Option<i64>,
    client: &ClientInfo,
) -> Result<Rotated, DomainError> {
    let grace = grace_period(grace_hours)?;
    let now = Utc::now();
    let key = load(&state.db, user, id).await?;
    ensure_rotatable(&key, now)?;
    audit::append(
        &state.db,
        Entry::new(Some(key.org_id), Actor::user(user), "virtual_key.rotate")
            .target("virtual_key", key.id, key.name.clone())
            .client(client)
            .detail(json!({"trigger": "manual", "graceHours": grace.num_hours()})),
    )
    .await?;
    let secret = format::generate();
    let change = Change {
        trigger: Trigger::Manual,
        actor: Some(user.id),
        grace,
        now,
        delivery: None,
    };
    let (updated, _) = apply(&state.db, &key, &secret, change).await?;
    state.gateway.forget_cached();
    Ok(Rotated {
        old_hint: hint(&key),
        key: updated,
        secret,
        grace_until: now + grace,
    })
}

/// Rotates a key whose schedule fell due at `now` (default grace period); the new key goes to
/// its owner as a delivery. The audit entry is written first.
pub async fn rotate_scheduled(
    state: &AppState,
    key: &virtual_key::Model,
    now: DateTime<Utc>,
) -> Result<Rotated, DomainError> {
    ensure_rotatable(key, now)?;
    let grace = grace_period(None)?;
    audit::append(
        &state.db,
        Entry::new(Some(key.org_id), Actor::system(), "virtual_key.rotate")
            .target("virtual_key", key.id, key.name.clone())
            .detail(json!({"trigger": "schedule", "graceHours": grace.num_hours()})),
    )
    .await?;
    let secret = format::generate();
    let prepared = delivery::prepare(state, key, &secret).await?;
    let change = Change {
        trigger: Trigger::Schedule,
        actor: None,
        grace,
        now,
        delivery: Some(prepared),
    };
    let (updated, _) = apply(&state.db, key, &secret, change).await?;
    Ok(Rotated {
        old_hint: hint(key),
        key: updated,
        secret,
        grace_until: now + grace,
    })
}

/// Sets (or with `None`/blank, removes) a key's rotation schedule; the next due time counts
/// from now.
pub async fn set_schedule(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    raw: Option<&str>,
    client: &ClientInfo,
) -> Result<virtual_key::Model, DomainError> {
    let key = load(&state.db, user, id).await?;
    let parsed = schedule::parse_optional(raw)?;
    let now = Utc::now();
    let text = parsed.as_ref().map(Schedule::text);
    let next = parsed.as_ref().and_then(|s| s.next_after(now));
    virtual_key::Entity::update_many()
        .col_expr(
            virtual_key::Column::RotationSchedule,
            Expr::value(text.clone()),
        )
        .col_expr(virtual_key::Column::NextRotationAt, Expr::value(next))
        .filter(virtual_key::Column::Id.eq(key.id))
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        Entry::new(
            Some(key.org_id),
            Actor::user(user),
            "virtual_key.rotation_schedule",
        )
        .target("virtual_key", key.id, key.name.clone())
        .client(client)
        .detail(json!({ "schedule": text })),
    )
    .await;
    virtual_key::Entity::find_by_id(key.id)
        .one(&state.db)
        .await?
        .ok_or(DomainError::NotFound)
}

/// Live keys whose schedule is due at `now`.
pub async fn due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<virtual_key::Model>, DomainError> {
    Ok(virtual_key::Entity::find()
        .filter(virtual_key::Column::RotationSchedule.is_not_null())
        .filter(virtual_key::Column::NextRotationAt.lte(now))
        .filter(virtual_key::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(virtual_key::Column::ExpiresAt.is_null())
                .add(virtual_key::Column::ExpiresAt.gt(now)),
        )
        .all(db)
        .await?)
}

/// Forgets predecessors whose grace period ended (the proxy already refuses them; this only
/// tidies the rows). Returns how many were cleared.
pub async fn sweep_expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let none: Option<String> = None;
    let never: Option<DateTime<Utc>> = None;
    let result = virtual_key::Entity::update_many()
        .col_expr(virtual_key::Column::PreviousKeyHash, Expr::value(none))
        .col_expr(virtual_key::Column::PreviousExpiresAt, Expr::value(never))
        .filter(virtual_key::Column::PreviousExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

//! Rotating provider keys. Keygate cannot mint them: a person brings the new secret, which is
//! verified against the provider before anything changes. The old secret stays, sealed
//! exactly like the current one (same AAD: it was sealed for this key's record and field), as
//! the proxy's fallback until its grace period ends.
//!
//! Schedules cannot rotate provider keys by themselves: when one falls due, [`mark_due`]
//! writes one `due` history entry, and the key shows as overdue ([`overdue`]) until rotated.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use super::history::{self, Record};
use super::schedule::{self, Schedule};
use super::{KeyKind, Outcome, Trigger, grace_period};
use crate::audit::{self, Actor, ClientInfo, Entry};
use crate::auth::SessionUser;
use crate::entities::provider_key;
use crate::error::DomainError;
use crate::provider_keys::secret::ProviderSecret;
use crate::provider_keys::verify::{self, VerifyStatus};
use crate::provider_keys::{can_edit, get, open_secret, record_event, seal, secret_context};
use crate::providers::ProviderKind;
use crate::state::AppState;
use crate::vault::envelope::SealedSecret;

/// The new secret a person brings. `Debug` never shows it.
pub struct NewSecret {
    pub key: SecretString,
    /// AWS only.
    pub secret_access_key: Option<SecretString>,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSecret(<redacted>)")
    }
}

/// A rotated provider key.
#[derive(Debug)]
pub struct Rotated {
    pub key: provider_key::Model,
    /// The replaced secret's masked form.
    pub old_hint: String,
    /// The old secret is no longer used from then on.
    pub grace_until: DateTime<Utc>,
}

fn same_secret(a: &ProviderSecret, b: &ProviderSecret) -> bool {
    a.key.expose_secret() == b.key.expose_secret()
        && a.secret_access_key.as_ref().map(|s| s.expose_secret())
            == b.secret_access_key.as_ref().map(|s| s.expose_secret())
}

/// Verifies `new` against the provider and, when it is accepted, makes it the key's secret
/// (`grace_hours`: 0..=720, default 24, for the old one). A refused or unverifiable secret
/// changes nothing: it is recorded in the history and answered with a validation error.
pub async fn rotate(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    new: NewSecret,
    grace_hours: Option<i64>,
    client: &ClientInfo,
) -> Result<Rotated, DomainError> {
    let grace = grace_period(grace_hours)?;
    let db = &state.db;
    let key = get(db, user, id).await?;
    if !can_edit(user, &key) {
        return Err(DomainError::Forbidden(
            "Only the owner of a personal key can rotate it.".into(),
        ));
    }
    let provider = ProviderKind::parse(&key.provider)?;
    let secret = ProviderSecret::parse(
        provider,
        new.key.expose_secret(),
        new.secret_access_key.as_ref().map(|s| s.expose_secret()),
    )?;
    if open_secret(state, &key)
        .await
        .is_ok_and(|current| same_secret(&current, &secret))
    {
        return Err(DomainError::validation(
            "key",
            "This is the key's current secret; enter the new one.",
        ));
    }
    let checked = verify::check_secret(state, &key, &secret).await?;
    if checked.status != VerifyStatus::Valid {
        let message = format!("{} The key was not rotated.", checked.details.message);
        refused(db, user, &key, &message, client).await?;
        return Err(DomainError::validation("key", message));
    }
    audit::append(
        db,
        Entry::new(Some(key.org_id), Actor::user(user), "provider_key.rotate")
            .target("provider_key", key.id, key.name.clone())
            .client(client)
            .detail(json!({"trigger": "manual", "graceHours": grace.num_hours()})),
    )
    .await?;
    let sealed = seal(state, key.org_id, &key.uid, &secret).await?;
    let now = Utc::now();
    let grace_until = now + grace;
    let keep_old = grace > chrono::Duration::zero();
    let new_hint = secret.mask(provider);
    let verify_detail = serde_json::to_string(&checked.details)
        .map_err(|e| DomainError::internal("encoding verification", e))?;
    let txn = db.begin().await?;
    let switched = provider_key::Entity::update_many()
        .col_expr(
            provider_key::Column::PreviousKeyVersion,
            Expr::value(key.key_version.filter(|_| keep_old)),
        )
        .col_expr(
            provider_key::Column::PreviousWrappedKey,
            Expr::value(key.wrapped_key.clone().filter(|_| keep_old)),
        )
        .col_expr(
            provider_key::Column::PreviousCiphertext,
            Expr::value(key.ciphertext.clone().filter(|_| keep_old)),
        )
        .col_expr(
            provider_key::Column::PreviousExpiresAt,
            Expr::value(Some(grace_until).filter(|_| keep_old)),
        )
        .col_expr(
            provider_key::Column::KeyVersion,
            Expr::value(Some(sealed.key_version)),
        )
        .col_expr(
            provider_key::Column::WrappedKey,
            Expr::value(Some(sealed.wrapped_key)),
        )
        .col_expr(
            provider_key::Column::Ciphertext,
            Expr::value(Some(sealed.ciphertext)),
        )
        .col_expr(
            provider_key::Column::SecretHint,
            Expr::value(new_hint.clone()),
        )
        .col_expr(provider_key::Column::VerifyStatus, Expr::value("valid"))
        .col_expr(
            provider_key::Column::VerifiedAt,
            Expr::value(Some(checked.checked_at)),
        )
        .col_expr(
            provider_key::Column::VerifyDetail,
            Expr::value(Some(verify_detail)),
        )
        .col_expr(
            provider_key::Column::NextRotationAt,
            Expr::value(schedule::next_due(key.rotation_schedule.as_deref(), now)),
        )
        .col_expr(provider_key::Column::UpdatedAt, Expr::value(now))
        .filter(provider_key::Column::Id.eq(key.id))
        .filter(provider_key::Column::DeletedAt.is_null())
        .filter(provider_key::Column::Ciphertext.eq(key.ciphertext.clone()))
        .exec(&txn)
        .await?;
    if switched.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "This key changed meanwhile; reload and try again.".into(),
        ));
    }
    let updated = provider_key::Entity::find_by_id(key.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let detail = if keep_old {
        format!(
            "{} → {new_hint}; the old secret is used as a fallback until {}",
            key.secret_hint,
            grace_until.to_rfc3339()
        )
    } else {
        format!("{} → {new_hint}", key.secret_hint)
    };
    record_event(&txn, &updated, Some(user.id), "rotated", &detail).await?;
    history::record(
        &txn,
        Record {
            org_id: key.org_id,
            kind: KeyKind::Provider,
            key_id: key.id,
            trigger: Trigger::Manual,
            actor_user_id: Some(user.id),
            outcome: Outcome::Success,
            detail: &detail,
            grace_until: Some(grace_until),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    state.gateway.forget_cached();
    Ok(Rotated {
        key: updated,
        old_hint: key.secret_hint,
        grace_until,
    })
}

/// Records a refused rotation (history and audit) without changing the key.
async fn refused(
    db: &DatabaseConnection,
    user: &SessionUser,
    key: &provider_key::Model,
    message: &str,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    audit::record(
        db,
        Entry::new(Some(key.org_id), Actor::user(user), "provider_key.rotate")
            .target("provider_key", key.id, key.name.clone())
            .client(client)
            .outcome(audit::Outcome::Failure)
            .detail(json!({ "reason": message })),
    )
    .await;
    history::record(
        db,
        Record {
            org_id: key.org_id,
            kind: KeyKind::Provider,
            key_id: key.id,
            trigger: Trigger::Manual,
            actor_user_id: Some(user.id),
            outcome: Outcome::Failed,
            detail: message,
            grace_until: None,
            at: Utc::now(),
        },
    )
    .await?;
    Ok(())
}

/// Sets (or with `None`/blank, removes) a key's rotation schedule; the next due time counts
/// from now.
pub async fn set_schedule(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    raw: Option<&str>,
    client: &ClientInfo,
) -> Result<provider_key::Model, DomainError> {
    let db = &state.db;
    let key = get(db, user, id).await?;
    if !can_edit(user, &key) {
        return Err(DomainError::Forbidden(
            "Only the owner of a personal key can change it.".into(),
        ));
    }
    let parsed = schedule::parse_optional(raw)?;
    let now = Utc::now();
    let text = parsed.as_ref().map(Schedule::text);
    let next = parsed.as_ref().and_then(|s| s.next_after(now));
    provider_key::Entity::update_many()
        .col_expr(
            provider_key::Column::RotationSchedule,
            Expr::value(text.clone()),
        )
        .col_expr(provider_key::Column::NextRotationAt, Expr::value(next))
        .col_expr(provider_key::Column::UpdatedAt, Expr::value(now))
        .filter(provider_key::Column::Id.eq(key.id))
        .exec(db)
        .await?;
    let updated = get(db, user, id).await?;
    let detail = match &text {
        Some(text) => format!("rotation schedule: {text}"),
        None => "rotation schedule removed".to_owned(),
    };
    record_event(db, &updated, Some(user.id), "updated", &detail).await?;
    audit::record(
        db,
        Entry::new(
            Some(key.org_id),
            Actor::user(user),
            "provider_key.rotation_schedule",
        )
        .target("provider_key", key.id, key.name.clone())
        .client(client)
        .detail(json!({ "schedule": text })),
    )
    .await;
    Ok(updated)
}

/// Live keys whose schedule is due at `now`.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<provider_key::Model>, DomainError> {
    Ok(provider_key::Entity::find()
        .filter(provider_key::Column::RotationSchedule.is_not_null())
        .filter(provider_key::Column::NextRotationAt.lte(now))
        .filter(provider_key::Column::DeletedAt.is_null())
        .order_by_asc(provider_key::Column::Id)
        .all(db)
        .await?)
}

/// Writes the `due` entry of a key whose schedule fell due, once per due time: the key's row
/// is locked while checking, so replicas running the scheduler together write one entry.
/// True when this call wrote it.
pub async fn mark_due(
    db: &DatabaseConnection,
    key: &provider_key::Model,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let Some(due_at) = key.next_rotation_at else {
        return Ok(false);
    };
    let txn = db.begin().await?;
    provider_key::Entity::update_many()
        .col_expr(
            provider_key::Column::NextRotationAt,
            Expr::col(provider_key::Column::NextRotationAt),
        )
        .filter(provider_key::Column::Id.eq(key.id))
        .exec(&txn)
        .await?;
    if history::due_noted_since(&txn, KeyKind::Provider, key.id, due_at).await? {
        return Ok(false);
    }
    let detail = format!(
        "Rotation due since {}: rotate the key with a new secret from the provider.",
        due_at.to_rfc3339()
    );
    history::record(
        &txn,
        Record {
            org_id: key.org_id,
            kind: KeyKind::Provider,
            key_id: key.id,
            trigger: Trigger::Schedule,
            actor_user_id: None,
            outcome: Outcome::Due,
            detail: &detail,
            grace_until: None,
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    audit::record(
        db,
        Entry::new(
            Some(key.org_id),
            Actor::system(),
            "provider_key.rotation_due",
        )
        .target("provider_key", key.id, key.name.clone())
        .detail(json!({ "dueAt": due_at.to_rfc3339() })),
    )
    .await;
    Ok(true)
}

/// A provider key whose rotation is overdue (for the key pages and, later, alerts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overdue {
    pub org_id: i32,
    pub key_id: i32,
    pub name: String,
    pub provider: String,
    pub owner_user_id: Option<i32>,
    pub due_since: DateTime<Utc>,
}

/// Live provider keys whose schedule fell due before `now` and that nobody rotated since;
/// one organization's, or every organization's with `None`.
pub async fn overdue(
    db: &impl ConnectionTrait,
    org_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Vec<Overdue>, DomainError> {
    let mut keys = due(db, now).await?;
    if let Some(org_id) = org_id {
        keys.retain(|k| k.org_id == org_id);
    }
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            Some(Overdue {
                due_since: k.next_rotation_at?,
                org_id: k.org_id,
                key_id: k.id,
                name: k.name,
                provider: k.provider,
                owner_user_id: k.owner_user_id,
            })
        })
        .collect())
}

/// The previous secret of a key still in its grace period at `now`, opened; `None` otherwise
/// or when it cannot be opened (logged).
pub async fn open_previous(
    state: &AppState,
    key: &provider_key::Model,
    now: DateTime<Utc>,
) -> Option<(ProviderSecret, DateTime<Utc>)> {
    let until = key.previous_expires_at.filter(|until| *until > now)?;
    let sealed = SealedSecret {
        key_version: key.previous_key_version?,
        wrapped_key: key.previous_wrapped_key.clone()?,
        ciphertext: key.previous_ciphertext.clone()?,
    };
    let record = format!("provider_keys:{}", key.uid);
    let opened = state
        .keyring
        .open(&state.db, &secret_context(key.org_id, &record), &sealed)
        .await
        .map(|plain| ProviderSecret::from_plaintext(plain.expose_secret()));
    match opened {
        Ok(Ok(secret)) => Some((secret, until)),
        Ok(Err(e)) => {
            tracing::warn!(key_id = key.id, error = %e, "cannot read a previous provider secret");
            None
        }
        Err(e) => {
            tracing::warn!(key_id = key.id, error = %e, "cannot open a previous provider secret");
            None
        }
    }
}

/// Destroys previous secrets whose grace period ended. Returns how many were destroyed.
pub async fn sweep_expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let none_i32: Option<i32> = None;
    let none_bytes: Option<Vec<u8>> = None;
    let never: Option<DateTime<Utc>> = None;
    let result = provider_key::Entity::update_many()
        .col_expr(
            provider_key::Column::PreviousKeyVersion,
            Expr::value(none_i32),
        )
        .col_expr(
            provider_key::Column::PreviousWrappedKey,
            Expr::value(none_bytes.clone()),
        )
        .col_expr(
            provider_key::Column::PreviousCiphertext,
            Expr::value(none_bytes),
        )
        .col_expr(provider_key::Column::PreviousExpiresAt, Expr::value(never))
        .filter(provider_key::Column::PreviousExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

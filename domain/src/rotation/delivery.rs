//! Handing a Keygate key rotated by its schedule to its owner, once.
//!
//! The new key is sealed with the vault (a data key wrapped by the keyring, AAD naming the
//! delivery) and stored until the owner — the key's user, else its creator — reveals it in
//! the app. Revealing deletes the row, so a second reveal finds nothing. A later rotation of
//! the same key, or its revocation, drops a delivery nobody revealed.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use secrecy::{ExposeSecret as _, SecretString};

use super::KeyKind;
use crate::audit::{self, Actor, ClientInfo, Entry};
use crate::auth::SessionUser;
use crate::entities::{key_delivery, virtual_key};
use crate::error::DomainError;
use crate::state::AppState;
use crate::vault::envelope::{SealedSecret, SecretContext};

/// The vault purpose of delivered keys (part of every ciphertext's AAD).
pub const PURPOSE: &str = "key_delivery";

/// The AAD context of a delivery; `record` is `key_deliveries:<uid>`.
pub fn secret_context(org_id: i32, record: &str) -> SecretContext<'_> {
    SecretContext {
        purpose: PURPOSE,
        org_id,
        record,
        field: "secret",
    }
}

pub fn record_name(uid: &str) -> String {
    format!("key_deliveries:{uid}")
}

/// A sealed delivery, ready to be stored with the rotation that produced it.
pub struct Prepared {
    uid: String,
    org_id: i32,
    user_id: i32,
    key_id: i32,
    sealed: SealedSecret,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("key_id", &self.key_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Who receives a key's rotated successor: its user, else its creator.
pub fn recipient(key: &virtual_key::Model) -> i32 {
    key.user_id.unwrap_or(key.created_by)
}

/// Seals `secret` (the new key of `key`) for its recipient.
pub async fn prepare(
    state: &AppState,
    key: &virtual_key::Model,
    secret: &SecretString,
) -> Result<Prepared, DomainError> {
    let uid = uuid::Uuid::new_v4().to_string();
    let record = record_name(&uid);
    let sealed = state
        .keyring
        .seal(
            &state.db,
            &secret_context(key.org_id, &record),
            secret.expose_secret().as_bytes(),
        )
        .await
        .map_err(|e| DomainError::internal("sealing a key delivery", e))?;
    Ok(Prepared {
        uid,
        org_id: key.org_id,
        user_id: recipient(key),
        key_id: key.id,
        sealed,
    })
}

/// Drops every pending delivery of a key (it was rotated again or revoked).
pub async fn forget_key(db: &impl ConnectionTrait, key_id: i32) -> Result<(), DomainError> {
    key_delivery::Entity::delete_many()
        .filter(key_delivery::Column::KeyKind.eq(KeyKind::Virtual.as_str()))
        .filter(key_delivery::Column::KeyId.eq(key_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores a prepared delivery (the caller dropped older ones of the same key).
pub async fn store(
    db: &impl ConnectionTrait,
    prepared: Prepared,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    key_delivery::ActiveModel {
        uid: Set(prepared.uid),
        org_id: Set(prepared.org_id),
        user_id: Set(prepared.user_id),
        key_kind: Set(KeyKind::Virtual.as_str().to_owned()),
        key_id: Set(prepared.key_id),
        key_version: Set(prepared.sealed.key_version),
        wrapped_key: Set(prepared.sealed.wrapped_key),
        ciphertext: Set(prepared.sealed.ciphertext),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A delivery as its recipient sees it (never the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: i32,
    pub key_id: i32,
    pub key_name: String,
    /// The new key's `sk-proxy-AbCd…wxyz`.
    pub hint: String,
    pub created_at: DateTime<Utc>,
}

fn pending_of(row: &key_delivery::Model, key: &virtual_key::Model) -> Pending {
    Pending {
        id: row.id,
        key_id: key.id,
        key_name: key.name.clone(),
        hint: format!("{}…{}", key.prefix, key.last_four),
        created_at: row.created_at,
    }
}

/// The key a delivery is for, when it is still worth delivering (exists, not revoked).
async fn live_key(
    db: &DatabaseConnection,
    row: &key_delivery::Model,
) -> Result<Option<virtual_key::Model>, DomainError> {
    Ok(virtual_key::Entity::find_by_id(row.key_id)
        .filter(virtual_key::Column::OrgId.eq(row.org_id))
        .filter(virtual_key::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The caller's deliveries, newest first. Deliveries of revoked keys are dropped on the way.
pub async fn pending(
    db: &DatabaseConnection,
    user: &SessionUser,
) -> Result<Vec<Pending>, DomainError> {
    let rows = key_delivery::Entity::find()
        .filter(key_delivery::Column::UserId.eq(user.id))
        .filter(key_delivery::Column::OrgId.eq(user.org_id))
        .order_by_desc(key_delivery::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match live_key(db, &row).await? {
            Some(key) => out.push(pending_of(&row, &key)),
            None => {
                key_delivery::Entity::delete_by_id(row.id).exec(db).await?;
            }
        }
    }
    Ok(out)
}

/// Reveals a delivery to its recipient, once: the row is deleted before the key is returned,
/// and only the request that deleted it gets the key. Anything else is `NotFound`.
pub async fn reveal(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    client: &ClientInfo,
) -> Result<(Pending, SecretString), DomainError> {
    let db = &state.db;
    let row = key_delivery::Entity::find_by_id(id)
        .filter(key_delivery::Column::UserId.eq(user.id))
        .filter(key_delivery::Column::OrgId.eq(user.org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let Some(key) = live_key(db, &row).await? else {
        key_delivery::Entity::delete_by_id(row.id).exec(db).await?;
        return Err(DomainError::NotFound);
    };
    audit::append(
        db,
        Entry::new(
            Some(key.org_id),
            Actor::user(user),
            "virtual_key.delivery_reveal",
        )
        .target("virtual_key", key.id, key.name.clone())
        .client(client),
    )
    .await?;
    let record = record_name(&row.uid);
    let sealed = SealedSecret {
        key_version: row.key_version,
        wrapped_key: row.wrapped_key.clone(),
        ciphertext: row.ciphertext.clone(),
    };
    let plaintext = state
        .keyring
        .open(db, &secret_context(row.org_id, &record), &sealed)
        .await
        .map_err(|e| DomainError::internal("opening a key delivery", e))?;
    let text = String::from_utf8(plaintext.expose_secret().to_vec())
        .map_err(|_| DomainError::Internal("a key delivery is not UTF-8".into()))?;
    let deleted = key_delivery::Entity::delete_many()
        .filter(key_delivery::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    if deleted.rows_affected != 1 {
        // Another request revealed it first.
        return Err(DomainError::NotFound);
    }
    Ok((pending_of(&row, &key), SecretString::from(text)))
}

//! Authenticating Keygate keys on the proxy's hot path.
//!
//! A key that fails the offline format/checksum test is refused without touching the
//! database. Lookups are cached per key digest for [`FRESH_FOR`]; after that the next request
//! re-reads the row, so a revocation made anywhere (another replica, the CLI) takes effect
//! within that time, and at once on the replica that made it ([`KeyCache::forget_all`]).
//!
//! A rotated key's predecessor (`previous_key_hash`) is accepted until `previous_expires_at`,
//! checked on every request, so a cached lookup never outlives the grace period.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::format;
use super::store::models_of;
use crate::entities::{project, user, virtual_key};

/// How long a looked-up key is trusted before the database is asked again.
pub const FRESH_FOR: Duration = Duration::from_millis(500);
/// Entries kept at most; beyond this the cache is cleared (keys are cheap to re-read).
const MAX_ENTRIES: usize = 100_000;

/// Who is calling, as the proxy needs it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key_id: i32,
    pub org_id: i32,
    pub project_id: i32,
    pub user_id: Option<i32>,
    pub models: Vec<String>,
    pub persona_id: Option<i32>,
    pub balance_strategy: String,
    /// Networks this key may be used from (empty: anywhere).
    pub allowed_ips: crate::ip_access::IpAllowlist,
}

/// Why a key is refused. `ProjectInactive` answers 403, the rest 401.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Malformed,
    Unknown,
    Revoked,
    Expired,
    /// A rotated key whose grace period has ended.
    Rotated,
    UserDisabled,
    ProjectInactive,
    /// The database could not be read: refuse rather than guess.
    Unavailable,
}

impl AuthFailure {
    pub fn message(&self) -> &'static str {
        match self {
            AuthFailure::Malformed => "Malformed Keygate key.",
            AuthFailure::Unknown => "Invalid Keygate key.",
            AuthFailure::Revoked => "This Keygate key has been revoked.",
            AuthFailure::Expired => "This Keygate key has expired.",
            AuthFailure::Rotated => {
                "This Keygate key was rotated and its grace period has ended; use the new key."
            }
            AuthFailure::UserDisabled => "The user this key belongs to is disabled.",
            AuthFailure::ProjectInactive => "This key's project is inactive.",
            AuthFailure::Unavailable => "Keygate cannot check keys right now.",
        }
    }
}

#[derive(Clone)]
enum Lookup {
    Found {
        key: Arc<virtual_key::Model>,
        caller: Arc<Caller>,
        project_active: bool,
        user_active: bool,
        /// Matched the key's predecessor (a rotation's grace period), not its current hash.
        previous: bool,
    },
    Missing,
}

#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<String, (Instant, Lookup)>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

impl KeyCache {
    /// Checks a presented key. Database errors refuse (`Unavailable`).
    pub async fn authenticate(
        &self,
        db: &DatabaseConnection,
        presented: &str,
    ) -> Result<Arc<Caller>, AuthFailure> {
        if !format::is_well_formed(presented) {
            return Err(AuthFailure::Malformed);
        }
        let digest = format::digest(presented);
        let cached = self
            .entries
            .read()
            .ok()
            .and_then(|map| map.get(&digest).cloned())
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, lookup)| lookup);
        let lookup = match cached {
            Some(lookup) => lookup,
            None => {
                let lookup = load(db, &digest)
                    .await
                    .map_err(|_| AuthFailure::Unavailable)?;
                if let Ok(mut map) = self.entries.write() {
                    if map.len() >= MAX_ENTRIES {
                        map.clear();
                    }
                    map.insert(digest, (Instant::now(), lookup.clone()));
                }
                lookup
            }
        };
        judge(lookup)
    }

    /// Drops every cached lookup (after a revocation or a project/user change here).
    pub fn forget_all(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

fn judge(lookup: Lookup) -> Result<Arc<Caller>, AuthFailure> {
    let Lookup::Found {
        key,
        caller,
        project_active,
        user_active,
        previous,
    } = lookup
    else {
        return Err(AuthFailure::Unknown);
    };
    let now = Utc::now();
    if key.revoked_at.is_some() {
        return Err(AuthFailure::Revoked);
    }
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err(AuthFailure::Expired);
    }
    // Judged at every request, cached or not: the old key stops at the end of its grace.
    if previous && key.previous_expires_at.is_none_or(|at| at <= now) {
        return Err(AuthFailure::Rotated);
    }
    if !user_active {
        return Err(AuthFailure::UserDisabled);
    }
    if !project_active {
        return Err(AuthFailure::ProjectInactive);
    }
    Ok(caller)
}

async fn load(db: &DatabaseConnection, digest: &str) -> Result<Lookup, sea_orm::DbErr> {
    let current = virtual_key::Entity::find()
        .filter(virtual_key::Column::KeyHash.eq(digest))
        .one(db)
        .await?;
    let (key, previous) = match current {
        Some(key) => (key, false),
        None => match virtual_key::Entity::find()
            .filter(virtual_key::Column::PreviousKeyHash.eq(digest))
            .filter(virtual_key::Column::PreviousExpiresAt.is_not_null())
            .one(db)
            .await?
        {
            Some(key) => (key, true),
            None => return Ok(Lookup::Missing),
        },
    };
    let Some(project) = project::Entity::find_by_id(key.project_id).one(db).await? else {
        return Ok(Lookup::Missing);
    };
    let user_active = match key.user_id {
        Some(id) => user::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|u| !u.disabled),
        None => true,
    };
    let caller = Caller {
        key_id: key.id,
        org_id: key.org_id,
        project_id: key.project_id,
        user_id: key.user_id,
        models: models_of(&key),
        persona_id: key.persona_id,
        balance_strategy: project.balance_strategy.clone(),
        allowed_ips: crate::ip_access::IpAllowlist::from_stored(key.allowed_ips.as_deref()),
    };
    Ok(Lookup::Found {
        key: Arc::new(key),
        caller: Arc::new(caller),
        project_active: project.active,
        user_active,
        previous,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn lookup(previous: bool, previous_until: Option<chrono::DateTime<Utc>>) -> Lookup {
        let now = Utc::now();
        let key = virtual_key::Model {
            id: 1,
            org_id: 1,
            project_id: 1,
            user_id: None,
            name: "k".into(),
            key_hash: "new".into(),
            prefix: "sk-proxy-AbCd".into(),
            last_four: "wxyz".into(),
            models: "[]".into(),
            persona_id: None,
            created_by: 1,
            created_at: now,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
            previous_key_hash: Some("old".into()),
            previous_expires_at: previous_until,
            rotation_schedule: None,
            next_rotation_at: None,
            allowed_ips: None,
        };
        Lookup::Found {
            caller: Arc::new(Caller {
                key_id: 1,
                org_id: 1,
                project_id: 1,
                user_id: None,
                models: Vec::new(),
                persona_id: None,
                balance_strategy: "least_used".into(),
                allowed_ips: Default::default(),
            }),
            key: Arc::new(key),
            project_active: true,
            user_active: true,
            previous,
        }
    }

    #[test]
    fn a_predecessor_is_accepted_only_during_its_grace_period() {
        let soon = Utc::now() + chrono::Duration::seconds(30);
        let gone = Utc::now() - chrono::Duration::seconds(1);
        assert!(judge(lookup(true, Some(soon))).is_ok());
        assert_eq!(
            judge(lookup(true, Some(gone))).unwrap_err(),
            AuthFailure::Rotated
        );
        assert_eq!(judge(lookup(true, None)).unwrap_err(), AuthFailure::Rotated);
        // The current key is unaffected by its predecessor's grace period.
        assert!(judge(lookup(false, Some(gone))).is_ok());
    }
}

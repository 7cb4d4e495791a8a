//! Which provider keys may serve a request (seed 002's resolution order): the caller's own
//! active personal keys for that provider, else the project's active keys, else the
//! environment fallback key when one is configured.
//!
//! Opened secrets are cached per (project, user, provider) for [`FRESH_FOR`], so the hot path
//! neither queries the database nor decrypts on every request, and edits, deletions and
//! quarantines made anywhere are seen within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use secrecy::SecretString;

use super::routing::Target;
use crate::entities::{custom_provider, provider_key};
use crate::error::DomainError;
use crate::provider_keys::open_secret;
use crate::state::AppState;
use crate::virtual_keys::Caller;
use crate::virtual_keys::cache::FRESH_FOR;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Personal,
    Project,
    Environment,
}

/// One usable upstream credential.
pub struct Candidate {
    /// `None` for the environment fallback key.
    pub key_id: Option<i32>,
    pub source: KeySource,
    pub secret: SecretString,
    pub provider_org_id: Option<String>,
    pub base_url: Option<String>,
    pub weight: i32,
    /// After a rotation: the replaced secret, tried when the provider refuses `secret`, until
    /// its grace period ends.
    pub previous: Option<PreviousSecret>,
}

/// A rotated key's previous secret and the end of its grace period.
pub struct PreviousSecret {
    pub secret: SecretString,
    pub until: chrono::DateTime<Utc>,
}

impl Candidate {
    /// The same key with its previous secret in place of the current one, while the grace
    /// period lasts (`None` otherwise).
    pub fn with_previous_secret(&self, now: chrono::DateTime<Utc>) -> Option<Candidate> {
        let previous = self.previous.as_ref().filter(|p| p.until > now)?;
        Some(Candidate {
            key_id: self.key_id,
            source: self.source,
            secret: previous.secret.clone(),
            provider_org_id: self.provider_org_id.clone(),
            base_url: self.base_url.clone(),
            weight: self.weight,
            previous: None,
        })
    }
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate")
            .field("key_id", &self.key_id)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The keys for one (project, user, provider), personal ones first.
#[derive(Debug, Default)]
pub struct Candidates {
    pub personal: Vec<Arc<Candidate>>,
    pub project: Vec<Arc<Candidate>>,
    pub fallback: Option<Arc<Candidate>>,
    /// For custom providers: their definition (base URL, auth method).
    pub custom: Option<Arc<custom_provider::Model>>,
}

type CacheKey = (i32, Option<i32>, String);

#[derive(Default)]
pub struct CandidateCache {
    entries: RwLock<HashMap<CacheKey, (Instant, Arc<Candidates>)>>,
}

impl std::fmt::Debug for CandidateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CandidateCache")
    }
}

impl CandidateCache {
    pub async fn get(
        &self,
        state: &AppState,
        caller: &Caller,
        target: &Target,
    ) -> Result<Arc<Candidates>, DomainError> {
        let key = (caller.project_id, caller.user_id, target.id().to_owned());
        if let Some(found) = self
            .entries
            .read()
            .ok()
            .and_then(|map| map.get(&key).cloned())
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        {
            return Ok(found.1);
        }
        let loaded = Arc::new(load(state, caller, target).await?);
        if let Ok(mut map) = self.entries.write() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, (Instant::now(), loaded.clone()));
        }
        Ok(loaded)
    }

    pub fn forget_all(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

async fn load(
    state: &AppState,
    caller: &Caller,
    target: &Target,
) -> Result<Candidates, DomainError> {
    let now = Utc::now();
    let mut query = provider_key::Entity::find()
        .filter(provider_key::Column::OrgId.eq(caller.org_id))
        .filter(provider_key::Column::DeletedAt.is_null())
        .filter(provider_key::Column::Active.eq(true))
        .filter(provider_key::Column::VerifyStatus.ne("invalid"))
        .filter(
            Condition::any()
                .add(provider_key::Column::ExpiresAt.is_null())
                .add(provider_key::Column::ExpiresAt.gt(now)),
        );
    let mut custom = None;
    match target {
        Target::Builtin(provider) => {
            query = query.filter(provider_key::Column::Provider.eq(provider.id()));
        }
        Target::Custom(slug) => {
            let Some(found) = custom_provider::Entity::find()
                .filter(custom_provider::Column::OrgId.eq(caller.org_id))
                .filter(custom_provider::Column::Slug.eq(slug.as_str()))
                .one(&state.db)
                .await?
            else {
                return Ok(Candidates::default());
            };
            query = query.filter(provider_key::Column::CustomProviderId.eq(found.id));
            custom = Some(Arc::new(found));
        }
    }
    let mut whose = Condition::any().add(
        Condition::all()
            .add(provider_key::Column::ProjectId.eq(caller.project_id))
            .add(provider_key::Column::OwnerUserId.is_null()),
    );
    if let Some(user_id) = caller.user_id {
        whose = whose.add(provider_key::Column::OwnerUserId.eq(user_id));
    }
    let rows = query
        .filter(whose)
        .order_by_asc(provider_key::Column::Id)
        .all(&state.db)
        .await?;
    let mut candidates = Candidates {
        custom,
        ..Default::default()
    };
    for row in rows {
        let secret = match open_secret(state, &row).await {
            Ok(secret) => secret,
            Err(e) => {
                tracing::warn!(key_id = row.id, error = %e, "cannot open a provider key; skipping it");
                continue;
            }
        };
        let previous = crate::rotation::provider_keys::open_previous(state, &row, now)
            .await
            .map(|(secret, until)| PreviousSecret {
                secret: secret.key,
                until,
            });
        let personal = row.owner_user_id.is_some() && row.owner_user_id == caller.user_id;
        let candidate = Arc::new(Candidate {
            key_id: Some(row.id),
            source: if personal {
                KeySource::Personal
            } else {
                KeySource::Project
            },
            secret: secret.key,
            provider_org_id: row.provider_org_id.clone(),
            base_url: row.base_url.clone(),
            weight: row.weight.max(1),
            previous,
        });
        if personal {
            candidates.personal.push(candidate);
        } else {
            candidates.project.push(candidate);
        }
    }
    if let Target::Builtin(provider) = target
        && let Some(secret) = state.fallbacks.get(*provider)
    {
        candidates.fallback = Some(Arc::new(Candidate {
            key_id: None,
            source: KeySource::Environment,
            secret: secret.clone(),
            provider_org_id: None,
            base_url: None,
            weight: 1,
            previous: None,
        }));
    }
    Ok(candidates)
}

//! The credential broker (seed 003's `apiKeyProvider`): a server-side app holding a service
//! token fetches the decrypted key a given user should use for a service — the user's own
//! personal key, else the token's project's key, else the environment fallback. Every fetch
//! is recorded in the key's history; without a service token there is no access at all.

use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{api_token, project, provider_key, user};
use crate::error::DomainError;
use crate::fallback::FallbackKeys;
use crate::provider_keys::secret::ProviderSecret;
use crate::provider_keys::{open_secret, record_event};
use crate::providers::ProviderKind;
use crate::state::AppState;
use crate::types::Email;

/// Which user the app asks for.
#[derive(Clone, Debug)]
pub enum UserRef {
    Id(i32),
    /// The app's own id for the user (`external_id` on the user).
    External(String),
    Email(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Personal,
    Project,
    Environment,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Personal => "personal",
            Source::Project => "project",
            Source::Environment => "environment",
        }
    }
}

/// A credential handed out: where it came from, the key row (not for the environment) and
/// the secret.
#[derive(Debug)]
pub struct Brokered {
    pub source: Source,
    pub key: Option<provider_key::Model>,
    pub secret: ProviderSecret,
}

async fn find_user(
    db: &DatabaseConnection,
    org_id: i32,
    who: &UserRef,
) -> Result<user::Model, DomainError> {
    let query = user::Entity::find().filter(user::Column::OrgId.eq(org_id));
    let query = match who {
        UserRef::Id(id) => query.filter(user::Column::Id.eq(*id)),
        UserRef::External(ext) => query.filter(user::Column::ExternalId.eq(ext.trim())),
        UserRef::Email(raw) => query.filter(user::Column::Email.eq(Email::parse(raw)?.as_str())),
    };
    query
        .one(db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(DomainError::NotFound)
}

/// Usable keys first: highest weight, then most recently tested valid, then newest.
async fn best_key(
    db: &DatabaseConnection,
    condition: Condition,
) -> Result<Option<provider_key::Model>, DomainError> {
    let now = chrono::Utc::now();
    let keys = provider_key::Entity::find()
        .filter(condition)
        .filter(provider_key::Column::Active.eq(true))
        .filter(provider_key::Column::DeletedAt.is_null())
        .order_by_desc(provider_key::Column::Weight)
        .order_by_desc(provider_key::Column::Id)
        .all(db)
        .await?;
    let mut live: Vec<_> = keys
        .into_iter()
        .filter(|k| k.expires_at.is_none_or(|at| at > now))
        .collect();
    // Stable sort: among equal weights, keys that last tested valid go first.
    live.sort_by_key(|k| (-k.weight, k.verify_status != "valid"));
    Ok(live.into_iter().next())
}

/// Resolves and opens the credential `who` should use for `service`.
pub async fn fetch(
    state: &AppState,
    token: &api_token::Model,
    who: &UserRef,
    service: &str,
) -> Result<Brokered, DomainError> {
    let db = &state.db;
    let provider = ProviderKind::parse(service)?;
    let user = find_user(db, token.org_id, who).await?;
    let detail = format!(
        "brokered to service token {} for user {}",
        token.id, user.id
    );

    let personal = best_key(
        db,
        Condition::all()
            .add(provider_key::Column::OrgId.eq(token.org_id))
            .add(provider_key::Column::OwnerUserId.eq(user.id))
            .add(provider_key::Column::Provider.eq(provider.id())),
    )
    .await?;
    let project_key = match (&personal, token.project_id) {
        (None, Some(project_id)) => {
            let active_project = project::Entity::find_by_id(project_id)
                .filter(project::Column::OrgId.eq(token.org_id))
                .filter(project::Column::Active.eq(true))
                .one(db)
                .await?;
            match active_project {
                Some(p) => {
                    best_key(
                        db,
                        Condition::all()
                            .add(provider_key::Column::OrgId.eq(token.org_id))
                            .add(provider_key::Column::ProjectId.eq(p.id))
                            .add(provider_key::Column::Provider.eq(provider.id())),
                    )
                    .await?
                }
                None => None,
            }
        }
        _ => None,
    };
    let found = personal
        .map(|k| (Source::Personal, k))
        .or(project_key.map(|k| (Source::Project, k)));
    if let Some((source, key)) = found {
        let secret = open_secret(state, &key).await?;
        record_event(db, &key, None, "brokered", &detail).await?;
        return Ok(Brokered {
            source,
            key: Some(key),
            secret,
        });
    }
    if let Some(fallback) = state.fallbacks.get(provider) {
        tracing::info!(
            token_id = token.id,
            user_id = user.id,
            provider = provider.id(),
            env = %FallbackKeys::env_var(provider),
            "credential brokered from the environment"
        );
        return Ok(Brokered {
            source: Source::Environment,
            key: None,
            secret: ProviderSecret {
                key: fallback.clone(),
                secret_access_key: None,
            },
        });
    }
    Err(DomainError::NotFound)
}

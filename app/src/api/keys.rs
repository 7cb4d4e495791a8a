//! Provider keys: the caller's own ("My keys") and, for admins, the organization's.
// Server functions take one argument per form field; `keys_create` has eight.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::dto::ProviderKeyDto;
use crate::error::AppError;

/// Keys the caller may see. `view` is `mine` (own personal keys) or `org` (admins: every key
/// of the organization); the rest are filters (`all` or empty: no filter).
#[server(prefix = "/rpc", endpoint = "keys_list")]
pub async fn keys_list(
    view: String,
    provider: String,
    status: String,
    scope: String,
    name: String,
    #[server(default)] project_id: Option<i32>,
) -> Result<Vec<ProviderKeyDto>, AppError> {
    use crate::ssr;
    use domain::provider_keys::{KeyFilter, ScopeFilter};
    use domain::providers::ProviderKind;
    let state = ssr::state()?;
    let user = if view == "org" {
        ssr::require_admin().await?.0.user().clone()
    } else {
        ssr::require_user().await?.0
    };
    let filter = KeyFilter {
        provider: match provider.as_str() {
            "" | "all" => None,
            other => Some(ProviderKind::parse(other)?),
        },
        active: match status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
        scope: match scope.as_str() {
            "project" => Some(ScopeFilter::Project),
            "personal" => Some(ScopeFilter::Personal),
            _ => None,
        },
        project_id,
        mine_only: view != "org",
        name_contains: Some(name),
    };
    let keys = domain::provider_keys::list(&state.db, &user, &filter).await?;
    let names = if keys.iter().any(|k| k.project_id.is_some()) {
        domain::projects::names(&state.db, user.org_id).await?
    } else {
        Default::default()
    };
    let custom: std::collections::HashMap<i32, String> =
        if keys.iter().any(|k| k.custom_provider_id.is_some()) {
            domain::custom_providers::list(&state.db, &user)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect()
        } else {
            Default::default()
        };
    let usage =
        domain::ledger::summary::per_provider_key(&state.db, user.org_id, chrono::Utc::now())
            .await?;
    Ok(keys
        .iter()
        .map(|k| {
            let mut dto = ProviderKeyDto::new(k, &user).with_cooldown(&state.gateway.health);
            if let Some(periods) = usage.get(&k.id) {
                dto.usage = (*periods).into();
            }
            dto.project_name = k.project_id.and_then(|id| names.get(&id).cloned());
            dto.custom_provider_name = k.custom_provider_id.and_then(|id| custom.get(&id).cloned());
            dto
        })
        .collect())
}

/// Adds a key. `target` is `personal` or a project id (admins).
#[server(prefix = "/rpc", endpoint = "keys_create")]
pub async fn keys_create(
    target: String,
    provider: String,
    name: String,
    description: String,
    key: String,
    secret_access_key: Option<String>,
    region: Option<String>,
    base_url: Option<String>,
) -> Result<ProviderKeyDto, AppError> {
    use crate::ssr;
    use domain::provider_keys::{KeyScope, NewKey};
    use secrecy::SecretString;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let scope = match target.as_str() {
        "personal" => KeyScope::Personal,
        id => KeyScope::Project(id.parse().map_err(|_| AppError::Validation {
            field: Some("target".into()),
            message: "Choose where the key belongs.".into(),
        })?),
    };
    let input = NewKey {
        scope,
        provider,
        name,
        description,
        key: SecretString::from(key),
        secret_access_key: secret_access_key.map(SecretString::from),
        region,
        provider_org_id: None,
        base_url,
        expires_at: None,
        weight: None,
        rotation_schedule: None,
    };
    let created = domain::provider_keys::create(&state, &user, input).await?;
    tracing::info!(actor = user.id, key_id = created.id, provider = %created.provider, "provider key created");
    ssr::audit(ssr::audit_entry(&user, "provider_key.create").provider_key(&created)).await;
    Ok(ProviderKeyDto::new(&created, &user))
}

/// Renames or re-describes a key; a non-blank `key` replaces the secret (a rotation).
#[server(prefix = "/rpc", endpoint = "keys_update")]
pub async fn keys_update(
    id: i32,
    name: String,
    description: String,
    key: String,
) -> Result<ProviderKeyDto, AppError> {
    use crate::ssr;
    use domain::provider_keys::KeyChanges;
    use secrecy::SecretString;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let changes = KeyChanges {
        name: Some(name),
        description: Some(description),
        key: Some(SecretString::from(key)),
        ..Default::default()
    };
    let updated = domain::provider_keys::update(&state, &user, id, changes).await?;
    tracing::info!(actor = user.id, key_id = id, "provider key updated");
    ssr::audit(ssr::audit_entry(&user, "provider_key.update").provider_key(&updated)).await;
    Ok(ProviderKeyDto::new(&updated, &user))
}

#[server(prefix = "/rpc", endpoint = "keys_set_active")]
pub async fn keys_set_active(id: i32, active: bool) -> Result<ProviderKeyDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let key = domain::provider_keys::set_active(&state, &user, id, active).await?;
    tracing::info!(
        actor = user.id,
        key_id = id,
        active,
        "provider key status changed"
    );
    let action = if active {
        "provider_key.activate"
    } else {
        "provider_key.deactivate"
    };
    ssr::audit(ssr::audit_entry(&user, action).provider_key(&key)).await;
    Ok(ProviderKeyDto::new(&key, &user))
}

#[server(prefix = "/rpc", endpoint = "keys_delete")]
pub async fn keys_delete(id: i32) -> Result<i32, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let key = domain::provider_keys::get(&state.db, &user, id).await?;
    domain::provider_keys::delete(&state.db, &user, id).await?;
    tracing::info!(actor = user.id, key_id = id, "provider key deleted");
    ssr::audit(ssr::audit_entry(&user, "provider_key.delete").provider_key(&key)).await;
    Ok(id)
}

/// Tests the key against its provider and returns it with the recorded result.
#[server(prefix = "/rpc", endpoint = "keys_test")]
pub async fn keys_test(id: i32) -> Result<ProviderKeyDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let (key, outcome) = domain::provider_keys::verify::verify(&state, &user, id).await?;
    let entry = ssr::audit_entry(&user, "provider_key.verify").provider_key_check(&key, &outcome);
    ssr::audit(entry).await;
    Ok(ProviderKeyDto::new(&key, &user))
}

/// The secret of the caller's own personal key, after re-entering their password (and, with
/// two-factor on, a code verified in this session within the last five minutes).
#[server(prefix = "/rpc", endpoint = "keys_reveal")]
pub async fn keys_reveal(id: i32, password: String) -> Result<String, AppError> {
    use crate::ssr;
    use secrecy::{ExposeSecret as _, SecretString};
    let state = ssr::state()?;
    let (user, auth) = ssr::require_user().await?;
    ssr::require_recent_mfa(&auth, &user).await?;
    let client = ssr::client_info();
    let secret =
        domain::provider_keys::reveal(&state, &user, id, SecretString::from(password), &client)
            .await?;
    tracing::info!(actor = user.id, key_id = id, "personal key revealed");
    Ok(match &secret.secret_access_key {
        Some(sak) => format!("{} / {}", secret.key.expose_secret(), sak.expose_secret()),
        None => secret.key.expose_secret().to_owned(),
    })
}

/// Fallback keys configured in the environment (`KEYGATE_FALLBACK_<PROVIDER>_API_KEY`):
/// `(provider id, masked key)`. Any signed-in user may see that they exist.
#[server(prefix = "/rpc", endpoint = "keys_fallbacks")]
pub async fn keys_fallbacks() -> Result<Vec<(String, String)>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    ssr::require_user().await?;
    Ok(state
        .fallbacks
        .masked()
        .into_iter()
        .map(|(provider, masked)| (provider.id().to_owned(), masked))
        .collect())
}

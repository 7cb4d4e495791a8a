//! Key rotation from the app: a key's schedule and history, rotating provider keys (with the
//! new secret) and Keygate keys (the new key shown once), and rotated keys waiting for their
//! owner. `kind` is `provider` or `virtual`.

use leptos::prelude::*;

use crate::dto_rotation::{
    DeliveryDto, OwnKeygateKeyDto, RevealedDeliveryDto, RotatedDto, RotationStateDto,
};
use crate::error::AppError;

/// Validation errors belong to the rotation form as a whole (its inputs carry no field
/// errors of their own).
#[cfg(feature = "ssr")]
fn for_form(err: impl Into<AppError>) -> AppError {
    match err.into() {
        AppError::Validation { message, .. } => AppError::Validation {
            field: None,
            message,
        },
        other => other,
    }
}

/// `""` is no value; anything else must be a whole number of hours.
#[cfg(feature = "ssr")]
fn parse_grace(raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            let err = AppError::Validation {
                field: None,
                message: "The grace period is a whole number of hours (0 to 720).".into(),
            };
            crate::ssr::answer_with(&err);
            err
        }),
    }
}

#[cfg(feature = "ssr")]
async fn state_of(
    state: &domain::AppState,
    user: &domain::auth::SessionUser,
    kind: &str,
    id: i32,
) -> Result<RotationStateDto, AppError> {
    use domain::rotation::{KeyKind, history};
    let now = chrono::Utc::now();
    let (org_id, key_kind, mut dto) = match kind {
        "provider" => {
            let key = domain::provider_keys::get(&state.db, user, id).await?;
            let dto = RotationStateDto {
                overdue_since: key
                    .next_rotation_at
                    .filter(|at| key.rotation_schedule.is_some() && *at <= now)
                    .map(|t| t.to_rfc3339()),
                schedule: key.rotation_schedule.clone(),
                next_rotation_at: key.next_rotation_at.map(|t| t.to_rfc3339()),
                previous_until: key
                    .previous_expires_at
                    .filter(|at| *at > now)
                    .map(|t| t.to_rfc3339()),
                can_rotate: domain::provider_keys::can_edit(user, &key),
                history: Vec::new(),
            };
            (key.org_id, KeyKind::Provider, dto)
        }
        "virtual" => {
            let key = domain::rotation::virtual_keys::load(&state.db, user, id).await?;
            let dto = RotationStateDto {
                overdue_since: None,
                schedule: key.rotation_schedule.clone(),
                next_rotation_at: key.next_rotation_at.map(|t| t.to_rfc3339()),
                previous_until: key
                    .previous_expires_at
                    .filter(|at| *at > now)
                    .map(|t| t.to_rfc3339()),
                can_rotate: key.revoked_at.is_none(),
                history: Vec::new(),
            };
            (key.org_id, KeyKind::Virtual, dto)
        }
        _ => return Err(domain::DomainError::NotFound.into()),
    };
    let rows = history::list(&state.db, org_id, key_kind, id).await?;
    let emails = history::actor_emails(&state.db, org_id, &rows).await?;
    dto.history = rows
        .iter()
        .map(|r| {
            let actor = r.actor_user_id.and_then(|id| emails.get(&id).cloned());
            crate::dto_rotation::RotationDto::new(r, actor)
        })
        .collect();
    Ok(dto)
}

/// A key's rotation schedule, next due time, grace period and history.
#[server(prefix = "/rpc", endpoint = "rotation_state")]
pub async fn rotation_state(kind: String, id: i32) -> Result<RotationStateDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    state_of(&state, &user, &kind, id).await
}

/// Sets a key's rotation schedule (a cron expression in UTC, or `every N days`); blank
/// removes it.
#[server(prefix = "/rpc", endpoint = "rotation_schedule")]
pub async fn rotation_schedule(
    kind: String,
    id: i32,
    #[server(default)] schedule: Option<String>,
) -> Result<RotationStateDto, AppError> {
    use crate::ssr;
    use domain::rotation::{provider_keys, virtual_keys};
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let client = ssr::client_info();
    let schedule = schedule.as_deref();
    match kind.as_str() {
        "provider" => {
            provider_keys::set_schedule(&state, &user, id, schedule, &client)
                .await
                .map_err(for_form)?;
        }
        "virtual" => {
            virtual_keys::set_schedule(&state, &user, id, schedule, &client)
                .await
                .map_err(for_form)?;
        }
        _ => return Err(domain::DomainError::NotFound.into()),
    }
    state_of(&state, &user, &kind, id).await
}

/// Rotates a provider key to a new secret (verified with the provider first); the old secret
/// stays a fallback for `grace_hours` (default 24).
#[server(prefix = "/rpc", endpoint = "rotation_rotate_provider")]
pub async fn rotation_rotate_provider(
    id: i32,
    key: String,
    #[server(default)] secret_access_key: Option<String>,
    #[server(default)] grace_hours: Option<String>,
) -> Result<RotatedDto, AppError> {
    use crate::ssr;
    use domain::rotation::provider_keys::{self, NewSecret};
    use secrecy::SecretString;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let grace = parse_grace(grace_hours.as_deref())?;
    let new = NewSecret {
        key: SecretString::from(key),
        secret_access_key: secret_access_key
            .filter(|s| !s.trim().is_empty())
            .map(SecretString::from),
    };
    let rotated = provider_keys::rotate(&state, &user, id, new, grace, &ssr::client_info())
        .await
        .map_err(for_form)?;
    tracing::info!(actor = user.id, key_id = id, "provider key rotated");
    Ok(RotatedDto {
        old_key: rotated.old_hint,
        new_key: rotated.key.secret_hint,
        expires_at: rotated.grace_until.to_rfc3339(),
    })
}

/// Rotates a Keygate key: the new key is returned this once; the old one keeps working for
/// `grace_hours` (default 24).
#[server(prefix = "/rpc", endpoint = "rotation_rotate_virtual")]
pub async fn rotation_rotate_virtual(
    id: i32,
    #[server(default)] grace_hours: Option<String>,
) -> Result<RotatedDto, AppError> {
    use crate::ssr;
    use secrecy::ExposeSecret as _;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let grace = parse_grace(grace_hours.as_deref())?;
    let rotated =
        domain::rotation::virtual_keys::rotate(&state, &user, id, grace, &ssr::client_info())
            .await
            .map_err(for_form)?;
    tracing::info!(actor = user.id, virtual_key_id = id, "keygate key rotated");
    Ok(RotatedDto {
        old_key: rotated.old_hint,
        new_key: rotated.secret.expose_secret().to_owned(),
        expires_at: rotated.grace_until.to_rfc3339(),
    })
}

/// The caller's rotated keys waiting to be revealed.
#[server(prefix = "/rpc", endpoint = "deliveries_list")]
pub async fn deliveries_list() -> Result<Vec<DeliveryDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let pending = domain::rotation::delivery::pending(&state.db, &user).await?;
    Ok(pending.into_iter().map(Into::into).collect())
}

/// Reveals a rotated key, once (a second reveal finds nothing).
#[server(prefix = "/rpc", endpoint = "deliveries_reveal")]
pub async fn deliveries_reveal(id: i32) -> Result<RevealedDeliveryDto, AppError> {
    use crate::ssr;
    use secrecy::ExposeSecret as _;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let (pending, secret) =
        domain::rotation::delivery::reveal(&state, &user, id, &ssr::client_info()).await?;
    tracing::info!(
        actor = user.id,
        virtual_key_id = pending.key_id,
        "rotated key revealed"
    );
    Ok(RevealedDeliveryDto {
        delivery: pending.into(),
        key: secret.expose_secret().to_owned(),
    })
}

/// The Keygate keys that act as the caller (they may rotate them).
#[server(prefix = "/rpc", endpoint = "own_keygate_keys")]
pub async fn own_keygate_keys() -> Result<Vec<OwnKeygateKeyDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let now = chrono::Utc::now();
    let keys = domain::rotation::virtual_keys::acting_as(&state.db, &user).await?;
    Ok(keys.iter().map(|k| OwnKeygateKeyDto::new(k, now)).collect())
}

//! Keygate keys (what programs send to the `/v1` proxy) and a project's usage, for admins on
//! the project page. The browser's side of `/api/admin/virtual-keys` and
//! `/api/admin/projects/{id}/usage`.

use leptos::prelude::*;

use crate::dto::{NewVirtualKeyDto, UsagePeriodsDto, VirtualKeyDto, VirtualKeysDto};
use crate::error::AppError;

/// Items typed in a form: separated by commas, spaces or new lines.
#[cfg(feature = "ssr")]
fn split_list(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Points the domain's field names at this form's inputs: `name` is `key_name` here (the page
/// has other forms), and errors without an input of their own (an inactive project, a tampered
/// expiry or user) belong to the form as a whole.
#[cfg(feature = "ssr")]
fn for_form(err: AppError) -> AppError {
    match err {
        AppError::Validation {
            field: Some(field),
            message,
        } => AppError::Validation {
            field: match field.as_str() {
                "name" => Some("key_name".to_owned()),
                "models" | "allowed_ips" => Some(field),
                _ => None,
            },
            message,
        },
        other => other,
    }
}

/// A project's Keygate keys, newest first, each with today's and this month's usage.
#[server(prefix = "/rpc", endpoint = "virtual_keys_list")]
pub async fn virtual_keys_list(project_id: i32) -> Result<VirtualKeysDto, AppError> {
    use crate::ssr;
    use domain::ledger::summary;
    use domain::virtual_keys::store;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let org_id = admin.user().org_id;
    let now = chrono::Utc::now();
    let keys = store::list(&state.db, &admin, Some(project_id)).await?;
    let counts = store::counts(&keys, now);
    let usage = summary::per_virtual_key(&state.db, org_id, project_id, now).await?;
    let emails: std::collections::HashMap<i32, String> = if keys.iter().any(|k| k.user_id.is_some())
    {
        domain::accounts::users::list(&state.db, &admin)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect()
    } else {
        Default::default()
    };
    Ok(VirtualKeysDto {
        keys: keys
            .iter()
            .map(|k| {
                let mut dto = VirtualKeyDto::new(k, now);
                if let Some(periods) = usage.get(&k.id) {
                    dto.today = periods.today.into();
                    dto.month = periods.month.into();
                }
                dto.user_email = k.user_id.and_then(|id| emails.get(&id).cloned());
                dto
            })
            .collect(),
        total: counts.total,
        active: counts.active,
        recent: counts.recent,
    })
}

/// Generates a key and returns it, this once. `expires_in`: `1h`, `24h`, `7d`, `30d`, `90d`,
/// `365d` or `never` (default); `models`: allowed model patterns, separated by commas (empty:
/// every model); `user_id`: the user the key acts as (empty: none).
#[server(prefix = "/rpc", endpoint = "virtual_keys_create")]
pub async fn virtual_keys_create(
    project_id: i32,
    key_name: String,
    #[server(default)] expires_in: Option<String>,
    #[server(default)] models: Option<String>,
    #[server(default)] user_id: Option<String>,
    #[server(default)] allowed_ips: Option<String>,
) -> Result<NewVirtualKeyDto, AppError> {
    use crate::ssr;
    use domain::virtual_keys::store::{self, NewVirtualKey};
    use secrecy::ExposeSecret as _;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user_id = match user_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse().map_err(|_| {
            let err = AppError::Validation {
                field: None,
                message: "No such user.".into(),
            };
            ssr::answer_with(&err);
            err
        })?),
    };
    let input = NewVirtualKey {
        project_id,
        name: key_name,
        expires_in,
        user_id,
        models: split_list(models.as_deref().unwrap_or_default()),
        persona_id: None,
        allowed_ips: split_list(allowed_ips.as_deref().unwrap_or_default()),
    };
    let (key, secret) = store::create(&state.db, &admin, input)
        .await
        .map_err(|e| for_form(e.into()))?;
    tracing::info!(
        actor = admin.user().id,
        project_id,
        virtual_key_id = key.id,
        "keygate key generated"
    );
    ssr::audit(ssr::audit_entry(admin.user(), "virtual_key.create").virtual_key(&key)).await;
    Ok(NewVirtualKeyDto {
        key: VirtualKeyDto::new(&key, chrono::Utc::now()),
        secret: secret.expose_secret().to_owned(),
    })
}

/// Revokes one key (idempotent); the proxy refuses it from now on.
#[server(prefix = "/rpc", endpoint = "virtual_keys_revoke")]
pub async fn virtual_keys_revoke(id: i32) -> Result<VirtualKeyDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let name =
        domain::audit::targets::name_of(&state.db, "virtual_key", admin.user().org_id, id).await?;
    let entry =
        ssr::audit_entry(admin.user(), "virtual_key.revoke").target("virtual_key", id, name);
    let revoke = domain::virtual_keys::store::revoke(&state.db, &admin, id);
    let key = domain::audit::guarded(&state.db, entry, revoke).await?;
    state.gateway.forget_cached();
    tracing::info!(
        actor = admin.user().id,
        virtual_key_id = id,
        "keygate key revoked"
    );
    Ok(VirtualKeyDto::new(&key, chrono::Utc::now()))
}

/// Replaces a key's IP allowlist (entries separated by commas or new lines; empty: anywhere).
#[server(prefix = "/rpc", endpoint = "virtual_keys_set_allowed_ips")]
pub async fn virtual_keys_set_allowed_ips(
    id: i32,
    #[server(default)] allowed_ips: String,
) -> Result<VirtualKeyDto, AppError> {
    use crate::ssr;
    use domain::virtual_keys::store;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let key = store::set_allowed_ips(&state.db, &admin, id, &split_list(&allowed_ips))
        .await
        .map_err(|e| for_form(e.into()))?;
    state.gateway.forget_cached();
    let entry = ssr::audit_entry(admin.user(), "virtual_key.update")
        .virtual_key(&key)
        .detail(serde_json::json!({ "allowedIps": store::allowed_ips_of(&key) }));
    ssr::audit(entry).await;
    Ok(VirtualKeyDto::new(&key, chrono::Utc::now()))
}

/// Revokes every live key of a project; returns how many were revoked.
#[server(prefix = "/rpc", endpoint = "virtual_keys_revoke_all")]
pub async fn virtual_keys_revoke_all(project_id: i32) -> Result<u64, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let entry =
        ssr::audit_entry(admin.user(), "virtual_key.revoke_all").target("project", project_id, "");
    let revoke = domain::virtual_keys::store::revoke_all(&state.db, &admin, project_id);
    let revoked = domain::audit::guarded(&state.db, entry, revoke).await?;
    state.gateway.forget_cached();
    tracing::info!(
        actor = admin.user().id,
        project_id,
        revoked,
        "all keygate keys of a project revoked"
    );
    Ok(revoked)
}

/// Today's and this month's (UTC) requests, tokens and cost of a project.
#[server(prefix = "/rpc", endpoint = "project_usage")]
pub async fn project_usage(project_id: i32) -> Result<UsagePeriodsDto, AppError> {
    use crate::ssr;
    use domain::ledger::summary::{self, Scope};
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    domain::projects::get(&state.db, &admin, project_id).await?;
    let periods = summary::periods(
        &state.db,
        admin.user().org_id,
        Scope::Project(project_id),
        chrono::Utc::now(),
    )
    .await?;
    Ok(periods.into())
}

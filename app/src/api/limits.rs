//! Budgets and rate limits (the Limits page): admins list them with their targets' names and
//! where they stand, list what they can be set on, set and remove them. Every change is
//! audited, as over REST (`/api/admin/limits`). The form sends every field as text; blank
//! means "no limit".
// One argument per form field; `limits_set` has eight.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::dto_limits::{LimitDto, LimitTargetsDto};
use crate::error::AppError;

/// A refused form field (or the whole form, for `field: None`), answered with 422.
#[cfg(feature = "ssr")]
fn refused(field: Option<&str>, message: &str) -> AppError {
    let err = AppError::Validation {
        field: field.map(str::to_owned),
        message: message.to_owned(),
    };
    crate::ssr::answer_with(&err);
    err
}

/// The domain names fields as the REST API does; the form's inputs are named after the server
/// function's arguments. "Set something" belongs to the whole form.
#[cfg(feature = "ssr")]
fn form_field(err: domain::DomainError) -> AppError {
    match AppError::from(err) {
        AppError::Validation { field, message } => {
            let field = match field.as_deref() {
                Some("limitUsd") => Some("limit_usd".to_owned()),
                Some("limitTokens") => Some("limit_tokens".to_owned()),
                Some("limit") | None => None,
                Some(other) => Some(other.to_owned()),
            };
            AppError::Validation { field, message }
        }
        other => other,
    }
}

#[cfg(feature = "ssr")]
fn scope_of(raw: &str) -> Result<domain::limits::Scope, AppError> {
    domain::limits::Scope::parse(raw).ok_or_else(|| {
        refused(
            Some("scope"),
            "Choose a Keygate key, user, project or provider key.",
        )
    })
}

/// A whole number typed in the form; blank is `None`. Too large saturates, so the domain's
/// range check names the limit.
#[cfg(feature = "ssr")]
fn count(raw: Option<String>, field: &str) -> Result<Option<u64>, AppError> {
    let raw = raw.unwrap_or_default();
    let text = raw.trim().replace(['_', ','], "");
    if text.is_empty() {
        return Ok(None);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused(
            Some(field),
            "Enter a whole number, or leave it blank.",
        ));
    }
    Ok(Some(text.parse().unwrap_or(u64::MAX)))
}

/// Everything a limit can be set on in the organization, with display names.
#[cfg(feature = "ssr")]
struct Catalog {
    /// id → (name, detail, choosable)
    keys: std::collections::HashMap<i32, (String, Option<String>, bool)>,
    users: std::collections::HashMap<i32, (String, Option<String>, bool)>,
    projects: std::collections::HashMap<i32, (String, Option<String>, bool)>,
    provider_keys: std::collections::HashMap<i32, (String, Option<String>, bool)>,
}

#[cfg(feature = "ssr")]
impl Catalog {
    async fn load(state: &domain::AppState, admin: &domain::auth::Admin) -> Result<Self, AppError> {
        use domain::provider_keys::KeyFilter;
        use domain::virtual_keys::KeyStatus;
        let now = chrono::Utc::now();
        let db = &state.db;
        let projects = domain::projects::list(db, admin, &Default::default()).await?;
        let project_names: std::collections::HashMap<i32, String> =
            projects.iter().map(|p| (p.id, p.name.clone())).collect();
        let keys = domain::virtual_keys::store::list(db, admin, None)
            .await?
            .into_iter()
            .map(|k| {
                let active = KeyStatus::of(&k, now) == KeyStatus::Active;
                let detail = project_names.get(&k.project_id).cloned();
                (k.id, (k.name, detail, active))
            })
            .collect();
        let users = domain::accounts::users::list(db, admin)
            .await?
            .into_iter()
            .map(|u| (u.id, (u.email, Some(u.display_name), true)))
            .collect();
        let provider_keys =
            domain::provider_keys::list(db, admin.user(), &KeyFilter::default()).await?;
        let custom: std::collections::HashMap<i32, String> =
            if provider_keys.iter().any(|k| k.custom_provider_id.is_some()) {
                domain::custom_providers::list(db, admin.user())
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p.name))
                    .collect()
            } else {
                Default::default()
            };
        let provider_keys = provider_keys
            .into_iter()
            .map(|k| {
                let provider = k
                    .custom_provider_id
                    .and_then(|id| custom.get(&id).cloned())
                    .unwrap_or_else(|| crate::dto::provider_name(&k.provider).to_owned());
                (k.id, (k.name, Some(provider), true))
            })
            .collect();
        let projects = projects
            .into_iter()
            .map(|p| {
                let detail = (!p.active).then(|| "inactive".to_owned());
                (p.id, (p.name, detail, true))
            })
            .collect();
        Ok(Self {
            keys,
            users,
            projects,
            provider_keys,
        })
    }

    fn of(
        &self,
        scope: domain::limits::Scope,
    ) -> &std::collections::HashMap<i32, (String, Option<String>, bool)> {
        use domain::limits::Scope;
        match scope {
            Scope::Key => &self.keys,
            Scope::User => &self.users,
            Scope::Project => &self.projects,
            Scope::ProviderKey => &self.provider_keys,
        }
    }

    /// The target's name and detail; a target that is gone is named by its id.
    fn name(&self, scope: domain::limits::Scope, id: i32) -> (String, Option<String>) {
        match self.of(scope).get(&id) {
            Some((name, detail, _)) => (name.clone(), detail.clone()),
            None => (
                format!("{} #{id}", scope.noun()),
                Some("deleted".to_owned()),
            ),
        }
    }

    /// The targets an admin may choose for `scope`, by label.
    fn choices(&self, scope: domain::limits::Scope) -> Vec<crate::dto_limits::LimitTargetDto> {
        use domain::limits::Scope;
        let mut out: Vec<_> = self
            .of(scope)
            .iter()
            .filter(|(_, (_, _, choosable))| *choosable)
            .map(|(id, (name, detail, _))| {
                let label = match (scope, detail) {
                    (Scope::Key, Some(project)) => format!("{name} — {project}"),
                    (Scope::ProviderKey | Scope::Project, Some(detail)) => {
                        format!("{name} ({detail})")
                    }
                    _ => name.clone(),
                };
                crate::dto_limits::LimitTargetDto { id: *id, label }
            })
            .collect();
        out.sort_by(|a, b| {
            a.label
                .to_lowercase()
                .cmp(&b.label.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        out
    }

    fn dto(&self, model: domain::entities::usage_limit::Model) -> LimitDto {
        use domain::limits::store;
        let status = store::status(&model, chrono::Utc::now());
        let (target, target_detail) = match store::scope_of(&model) {
            Some(scope) => self.name(scope, model.scope_id),
            None => (format!("{} #{}", model.scope, model.scope_id), None),
        };
        LimitDto {
            id: model.id,
            scope: model.scope,
            scope_id: model.scope_id,
            target,
            target_detail,
            period: model.period,
            limit_micros: model.limit_micros,
            limit_tokens: model.limit_tokens,
            enforcement: model.enforcement,
            rpm: model.rpm,
            tpm: model.tpm,
            spent_micros: status.spent_micros,
            spent_tokens: status.spent_tokens,
            reserved_micros: status.reserved_micros,
            reserved_tokens: status.reserved_tokens,
            reset_at: status.reset_at.map(|t| t.to_rfc3339()),
            exhausted: status.exhausted,
            updated_at: model.updated_at.to_rfc3339(),
        }
    }
}

/// Every limit of the organization with its target's name and current usage.
#[server(prefix = "/rpc", endpoint = "limits_list")]
pub async fn limits_list() -> Result<Vec<LimitDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let limits = domain::limits::store::list(&state.db, admin.user().org_id).await?;
    let catalog = Catalog::load(&state, &admin).await?;
    Ok(limits.into_iter().map(|l| catalog.dto(l)).collect())
}

/// What limits can be set on: active Keygate keys, users, projects, provider keys.
#[server(prefix = "/rpc", endpoint = "limits_targets")]
pub async fn limits_targets() -> Result<LimitTargetsDto, AppError> {
    use crate::ssr;
    use domain::limits::Scope;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let catalog = Catalog::load(&state, &admin).await?;
    Ok(LimitTargetsDto {
        keys: catalog.choices(Scope::Key),
        users: catalog.choices(Scope::User),
        projects: catalog.choices(Scope::Project),
        provider_keys: catalog.choices(Scope::ProviderKey),
    })
}

/// Sets (creates or replaces) the limits of one target. `limit_usd` is dollars as text
/// (`12.50`); the counts are whole numbers; blank fields set no limit.
#[server(prefix = "/rpc", endpoint = "limits_set")]
pub async fn limits_set(
    scope: String,
    target_id: String,
    period: String,
    #[server(default)] limit_usd: Option<String>,
    #[server(default)] limit_tokens: Option<String>,
    enforcement: String,
    #[server(default)] rpm: Option<String>,
    #[server(default)] tpm: Option<String>,
) -> Result<LimitDto, AppError> {
    use crate::ssr;
    use domain::limits::store::{self, LimitSettings};
    use domain::limits::{Enforcement, Period};
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let scope = scope_of(&scope)?;
    let id: i32 = target_id
        .trim()
        .parse()
        .map_err(|_| refused(Some("target_id"), "Choose what the limit applies to."))?;
    let period = Period::parse(&period).ok_or_else(|| {
        refused(
            Some("period"),
            "Period must be daily, weekly, monthly or never.",
        )
    })?;
    let enforcement = Enforcement::parse(&enforcement)
        .ok_or_else(|| refused(Some("enforcement"), "Enforcement must be hard or soft."))?;
    let limit_micros = crate::dto_limits::parse_dollars(limit_usd.as_deref().unwrap_or_default())
        .map_err(|message| refused(Some("limit_usd"), message))?;
    let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let settings = LimitSettings {
        period,
        limit_micros,
        limit_tokens: count(limit_tokens, "limit_tokens")?
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        enforcement,
        rpm: count(rpm, "rpm")?.map(to_u32),
        tpm: count(tpm, "tpm")?.map(to_u32),
    };
    settings.validate(scope).map_err(form_field)?;
    let user = admin.user();
    let saved = match store::set(
        &state.db,
        user.org_id,
        scope,
        id,
        &settings,
        Some(user.id),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(saved) => saved,
        Err(domain::DomainError::NotFound) => {
            return Err(refused(
                Some("target_id"),
                "That target no longer exists. Reload the page and choose again.",
            ));
        }
        Err(err) => return Err(form_field(err)),
    };
    let catalog = Catalog::load(&state, &admin).await?;
    let (name, _) = catalog.name(scope, id);
    let entry = ssr::audit_entry(user, "limit.set")
        .target(scope.as_str(), id, format!("{} {name}", scope.noun()))
        .detail(serde_json::json!({
            "period": saved.period,
            "limitMicros": saved.limit_micros,
            "limitTokens": saved.limit_tokens,
            "enforcement": saved.enforcement,
            "rpm": saved.rpm,
            "tpm": saved.tpm,
        }));
    ssr::audit(entry).await;
    tracing::info!(
        actor = user.id,
        scope = scope.as_str(),
        scope_id = id,
        "limit set"
    );
    Ok(catalog.dto(saved))
}

/// Removes the limits of one target; returns them as they were.
#[server(prefix = "/rpc", endpoint = "limits_remove")]
pub async fn limits_remove(scope: String, scope_id: i32) -> Result<LimitDto, AppError> {
    use crate::ssr;
    use domain::limits::store;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let scope = scope_of(&scope)?;
    let user = admin.user();
    let existing = store::get(&state.db, user.org_id, scope, scope_id)
        .await?
        .ok_or_else(|| {
            let err = AppError::NotFound;
            ssr::answer_with(&err);
            err
        })?;
    store::remove(&state.db, user.org_id, scope, scope_id).await?;
    let catalog = Catalog::load(&state, &admin).await?;
    let (name, _) = catalog.name(scope, scope_id);
    let entry = ssr::audit_entry(user, "limit.remove").target(
        scope.as_str(),
        scope_id,
        format!("{} {name}", scope.noun()),
    );
    ssr::audit(entry).await;
    tracing::info!(
        actor = user.id,
        scope = scope.as_str(),
        scope_id,
        "limit removed"
    );
    Ok(catalog.dto(existing))
}

//! Personas (named system prompts the proxy applies on `X-Keygate-Persona`): admins create,
//! edit, (de)activate and delete them; everyone lists the ones they may use and reads their
//! analytics. The forms send the restricted-to user as text (`""`: organization-wide).

use leptos::prelude::*;

use crate::dto_insight::{PersonaAnalyticsDto, PersonaDto};
use crate::error::AppError;

/// The form's "Restricted to" value: empty for organization-wide, else a user id.
#[cfg(feature = "ssr")]
fn restricted_to(raw: Option<String>) -> Result<Option<i32>, AppError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| {
            let err = AppError::validation("user_id", "Choose a user of this organization.");
            crate::ssr::answer_with(&err);
            err
        }),
    }
}

/// E-mails of the users personas are restricted to, as far as `viewer` may know them: every
/// user's for admins, their own for members (who only see their own restricted personas).
#[cfg(feature = "ssr")]
async fn emails(
    state: &domain::AppState,
    viewer: &domain::auth::SessionUser,
) -> Result<std::collections::HashMap<i32, String>, AppError> {
    match domain::auth::Admin::new(viewer.clone()) {
        Ok(admin) => Ok(domain::accounts::users::list(&state.db, &admin)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect()),
        Err(_) => Ok([(viewer.id, viewer.email.clone())].into_iter().collect()),
    }
}

#[cfg(feature = "ssr")]
fn with_email(
    p: &domain::entities::persona::Model,
    emails: &std::collections::HashMap<i32, String>,
) -> PersonaDto {
    let mut dto = PersonaDto::from(p);
    dto.user_email = p.user_id.and_then(|id| emails.get(&id).cloned());
    dto
}

/// The personas the viewer may use (all of the organization's for admins), by name.
#[server(prefix = "/rpc", endpoint = "personas_list")]
pub async fn personas_list() -> Result<Vec<PersonaDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (viewer, _) = ssr::require_user().await?;
    let found = domain::personas::list(&state.db, &viewer).await?;
    let emails = if found.iter().any(|p| p.user_id.is_some()) {
        emails(&state, &viewer).await?
    } else {
        Default::default()
    };
    Ok(found.iter().map(|p| with_email(p, &emails)).collect())
}

#[server(prefix = "/rpc", endpoint = "personas_create")]
pub async fn personas_create(
    name: String,
    #[server(default)] description: Option<String>,
    content: String,
    #[server(default)] user_id: Option<String>,
) -> Result<PersonaDto, AppError> {
    use crate::ssr;
    use domain::personas::NewPersona;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let input = NewPersona {
        name,
        description: description.unwrap_or_default(),
        content,
        user_id: restricted_to(user_id)?,
    };
    let created = domain::personas::create(&state.db, &admin, input).await?;
    tracing::info!(
        actor = admin.user().id,
        persona_id = created.id,
        "persona created"
    );
    ssr::audit(ssr::audit_entry(admin.user(), "persona.create").persona(&created)).await;
    let emails = emails(&state, admin.user()).await?;
    Ok(with_email(&created, &emails))
}

#[server(prefix = "/rpc", endpoint = "personas_update")]
pub async fn personas_update(
    id: i32,
    name: String,
    #[server(default)] description: Option<String>,
    content: String,
    #[server(default)] user_id: Option<String>,
) -> Result<PersonaDto, AppError> {
    use crate::ssr;
    use domain::personas::PersonaChanges;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let changes = PersonaChanges {
        name: Some(name),
        description: Some(description.unwrap_or_default()),
        content: Some(content),
        user_id: Some(restricted_to(user_id)?),
    };
    let updated = domain::personas::update(&state.db, &admin, id, changes).await?;
    tracing::info!(actor = admin.user().id, persona_id = id, "persona updated");
    ssr::audit(ssr::audit_entry(admin.user(), "persona.update").persona(&updated)).await;
    let emails = emails(&state, admin.user()).await?;
    Ok(with_email(&updated, &emails))
}

#[server(prefix = "/rpc", endpoint = "personas_set_active")]
pub async fn personas_set_active(id: i32, active: bool) -> Result<PersonaDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let persona = domain::personas::set_active(&state.db, &admin, id, active).await?;
    tracing::info!(
        actor = admin.user().id,
        persona_id = id,
        active,
        "persona status changed"
    );
    let action = if active {
        "persona.activate"
    } else {
        "persona.deactivate"
    };
    ssr::audit(ssr::audit_entry(admin.user(), action).persona(&persona)).await;
    Ok(PersonaDto::from(&persona))
}

/// Deletes a persona; returns it as it was.
#[server(prefix = "/rpc", endpoint = "personas_delete")]
pub async fn personas_delete(id: i32) -> Result<PersonaDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let deleted = domain::personas::delete(&state.db, &admin, id).await?;
    tracing::info!(actor = admin.user().id, persona_id = id, "persona deleted");
    ssr::audit(ssr::audit_entry(admin.user(), "persona.delete").persona(&deleted)).await;
    Ok(PersonaDto::from(&deleted))
}

/// One persona the viewer may use, with its analytics. Who else used it (top users) is shown
/// to admins only.
#[server(prefix = "/rpc", endpoint = "persona_analytics")]
pub async fn persona_analytics(id: i32) -> Result<PersonaAnalyticsDto, AppError> {
    use crate::dto_insight::{RatingSummaryDto, UsageGroupDto};
    use crate::ssr;
    use domain::insight::labels::labels;
    use domain::ledger::query::GroupBy;
    let state = ssr::state()?;
    let (viewer, _) = ssr::require_user().await?;
    let a =
        domain::personas::analytics::analytics(&state.db, &viewer, id, chrono::Utc::now()).await?;
    let success_rate = a.success_rate();
    let top_users = if domain::insight::sees_organization(&viewer) {
        let emails = labels(&state.db, viewer.org_id, GroupBy::User, &a.top_users).await?;
        a.top_users
            .iter()
            .map(|g| UsageGroupDto::new(g, emails.get(&g.key).cloned().unwrap_or(g.key.clone())))
            .collect()
    } else {
        Vec::new()
    };
    let emails = if a.persona.user_id.is_some() {
        emails(&state, &viewer).await?
    } else {
        Default::default()
    };
    Ok(PersonaAnalyticsDto {
        persona: with_email(&a.persona, &emails),
        total: UsageGroupDto::new(&a.total, "total".to_owned()),
        success_rate,
        top_models: a.top_models.iter().map(UsageGroupDto::from).collect(),
        top_users,
        daily: a.daily.iter().map(UsageGroupDto::from).collect(),
        ratings: RatingSummaryDto::from(&a.ratings),
    })
}

use leptos::prelude::*;

use crate::dto::ProjectDto;
use crate::error::AppError;

/// Projects of the caller's organization, filtered by name substring and status
/// (`all`, `active`, `inactive`).
#[server(prefix = "/rpc", endpoint = "projects_list")]
pub async fn projects_list(name: String, status: String) -> Result<Vec<ProjectDto>, AppError> {
    use crate::ssr;
    use domain::projects::ProjectFilter;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let active = match status.as_str() {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    let filter = ProjectFilter {
        name_contains: Some(name),
        active,
    };
    let found = domain::projects::list(&state.db, &admin, &filter).await?;
    let counts = domain::provider_keys::count_by_project(&state.db, admin.user().org_id).await?;
    Ok(found
        .iter()
        .map(|p| {
            let mut dto = ProjectDto::from(p);
            (dto.keys, dto.active_keys) = counts.get(&p.id).copied().unwrap_or_default();
            dto
        })
        .collect())
}

/// One project, with its key counts.
#[server(prefix = "/rpc", endpoint = "projects_get")]
pub async fn projects_get(id: i32) -> Result<ProjectDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let project = domain::projects::get(&state.db, &admin, id).await?;
    let counts = domain::provider_keys::count_by_project(&state.db, admin.user().org_id).await?;
    let mut dto = ProjectDto::from(&project);
    (dto.keys, dto.active_keys) = counts.get(&id).copied().unwrap_or_default();
    Ok(dto)
}

#[server(prefix = "/rpc", endpoint = "projects_create")]
pub async fn projects_create(name: String, description: String) -> Result<ProjectDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let created = domain::projects::create(&state.db, &admin, &name, &description).await?;
    tracing::info!(
        actor = admin.user().id,
        project_id = created.id,
        "project created"
    );
    ssr::audit(ssr::audit_entry(admin.user(), "project.create").project(&created)).await;
    Ok(ProjectDto::from(&created))
}

#[server(prefix = "/rpc", endpoint = "projects_set_active")]
pub async fn projects_set_active(id: i32, active: bool) -> Result<ProjectDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let project = domain::projects::set_active(&state.db, &admin, id, active).await?;
    tracing::info!(
        actor = admin.user().id,
        project_id = id,
        active,
        "project status changed"
    );
    let action = if active {
        "project.activate"
    } else {
        "project.deactivate"
    };
    ssr::audit(ssr::audit_entry(admin.user(), action).project(&project)).await;
    Ok(ProjectDto::from(&project))
}

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
    Ok(found.iter().map(ProjectDto::from).collect())
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
    Ok(ProjectDto::from(&project))
}

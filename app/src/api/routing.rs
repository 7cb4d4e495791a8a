//! A project's routing, for admins on the project page: how the proxy balances among the
//! project's keys, and its model routes. The browser's side of `PUT /api/admin/projects/{id}`
//! (`balanceStrategy`) and `/api/admin/projects/{id}/routes`.

use leptos::prelude::*;

use crate::dto::{ModelRouteDto, RoutingDto};
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "routing_get")]
pub async fn routing_get(project_id: i32) -> Result<RoutingDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let project = domain::projects::get(&state.db, &admin, project_id).await?;
    let routes = domain::gateway::routes::list(&state.db, &admin, project_id).await?;
    let custom = domain::custom_providers::list(&state.db, admin.user()).await?;
    Ok(RoutingDto {
        strategy: project.balance_strategy,
        routes: routes.iter().map(ModelRouteDto::from).collect(),
        custom_slugs: custom.into_iter().map(|c| c.slug).collect(),
    })
}

#[server(prefix = "/rpc", endpoint = "routing_set_strategy")]
pub async fn routing_set_strategy(project_id: i32, strategy: String) -> Result<String, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let project =
        domain::projects::set_balance_strategy(&state.db, &admin, project_id, &strategy).await?;
    state.gateway.forget_cached();
    tracing::info!(
        actor = admin.user().id,
        project_id,
        strategy = %project.balance_strategy,
        "balancing strategy changed"
    );
    Ok(project.balance_strategy)
}

/// The form names the provider `route_provider` (the page's key form has a `provider`).
#[server(prefix = "/rpc", endpoint = "routes_add")]
pub async fn routes_add(
    project_id: i32,
    pattern: String,
    route_provider: String,
    #[server(default)] target_model: Option<String>,
) -> Result<ModelRouteDto, AppError> {
    use crate::ssr;
    use domain::gateway::routes::{self, NewRoute};
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let input = NewRoute {
        pattern,
        provider: route_provider,
        target_model,
    };
    let created = routes::add(&state.db, &admin, project_id, input)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Validation {
                field: Some(field),
                message,
            } if field == "provider" => AppError::Validation {
                field: Some("route_provider".into()),
                message,
            },
            other => other,
        })?;
    state.gateway.forget_cached();
    tracing::info!(
        actor = admin.user().id,
        project_id,
        route_id = created.id,
        "model route added"
    );
    Ok(ModelRouteDto::from(&created))
}

#[server(prefix = "/rpc", endpoint = "routes_delete")]
pub async fn routes_delete(project_id: i32, route_id: i32) -> Result<i32, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    domain::gateway::routes::delete(&state.db, &admin, project_id, route_id).await?;
    state.gateway.forget_cached();
    tracing::info!(
        actor = admin.user().id,
        project_id,
        route_id,
        "model route deleted"
    );
    Ok(route_id)
}

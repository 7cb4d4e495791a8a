//! Custom providers (seed 004's ProviderConfig): listed for everyone, defined by admins.
// One argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::dto::CustomProviderDto;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "providers_list")]
pub async fn providers_list() -> Result<Vec<CustomProviderDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let found = domain::custom_providers::list(&state.db, &user).await?;
    Ok(found.iter().map(CustomProviderDto::from).collect())
}

/// `models` is comma-separated; `requires_org` is a checkbox (`on` when ticked).
#[server(prefix = "/rpc", endpoint = "providers_create")]
pub async fn providers_create(
    slug: String,
    provider_name: String,
    provider_base_url: String,
    #[server(default)] api_version: Option<String>,
    auth_method: String,
    #[server(default)] auth_param: Option<String>,
    #[server(default)] requires_org: Option<String>,
    #[server(default)] models: Option<String>,
) -> Result<CustomProviderDto, AppError> {
    use crate::ssr;
    use domain::custom_providers::ProviderInput;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let input = ProviderInput {
        slug,
        name: provider_name,
        base_url: provider_base_url,
        api_version,
        auth_method,
        auth_param,
        requires_org: requires_org.is_some_and(|v| !v.is_empty() && v != "false"),
        models: models
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect(),
    };
    let created = domain::custom_providers::create(
        &state.db,
        &admin,
        &input,
        state.upstreams.allow_private(),
    )
    .await?;
    tracing::info!(
        actor = admin.user().id,
        provider_id = created.id,
        "custom provider created"
    );
    Ok(CustomProviderDto::from(&created))
}

#[server(prefix = "/rpc", endpoint = "providers_delete")]
pub async fn providers_delete(id: i32) -> Result<i32, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    domain::custom_providers::delete(&state.db, &admin, id).await?;
    tracing::info!(
        actor = admin.user().id,
        provider_id = id,
        "custom provider deleted"
    );
    Ok(id)
}

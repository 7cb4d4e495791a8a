use leptos::prelude::*;

use crate::dto::OrgDto;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "org_get")]
pub async fn org_get() -> Result<OrgDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (me, _) = ssr::require_user().await?;
    let org = domain::accounts::org::get(&state.db, &me).await?;
    Ok(OrgDto::from(&org))
}

#[server(prefix = "/rpc", endpoint = "org_rename")]
pub async fn org_rename(name: String) -> Result<OrgDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let org = domain::accounts::org::rename(&state.db, &admin, &name).await?;
    tracing::info!(actor = admin.user().id, "organization renamed");
    Ok(OrgDto::from(&org))
}

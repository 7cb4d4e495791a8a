//! Organization JWTs, managed by admins in Settings: an application holding one calls the
//! proxy as any of the organization's users (`X-User-ID`). Minting returns the token this
//! once — it is never stored, listed or logged — and the list shows only its record.

use leptos::prelude::*;

use crate::dto_admin::{NewOrgJwtDto, OrgJwtDto};
use crate::error::AppError;

/// Days a token lives when the form leaves it empty.
pub const DEFAULT_DAYS: u32 = 365;

#[cfg(feature = "ssr")]
fn refused(field: &str, message: &str) -> AppError {
    let err = AppError::validation(field, message);
    crate::ssr::answer_with(&err);
    err
}

/// Project names of the admin's organization, by id.
#[cfg(feature = "ssr")]
async fn project_names(
    state: &domain::AppState,
    admin: &domain::auth::Admin,
) -> Result<std::collections::HashMap<i32, String>, AppError> {
    let all = domain::projects::list(&state.db, admin, &Default::default()).await?;
    Ok(all.into_iter().map(|p| (p.id, p.name)).collect())
}

#[cfg(feature = "ssr")]
fn listed(
    t: &domain::entities::org_jwt::Model,
    names: &std::collections::HashMap<i32, String>,
    now: chrono::DateTime<chrono::Utc>,
) -> OrgJwtDto {
    let project = names
        .get(&t.project_id)
        .cloned()
        .unwrap_or_else(|| format!("Project #{}", t.project_id));
    OrgJwtDto::new(t, project, now)
}

/// The organization's JWTs, newest first.
#[server(prefix = "/rpc", endpoint = "org_jwts_list")]
pub async fn org_jwts_list() -> Result<Vec<OrgJwtDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let tokens = domain::org_jwts::list(&state.db, admin.user().org_id).await?;
    let names = project_names(&state, &admin).await?;
    let now = chrono::Utc::now();
    Ok(tokens.iter().map(|t| listed(t, &names, now)).collect())
}

/// Mints a token for `project_id` (empty: the oldest active project) living `days` days
/// (empty: [`DEFAULT_DAYS`]); returns it this once.
#[server(prefix = "/rpc", endpoint = "org_jwts_mint")]
pub async fn org_jwts_mint(
    jwt_name: String,
    #[server(default)] days: Option<String>,
    #[server(default)] project_id: Option<String>,
) -> Result<NewOrgJwtDto, AppError> {
    use crate::ssr;
    use domain::org_jwts::{MAX_DAYS, NewJwt};
    use secrecy::ExposeSecret as _;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let name = jwt_name.trim().to_owned();
    if name.is_empty() {
        return Err(refused(
            "jwt_name",
            "Name the application that will use it.",
        ));
    }
    let days = match days.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_DAYS,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| refused("days", &format!("A token lives 1 to {MAX_DAYS} days.")))?,
    };
    let project_id = match project_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| refused("project_id", "Choose an active project."))?,
        ),
    };
    let org_id = admin.user().org_id;
    let new = NewJwt {
        org_id,
        org_name: None,
        days,
        project_id,
        name,
        created_by: Some(admin.user().id),
    };
    let (record, token) = domain::org_jwts::mint(&state.db, &state.master_key, new).await?;
    tracing::info!(
        actor = admin.user().id,
        jwt_id = record.id,
        project_id = record.project_id,
        "organization JWT minted"
    );
    ssr::audit(ssr::audit_entry(admin.user(), "org_jwt.mint").org_jwt(&record)).await;
    let names = project_names(&state, &admin).await?;
    Ok(NewOrgJwtDto {
        jwt: listed(&record, &names, chrono::Utc::now()),
        token: token.expose_secret().to_owned(),
    })
}

#[server(prefix = "/rpc", endpoint = "org_jwts_revoke")]
pub async fn org_jwts_revoke(id: i32) -> Result<OrgJwtDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let org_id = admin.user().org_id;
    let name = domain::audit::targets::name_of(&state.db, "org_jwt", org_id, id).await?;
    let entry = ssr::audit_entry(admin.user(), "org_jwt.revoke").target("org_jwt", id, name);
    let revoke = domain::org_jwts::revoke(&state.db, org_id, id);
    let record = domain::audit::guarded(&state.db, entry, revoke).await?;
    tracing::info!(
        actor = admin.user().id,
        jwt_id = id,
        "organization JWT revoked"
    );
    let names = project_names(&state, &admin).await?;
    Ok(listed(&record, &names, chrono::Utc::now()))
}

/// Whether applications may create users for unknown `X-User-ID`s.
#[server(prefix = "/rpc", endpoint = "org_jwts_auto_create")]
pub async fn org_jwts_auto_create() -> Result<bool, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let org = domain::accounts::org::get(&state.db, admin.user()).await?;
    Ok(org.auto_create_users)
}

/// Lets (or stops) applications create users for unknown `X-User-ID`s; returns the setting.
#[server(prefix = "/rpc", endpoint = "org_jwts_set_auto_create")]
pub async fn org_jwts_set_auto_create(enabled: bool) -> Result<bool, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    domain::org_jwts::set_auto_create_users(&state.db, admin.user().org_id, enabled).await?;
    tracing::info!(
        actor = admin.user().id,
        enabled,
        "auto-create users for organization JWTs changed"
    );
    let entry = ssr::audit_entry(admin.user(), "org.auto_create_users")
        .detail(serde_json::json!({ "enabled": enabled }));
    ssr::audit(entry).await;
    Ok(enabled)
}

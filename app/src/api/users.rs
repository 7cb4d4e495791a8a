use leptos::prelude::*;

use crate::dto::UserDto;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "users_list")]
pub async fn users_list() -> Result<Vec<UserDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let users = domain::accounts::users::list(&state.db, &admin).await?;
    Ok(users.iter().map(UserDto::from).collect())
}

#[server(prefix = "/rpc", endpoint = "users_create")]
pub async fn users_create(
    display_name: String,
    email: String,
    role: String,
    password: String,
    #[server(default)] external_id: Option<String>,
) -> Result<UserDto, AppError> {
    use crate::ssr;
    use domain::accounts::users::NewUser;
    use secrecy::SecretString;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let input = NewUser {
        display_name,
        email,
        role,
        password: SecretString::from(password),
        external_id,
    };
    let user = domain::accounts::users::create(&state.db, &state.hasher, &admin, input).await?;
    tracing::info!(actor = admin.user().id, user_id = user.id, "user created");
    let entry = ssr::audit_entry(admin.user(), "user.create")
        .target("user", user.id, user.email.clone())
        .detail(serde_json::json!({ "role": user.role }));
    ssr::audit(entry).await;
    Ok(UserDto::from(&user))
}

#[server(prefix = "/rpc", endpoint = "users_set_role")]
pub async fn users_set_role(user_id: i32, role: String) -> Result<UserDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, auth) = ssr::require_admin().await?;
    ssr::require_recent_mfa(&auth, admin.user()).await?;
    let client = ssr::client_info();
    let user =
        domain::accounts::users::set_role(&state.db, &admin, user_id, &role, &client).await?;
    tracing::info!(actor = admin.user().id, user_id, role = %user.role, "role changed");
    Ok(UserDto::from(&user))
}

#[server(prefix = "/rpc", endpoint = "users_set_disabled")]
pub async fn users_set_disabled(user_id: i32, disabled: bool) -> Result<UserDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user = domain::accounts::users::set_disabled(&state.db, &admin, user_id, disabled).await?;
    let action = if disabled {
        "user.deactivate"
    } else {
        "user.activate"
    };
    let entry = ssr::audit_entry(admin.user(), action).target("user", user.id, user.email.clone());
    ssr::audit(entry).await;
    tracing::info!(
        actor = admin.user().id,
        user_id,
        disabled,
        "user status changed"
    );
    Ok(UserDto::from(&user))
}

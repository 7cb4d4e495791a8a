use leptos::prelude::*;

use crate::dto::MeDto;
use crate::error::AppError;

/// The signed-in user, or `None`.
#[server(prefix = "/rpc", endpoint = "me")]
pub async fn current_user() -> Result<Option<MeDto>, AppError> {
    use crate::ssr;
    let auth = ssr::auth_session().await?;
    let Some(user) = auth.user else {
        return Ok(None);
    };
    let state = ssr::state()?;
    let org = domain::accounts::org::get(&state.db, &user).await?;
    let mut me = MeDto::new(&user, &org);
    me.mfa_setup_required = domain::mfa::policy::setup_required(&state.db, &user).await?;
    Ok(Some(me))
}

#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::ssr;
    use secrecy::SecretString;
    let state = ssr::state()?;
    let mut auth = ssr::auth_session().await?;
    let creds = domain::auth::Credentials {
        email,
        password: SecretString::from(password),
        ip: ssr::client_ip(),
    };
    let client = ssr::client_info();
    use domain::mfa::sign_in::{PasswordStep, password_step};
    let user = match password_step(&state, &creds, &client).await? {
        PasswordStep::SignedIn(user) => user,
        PasswordStep::CodeRequired(user) => {
            // The session remembers whose code it waits for (not the password); the page
            // then asks for the code (`login_mfa`).
            let now = chrono::Utc::now().timestamp();
            domain::mfa::session::set_pending(&auth.session, user.id, now).await?;
            let err = AppError::MfaRequired;
            ssr::answer_with(&err);
            return Err(err);
        }
    };
    ssr::sign_in(&mut auth, &user).await?;
    tracing::info!(user_id = user.id, "signed in");
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::ssr;
    let mut auth = ssr::auth_session().await?;
    let user = auth.user.clone();
    ssr::sign_out(&mut auth).await?;
    if let Some(user) = user {
        ssr::audit(ssr::audit_entry(&user, "auth.sign_out")).await;
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// Whether the first-run setup link with `token` is still usable.
#[server(prefix = "/rpc", endpoint = "setup_status")]
pub async fn setup_status(token: String) -> Result<bool, AppError> {
    let state = crate::ssr::state()?;
    Ok(domain::accounts::setup::is_needed(&state.db).await? && state.setup.matches(&token).await)
}

/// First run: creates the organization and its owner, and signs the owner in.
#[server(prefix = "/rpc", endpoint = "setup")]
pub async fn setup(
    token: String,
    org_name: String,
    display_name: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::ssr;
    use domain::accounts::setup::{NewOrganization, create_organization};
    use secrecy::SecretString;
    let state = ssr::state()?;
    let Some(claim) = state.setup.claim(&token).await else {
        let err =
            AppError::Forbidden("This setup link is invalid or has already been used.".into());
        ssr::answer_with(&err);
        return Err(err);
    };
    if password != password_confirm {
        let err = AppError::validation("password_confirm", "The passwords do not match.");
        ssr::answer_with(&err);
        return Err(err);
    }
    let input = NewOrganization {
        org_name,
        owner_name: display_name,
        owner_email: email,
        password: SecretString::from(password),
    };
    let owner = create_organization(&state.db, &state.hasher, input, true).await?;
    claim.complete();
    let entry = domain::audit::Entry::new(
        Some(owner.org_id),
        domain::audit::Actor::anonymous(&owner.email),
        "org.create",
    )
    .target("organization", owner.org_id, "")
    .client(&ssr::client_info())
    .detail(serde_json::json!({ "via": "setup", "owner": owner.email }));
    ssr::audit(entry).await;
    tracing::info!(
        user_id = owner.id,
        org_id = owner.org_id,
        "first-run setup complete"
    );
    let user = domain::auth::SessionUser::from_model(&owner)?;
    let mut auth = ssr::auth_session().await?;
    ssr::sign_in(&mut auth, &user).await?;
    leptos_axum::redirect("/");
    Ok(())
}

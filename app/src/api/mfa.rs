//! Two-factor authentication: enrolment and its management on the account page, the code step
//! of sign-in, re-verification before sensitive actions, and the organization's requirement.
//! Enrolment works before a required second factor is set up (`require_signed_in`).

use leptos::prelude::*;

use crate::dto::OrgDto;
use crate::dto_mfa::{MfaEnrolmentDto, MfaStatusDto, RecoveryCodesDto};
use crate::error::AppError;

/// The caller's two-factor state.
#[server(prefix = "/rpc", endpoint = "mfa_status")]
pub async fn mfa_status() -> Result<MfaStatusDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_signed_in().await?;
    let mut status = MfaStatusDto::from(domain::mfa::status(&state.db, user.id).await?);
    status.org_requires = domain::mfa::policy::org_requires(&state.db, user.org_id).await?;
    Ok(status)
}

/// Starts enrolment: a new secret to add to an authenticator app (replaces one not yet
/// confirmed).
#[server(prefix = "/rpc", endpoint = "mfa_begin")]
pub async fn mfa_begin() -> Result<MfaEnrolmentDto, AppError> {
    use crate::ssr;
    use secrecy::ExposeSecret as _;
    let state = ssr::state()?;
    let (user, _) = ssr::require_signed_in().await?;
    let enrolment =
        domain::mfa::account::start_enrolment(&state, &user, chrono::Utc::now()).await?;
    Ok(MfaEnrolmentDto {
        secret: enrolment.secret.expose_secret().to_owned(),
        qr_data_url: enrolment.qr_data_url.expose_secret().to_owned(),
    })
}

/// Confirms enrolment with the app's current code; answers the recovery codes (shown once).
#[server(prefix = "/rpc", endpoint = "mfa_confirm")]
pub async fn mfa_confirm(code: String) -> Result<RecoveryCodesDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, auth) = ssr::require_signed_in().await?;
    let now = chrono::Utc::now();
    let client = ssr::client_info();
    let codes = domain::mfa::account::confirm_enrolment(&state, &user, &code, &client, now).await?;
    domain::mfa::session::mark_verified(&auth.session, now.timestamp()).await?;
    tracing::info!(user_id = user.id, "two-factor authentication enabled");
    Ok(codes.into())
}

/// Turns two-factor authentication off, given a current code or the password.
#[server(prefix = "/rpc", endpoint = "mfa_disable")]
pub async fn mfa_disable(credential: String) -> Result<(), AppError> {
    use crate::ssr;
    use secrecy::SecretString;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let client = ssr::client_info();
    let credential = SecretString::from(credential);
    domain::mfa::account::disable(&state, &user, credential, &client, chrono::Utc::now()).await?;
    tracing::info!(user_id = user.id, "two-factor authentication disabled");
    Ok(())
}

/// New recovery codes (the old ones stop working), given a current code.
#[server(prefix = "/rpc", endpoint = "mfa_recovery_codes")]
pub async fn mfa_recovery_codes(code: String) -> Result<RecoveryCodesDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let client = ssr::client_info();
    let now = chrono::Utc::now();
    let codes =
        domain::mfa::account::regenerate_recovery_codes(&state, &user, &code, &client, now).await?;
    Ok(codes.into())
}

/// Proves a current code for this session, so sensitive actions are allowed for five minutes.
#[server(prefix = "/rpc", endpoint = "mfa_verify")]
pub async fn mfa_verify(code: String) -> Result<(), AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, auth) = ssr::require_user().await?;
    let client = ssr::client_info();
    let now = chrono::Utc::now();
    domain::mfa::account::verify(&state, &user, &code, false, &client, now).await?;
    domain::mfa::session::mark_verified(&auth.session, now.timestamp()).await?;
    Ok(())
}

/// The second step of sign-in: the code for the sign-in this session has pending.
#[server(prefix = "/rpc", endpoint = "login_mfa")]
pub async fn login_mfa(code: String) -> Result<(), AppError> {
    use crate::ssr;
    use domain::mfa::session;
    let state = ssr::state()?;
    let mut auth = ssr::auth_session().await?;
    let now = chrono::Utc::now();
    let Some(user_id) = session::pending_user(&auth.session, now.timestamp()).await? else {
        let err = AppError::Validation {
            field: None,
            message: "The sign-in timed out. Enter your email and password again.".into(),
        };
        ssr::answer_with(&err);
        return Err(err);
    };
    let client = ssr::client_info();
    let (user, method) =
        domain::mfa::sign_in::code_step(&state, user_id, &code, &client, now).await?;
    session::clear_pending(&auth.session).await?;
    ssr::sign_in(&mut auth, &user).await?;
    session::mark_verified(&auth.session, now.timestamp()).await?;
    tracing::info!(
        user_id = user.id,
        second_factor = method.as_str(),
        "signed in"
    );
    leptos_axum::redirect("/");
    Ok(())
}

/// Turns the organization's "Require two-factor authentication" on or off (admins).
#[server(prefix = "/rpc", endpoint = "org_set_require_mfa")]
pub async fn org_set_require_mfa(required: bool) -> Result<OrgDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let client = ssr::client_info();
    let org = domain::mfa::policy::set_required(&state.db, &admin, required, &client).await?;
    tracing::info!(
        actor = admin.user().id,
        required,
        "two-factor requirement changed"
    );
    Ok(OrgDto::from(&org))
}

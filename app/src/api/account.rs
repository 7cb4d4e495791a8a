use leptos::prelude::*;

use crate::error::AppError;

/// Changes the caller's password; every other session of theirs ends.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::ssr;
    use secrecy::SecretString;
    let state = ssr::state()?;
    let (me, mut auth) = ssr::require_user().await?;
    if new_password != confirm_password {
        let err = AppError::validation("confirm_password", "The new passwords do not match.");
        ssr::answer_with(&err);
        return Err(err);
    }
    let changed = domain::accounts::users::change_password(
        &state.db,
        &state.hasher,
        &me,
        SecretString::from(current_password),
        SecretString::from(new_password),
    )
    .await;
    let updated = match changed {
        Ok(updated) => updated,
        Err(err) => {
            if let domain::DomainError::Validation {
                field: Some("current_password"),
                ..
            } = &err
            {
                let entry = ssr::audit_entry(&me, "user.password_change")
                    .target("user", me.id, me.email.clone())
                    .outcome(domain::audit::Outcome::Failure)
                    .detail(serde_json::json!({ "reason": "wrong current password" }));
                ssr::audit(entry).await;
            }
            return Err(err.into());
        }
    };
    let keep = auth.session.id();
    domain::session_store::delete_user_sessions(&state.db, me.id, keep.as_ref()).await?;
    // Re-authenticate this session with the new auth hash so it stays signed in.
    let refreshed = domain::auth::SessionUser::from_model(&updated)?;
    ssr::sign_in(&mut auth, &refreshed).await?;
    tracing::info!(user_id = me.id, "password changed");
    let entry =
        ssr::audit_entry(&me, "user.password_change").target("user", me.id, me.email.clone());
    ssr::audit(entry).await;
    Ok(())
}

/// Ends every session of the caller, this one included.
#[server(prefix = "/rpc", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (me, mut auth) = ssr::require_user().await?;
    domain::accounts::users::bump_session_epoch(&state.db, me.id).await?;
    ssr::audit(ssr::audit_entry(&me, "auth.sign_out_everywhere")).await;
    ssr::sign_out(&mut auth).await?;
    tracing::info!(user_id = me.id, "signed out everywhere");
    leptos_axum::redirect("/login");
    Ok(())
}

//! Sign-in for users with two-factor authentication: the password step, then the code step.
//!
//! For such users [`crate::accounts::login::authenticate`] answers `SecondFactorRequired`
//! after a correct password (and leaves the account's failure counter alone): the web layer
//! then marks the session as pending (see [`super::session`]) and asks for a code. The code
//! step needs that marker, never the password again. Wrong codes count against the sign-in
//! throttle; a successful code clears the account's counter.

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::json;

use super::account;
use super::store::Method;
use crate::audit::sign_in::SIGN_IN;
use crate::audit::{self, Actor, ClientInfo, Entry, Outcome};
use crate::auth::{Credentials, SessionUser};
use crate::entities::user;
use crate::error::DomainError;
use crate::state::AppState;
use crate::types::Email;

/// Where the password step left the sign-in.
#[derive(Debug)]
pub enum PasswordStep {
    /// No second factor: sign the session in.
    SignedIn(SessionUser),
    /// The password was right; a code is owed before the session may sign in.
    CodeRequired(SessionUser),
}

/// Checks the password (recorded like every sign-in attempt).
pub async fn password_step(
    state: &AppState,
    creds: &Credentials,
    client: &ClientInfo,
) -> Result<PasswordStep, DomainError> {
    match crate::audit::sign_in::authenticate(&state.db, &state.hasher, creds, client).await {
        Ok(user) => Ok(PasswordStep::SignedIn(user)),
        Err(DomainError::SecondFactorRequired) => {
            let email = Email::parse(&creds.email)?;
            let model = crate::accounts::find_by_email(&state.db, &email)
                .await?
                .ok_or(DomainError::InvalidCredentials)?;
            let user = SessionUser::from_model(&model)?;
            let waiting = Entry::new(Some(user.org_id), Actor::user(&user), SIGN_IN)
                .outcome(Outcome::Denied)
                .detail(json!({ "reason": "second factor required" }))
                .client(client);
            audit::record(&state.db, waiting).await;
            Ok(PasswordStep::CodeRequired(user))
        }
        Err(err) => Err(err),
    }
}

/// Checks the code of a pending sign-in of `user_id` (a TOTP code or a recovery code, which
/// is then used up). On success the caller signs the session in.
pub async fn code_step(
    state: &AppState,
    user_id: i32,
    code: &str,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<(SessionUser, Method), DomainError> {
    let model = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(DomainError::InvalidCredentials)?;
    let user = SessionUser::from_model(&model)?;
    let base = || Entry::new(Some(user.org_id), Actor::user(&user), SIGN_IN).client(client);
    match account::verify(state, &user, code, true, client, now).await {
        Ok(method) => {
            let done = base().detail(json!({ "second_factor": method.as_str() }));
            audit::record(&state.db, done).await;
            Ok((user, method))
        }
        Err(err) => {
            if !matches!(err, DomainError::Internal(_)) {
                let outcome = match err {
                    DomainError::Throttled { .. } => Outcome::Denied,
                    _ => Outcome::Failure,
                };
                let failed = base().outcome(outcome).detail(json!({ "reason": "mfa" }));
                audit::record(&state.db, failed).await;
            }
            Err(err)
        }
    }
}

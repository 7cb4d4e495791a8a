//! What a user does with their second factor — enrol, verify a code, turn it off, get new
//! recovery codes — with the sign-in throttle and the audit log. Wrong codes (and wrong
//! passwords when turning it off) count against the same per-account and per-address
//! throttle as sign-ins, so a stolen session cannot be used to guess codes. No audit entry
//! ever carries a code or the secret.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use super::store::{self, Enrolment, Method};
use crate::audit::{self, Actor, ClientInfo, Entry, Outcome};
use crate::auth::SessionUser;
use crate::entities::user;
use crate::error::DomainError;
use crate::state::AppState;
use crate::throttle;
use crate::types::Email;

fn entry(user: &SessionUser, action: &str, client: &ClientInfo) -> Entry {
    Entry::new(Some(user.org_id), Actor::user(user), action)
        .target("user", user.id, user.email.clone())
        .client(client)
}

fn ip_of(client: &ClientInfo) -> Option<IpAddr> {
    client.ip.as_deref().and_then(|ip| ip.parse().ok())
}

/// A short reason for the audit log (never the code).
fn reason(err: &DomainError) -> &'static str {
    match err {
        DomainError::Throttled { .. } => "throttled",
        DomainError::Validation { .. } => "wrong code",
        DomainError::Conflict(_) => "not enabled",
        _ => "error",
    }
}

fn refusal(err: &DomainError) -> Outcome {
    match err {
        DomainError::Throttled { .. } => Outcome::Denied,
        _ => Outcome::Failure,
    }
}

/// Starts enrolment: the secret (base32 and QR code) to add to an authenticator app.
pub async fn start_enrolment(
    state: &AppState,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Enrolment, DomainError> {
    store::begin(
        &state.db,
        &state.keyring,
        user.id,
        user.org_id,
        &user.email,
        now,
    )
    .await
}

/// Confirms enrolment with the first code; returns the recovery codes (shown once).
pub async fn confirm_enrolment(
    state: &AppState,
    user: &SessionUser,
    code: &str,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<Vec<SecretString>, DomainError> {
    match store::confirm(&state.db, &state.keyring, user.id, code, now).await {
        Ok(codes) => {
            audit::record(&state.db, entry(user, "mfa.enroll", client)).await;
            Ok(codes)
        }
        Err(err) => {
            if matches!(err, DomainError::Validation { .. }) {
                let failed = entry(user, "mfa.enroll", client)
                    .outcome(Outcome::Failure)
                    .detail(json!({ "reason": "wrong code" }));
                audit::record(&state.db, failed).await;
            }
            Err(err)
        }
    }
}

/// Checks a code of a user with two-factor on, throttled like sign-ins and recorded as
/// `mfa.verify`. Recovery codes are accepted (and used up) when `allow_recovery`.
pub async fn verify(
    state: &AppState,
    user: &SessionUser,
    code: &str,
    allow_recovery: bool,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<Method, DomainError> {
    let result = verify_throttled(state, user, code, allow_recovery, ip_of(client), now).await;
    let recorded = match &result {
        Ok(method) => {
            entry(user, "mfa.verify", client).detail(json!({ "method": method.as_str() }))
        }
        Err(DomainError::Internal(_)) => return result,
        Err(err) => entry(user, "mfa.verify", client)
            .outcome(refusal(err))
            .detail(json!({ "reason": reason(err) })),
    };
    audit::record(&state.db, recorded).await;
    result
}

async fn verify_throttled(
    state: &AppState,
    user: &SessionUser,
    code: &str,
    allow_recovery: bool,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Method, DomainError> {
    let email = Email::parse(&user.email)?;
    throttle::check(&state.db, &email, ip).await?;
    match store::check_code(
        &state.db,
        &state.keyring,
        user.id,
        code,
        allow_recovery,
        now,
    )
    .await
    {
        Ok(method) => {
            throttle::record_success(&state.db, &email).await?;
            Ok(method)
        }
        Err(err @ DomainError::Validation { .. }) => {
            throttle::record_failure(&state.db, &email, ip).await?;
            Err(err)
        }
        Err(err) => Err(err),
    }
}

/// Whether `password` is the user's, throttled like sign-ins.
async fn check_password(
    state: &AppState,
    user: &SessionUser,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<(), DomainError> {
    let email = Email::parse(&user.email)?;
    throttle::check(&state.db, &email, ip).await?;
    let stored = user::Entity::find_by_id(user.id)
        .one(&state.db)
        .await?
        .map(|u| u.password_hash);
    let ok = state
        .hasher
        .verify(SecretString::from(password.to_owned()), stored)
        .await?;
    if ok {
        throttle::record_success(&state.db, &email).await?;
        Ok(())
    } else {
        throttle::record_failure(&state.db, &email, ip).await?;
        Err(DomainError::validation(
            "credential",
            "That is neither a current code nor your password.",
        ))
    }
}

/// Turns two-factor authentication off, given a current code (TOTP or recovery) or the
/// password. Refused while the organization requires it.
pub async fn disable(
    state: &AppState,
    user: &SessionUser,
    credential: SecretString,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if super::policy::org_requires(&state.db, user.org_id).await? {
        return Err(DomainError::Forbidden(
            "Your organization requires two-factor authentication; it cannot be turned off.".into(),
        ));
    }
    if !store::is_enabled(&state.db, user.id).await? {
        return Err(DomainError::Conflict(
            "Two-factor authentication is not on.".into(),
        ));
    }
    let text = credential.expose_secret().trim();
    // Passwords have at least 12 characters; codes (even `xxxxx-xxxxx`) fewer.
    let is_code = text.chars().count() < crate::password::MIN_PASSWORD_CHARS
        && (super::totp::normalise(text).is_some() || super::recovery::looks_like(text));
    let checked = if is_code {
        verify_throttled(state, user, text, true, ip_of(client), now)
            .await
            .map(|_| ())
            .map_err(|err| match err {
                DomainError::Validation { message, .. } => DomainError::Validation {
                    field: Some("credential"),
                    message,
                },
                other => other,
            })
    } else {
        check_password(state, user, credential.expose_secret(), ip_of(client)).await
    };
    if let Err(err) = checked {
        if !matches!(err, DomainError::Internal(_)) {
            let failed = entry(user, "mfa.disable", client)
                .outcome(refusal(&err))
                .detail(json!({ "reason": if is_code { reason(&err) } else { "wrong password" } }));
            audit::record(&state.db, failed).await;
        }
        return Err(err);
    }
    store::remove(&state.db, user.id).await?;
    let how = if is_code { "code" } else { "password" };
    let done = entry(user, "mfa.disable", client).detail(json!({ "confirmed_with": how }));
    audit::record(&state.db, done).await;
    Ok(())
}

/// New recovery codes after a current TOTP code; the old ones stop working.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    user: &SessionUser,
    code: &str,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<Vec<SecretString>, DomainError> {
    if let Err(err) = verify_throttled(state, user, code, false, ip_of(client), now).await {
        if !matches!(err, DomainError::Internal(_)) {
            let failed = entry(user, "mfa.recovery_codes", client)
                .outcome(refusal(&err))
                .detail(json!({ "reason": reason(&err) }));
            audit::record(&state.db, failed).await;
        }
        return Err(err);
    }
    let codes = store::regenerate_codes(&state.db, user.id, now).await?;
    audit::record(&state.db, entry(user, "mfa.recovery_codes", client)).await;
    Ok(codes)
}

//! Sign-in with its audit trail: success, wrong credentials and throttle refusals are all
//! recorded (the attempted e-mail as the actor; never the password).

use sea_orm::DatabaseConnection;
use serde_json::json;

use super::entry::{Actor, ClientInfo, Entry, Outcome};
use crate::auth::{Credentials, SessionUser};
use crate::error::DomainError;
use crate::password::PasswordHasher;
use crate::types::Email;

/// The action recorded for sign-in attempts.
pub const SIGN_IN: &str = "auth.sign_in";

/// [`crate::accounts::login::authenticate`], recorded.
pub async fn authenticate(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    creds: &Credentials,
    client: &ClientInfo,
) -> Result<SessionUser, DomainError> {
    let result = crate::accounts::login::authenticate(db, hasher, creds).await;
    // Text that is not an e-mail address may be a password typed into the wrong field.
    let attempted = || match Email::parse(&creds.email) {
        Ok(email) => Actor::anonymous(email.as_str()),
        Err(_) => Actor::anonymous("(not an e-mail address)"),
    };
    let entry = match &result {
        Ok(user) => Some(Entry::new(Some(user.org_id), Actor::user(user), SIGN_IN)),
        Err(DomainError::InvalidCredentials) => {
            Some(Entry::new(None, attempted(), SIGN_IN).outcome(Outcome::Failure))
        }
        Err(DomainError::Throttled { retry_after_secs }) => Some(
            Entry::new(None, attempted(), SIGN_IN)
                .outcome(Outcome::Denied)
                .detail(json!({ "reason": "throttled", "retry_after_secs": retry_after_secs })),
        ),
        Err(_) => None,
    };
    if let Some(entry) = entry {
        super::record(db, entry.client(client)).await;
    }
    result
}

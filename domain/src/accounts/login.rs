//! Sign-in: throttling, constant-shape failures, and the password check.

use crate::auth::{Credentials, SessionUser};
use crate::error::DomainError;
use crate::password::PasswordHasher;
use crate::throttle;
use crate::types::Email;
use sea_orm::DatabaseConnection;

/// Checks credentials. Unknown e-mail, wrong password and disabled account all fail with the
/// same `InvalidCredentials` after the same amount of hashing work. A right password of a user
/// with two-factor authentication answers `SecondFactorRequired` (see `crate::mfa::sign_in`).
pub async fn authenticate(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    creds: &Credentials,
) -> Result<SessionUser, DomainError> {
    // A malformed address cannot match an account; treat it like any other miss so the
    // answer does not reveal which addresses are well-formed accounts.
    let Ok(email) = Email::parse(&creds.email) else {
        hasher.verify(creds.password.clone(), None).await?;
        return Err(DomainError::InvalidCredentials);
    };
    throttle::check(db, &email, creds.ip).await?;

    let user = super::find_by_email(db, &email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = hasher.verify(creds.password.clone(), stored).await?;
    match user {
        Some(user) if password_ok && !user.disabled => {
            // With two-factor on, the password alone proves nothing yet: the second factor
            // (crate::mfa::sign_in) clears the failure counter, so re-entering a known password
            // cannot reset the throttle on guessing codes.
            if crate::mfa::is_enabled(db, user.id).await? {
                return Err(DomainError::SecondFactorRequired);
            }
            throttle::record_success(db, &email).await?;
            SessionUser::from_model(&user)
        }
        _ => {
            throttle::record_failure(db, &email, creds.ip).await?;
            Err(DomainError::InvalidCredentials)
        }
    }
}

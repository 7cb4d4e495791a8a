//! Domain errors. Each maps to one HTTP status in the web layer; `Internal` never carries
//! text meant for clients.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DomainError {
    #[error("{message}")]
    Validation {
        field: Option<&'static str>,
        message: String,
    },
    #[error("Incorrect email or password.")]
    InvalidCredentials,
    #[error("Too many failed attempts. Try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    /// The password was right; sign-in needs the second factor (a TOTP or recovery code).
    #[error("Enter the code from your authenticator app.")]
    SecondFactorRequired,
    /// A sensitive action needs a TOTP code verified in this session within the last minutes.
    #[error("Confirm it is you: enter the code from your authenticator app, then try again.")]
    ReverifyRequired,
    /// The organization requires two-factor sign-in and this user has not set it up yet.
    #[error(
        "Your organization requires two-factor authentication. Set it up on your Account page first."
    )]
    MfaSetupRequired,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("internal error")]
    Internal(String),
}

impl DomainError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {err}"))
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal("database", err)
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

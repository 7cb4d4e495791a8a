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
    /// The database cannot be reached or cannot take writes (storage full): temporary, so
    /// answered 503 with a message saying so rather than a generic failure.
    #[error("{}", .0.message())]
    Unavailable(Unavailability),
}

/// Why the database cannot serve right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailability {
    /// No connection could be made or kept (server down, network, pool exhausted).
    Unreachable,
    /// The disk or database is full: writes fail until space returns.
    StorageFull,
    /// Another writer holds the database (SQLite busy) for longer than the busy timeout.
    Busy,
}

impl Unavailability {
    pub fn message(self) -> &'static str {
        match self {
            Unavailability::Unreachable => {
                "Keygate cannot reach its database right now. Nothing was changed; try again in a moment."
            }
            Unavailability::StorageFull => {
                "Keygate's storage is full, so nothing was saved. Ask an operator to free disk space."
            }
            Unavailability::Busy => {
                "Keygate's database is busy. Nothing was changed; try again in a moment."
            }
        }
    }

    /// Reads a database error: `None` for errors that are not about availability.
    pub fn of(err: &sea_orm::DbErr) -> Option<Self> {
        use sea_orm::DbErr;
        if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
            return Some(Unavailability::Unreachable);
        }
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("database or disk is full")
            || text.contains("no space left on device")
            || text.contains("could not extend file")
            || text.contains("disk full")
        {
            Some(Unavailability::StorageFull)
        } else if text.contains("database is locked") || text.contains("database is busy") {
            Some(Unavailability::Busy)
        } else if text.contains("pool timed out")
            || text.contains("connection refused")
            || text.contains("connection reset")
            || text.contains("broken pipe")
            || text.contains("pool closed")
            || text.contains("error communicating with database")
            || text.contains("not accepting connections")
            || text.contains("terminating connection")
            || text.contains("does not allow connections")
        {
            Some(Unavailability::Unreachable)
        } else {
            None
        }
    }
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
        match Unavailability::of(&err) {
            Some(why) => {
                tracing::warn!(error = %err, "the database is unavailable");
                Self::Unavailable(why)
            }
            None => Self::internal("database", err),
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

//! The one error type server functions return. It crosses into the browser, so it carries only
//! text meant for users; internal details are logged on the server and replaced by `Internal`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("Not found.")]
    NotFound,
    #[error("{message}")]
    Validation {
        field: Option<String>,
        message: String,
    },
    #[error("Incorrect email or password.")]
    InvalidCredentials,
    #[error("Too many failed attempts. Try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    /// Sign-in needs the second factor: the password was right.
    #[error("Enter the code from your authenticator app.")]
    MfaRequired,
    /// A sensitive action needs a recent TOTP code in this session.
    #[error("Confirm it is you: enter the code from your authenticator app, then try again.")]
    ReverifyRequired,
    /// The organization requires two-factor sign-in; this user must set it up first.
    #[error(
        "Your organization requires two-factor authentication. Set it up on your Account page first."
    )]
    MfaSetupRequired,
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The database is down or full: temporary, nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// The request did not reach the server function or its answer could not be read.
    #[error("Could not reach Keygate: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials | AppError::MfaRequired => 401,
            AppError::ReverifyRequired | AppError::MfaSetupRequired => 403,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::Validation { .. } => 422,
            AppError::Throttled { .. } => 429,
            AppError::Conflict(_) => 409,
            AppError::Internal | AppError::Transport(_) => 500,
            AppError::Unavailable(_) => 503,
        }
    }

    /// A stable machine-readable code, as used in REST error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation { .. } => "validation_failed",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Throttled { .. } => "too_many_attempts",
            AppError::MfaRequired => "mfa_required",
            AppError::ReverifyRequired => "mfa_verification_required",
            AppError::MfaSetupRequired => "mfa_setup_required",
            AppError::Conflict(_) => "conflict",
            AppError::Internal => "internal",
            AppError::Unavailable(_) => "unavailable",
            AppError::Transport(_) => "transport",
        }
    }

    /// The message for one form field, if this error is about that field.
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            AppError::Validation {
                field: Some(field),
                message,
            } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// Errors that belong to the form as a whole rather than to one field.
    pub fn form_message(&self) -> Option<String> {
        match self {
            AppError::Validation { field: Some(_), .. } => None,
            other => Some(other.to_string()),
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<domain::DomainError> for AppError {
    fn from(err: domain::DomainError) -> Self {
        use domain::DomainError as D;
        let app = match err {
            D::Validation { field, message } => AppError::Validation {
                field: field.map(str::to_owned),
                message,
            },
            D::InvalidCredentials => AppError::InvalidCredentials,
            D::Throttled { retry_after_secs } => AppError::Throttled { retry_after_secs },
            D::SecondFactorRequired => AppError::MfaRequired,
            D::ReverifyRequired => AppError::ReverifyRequired,
            D::MfaSetupRequired => AppError::MfaSetupRequired,
            D::Conflict(message) => AppError::Conflict(message),
            D::Forbidden(message) => AppError::Forbidden(message),
            D::NotFound => AppError::NotFound,
            D::Unavailable(why) => AppError::Unavailable(why.message().to_owned()),
            D::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                AppError::Internal
            }
        };
        crate::ssr::answer_with(&app);
        app
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_routed_to_their_field_only() {
        let err = AppError::validation("email", "Enter a valid email address.");
        assert_eq!(
            err.field_message("email").as_deref(),
            Some("Enter a valid email address.")
        );
        assert_eq!(err.field_message("password"), None);
        assert_eq!(err.form_message(), None);
        assert_eq!(
            AppError::InvalidCredentials.form_message().as_deref(),
            Some("Incorrect email or password.")
        );
    }

    #[test]
    fn statuses_and_codes_match_the_api_contract() {
        assert_eq!(
            AppError::Throttled {
                retry_after_secs: 2
            }
            .status(),
            429
        );
        assert_eq!(AppError::Forbidden("x".into()).status(), 403);
        assert_eq!(AppError::validation("f", "m").status(), 422);
        assert_eq!(AppError::Conflict("x".into()).code(), "conflict");
    }

    #[test]
    fn errors_round_trip_through_the_wire_encoding() {
        let err = AppError::Throttled {
            retry_after_secs: 4,
        };
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }
}

//! Two-factor authentication as the browser sees it. The enrolment secret and recovery codes
//! cross to the browser exactly once, to be shown to their owner; `Debug` never prints them.

use serde::{Deserialize, Serialize};

/// The caller's two-factor state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatusDto {
    pub enabled: bool,
    /// RFC 3339.
    pub enabled_at: Option<String>,
    pub recovery_codes_left: u64,
    /// The organization requires two-factor authentication (then it cannot be turned off).
    pub org_requires: bool,
}

/// What to add to an authenticator app: the QR code and the same secret for typing in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaEnrolmentDto {
    /// Base32, shown for manual entry.
    pub secret: String,
    /// `data:image/png;base64,…` of the `otpauth://` URL.
    pub qr_data_url: String,
}

impl std::fmt::Debug for MfaEnrolmentDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaEnrolmentDto(<redacted>)")
    }
}

/// Ten single-use recovery codes, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodesDto(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodesDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodesDto({} codes, <redacted>)", self.0.len())
    }
}

#[cfg(feature = "ssr")]
impl From<domain::mfa::Status> for MfaStatusDto {
    fn from(status: domain::mfa::Status) -> Self {
        MfaStatusDto {
            enabled: status.enabled,
            enabled_at: status.enabled_at.map(|at| at.to_rfc3339()),
            recovery_codes_left: status.recovery_codes_left,
            org_requires: false,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<Vec<secrecy::SecretString>> for RecoveryCodesDto {
    fn from(codes: Vec<secrecy::SecretString>) -> Self {
        use secrecy::ExposeSecret as _;
        RecoveryCodesDto(codes.iter().map(|c| c.expose_secret().to_owned()).collect())
    }
}

//! TOTP (RFC 6238) as authenticator apps expect it: HMAC-SHA-1, 6 digits, 30-second steps,
//! a 160-bit secret. A code is accepted for the current step and one step either side (clock
//! drift), and never for a step at or before the last one accepted (replay).

use rand::RngCore as _;
use secrecy::SecretString;
use totp_rs::{Algorithm, Builder, Totp};
use zeroize::Zeroizing;

use crate::error::DomainError;

/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Keygate";
pub const DIGITS: u8 = 6;
pub const STEP_SECS: u64 = 30;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: u64 = 1;
/// RFC 4226 recommends 160 bits.
const SECRET_LEN: usize = 20;
/// RFC 4226's minimum.
const MIN_SECRET_LEN: usize = 16;

/// Why a code was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not the code for any step in the window (or not 6 digits).
    Wrong,
    /// The code of a step already used.
    Replayed,
}

/// A TOTP secret in memory: zeroed on drop, never printed.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// 160 fresh bits from the operating system's CSPRNG (via `rand`'s thread RNG).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_LEN]);
        rand::rng().fill_bytes(bytes.as_mut_slice());
        Self(bytes)
    }

    /// A secret read back from the vault.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DomainError> {
        if bytes.len() < MIN_SECRET_LEN {
            return Err(DomainError::Internal(
                "stored TOTP secret is too short".into(),
            ));
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// The raw bytes, for sealing. Handle with care.
    pub(crate) fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self, account: &str, skew: u16) -> Result<Totp, DomainError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_skew(skew)
            .with_secret(self.0.to_vec())
            .with_issuer(Some(ISSUER))
            .with_account_name(account.replace(':', ""))
            .build()
            .map_err(|e| DomainError::internal("building a TOTP", e))
    }

    /// The secret in base32 (no padding), for typing into an app by hand.
    pub fn base32(&self) -> Result<SecretString, DomainError> {
        Ok(SecretString::from(self.totp("", 0)?.secret().to_base32()))
    }

    /// `otpauth://totp/Keygate:<account>?secret=…&issuer=Keygate`.
    pub fn otpauth_url(&self, account: &str) -> Result<SecretString, DomainError> {
        self.totp(account, 0)?
            .to_url()
            .map(SecretString::from)
            .map_err(|e| DomainError::internal("building the otpauth URL", e))
    }

    /// The otpauth URL as a QR code: a `data:image/png;base64,…` URL for an `<img>`.
    pub fn qr_data_url(&self, account: &str) -> Result<SecretString, DomainError> {
        let png = self
            .totp(account, 0)?
            .to_qr_base64()
            .map_err(|e| DomainError::internal("drawing the QR code", e))?;
        Ok(SecretString::from(format!("data:image/png;base64,{png}")))
    }

    /// The code for the step containing `unix` (tests and diagnostics).
    pub fn code_at(&self, unix: u64) -> Result<String, DomainError> {
        Ok(self.totp("", 0)?.generate(unix).to_string())
    }

    /// The step `code` belongs to, looking at the current step and `SKEW_STEPS` either side of
    /// it, newest first. Steps at or before `last_step` are refused as replays.
    pub fn verify(&self, code: &str, unix: u64, last_step: Option<i64>) -> Result<u64, Refusal> {
        let code = normalise(code).ok_or(Refusal::Wrong)?;
        let totp = self.totp("", 0).map_err(|_| Refusal::Wrong)?;
        let current = unix / STEP_SECS;
        let first = current.saturating_sub(SKEW_STEPS);
        let used = |step: u64| {
            last_step.is_some_and(|last| i64::try_from(step).unwrap_or(i64::MAX) <= last)
        };
        let mut replayed = false;
        for step in (first..=current + SKEW_STEPS).rev() {
            if totp.check(&code, step * STEP_SECS).is_some() {
                if used(step) {
                    replayed = true;
                } else {
                    return Ok(step);
                }
            }
        }
        Err(if replayed {
            Refusal::Replayed
        } else {
            Refusal::Wrong
        })
    }
}

/// A typed code without spaces; `None` unless it is exactly six digits.
pub fn normalise(code: &str) -> Option<Zeroizing<String>> {
    let digits: Zeroizing<String> =
        Zeroizing::new(code.chars().filter(|c| !c.is_whitespace()).collect());
    (digits.len() == usize::from(DIGITS) && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        // Appendix B lists 8 digits; authenticator apps show the last 6.
        let secret = rfc_secret();
        assert_eq!(secret.code_at(59).unwrap(), "287082");
        assert_eq!(secret.code_at(1_111_111_109).unwrap(), "081804");
        assert_eq!(secret.code_at(1_234_567_890).unwrap(), "005924");
        assert_eq!(secret.code_at(2_000_000_000).unwrap(), "279037");
    }

    #[test]
    fn accepts_one_step_either_side_and_no_further() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = secret.code_at(now).unwrap();
        let step = now / STEP_SECS;
        assert_eq!(secret.verify(&code, now, None), Ok(step));
        assert_eq!(secret.verify(&code, now + STEP_SECS, None), Ok(step));
        assert_eq!(secret.verify(&code, now - STEP_SECS, None), Ok(step));
        assert_eq!(
            secret.verify(&code, now + 2 * STEP_SECS, None),
            Err(Refusal::Wrong)
        );
        assert_eq!(
            secret.verify(&code, now - 2 * STEP_SECS, None),
            Err(Refusal::Wrong)
        );
        // Spaces as apps show them ("005 924") are fine; anything else is not a code.
        assert_eq!(secret.verify("005 924", now, None), Ok(step));
        assert_eq!(secret.verify("00592", now, None), Err(Refusal::Wrong));
        assert_eq!(secret.verify("+05924", now, None), Err(Refusal::Wrong));
        assert_eq!(secret.verify("", now, None), Err(Refusal::Wrong));
    }

    #[test]
    fn refuses_a_code_whose_step_was_already_used() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = secret.code_at(now).unwrap();
        let step = i64::try_from(now / STEP_SECS).unwrap();
        assert_eq!(
            secret.verify(&code, now, Some(step)),
            Err(Refusal::Replayed)
        );
        assert_eq!(
            secret.verify(&code, now, Some(step + 1)),
            Err(Refusal::Replayed)
        );
        // The next step's code is still good.
        let next = secret.code_at(now + STEP_SECS).unwrap();
        assert_eq!(
            secret.verify(&next, now + STEP_SECS, Some(step)),
            Ok(now / STEP_SECS + 1)
        );
    }

    #[test]
    fn secrets_are_random_and_never_printed() {
        let a = TotpSecret::generate();
        let b = TotpSecret::generate();
        assert_eq!(a.expose_bytes().len(), 20);
        assert_ne!(a.expose_bytes(), b.expose_bytes());
        assert_eq!(format!("{a:?}"), "TotpSecret(<redacted>)");
        assert!(TotpSecret::from_bytes(&[1; 10]).is_err());
    }

    #[test]
    fn provisioning_uri_and_qr_code_name_keygate_and_the_account() {
        let secret = rfc_secret();
        let url = secret.otpauth_url("ada@example.com").unwrap();
        assert_eq!(
            url.expose_secret(),
            "otpauth://totp/Keygate:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Keygate"
        );
        assert_eq!(
            secret.base32().unwrap().expose_secret(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        let qr = secret.qr_data_url("ada@example.com").unwrap();
        assert!(qr.expose_secret().starts_with("data:image/png;base64,"));
    }
}

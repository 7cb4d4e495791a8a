//! What a provider key's secret is made of, how it is checked, masked, and turned into the
//! bytes the vault seals. Most providers have one API key; AWS has an access key id plus a
//! secret access key (the region is not secret and lives in its own column).

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::DomainError;
use crate::providers::ProviderKind;

/// A provider secret in memory. `Debug` shows the masked form only.
pub struct ProviderSecret {
    /// The API key (AWS: the access key id).
    pub key: SecretString,
    /// AWS only: the secret access key.
    pub secret_access_key: Option<SecretString>,
}

impl std::fmt::Debug for ProviderSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProviderSecret(<redacted>)")
    }
}

/// The sealed plaintext layout for multi-field secrets.
#[derive(Serialize, Deserialize)]
struct AwsPlaintext {
    access_key_id: String,
    secret_access_key: String,
}

const AWS_MARKER: &str = "aws1:";

impl ProviderSecret {
    /// Checks a secret typed by a person: trimmed, format-checked for `provider`; AWS also
    /// needs a secret access key.
    pub fn parse(
        provider: ProviderKind,
        key: &str,
        secret_access_key: Option<&str>,
    ) -> Result<Self, DomainError> {
        let key = provider.validate_key(key)?;
        let secret_access_key = match provider {
            ProviderKind::Aws => {
                let raw = secret_access_key.map(str::trim).unwrap_or_default();
                if raw.len() < 16
                    || raw.len() > 256
                    || raw.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(DomainError::validation(
                        "secret_access_key",
                        "Enter the AWS secret access key (at least 16 characters).",
                    ));
                }
                Some(SecretString::from(raw.to_owned()))
            }
            _ => None,
        };
        Ok(Self {
            key: SecretString::from(key),
            secret_access_key,
        })
    }

    /// The bytes sealed in the vault.
    pub fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>, DomainError> {
        match &self.secret_access_key {
            None => Ok(Zeroizing::new(self.key.expose_secret().as_bytes().to_vec())),
            Some(secret) => {
                let json = serde_json::to_vec(&AwsPlaintext {
                    access_key_id: self.key.expose_secret().to_owned(),
                    secret_access_key: secret.expose_secret().to_owned(),
                })
                .map_err(|e| DomainError::internal("encoding secret", e))?;
                let mut out = Zeroizing::new(AWS_MARKER.as_bytes().to_vec());
                out.extend_from_slice(&json);
                Ok(out)
            }
        }
    }

    /// Reads back what `to_plaintext` produced.
    pub fn from_plaintext(bytes: &[u8]) -> Result<Self, DomainError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| DomainError::Internal("stored secret is not UTF-8".into()))?;
        match text.strip_prefix(AWS_MARKER) {
            Some(json) => {
                let parsed: AwsPlaintext = serde_json::from_str(json)
                    .map_err(|_| DomainError::Internal("stored AWS secret is malformed".into()))?;
                Ok(Self {
                    key: SecretString::from(parsed.access_key_id),
                    secret_access_key: Some(SecretString::from(parsed.secret_access_key)),
                })
            }
            None => Ok(Self {
                key: SecretString::from(text.to_owned()),
                secret_access_key: None,
            }),
        }
    }

    /// The masked form shown everywhere: the provider's prefix, an ellipsis, the last four.
    pub fn mask(&self, provider: ProviderKind) -> String {
        mask(provider, self.key.expose_secret())
    }
}

/// `sk-proj-…abcd`: enough to tell keys apart, never enough to use one.
pub fn mask(provider: ProviderKind, key: &str) -> String {
    let prefix = provider
        .key_prefixes()
        .iter()
        .find(|p| key.starts_with(**p))
        .copied()
        .unwrap_or("");
    let chars: Vec<char> = key.chars().collect();
    // Short custom keys show fewer trailing characters so the mask never reveals most of it.
    let tail_len = if chars.len() >= 16 { 4 } else { 2 };
    let tail: String = chars[chars.len().saturating_sub(tail_len)..]
        .iter()
        .collect();
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_prefix_and_last_four() {
        assert_eq!(
            mask(ProviderKind::OpenAi, "sk-proj-abcdefghijklmnop1234"),
            "sk-proj-…1234"
        );
        assert_eq!(
            mask(ProviderKind::OpenAi, "sk-abcdefghijklmnopabcd"),
            "sk-…abcd"
        );
        assert_eq!(
            mask(ProviderKind::Anthropic, "sk-ant-api03-xxxxxxxxxxxxwxyz"),
            "sk-ant-…wxyz"
        );
        assert_eq!(mask(ProviderKind::Custom, "short-key"), "…ey");
    }

    #[test]
    fn aws_secrets_need_both_parts_and_round_trip() {
        assert!(ProviderSecret::parse(ProviderKind::Aws, "AKIAIOSFODNN7EXAMPLE", None).is_err());
        let secret = ProviderSecret::parse(
            ProviderKind::Aws,
            " AKIAIOSFODNN7EXAMPLE ",
            Some("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        )
        .unwrap();
        let plain = secret.to_plaintext().unwrap();
        let back = ProviderSecret::from_plaintext(&plain).unwrap();
        assert_eq!(back.key.expose_secret(), "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            back.secret_access_key.unwrap().expose_secret(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
        assert_eq!(secret.mask(ProviderKind::Aws), "AKIA…MPLE");
        assert_eq!(format!("{secret:?}"), "ProviderSecret(<redacted>)");
    }

    #[test]
    fn single_key_secrets_round_trip() {
        let secret =
            ProviderSecret::parse(ProviderKind::Groq, "gsk_abcdefghijklmnop", None).unwrap();
        let back = ProviderSecret::from_plaintext(&secret.to_plaintext().unwrap()).unwrap();
        assert_eq!(back.key.expose_secret(), "gsk_abcdefghijklmnop");
        assert!(back.secret_access_key.is_none());
    }
}

//! Environment fallback keys (seed 003): `KEYGATE_FALLBACK_<PROVIDER>_API_KEY`, used only when
//! neither the user nor the project has a key for that provider. Off unless configured.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret as _, SecretString};

use crate::error::DomainError;
use crate::provider_keys::secret::mask;
use crate::providers::ProviderKind;

/// The configured fallback keys. `Debug` shows providers only.
#[derive(Clone, Default)]
pub struct FallbackKeys {
    keys: BTreeMap<&'static str, (ProviderKind, SecretString)>,
}

impl std::fmt::Debug for FallbackKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackKeys")
            .field("providers", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl FallbackKeys {
    /// The environment variable for `provider`, e.g. `KEYGATE_FALLBACK_OPENAI_API_KEY`.
    pub fn env_var(provider: ProviderKind) -> String {
        format!(
            "KEYGATE_FALLBACK_{}_API_KEY",
            provider.id().to_ascii_uppercase()
        )
    }

    /// Builds the set from `(provider, raw key)` pairs, checking each key's format.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (ProviderKind, String)>,
    ) -> Result<Self, DomainError> {
        let mut keys = BTreeMap::new();
        for (provider, raw) in pairs {
            if matches!(provider, ProviderKind::Aws | ProviderKind::Custom) {
                return Err(DomainError::Internal(format!(
                    "{} cannot have an environment fallback key",
                    Self::env_var(provider)
                )));
            }
            let key = provider.validate_key(&raw).map_err(|_| {
                DomainError::Internal(format!(
                    "{} does not look like a {} key (Invalid API key format)",
                    Self::env_var(provider),
                    provider.display_name()
                ))
            })?;
            keys.insert(provider.id(), (provider, SecretString::from(key)));
        }
        Ok(Self { keys })
    }

    /// Reads every `KEYGATE_FALLBACK_<PROVIDER>_API_KEY` that is set and not empty.
    pub fn from_env() -> Result<Self, DomainError> {
        let pairs = ProviderKind::ALL.into_iter().filter_map(|p| {
            std::env::var(Self::env_var(p))
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (p, v))
        });
        Self::from_pairs(pairs.collect::<Vec<_>>())
    }

    pub fn get(&self, provider: ProviderKind) -> Option<&SecretString> {
        self.keys.get(provider.id()).map(|(_, key)| key)
    }

    /// `(provider, masked key)` for every configured fallback, for display.
    pub fn masked(&self) -> Vec<(ProviderKind, String)> {
        self.keys
            .values()
            .map(|(p, key)| (*p, mask(*p, key.expose_secret())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallbacks_are_checked_masked_and_never_printed() {
        let keys = FallbackKeys::from_pairs([(
            ProviderKind::OpenAi,
            " sk-proj-fallbackabcdefgh1234 ".to_owned(),
        )])
        .unwrap();
        assert_eq!(
            keys.get(ProviderKind::OpenAi).unwrap().expose_secret(),
            "sk-proj-fallbackabcdefgh1234"
        );
        assert!(keys.get(ProviderKind::Anthropic).is_none());
        assert_eq!(
            keys.masked(),
            vec![(ProviderKind::OpenAi, "sk-proj-…1234".to_owned())]
        );
        assert!(!format!("{keys:?}").contains("fallback"));
        let bad =
            FallbackKeys::from_pairs([(ProviderKind::Anthropic, "sk-wrong-kind-1234".into())]);
        match bad {
            Err(DomainError::Internal(message)) => {
                assert!(
                    message.contains("KEYGATE_FALLBACK_ANTHROPIC_API_KEY"),
                    "{message}"
                );
                assert!(!message.contains("sk-wrong"), "{message}");
            }
            other => panic!("expected a start-up error, got {other:?}"),
        }
        assert_eq!(
            FallbackKeys::env_var(ProviderKind::Groq),
            "KEYGATE_FALLBACK_GROQ_API_KEY"
        );
    }
}

//! Envelope encryption: each secret gets its own random data key; the secret is sealed with
//! AES-256-GCM under the data key, and the data key is sealed under a keyring version. Both
//! seals carry AAD naming the purpose, organization, record and field, so a ciphertext copied
//! into another row, organization or field does not open.

use secrecy::SecretSlice;

use super::keyring::Keyring;
use super::{MasterKey, VaultError};

/// Where a secret belongs. Every part goes into the AAD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretContext<'a> {
    /// What the secret is for, e.g. `provider_key`.
    pub purpose: &'a str,
    pub org_id: i32,
    /// The owning row, e.g. `provider_keys:7f3c…`.
    pub record: &'a str,
    /// The column, e.g. `secret`.
    pub field: &'a str,
}

impl SecretContext<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "keygate/v1|{}|org:{}|{}|{}",
            self.purpose, self.org_id, self.record, self.field
        )
        .into_bytes()
    }

    fn data_key_aad(&self, version: i32) -> Vec<u8> {
        let mut aad = self.aad();
        aad.extend_from_slice(format!("|data_key|v{version}").as_bytes());
        aad
    }
}

/// A sealed secret as stored: the keyring version, the wrapped data key and the ciphertext
/// (each `nonce ‖ ciphertext ‖ tag`). Nothing here is secret without the keyring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedSecret {
    pub key_version: i32,
    pub wrapped_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl Keyring {
    /// Seals `plaintext` under a fresh data key, wrapped by the newest keyring version.
    pub fn seal(
        &self,
        context: &SecretContext<'_>,
        plaintext: &[u8],
    ) -> Result<SealedSecret, VaultError> {
        let data_key = MasterKey::generate();
        let ciphertext = data_key.seal(plaintext, &context.aad())?;
        let (version, master) = self.current()?;
        let wrapped_key = master.seal(data_key.expose_bytes(), &context.data_key_aad(version))?;
        Ok(SealedSecret {
            key_version: version,
            wrapped_key,
            ciphertext,
        })
    }

    fn unwrap_data_key(
        &self,
        context: &SecretContext<'_>,
        sealed: &SealedSecret,
    ) -> Result<MasterKey, VaultError> {
        let master = self.key(sealed.key_version)?;
        let raw = master.open(
            &sealed.wrapped_key,
            &context.data_key_aad(sealed.key_version),
        )?;
        MasterKey::from_bytes(&raw)
    }

    /// Opens a sealed secret in its own context. The plaintext comes back in a redacting,
    /// zeroizing box: `Debug` prints nothing of it.
    pub fn open(
        &self,
        context: &SecretContext<'_>,
        sealed: &SealedSecret,
    ) -> Result<SecretSlice<u8>, VaultError> {
        let plaintext = self
            .unwrap_data_key(context, sealed)?
            .open(&sealed.ciphertext, &context.aad())?;
        Ok(SecretSlice::from(plaintext.to_vec()))
    }

    /// Re-wraps the data key under the newest version; the ciphertext itself is unchanged, so
    /// a rotation never leaves a row unreadable: before and after, the row opens.
    pub fn rewrap(
        &self,
        context: &SecretContext<'_>,
        sealed: &SealedSecret,
    ) -> Result<SealedSecret, VaultError> {
        let data_key = self.unwrap_data_key(context, sealed)?;
        let (version, master) = self.current()?;
        if version == sealed.key_version {
            return Ok(sealed.clone());
        }
        Ok(SealedSecret {
            key_version: version,
            wrapped_key: master.seal(data_key.expose_bytes(), &context.data_key_aad(version))?,
            ciphertext: sealed.ciphertext.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use secrecy::ExposeSecret as _;

    use super::*;

    fn ctx<'a>(org_id: i32, record: &'a str, field: &'a str) -> SecretContext<'a> {
        SecretContext {
            purpose: "provider_key",
            org_id,
            record,
            field,
        }
    }

    fn keyring() -> Keyring {
        Keyring::in_memory([(1, MasterKey::generate())])
    }

    #[test]
    fn round_trip() {
        let ring = keyring();
        let c = ctx(1, "provider_keys:1", "secret");
        let sealed = ring.seal(&c, b"sk-proj-abc123").unwrap();
        let opened = ring.open(&c, &sealed).unwrap();
        assert_eq!(opened.expose_secret(), b"sk-proj-abc123");
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"sk-pro"));
        // The opened secret's Debug output shows nothing of it.
        let shown = format!("{opened:?}");
        assert!(
            !shown.contains("115, 107, 45") && !shown.contains("sk-"),
            "{shown}"
        );
    }

    #[test]
    fn any_flipped_bit_fails() {
        let ring = keyring();
        let c = ctx(1, "provider_keys:1", "secret");
        let sealed = ring.seal(&c, b"sk-proj-abc123").unwrap();
        // Nonce (first 12 bytes), body and tag (last 16 bytes) of both layers.
        for field in 0..2 {
            let len = if field == 0 {
                sealed.ciphertext.len()
            } else {
                sealed.wrapped_key.len()
            };
            for byte in [0, 11, 12, len - 17, len - 1] {
                let mut broken = sealed.clone();
                let target = if field == 0 {
                    &mut broken.ciphertext
                } else {
                    &mut broken.wrapped_key
                };
                target[byte] ^= 0x01;
                assert!(ring.open(&c, &broken).is_err(), "field {field} byte {byte}");
            }
        }
        let mut wrong_version = sealed.clone();
        wrong_version.key_version = 2;
        assert_eq!(
            ring.open(&c, &wrong_version).unwrap_err(),
            VaultError::UnknownVersion(2)
        );
    }

    #[test]
    fn a_ciphertext_moved_elsewhere_does_not_open() {
        let ring = keyring();
        let home = ctx(1, "provider_keys:1", "secret");
        let sealed = ring.seal(&home, b"sk-ant-xyz").unwrap();
        for elsewhere in [
            ctx(2, "provider_keys:1", "secret"),
            ctx(1, "provider_keys:2", "secret"),
            ctx(1, "provider_keys:1", "secret_access_key"),
            SecretContext {
                purpose: "admin_token",
                ..home.clone()
            },
        ] {
            assert!(ring.open(&elsewhere, &sealed).is_err(), "{elsewhere:?}");
        }
    }

    #[test]
    fn a_hundred_thousand_seals_never_repeat_a_nonce() {
        let ring = keyring();
        let c = ctx(1, "provider_keys:1", "secret");
        let mut nonces = HashSet::new();
        for _ in 0..50_000 {
            let sealed = ring.seal(&c, b"x").unwrap();
            assert!(nonces.insert(sealed.ciphertext[..12].to_vec()));
            assert!(nonces.insert(sealed.wrapped_key[..12].to_vec()));
        }
        assert_eq!(nonces.len(), 100_000);
    }

    #[test]
    fn rewrap_moves_to_the_newest_version_and_stays_readable() {
        let v1 = MasterKey::generate();
        let v1_copy = MasterKey::from_bytes(v1.expose_bytes()).unwrap();
        let old = Keyring::in_memory([(1, v1)]);
        let c = ctx(3, "provider_keys:9", "secret");
        let sealed = old.seal(&c, b"gsk_live").unwrap();

        let rotated = Keyring::in_memory([(1, v1_copy), (2, MasterKey::generate())]);
        let rewrapped = rotated.rewrap(&c, &sealed).unwrap();
        assert_eq!(rewrapped.key_version, 2);
        assert_eq!(rewrapped.ciphertext, sealed.ciphertext);
        // Both the old row (not yet re-wrapped) and the new one open: no moment is unreadable.
        assert_eq!(
            rotated.open(&c, &sealed).unwrap().expose_secret(),
            b"gsk_live"
        );
        assert_eq!(
            rotated.open(&c, &rewrapped).unwrap().expose_secret(),
            b"gsk_live"
        );
        // Re-wrapping again is a no-op.
        assert_eq!(rotated.rewrap(&c, &rewrapped).unwrap(), rewrapped);
    }
}

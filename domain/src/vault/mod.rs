//! The master key and the start-up canary; the keyring and envelope encryption live in
//! `keyring` and `envelope`.
//!
//! The master key never leaves this module in printable form: `MasterKey`'s `Debug` prints
//! nothing of it, and it is zeroed when dropped. Later envelope encryption wraps per-secret data
//! keys under it; for now it seals the canary that proves, at every start, that the configured
//! key is the one the database was initialised with.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use zeroize::{Zeroize, Zeroizing};

use crate::entities::vault_meta;

pub mod envelope;
pub mod keyring;
pub mod live;
pub mod rotation;

/// HKDF `info` for the key that seals the keyring's master-key versions (and so every secret).
pub const PURPOSE_SECRETS: &[u8] = b"keygate/v1/secrets";
/// HKDF `info` for the key that will sign tokens: never the same key as for secrets.
pub const PURPOSE_TOKEN_SIGNING: &[u8] = b"keygate/v1/token-signing";

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const CANARY_PLAINTEXT: &[u8] = b"keygate vault canary v1";
const CANARY_AAD: &[u8] = b"keygate:vault_meta:1:canary";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error(
        "the master key is malformed: expected base64 of exactly 32 bytes ({0}). Generate one with `openssl rand -base64 32`."
    )]
    Malformed(String),
    #[error("the master key is all zeros; refusing a key that is not random")]
    AllZero,
    #[error(
        "the master key does not match this database (the start-up canary did not decrypt). Start Keygate with the key it was initialised with."
    )]
    WrongKey,
    #[error("the vault could not seal or open a value")]
    Crypto,
    #[error("vault storage error: {0}")]
    Storage(String),
    #[error("no keyring version {0}")]
    UnknownVersion(i32),
}

/// The 256-bit master key.
pub struct MasterKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A fresh random key from the operating system's CSPRNG (via `rand`'s thread RNG).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self { bytes }
    }

    /// Parses base64 (standard or URL-safe, padded or not) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, VaultError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(VaultError::Malformed("it is empty".into()));
        }
        let mut decoded = [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(trimmed).ok())
            .ok_or_else(|| VaultError::Malformed("it is not valid base64".into()))?;
        if decoded.len() != KEY_LEN {
            let len = decoded.len();
            decoded.zeroize();
            return Err(VaultError::Malformed(format!("it decodes to {len} bytes")));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&decoded);
        decoded.zeroize();
        if bytes.iter().all(|b| *b == 0) {
            return Err(VaultError::AllZero);
        }
        Ok(Self { bytes })
    }

    /// A key from exactly 32 raw bytes (an unwrapped data key or keyring version).
    pub fn from_bytes(raw: &[u8]) -> Result<Self, VaultError> {
        let array: [u8; KEY_LEN] = raw.try_into().map_err(|_| VaultError::Crypto)?;
        Ok(Self {
            bytes: Zeroizing::new(array),
        })
    }

    /// The raw key, for wrapping it under another key. Handle with care.
    pub(crate) fn expose_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// The key as standard base64, for writing the key file. Handle with care.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes.as_ref()))
    }

    /// A key for one purpose, derived with HKDF-SHA256 so purposes never share a key.
    pub fn derive(&self, purpose: &[u8]) -> Result<MasterKey, VaultError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hkdf::Hkdf::<sha2::Sha256>::new(Some(b"keygate"), self.bytes.as_ref())
            .expand(purpose, bytes.as_mut())
            .map_err(|_| VaultError::Crypto)?;
        Ok(Self { bytes })
    }

    /// Raw bytes of a key derived for one purpose, for MACs that need the key itself (the
    /// organization JWTs' HS256). Zeroed when dropped.
    pub fn derive_secret(&self, purpose: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hkdf::Hkdf::<sha2::Sha256>::new(Some(b"keygate"), self.bytes.as_ref())
            .expand(purpose, bytes.as_mut())
            .map_err(|_| VaultError::Crypto)?;
        Ok(bytes)
    }

    fn cipher(&self) -> Result<Aes256Gcm, VaultError> {
        Aes256Gcm::new_from_slice(self.bytes.as_ref()).map_err(|_| VaultError::Crypto)
    }

    /// Seals `plaintext` with AES-256-GCM; `aad` binds the ciphertext to its purpose and row.
    /// Output: 12-byte random nonce followed by ciphertext and tag.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce_bytes = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce_bytes);
        let nonce = Nonce::from(nonce_bytes);
        let ciphertext = self
            .cipher()?
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| VaultError::Crypto)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens what `seal` produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(VaultError::Crypto);
        }
        let (nonce_bytes, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce_array: [u8; NONCE_LEN] =
            nonce_bytes.try_into().map_err(|_| VaultError::Crypto)?;
        let nonce = Nonce::from(nonce_array);
        self.cipher()?
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Crypto)
    }
}

/// Whether the database already carries a canary (i.e. was initialised with some key).
pub async fn is_initialised(db: &DatabaseConnection) -> Result<bool, VaultError> {
    Ok(vault_meta::Entity::find_by_id(1)
        .one(db)
        .await
        .map_err(|e| VaultError::Storage(e.to_string()))?
        .is_some())
}

/// Verifies the canary with `key`, or writes it if the database has none yet.
pub async fn verify_or_init_canary(
    db: &DatabaseConnection,
    key: &MasterKey,
) -> Result<(), VaultError> {
    if let Some(meta) = read_canary(db).await? {
        return check_canary(&meta, key);
    }
    let sealed = key.seal(CANARY_PLAINTEXT, CANARY_AAD)?;
    let inserted = vault_meta::ActiveModel {
        id: Set(1),
        key_version: Set(1),
        canary: Set(STANDARD.encode(sealed)),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        // Replicas starting together on one empty database both find no canary; the one
        // whose insert lost must check its key against the winner's canary, not give up.
        Err(e) => match read_canary(db).await? {
            Some(meta) => check_canary(&meta, key),
            None => Err(VaultError::Storage(e.to_string())),
        },
    }
}

async fn read_canary(db: &DatabaseConnection) -> Result<Option<vault_meta::Model>, VaultError> {
    vault_meta::Entity::find_by_id(1)
        .one(db)
        .await
        .map_err(|e| VaultError::Storage(e.to_string()))
}

/// The stored canary opens under `key` only if it is the key the database was set up with.
fn check_canary(meta: &vault_meta::Model, key: &MasterKey) -> Result<(), VaultError> {
    let sealed = STANDARD
        .decode(meta.canary.as_bytes())
        .map_err(|_| VaultError::WrongKey)?;
    let opened = key
        .open(&sealed, CANARY_AAD)
        .map_err(|_| VaultError::WrongKey)?;
    if opened.as_slice() == CANARY_PLAINTEXT {
        Ok(())
    } else {
        Err(VaultError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_matching_aad_only() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"sk-secret", b"purpose:a").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"sk-secret");
        assert_eq!(
            key.open(&sealed, b"purpose:a").unwrap().as_slice(),
            b"sk-secret"
        );
        assert_eq!(key.open(&sealed, b"purpose:b"), Err(VaultError::Crypto));
        let other = MasterKey::generate();
        assert_eq!(other.open(&sealed, b"purpose:a"), Err(VaultError::Crypto));
    }

    #[test]
    fn sealing_twice_uses_fresh_nonces() {
        let key = MasterKey::generate();
        assert_ne!(key.seal(b"x", b"").unwrap(), key.seal(b"x", b"").unwrap());
    }

    #[test]
    fn parsing_rejects_bad_keys_and_accepts_good_ones() {
        assert!(matches!(
            MasterKey::from_base64(""),
            Err(VaultError::Malformed(_))
        ));
        assert!(matches!(
            MasterKey::from_base64("not base64!"),
            Err(VaultError::Malformed(_))
        ));
        assert!(matches!(
            MasterKey::from_base64(&STANDARD.encode([1u8; 16])),
            Err(VaultError::Malformed(_))
        ));
        assert_eq!(
            MasterKey::from_base64(&STANDARD.encode([0u8; 32])).unwrap_err(),
            VaultError::AllZero
        );
        let key = MasterKey::generate();
        let parsed = MasterKey::from_base64(&format!("{}\n", key.to_base64().as_str())).unwrap();
        let sealed = key.seal(b"v", b"a").unwrap();
        assert_eq!(parsed.open(&sealed, b"a").unwrap().as_slice(), b"v");
    }

    #[test]
    fn purposes_get_different_keys() {
        let root = MasterKey::generate();
        let secrets = root.derive(PURPOSE_SECRETS).unwrap();
        let signing = root.derive(PURPOSE_TOKEN_SIGNING).unwrap();
        assert_ne!(secrets.to_base64().as_str(), signing.to_base64().as_str());
        assert_ne!(secrets.to_base64().as_str(), root.to_base64().as_str());
        // Deterministic: the same root derives the same key after a restart.
        assert_eq!(
            root.derive(PURPOSE_SECRETS).unwrap().to_base64().as_str(),
            secrets.to_base64().as_str()
        );
    }

    #[test]
    fn debug_output_redacts_the_key() {
        let key = MasterKey::generate();
        let shown = format!("{key:?}");
        assert_eq!(shown, "MasterKey(<redacted>)");
        assert!(!shown.contains(key.to_base64().as_str()));
    }
}

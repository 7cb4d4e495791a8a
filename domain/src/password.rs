//! Password policy and argon2id hashing.
//!
//! Hashing costs 19 MiB and tens of milliseconds of CPU, so it runs on the blocking pool behind
//! a semaphore: a burst of logins queues instead of allocating 19 MiB per request at once. The
//! 19 MiB working memory is allocated once per permit and reused: the system allocator would
//! otherwise keep every blocking thread's freed block (measured: 370 MiB RSS after a burst of
//! 200 sign-ins with fresh allocations, 64 MiB with reuse).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::DomainError;

/// Argon2 working memory for one hash (m_cost blocks of 1 KiB).
type Memory = Vec<Block>;

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
fn owasp_params() -> Result<Params, DomainError> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| DomainError::internal("argon2 parameters", e))
}

/// Checks length rules; `field` names the form field for the error message.
pub fn validate_new_password(
    password: &SecretString,
    field: &'static str,
) -> Result<(), DomainError> {
    let chars = password.expose_secret().chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(DomainError::validation(
            field,
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(DomainError::validation(
            field,
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the e-mail is unknown so that an
    /// unknown account takes as long as a wrong password.
    dummy_hash: Arc<str>,
    in_flight: Arc<AtomicUsize>,
    peak_in_flight: Arc<AtomicUsize>,
    /// Reusable working memory; never holds more buffers than there are permits.
    memory: Arc<Mutex<Vec<Memory>>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("available_permits", &self.permits.available_permits())
            .finish()
    }
}

impl PasswordHasher {
    /// `max_concurrent` hashes run at once (each holds 19 MiB while it runs).
    pub fn new(max_concurrent: usize) -> Result<Self, DomainError> {
        let random: String = {
            use rand::Rng as _;
            rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(32)
                .map(char::from)
                .collect()
        };
        let dummy_hash = hash_with(&SecretString::from(random), &mut Vec::new())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy_hash.into(),
            in_flight: Arc::default(),
            peak_in_flight: Arc::default(),
            memory: Arc::default(),
        })
    }

    /// A sensible default: one hash per available core.
    pub fn for_this_machine() -> Result<Self, DomainError> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores)
    }

    /// The most hashes that ever ran at the same time (for tests and metrics).
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::Relaxed)
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> Result<T, DomainError> + Send + 'static,
    ) -> Result<T, DomainError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| DomainError::internal("hasher closed", e))?;
        let in_flight = self.in_flight.clone();
        let peak = self.peak_in_flight.clone();
        let pool = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let mut memory = pool
                .lock()
                .ok()
                .and_then(|mut p| p.pop())
                .unwrap_or_default();
            let result = work(&mut memory);
            if let Ok(mut pool) = pool.lock() {
                pool.push(memory);
            }
            in_flight.fetch_sub(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(|e| DomainError::internal("hashing task", e))?
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, DomainError> {
        self.run_blocking(move |memory| hash_with(&password, memory))
            .await
    }

    /// Verifies `password` against `stored`, or against the dummy hash when `stored` is `None`
    /// (unknown account) — in which case the answer is always `false`.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, DomainError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run_blocking(move |memory| verify_with(&password, &hash, memory))
            .await?;
        Ok(known && matches)
    }
}

/// Runs argon2id for `params` into `out`, growing `memory` to the needed size once.
fn argon2id_into(
    params: Params,
    password: &SecretString,
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Memory,
) -> Result<(), DomainError> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let working = memory
        .get_mut(..blocks)
        .ok_or_else(|| DomainError::Internal("argon2 memory".into()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(password.expose_secret().as_bytes(), salt, out, working)
        .map_err(|e| DomainError::internal("hashing", e))
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
fn hash_with(password: &SecretString, memory: &mut Memory) -> Result<String, DomainError> {
    let params = owasp_params()?;
    let salt = argon2::password_hash::generate_salt();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2id_into(params.clone(), password, &salt, &mut out, memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e| DomainError::internal("hash parameters", e))?,
        salt: Some(Salt::new(&salt).map_err(|e| DomainError::internal("salt", e))?),
        hash: Some(Output::new(&out).map_err(|e| DomainError::internal("hash output", e))?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a stored argon2id PHC string (with its own parameters).
fn verify_with(
    password: &SecretString,
    stored: &str,
    memory: &mut Memory,
) -> Result<bool, DomainError> {
    let phc = PasswordHash::new(stored).map_err(|e| DomainError::internal("stored hash", e))?;
    if Algorithm::try_from(phc.algorithm.as_str()) != Ok(Algorithm::Argon2id) {
        return Err(DomainError::Internal("stored hash is not argon2id".into()));
    }
    let params = Params::try_from(&phc).map_err(|e| DomainError::internal("stored hash", e))?;
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return Err(DomainError::Internal(
            "stored hash lacks salt or output".into(),
        ));
    };
    let mut out = vec![0u8; expected.len()];
    argon2id_into(params, password, salt.as_ref(), &mut out, memory)?;
    let computed = Output::new(&out).map_err(|e| DomainError::internal("hash output", e))?;
    // `Output`'s equality is constant-time.
    Ok(&computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn policy_enforces_length_bounds_in_characters() {
        assert!(validate_new_password(&secret("short"), "password").is_err());
        assert!(validate_new_password(&secret("exactly12chr"), "password").is_ok());
        // 12 multi-byte characters are 12 characters, not 36 bytes.
        assert!(validate_new_password(&secret(&"é".repeat(11)), "password").is_err());
        assert!(validate_new_password(&secret(&"x".repeat(128)), "password").is_ok());
        assert!(
            validate_new_password(&secret(&"x".repeat(MAX_PASSWORD_CHARS + 1)), "password")
                .is_err()
        );
    }

    #[tokio::test]
    async fn hashes_use_argon2id_with_owasp_parameters_and_verify() {
        let hasher = PasswordHasher::new(2).unwrap();
        let hash = hasher.hash(secret("correct horse battery")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify(secret("correct horse battery"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(secret("wrong horse battery"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_reference_argon2_implementation() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(1).unwrap();
        let ours = hasher.hash(secret("interop password 1")).await.unwrap();
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, owasp_params().unwrap());
        assert!(
            reference
                .verify_password(b"interop password 1", ours.as_str())
                .is_ok()
        );
        assert!(
            reference
                .verify_password(b"interop password 2", ours.as_str())
                .is_err()
        );
        let theirs = reference
            .hash_password(b"interop password 1")
            .unwrap()
            .to_string();
        assert!(
            hasher
                .verify(secret("interop password 1"), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(secret("interop password 2"), Some(theirs))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert!(
            !hasher
                .verify(secret("anything at all"), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_verifications_is_bounded_by_the_permits() {
        let hasher = PasswordHasher::new(2).unwrap();
        let hash = hasher.hash(secret("correct horse battery")).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let hasher = hasher.clone();
            let hash = hash.clone();
            tasks.push(tokio::spawn(async move {
                hasher
                    .verify(secret("correct horse battery"), Some(hash))
                    .await
            }));
        }
        for task in tasks {
            assert!(task.await.unwrap().unwrap());
        }
        // Eight requests, but never more than two 19 MiB hashes in memory at once.
        assert!(hasher.peak_in_flight() >= 1);
        assert!(
            hasher.peak_in_flight() <= 2,
            "peak {}",
            hasher.peak_in_flight()
        );
    }
}

//! Password policy and argon2id hashing.
//!
//! Hashing costs 19 MiB and tens of milliseconds of CPU, so it runs on the blocking pool behind
//! a semaphore: a burst of logins queues instead of allocating 19 MiB per request at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::DomainError;

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Result<Argon2<'static>, DomainError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| DomainError::internal("argon2 parameters", e))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
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
        let dummy_hash = hash_blocking(&SecretString::from(random))?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy_hash.into(),
            in_flight: Arc::default(),
            peak_in_flight: Arc::default(),
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
        work: impl FnOnce() -> Result<T, DomainError> + Send + 'static,
    ) -> Result<T, DomainError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| DomainError::internal("hasher closed", e))?;
        let in_flight = self.in_flight.clone();
        let peak = self.peak_in_flight.clone();
        tokio::task::spawn_blocking(move || {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let result = work();
            in_flight.fetch_sub(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(|e| DomainError::internal("hashing task", e))?
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, DomainError> {
        self.run_blocking(move || hash_blocking(&password)).await
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
            .run_blocking(move || verify_blocking(&password, &hash))
            .await?;
        Ok(known && matches)
    }
}

fn hash_blocking(password: &SecretString) -> Result<String, DomainError> {
    let hash = argon2()?
        .hash_password(password.expose_secret().as_bytes())
        .map_err(|e| DomainError::internal("hashing", e))?;
    Ok(hash.to_string())
}

fn verify_blocking(password: &SecretString, hash: &str) -> Result<bool, DomainError> {
    match argon2()?.verify_password(password.expose_secret().as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(DomainError::internal("verifying", e)),
    }
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

//! What every request handler and server function can reach: built once at start-up and
//! passed through axum state and Leptos context — no globals.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

use crate::password::PasswordHasher;
use crate::upstream::Upstreams;
use crate::vault::MasterKey;
use crate::vault::live::LiveKeyring;

/// Limits for sessions, read from configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle_timeout: std::time::Duration,
    pub absolute_lifetime: std::time::Duration,
}

/// The one-time first-run token. Present only while no user exists.
#[derive(Clone, Default)]
pub struct SetupGate(Arc<Mutex<Option<String>>>);

impl std::fmt::Debug for SetupGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetupGate(<redacted>)")
    }
}

impl SetupGate {
    pub fn with_token(token: Option<String>) -> Self {
        Self(Arc::new(Mutex::new(token)))
    }

    /// Constant-time comparison against the live token.
    pub async fn matches(&self, candidate: &str) -> bool {
        use sha2::{Digest, Sha256};
        let guard = self.0.lock().await;
        let Some(token) = guard.as_deref() else {
            return false;
        };
        // Comparing digests keeps the comparison independent of where the strings differ.
        Sha256::digest(token.as_bytes()) == Sha256::digest(candidate.as_bytes())
    }

    /// Holds the gate while one setup attempt runs, so two requests with the token cannot
    /// both create an organization. `None` if the token does not match.
    pub async fn claim(&self, candidate: &str) -> Option<SetupClaim> {
        use sha2::{Digest, Sha256};
        let guard = self.0.clone().lock_owned().await;
        let token = guard.as_deref()?;
        (Sha256::digest(token.as_bytes()) == Sha256::digest(candidate.as_bytes()))
            .then_some(SetupClaim(guard))
    }
}

/// An exclusive hold on the setup token; dropping it without `complete` keeps the token live.
pub struct SetupClaim(tokio::sync::OwnedMutexGuard<Option<String>>);

impl SetupClaim {
    /// Burns the token: setup succeeded.
    pub fn complete(mut self) {
        *self.0 = None;
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub hasher: PasswordHasher,
    pub master_key: Arc<MasterKey>,
    /// Master-key versions that wrap every secret's data key.
    pub keyring: Arc<LiveKeyring>,
    /// Provider endpoints and the HTTP clients that reach them.
    pub upstreams: Upstreams,
    /// `KEYGATE_FALLBACK_<PROVIDER>_API_KEY` keys (empty unless configured).
    pub fallbacks: Arc<crate::fallback::FallbackKeys>,
    pub setup: SetupGate,
    pub sessions: SessionPolicy,
    /// The proxy's caches, key health and ledger writer.
    pub gateway: Arc<crate::gateway::Gateway>,
    /// Where alert e-mails are sent from; `None` when SMTP is not configured.
    pub mailer: Option<Arc<crate::alerts::smtp::Mailer>>,
    /// Free space under an embedded database: writes are refused while it is short.
    pub storage: Arc<crate::storage::StorageWatch>,
}

//! The gateway: everything the `/v1` proxy needs besides HTTP plumbing — reading usage from
//! provider answers, prices, token estimates, scrubbing upstream text, routing, key choice and
//! key health. [`Gateway`] holds the proxy's shared, in-memory state.

pub mod adapter;
pub mod candidates;
pub mod estimate;
pub mod files;
pub mod health;
pub mod prices;
pub mod pricing;
pub mod quarantine;
pub mod routes;
pub mod routing;
pub mod scrub;
pub mod usage;

use std::time::Duration;

use crate::ledger::Ledger;
use crate::virtual_keys::KeyCache;

/// Limits of proxied requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyLimits {
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest `/v1/files` upload.
    pub max_file_bytes: usize,
    /// Longest wait for an upstream's response headers.
    pub first_byte_timeout: Duration,
    /// Keys tried per request at most.
    pub max_attempts: usize,
    /// Output tokens reserved against budgets when a request names no maximum.
    pub default_max_tokens: u32,
    /// Keep rate-limit state in the database, shared by every replica (else in memory).
    pub shared_rate_limits: bool,
    /// Write a usage intent before forwarding (see `crate::ledger::intent`).
    pub usage_intents: bool,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 20 * 1024 * 1024,
            max_file_bytes: 512 * 1024 * 1024,
            first_byte_timeout: Duration::from_secs(300),
            max_attempts: 3,
            default_max_tokens: 4096,
            shared_rate_limits: false,
            usage_intents: true,
        }
    }
}

/// The proxy's shared state: caches, key health and the ledger writer.
#[derive(Debug)]
pub struct Gateway {
    pub keys: KeyCache,
    pub candidates: candidates::CandidateCache,
    pub routes: routes::RouteCache,
    pub prices: prices::PriceCache,
    pub health: health::KeyHealth,
    pub ledger: Ledger,
    /// Writes write-ahead usage intents, grouping concurrent ones into one statement.
    pub intents: crate::ledger::intent_writer::IntentWriter,
    pub limits: ProxyLimits,
    /// Requests/tokens per minute, per limit row: on this server, or shared in the database.
    pub rate_limits: crate::limits::rate::RateLimits,
    /// This instance's name on its write-ahead usage intents (see `crate::ledger::intent`).
    instance: std::sync::OnceLock<std::sync::Arc<str>>,
}

impl Gateway {
    /// Starts the ledger and intent writers on the current runtime.
    pub fn start(db: sea_orm::DatabaseConnection, limits: ProxyLimits) -> Self {
        Self {
            keys: KeyCache::default(),
            candidates: Default::default(),
            routes: Default::default(),
            prices: Default::default(),
            health: Default::default(),
            rate_limits: if limits.shared_rate_limits {
                crate::limits::rate::RateLimits::shared(db.clone())
            } else {
                Default::default()
            },
            intents: crate::ledger::intent_writer::IntentWriter::start(db.clone()),
            ledger: Ledger::start(db),
            limits,
            instance: std::sync::OnceLock::new(),
        }
    }

    /// Names this instance (once, before serving; later calls are ignored).
    pub fn set_instance(&self, id: &str) {
        let _ = self.instance.set(id.into());
    }

    /// This instance's name: as set, else a random one chosen on first use.
    pub fn instance(&self) -> std::sync::Arc<str> {
        self.instance
            .get_or_init(|| uuid::Uuid::new_v4().simple().to_string().into())
            .clone()
    }

    /// Forgets every cached key, route and credential (after a change made on this replica).
    pub fn forget_cached(&self) {
        self.keys.forget_all();
        self.candidates.forget_all();
        self.routes.forget_all();
    }
}

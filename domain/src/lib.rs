//! Keygate's server-only domain: persistence, the vault, accounts and sessions.
//!
//! Everything here is plain async Rust over a `DatabaseConnection`, so server functions,
//! REST handlers and the CLI stay thin and the logic is unit-testable.

pub mod accounts;
pub mod alerts;
pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod broker;
pub mod custom_providers;
pub mod db;
pub mod entities;
pub mod error;
pub mod fallback;
pub mod gateway;
pub mod insight;
pub mod ip_access;
pub mod jobs;
pub mod ledger;
pub mod limits;
pub mod mfa;
pub mod org_jwts;
pub mod password;
pub mod personas;
pub mod projects;
pub mod provider_keys;
pub mod providers;
pub mod ratings;
pub mod rotation;
pub mod session_store;
pub mod state;
pub mod storage;
pub mod throttle;
pub mod types;
pub mod upstream;
pub mod vault;
pub mod virtual_keys;

pub use error::DomainError;
pub use state::AppState;

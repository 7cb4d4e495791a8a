//! The tamper-evident audit log.
//!
//! Every security-relevant action appends an [`Entry`]; entries form a SHA-256 hash chain
//! (see [`chain`]) whose head (`audit_head`, one row) holds the last id and hash. Appending
//! locks the head row, so several server replicas chain in order. [`verify`] walks the chain
//! and names the first entry whose hash or link is wrong.
//!
//! Retention: [`prune`] deletes only a *prefix* of the chain (the oldest entries), then
//! appends an `audit.prune` entry whose detail records the anchor — the first kept entry's id
//! and `prev_hash`. Verification trusts the oldest remaining entry's `prev_hash` only when it
//! is the genesis hash or matches the newest `audit.prune` anchor, so silently deleting the
//! oldest entries is detected too.
//!
//! Sensitive actions (reveal, rotate, revoke, role change, vault rotation) call [`append`]
//! before acting and refuse when it fails; the rest call [`record`], which logs and continues.

mod append;
pub mod chain;
mod entry;
pub mod export;
mod guarded;
pub mod params;
pub mod query;
pub mod retention;
pub mod schedule;
pub mod sign_in;
pub mod targets;
mod verify;

#[cfg(test)]
mod tests;

pub use append::{append, record};
pub use entry::{Actor, ClientInfo, Entry, MAX_USER_AGENT, Outcome, Target, truncate};
pub use export::{audit_csv, csv_cell};
pub use guarded::guarded;
pub use params::AuditQuery;
pub use query::{AuditFilter, AuditPage, list};
pub use retention::{
    MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, PruneReport, prune, prune_by, retention_days,
    set_retention_days,
};
pub use verify::{Verification, verify};

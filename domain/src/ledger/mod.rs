//! The usage ledger: one row per proxied request, written off the hot path by a batched
//! writer, with hourly and daily rollups kept up to date in the same transaction.

pub mod intent;
pub mod intent_writer;
pub mod latency;
pub mod projection;
pub mod query;
pub mod record;
pub mod rollup;
pub mod summary;
pub mod writer;

pub use record::{Outcome, UsageRecord};
pub use writer::Ledger;

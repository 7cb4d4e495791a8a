//! `keygate audit …` arguments (clap).

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit log's hash chain. Exits 0 when it is intact; otherwise prints
    /// "chain broken at entry N: reason" and exits non-zero.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The newest entries first.
    List {
        /// How many entries (at most 500).
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only this action (e.g. `provider_key.reveal`; `provider_key.*` for a prefix).
        #[arg(long)]
        action: Option<String>,
        /// The organization (needed when the database holds more than one).
        #[arg(long)]
        org_id: Option<i32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every entry, oldest first, to a CSV file.
    Export {
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// The organization (needed when the database holds more than one).
        #[arg(long)]
        org_id: Option<i32>,
    },
    /// Delete the entries older than the organization's retention (`audit_retention_days`);
    /// the chain keeps verifying from the oldest kept entry.
    Prune {
        /// The organization (needed when the database holds more than one).
        #[arg(long)]
        org_id: Option<i32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

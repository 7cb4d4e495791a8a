//! Free disk space under an embedded (SQLite) database.
//!
//! SQLite on a full disk fails writes, and one kind of failure is silent: an
//! `INSERT … RETURNING` outside a transaction hands back its row and then fails to commit
//! when the statement is reset, an error the driver does not report — the caller sees success
//! and nothing is stored. So Keygate does not wait for the disk to be full: while free space
//! is under a floor (`KEYGATE_MIN_FREE_DISK_MB`), or since a write failed for lack of space,
//! it refuses writes up front with a clear 503 and keeps serving reads. A watcher re-checks
//! every second and lifts the refusal once space has returned.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often free space is measured.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct StorageWatch {
    /// The database's directory; `None` for a server database (PostgreSQL), never watched.
    dir: Option<PathBuf>,
    min_free_bytes: u64,
    full: AtomicBool,
}

impl StorageWatch {
    pub fn new(dir: Option<PathBuf>, min_free_bytes: u64) -> Self {
        Self {
            dir,
            min_free_bytes,
            full: AtomicBool::new(false),
        }
    }

    /// A watch that never refuses (no embedded database).
    pub fn unwatched() -> Self {
        Self::new(None, 0)
    }

    /// Whether writes are refused now.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Acquire)
    }

    /// A write failed for lack of space: refuse writes until the next check finds room.
    pub fn mark_full(&self) {
        if self.dir.is_some() && !self.full.swap(true, Ordering::AcqRel) {
            tracing::error!("the disk under the database is full; refusing writes");
        }
    }

    /// Bytes available to this process under the database's directory.
    pub fn free_bytes(&self) -> Option<u64> {
        let dir = self.dir.as_ref()?;
        match rustix::fs::statvfs(dir) {
            Ok(stats) => Some(stats.f_bavail.saturating_mul(stats.f_frsize)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot measure free disk space");
                None
            }
        }
    }

    /// Measures free space and updates the refusal; returns whether writes are refused.
    pub fn check(&self) -> bool {
        let Some(free) = self.free_bytes() else {
            return self.is_full();
        };
        let full = free < self.min_free_bytes;
        let was = self.full.swap(full, Ordering::AcqRel);
        match (was, full) {
            (false, true) => tracing::error!(
                free_bytes = free,
                min_free_bytes = self.min_free_bytes,
                "free disk space under the database is below the floor; refusing writes"
            ),
            (true, false) => {
                tracing::warn!(free_bytes = free, "disk space returned; accepting writes")
            }
            _ => {}
        }
        full
    }

    /// Re-checks every [`CHECK_EVERY`] (only when there is a directory to watch).
    pub async fn run_forever(self: std::sync::Arc<Self>) {
        if self.dir.is_none() {
            return;
        }
        let mut every = tokio::time::interval(CHECK_EVERY);
        loop {
            every.tick().await;
            self.check();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_floor_above_the_free_space_refuses_and_a_lower_one_admits() {
        let dir = tempfile::tempdir().unwrap();
        let refusing = StorageWatch::new(Some(dir.path().to_path_buf()), u64::MAX);
        assert!(refusing.check());
        assert!(refusing.is_full());
        let admitting = StorageWatch::new(Some(dir.path().to_path_buf()), 1);
        admitting.mark_full();
        assert!(admitting.is_full(), "a failed write refuses at once");
        assert!(!admitting.check(), "the next check finds room and lifts it");
    }

    #[test]
    fn a_server_database_is_never_refused() {
        let watch = StorageWatch::unwatched();
        watch.mark_full();
        assert!(!watch.is_full());
        assert!(!watch.check());
    }
}

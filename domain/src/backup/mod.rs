//! `keygate backup` and `keygate restore`: a portable, consistent logical dump of the whole
//! database, and its restore into an empty (or emptied) SQLite or PostgreSQL database.
//!
//! - [`format`]: the file — gzip'd JSON lines: a header, then per table a marker line and one
//!   JSON object per row, then an end line with the counts (a truncated file has none).
//! - [`schema`]: the live database's tables, column kinds and foreign-key order.
//! - [`dump`]: the snapshot, read inside one read-only transaction.
//! - [`restore`]: the restore, written inside one transaction.
//!
//! The master key is never part of a backup: the secrets in it stay sealed under that key.

pub mod dump;
pub mod format;
pub mod restore;
pub mod schema;
#[cfg(test)]
mod tests;

pub use dump::dump;
pub use restore::restore;

/// What a backup or restore moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub tables: u64,
    pub rows: u64,
}

/// Why a backup or restore failed. Messages name tables and columns, never row values.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database: {0}")]
    Database(String),
    #[error("cannot read or write the backup: {0}")]
    Io(String),
    #[error("not a valid Keygate backup: {0}")]
    Format(String),
    #[error(
        "the database already holds organizations or users; pass --force to replace all of its data with the backup"
    )]
    NotEmpty,
    #[error(
        "the backup was made by a newer Keygate: its schema has migrations this binary does not know ({0}); upgrade Keygate first"
    )]
    NewerSchema(String),
    #[error("the backup does not fit this database's schema: {0}")]
    Schema(String),
}

impl From<sea_orm::DbErr> for BackupError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Database(err.to_string())
    }
}

impl From<std::io::Error> for BackupError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err.to_string())
    }
}

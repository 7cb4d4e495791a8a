//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::DomainError;

/// Opens a pool for `url` (`sqlite://…?mode=rwc` or `postgres://…`) and runs migrations.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DomainError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // SQL statements may contain secrets' ciphertexts and e-mail addresses.
        .sqlx_logging(false)
        // WAL lets readers proceed while one writer commits; busy_timeout waits for the lock
        // instead of failing a concurrent write. Set per connection, so every pooled one has it.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .synchronous(SqliteSynchronous::Normal)
                .create_if_missing(true)
        });
    let connect = || async {
        Database::connect(options.clone())
            .await
            .map_err(|e| DomainError::internal("could not connect to the database", e))
    };
    let migrating = connect().await?;
    Migrator::up(&migrating, None).await.map_err(|e| {
        tracing::error!(error = %e, "database migration failed");
        DomainError::internal("database migration failed", e)
    })?;
    // Serve from fresh connections: a pooled SQLite connection that cached a statement before
    // a migration added columns can return rows without them.
    migrating
        .close()
        .await
        .map_err(|e| DomainError::internal("could not close the migration pool", e))?;
    connect().await
}

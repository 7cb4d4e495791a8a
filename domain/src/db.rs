//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

use crate::error::DomainError;

/// Pool hook: a connection that comes back still counting an open transaction is closed,
/// not reused. Every transaction ends before its connection is released, so this only
/// happens after a failed ROLLBACK — e.g. SQLite rolled the transaction back by itself on
/// "disk full", sqlx's ROLLBACK then failed and left its depth at 1. Reused, such a
/// connection would open its next transaction with a SAVEPOINT, whose rollback leaves a
/// real transaction open: later writes on it would report success and never commit.
fn discard_if_in_transaction<C: sea_orm::sqlx::Connection>(
    conn: &mut C,
    _: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'_, Result<bool, sea_orm::sqlx::Error>> {
    let reusable = !conn.is_in_transaction();
    if !reusable {
        tracing::warn!("closing a database connection left inside a transaction");
    }
    Box::pin(async move { Ok(reusable) })
}

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
        })
        .map_sqlx_sqlite_pool_opts(|pool| pool.after_release(discard_if_in_transaction))
        .map_sqlx_postgres_pool_opts(|pool| pool.after_release(discard_if_in_transaction));
    let connect = || async {
        Database::connect(options.clone())
            .await
            .map_err(|e| DomainError::internal("could not connect to the database", e))
    };
    let migrating = connect().await?;
    // Replicas starting together on one PostgreSQL database would race to create the same
    // tables: the first takes a session advisory lock and migrates, the others wait for it and
    // then find nothing to do. The lock lives on one connection held for the whole migration.
    let lock = match migrating.get_database_backend() {
        DbBackend::Postgres => Some(MigrationLock::take(url).await?),
        _ => None,
    };
    let migrated = Migrator::up(&migrating, None).await.map_err(|e| {
        tracing::error!(error = %e, "database migration failed");
        DomainError::internal("database migration failed", e)
    });
    if let Some(lock) = lock {
        lock.release().await;
    }
    migrated?;
    // Serve from fresh connections: a pooled SQLite connection that cached a statement before
    // a migration added columns can return rows without them.
    migrating
        .close()
        .await
        .map_err(|e| DomainError::internal("could not close the migration pool", e))?;
    connect().await
}

/// Any number unique to Keygate's migrations, for `pg_advisory_lock`.
const MIGRATION_LOCK_KEY: i64 = 0x4b65_7967_6174_6531; // "Keygate1"

/// A PostgreSQL session advisory lock held on its own single connection.
struct MigrationLock(DatabaseConnection);

impl MigrationLock {
    async fn take(url: &str) -> Result<Self, DomainError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(1)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let conn = Database::connect(options)
            .await
            .map_err(|e| DomainError::internal("could not connect to the database", e))?;
        conn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"),
        ))
        .await
        .map_err(|e| DomainError::internal("could not lock the schema for migration", e))?;
        Ok(Self(conn))
    }

    /// Unlocks (closing the session would too).
    async fn release(self) {
        let unlock = Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"),
        );
        if let Err(e) = self.0.execute_raw(unlock).await {
            tracing::warn!(error = %e, "could not unlock the migration lock; closing the session");
        }
        let _ = self.0.close().await;
    }
}

//! Group commit for write-ahead usage intents.
//!
//! Every forwarded request must have its intent in the database before it is forwarded,
//! so the write sits on the hot path. One background task writes them: it takes the first
//! waiting intent and every other intent already queued behind it (up to [`MAX_BATCH`]) and
//! inserts them in one statement. Nothing lingers — a lone request is written at once — but
//! under load, intents that arrive while a write is in flight share the next one, so the
//! database sees one commit per batch instead of one per request (on SQLite every commit
//! takes the single write lock the usage ledger also needs).
//!
//! If a batch fails, its intents are retried one by one, so one bad row never refuses the
//! others; each request learns its own outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::{mpsc, oneshot};

use super::intent::Intent;
use crate::entities::usage_intent;

/// At most this many intents in one INSERT (well under PostgreSQL's 65,535 bind parameters
/// at 15 columns a row, and SQLite's 32,766).
pub const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<(), DbErr>>;

struct Job {
    row: usage_intent::ActiveModel,
    reply: Reply,
}

/// Hands intents to the group-commit task.
#[derive(Clone, Debug)]
pub struct IntentWriter {
    tx: mpsc::UnboundedSender<Job>,
    /// INSERT statements issued so far (fewer than intents when batching works).
    statements: Arc<AtomicU64>,
}

impl IntentWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let statements = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(db, rx, statements.clone()));
        Self { tx, statements }
    }

    /// INSERT statements issued so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Writes the intent; returns once it is committed. The caller must not forward the
    /// request if this fails.
    pub async fn open(&self, intent: &Intent) -> Result<(), DbErr> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            row: intent.to_active(),
            reply,
        };
        if self.tx.send(job).is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> DbErr {
    DbErr::Custom("the usage intent writer has stopped".to_owned())
}

async fn run(
    db: DatabaseConnection,
    mut rx: mpsc::UnboundedReceiver<Job>,
    statements: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let db = Counted {
            db: &db,
            statements: &statements,
        };
        write_batch(&db, std::mem::take(&mut batch)).await;
    }
}

/// The connection, counting the statements issued on it.
struct Counted<'a> {
    db: &'a DatabaseConnection,
    statements: &'a AtomicU64,
}

async fn write_batch(db: &Counted<'_>, batch: Vec<Job>) {
    if batch.len() == 1 {
        for job in batch {
            let done = insert(db, vec![job.row]).await;
            let _ = job.reply.send(done);
        }
        return;
    }
    let rows: Vec<_> = batch.iter().map(|job| job.row.clone()).collect();
    match insert(db, rows).await {
        Ok(()) => {
            for job in batch {
                let _ = job.reply.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "a batch of usage intents failed; writing them one by one");
            for job in batch {
                let done = insert(db, vec![job.row]).await;
                let _ = job.reply.send(done);
            }
        }
    }
}

async fn insert(db: &Counted<'_>, rows: Vec<usage_intent::ActiveModel>) -> Result<(), DbErr> {
    db.statements.fetch_add(1, Ordering::Relaxed);
    usage_intent::Entity::insert_many(rows)
        .exec_without_returning(db.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use sea_orm::PaginatorTrait;

    async fn db() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect_and_migrate(&url).await.unwrap();
        (dir, db)
    }

    fn intent(n: usize) -> Intent {
        Intent {
            request_id: format!("req-{n}"),
            holder: "test:1".into(),
            org_id: 1,
            project_id: 1,
            virtual_key_id: 1,
            user_id: None,
            provider: "openai".to_owned(),
            model: "gpt-4o-mini".to_owned(),
            endpoint: "chat_completions",
            stream: false,
            persona_id: None,
            estimate: Default::default(),
            holds: Vec::new(),
            created_at: chrono::Utc::now(),
        }
    }

    async fn open_all(writer: &IntentWriter, ids: std::ops::Range<usize>) -> Vec<usize> {
        let handles: Vec<_> = ids
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { (n, writer.open(&intent(n)).await) })
            })
            .collect();
        let mut failed = Vec::new();
        for handle in handles {
            let (n, done) = handle.await.unwrap();
            if done.is_err() {
                failed.push(n);
            }
        }
        failed
    }

    #[tokio::test]
    async fn concurrent_intents_share_statements() {
        let (_dir, db) = db().await;
        let writer = IntentWriter::start(db.clone());
        assert!(open_all(&writer, 0..200).await.is_empty());
        assert_eq!(usage_intent::Entity::find().count(&db).await.unwrap(), 200);
        let statements = writer.statements();
        eprintln!("200 concurrent intents written with {statements} INSERT statements");
        assert!(statements < 20, "{statements} statements for 200 intents");
    }

    #[tokio::test]
    async fn a_bad_intent_in_a_batch_fails_alone() {
        let (_dir, db) = db().await;
        let writer = IntentWriter::start(db.clone());
        writer.open(&intent(7)).await.unwrap();
        // req-7 again, inside a batch of 50: only it is refused.
        assert_eq!(open_all(&writer, 0..50).await, vec![7]);
        assert_eq!(usage_intent::Entity::find().count(&db).await.unwrap(), 50);
    }
}

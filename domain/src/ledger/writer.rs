//! The batched ledger writer. The proxy hands over a record and moves on; a background task
//! writes records in batches (up to [`MAX_BATCH`] rows or [`LINGER`] of waiting), each batch in
//! one transaction with its rollups and the keys' `last_used_at`. A failed write is retried
//! with back-off and never dropped. `flush` waits until everything handed over before it is
//! in the database (SIGTERM calls it before exit).
//!
//! Crash safety: records still queued in memory when the process is killed (kill -9, power
//! loss) are not lost — every forwarded request has a write-ahead intent row, deleted in the
//! transaction that writes its usage row, and left-over intents are reconciled (see
//! [`super::intent`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::record::UsageRecord;
use super::rollup;
use crate::entities::{provider_key, usage_event, usage_intent, virtual_key};

pub const MAX_BATCH: usize = 500;
pub const LINGER: Duration = Duration::from_millis(25);

enum Message {
    Record(Box<UsageRecord>),
    Flush(oneshot::Sender<()>),
}

/// Sent after each committed batch: the organizations whose usage changed. Open dashboards
/// subscribe and refresh (usage shows up within the linger window plus one commit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    pub org_ids: Vec<i32>,
}

#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::UnboundedSender<Message>,
    depth: Arc<AtomicUsize>,
    commits: broadcast::Sender<Arc<Committed>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("queued", &self.queue_depth())
            .finish()
    }
}

impl Ledger {
    /// Starts the writer task on the current runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let depth = Arc::new(AtomicUsize::new(0));
        let (commits, _) = broadcast::channel(64);
        tokio::spawn(run(db, rx, depth.clone(), commits.clone()));
        Self { tx, depth, commits }
    }

    /// Notifications of committed batches (a slow subscriber skips ahead; it only needs to
    /// know that something changed).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.commits.subscribe()
    }

    /// Queues a record; never blocks.
    pub fn record(&self, record: UsageRecord) {
        self.depth.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Message::Record(Box::new(record))).is_err() {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            tracing::error!("the ledger writer has stopped; a usage record was not written");
        }
    }

    /// Waits until every record queued before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Records waiting to be written.
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }
}

async fn run(
    db: DatabaseConnection,
    mut rx: mpsc::UnboundedReceiver<Message>,
    depth: Arc<AtomicUsize>,
    commits: broadcast::Sender<Arc<Committed>>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut waiters = Vec::new();
        let mut collect = |message: Message, batch: &mut Vec<UsageRecord>| match message {
            Message::Record(r) => {
                batch.push(*r);
                true
            }
            Message::Flush(done) => {
                waiters.push(done);
                false
            }
        };
        let mut keep_collecting = collect(first, &mut batch);
        if keep_collecting {
            // Sleep through the linger window, then take what arrived: waking for every
            // record would cost a cross-thread wake-up per proxied request.
            tokio::time::sleep(LINGER).await;
        }
        while keep_collecting && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(message) => keep_collecting = collect(message, &mut batch),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            write_with_retry(&db, &batch).await;
            depth.fetch_sub(batch.len(), Ordering::Relaxed);
            let mut org_ids: Vec<i32> = batch.iter().map(|r| r.org_id).collect();
            org_ids.sort_unstable();
            org_ids.dedup();
            // No subscribers is normal (no dashboard open).
            let _ = commits.send(Arc::new(Committed { org_ids }));
        }
        for done in waiters {
            let _ = done.send(());
        }
    }
}

async fn write_with_retry(db: &DatabaseConnection, batch: &[UsageRecord]) {
    let mut delay = Duration::from_millis(100);
    loop {
        match write(db, batch).await {
            Ok(()) => return,
            Err(e) => {
                tracing::error!(error = %e, rows = batch.len(), "cannot write usage records; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Writes one batch in one transaction (see [`write_in`]).
pub async fn write(db: &DatabaseConnection, batch: &[UsageRecord]) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    write_in(&txn, batch).await?;
    txn.commit().await
}

/// Writes one batch inside the caller's transaction: events (a repeated request id is
/// ignored), their write-ahead intents deleted, rollups, budget settlement and last-used
/// times.
pub async fn write_in<C: ConnectionTrait>(
    txn: &C,
    batch: &[UsageRecord],
) -> Result<(), sea_orm::DbErr> {
    for chunk in batch.chunks(200) {
        usage_intent::Entity::delete_many()
            .filter(
                usage_intent::Column::RequestId.is_in(chunk.iter().map(|r| r.request_id.clone())),
            )
            .exec(txn)
            .await?;
        usage_event::Entity::insert_many(chunk.iter().map(UsageRecord::to_active))
            .on_conflict(
                OnConflict::column(usage_event::Column::RequestId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    rollup::add(txn, batch).await?;
    crate::limits::settle::settle(txn, batch).await?;
    let mut virtual_keys = HashMap::new();
    let mut provider_keys = HashMap::new();
    for r in batch {
        let at = virtual_keys.entry(r.virtual_key_id).or_insert(r.created_at);
        *at = (*at).max(r.created_at);
        if let Some(id) = r.provider_key_id {
            let at = provider_keys.entry(id).or_insert(r.created_at);
            *at = (*at).max(r.created_at);
        }
    }
    for (id, at) in virtual_keys {
        virtual_key::Entity::update_many()
            .col_expr(virtual_key::Column::LastUsedAt, Expr::value(at))
            .filter(virtual_key::Column::Id.eq(id))
            .exec(txn)
            .await?;
    }
    for (id, at) in provider_keys {
        provider_key::Entity::update_many()
            .col_expr(provider_key::Column::LastUsedAt, Expr::value(at))
            .filter(provider_key::Column::Id.eq(id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

//! Write-ahead usage intents: exactly one usage row per forwarded request, even across crashes.
//!
//! Before the proxy forwards a request it writes an intent row (who, what, the admission
//! estimate and budget holds). The ledger writer deletes the intent in the same transaction
//! that writes the request's usage row, so at any moment a request has an intent or a usage
//! row, never both and — once forwarded — never neither. An intent left behind means the
//! process stopped between the two (kill -9, power loss): it is reconciled into a usage row
//! with outcome `interrupted`, flagged `estimated`, charging the admission estimate:
//!
//! - at start-up, for this instance's own intents (`KEYGATE_INSTANCE_ID`, by default
//!   `hostname:port`, so a restarted process finds what its predecessor left);
//! - periodically, for intents of instances that are gone (no live presence lease), so a
//!   replica that never comes back is reconciled by the others.
//!
//! Reconciling deletes the intent first and writes the row only if that delete removed it, in
//! one transaction, so two replicas reconciling at once cannot write a request twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::record::{Outcome, UsageRecord};
use super::writer::{Ledger, write_in};
use crate::entities::{job_lease, usage_intent};
use crate::gateway::adapter::Api;
use crate::gateway::usage::Usage;
use crate::limits::{Estimate, Hold, Reservation};

/// How long an instance's presence lease lasts without renewal.
pub const PRESENCE_TTL: Duration = Duration::from_secs(15);
/// How often presence is renewed and abandoned intents are looked for.
pub const TICK: Duration = Duration::from_secs(5);
/// Intents younger than this are never reconciled by another instance.
pub const MIN_AGE: Duration = Duration::from_secs(30);

/// What is about to be forwarded.
#[derive(Clone, Debug)]
pub struct Intent {
    pub request_id: String,
    /// The instance forwarding it.
    pub holder: Arc<str>,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    pub provider: String,
    pub model: String,
    pub endpoint: &'static str,
    pub stream: bool,
    pub persona_id: Option<i32>,
    pub estimate: Estimate,
    pub holds: Vec<Hold>,
    pub created_at: DateTime<Utc>,
}

impl Intent {
    pub(super) fn to_active(&self) -> usage_intent::ActiveModel {
        usage_intent::ActiveModel {
            request_id: Set(self.request_id.clone()),
            holder: Set(self.holder.chars().take(200).collect()),
            org_id: Set(self.org_id),
            project_id: Set(self.project_id),
            virtual_key_id: Set(self.virtual_key_id),
            user_id: Set(self.user_id),
            provider: Set(self.provider.chars().take(64).collect()),
            model: Set(self.model.chars().take(200).collect()),
            endpoint: Set(self.endpoint.to_owned()),
            stream: Set(self.stream),
            persona_id: Set(self.persona_id),
            estimate_micros: Set(self.estimate.micros),
            estimate_tokens: Set(self.estimate.tokens),
            holds: Set(serde_json::to_string(&self.holds).unwrap_or_else(|_| "[]".into())),
            created_at: Set(self.created_at),
        }
    }

    /// The usage row this request gets if it never reaches the ledger normally.
    pub fn fallback_record(&self, outcome: Outcome, error_type: &str) -> UsageRecord {
        record(
            Fields {
                request_id: self.request_id.clone(),
                org_id: self.org_id,
                project_id: self.project_id,
                virtual_key_id: self.virtual_key_id,
                user_id: self.user_id,
                provider: self.provider.clone(),
                model: self.model.clone(),
                endpoint: self.endpoint,
                stream: self.stream,
                persona_id: self.persona_id,
                estimate: self.estimate,
                holds: Vec::new(),
                created_at: self.created_at,
            },
            outcome,
            error_type,
        )
    }
}

/// Writes the intent. The caller must not forward the request if this fails.
pub async fn open<C: ConnectionTrait>(db: &C, intent: &Intent) -> Result<(), DbErr> {
    usage_intent::Entity::insert(intent.to_active())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Deletes the intent of a request that was not forwarded after all.
pub async fn discard(db: &DatabaseConnection, request_id: &str) {
    let deleted = usage_intent::Entity::delete_many()
        .filter(usage_intent::Column::RequestId.eq(request_id))
        .exec(db)
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "cannot delete an unused usage intent");
    }
}

struct Fields {
    request_id: String,
    org_id: i32,
    project_id: i32,
    virtual_key_id: i32,
    user_id: Option<i32>,
    provider: String,
    model: String,
    endpoint: &'static str,
    stream: bool,
    persona_id: Option<i32>,
    estimate: Estimate,
    holds: Vec<Hold>,
    created_at: DateTime<Utc>,
}

/// A usage row for a request whose real usage is unknown: it charges the admission estimate
/// (so budgets stay on the safe side) and is flagged as estimated.
fn record(f: Fields, outcome: Outcome, error_type: &str) -> UsageRecord {
    let tokens = u32::try_from(f.estimate.tokens.max(0)).unwrap_or(u32::MAX);
    UsageRecord {
        request_id: f.request_id,
        org_id: f.org_id,
        project_id: f.project_id,
        virtual_key_id: f.virtual_key_id,
        user_id: f.user_id,
        provider_key_id: None,
        provider: f.provider,
        model: f.model,
        endpoint: f.endpoint,
        stream: f.stream,
        usage: Usage {
            prompt_tokens: (tokens > 0).then_some(tokens),
            ..Usage::default()
        },
        cost_micros: f.estimate.micros.max(0),
        price_version: crate::gateway::pricing::BUILTIN_PRICE_VERSION.to_owned(),
        unpriced: f.estimate.micros <= 0,
        first_byte_ms: None,
        total_ms: 0,
        upstream_status: None,
        outcome,
        error_type: Some(error_type.to_owned()),
        estimated: true,
        persona_id: f.persona_id,
        response_id: None,
        created_at: f.created_at,
        holds: f.holds,
    }
}

fn interrupted(row: usage_intent::Model) -> UsageRecord {
    let holds = serde_json::from_str(&row.holds).unwrap_or_else(|e| {
        tracing::error!(error = %e, "an intent's budget holds are unreadable; not released");
        Vec::new()
    });
    record(
        Fields {
            request_id: row.request_id,
            org_id: row.org_id,
            project_id: row.project_id,
            virtual_key_id: row.virtual_key_id,
            user_id: row.user_id,
            provider: row.provider,
            model: row.model,
            endpoint: Api::from_name(&row.endpoint).map_or("unknown", Api::name),
            stream: row.stream,
            persona_id: row.persona_id,
            estimate: Estimate {
                micros: row.estimate_micros,
                tokens: row.estimate_tokens,
            },
            holds,
            created_at: row.created_at,
        },
        Outcome::Interrupted,
        "reconciled_after_restart",
    )
}

/// Settles one left-over intent; `false` when another instance settled it first.
async fn settle_one(db: &DatabaseConnection, row: usage_intent::Model) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let deleted = usage_intent::Entity::delete_many()
        .filter(usage_intent::Column::RequestId.eq(row.request_id.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    write_in(&txn, &[interrupted(row)]).await?;
    txn.commit().await?;
    Ok(true)
}

async fn settle_rows(
    db: &DatabaseConnection,
    rows: Vec<usage_intent::Model>,
) -> Result<u64, DbErr> {
    let mut settled = 0;
    for row in rows {
        if settle_one(db, row).await? {
            settled += 1;
        }
    }
    Ok(settled)
}

/// Reconciles every intent `holder` left behind. Call before this instance serves: none of
/// them can still be in flight.
pub async fn reconcile_holder(db: &DatabaseConnection, holder: &str) -> Result<u64, DbErr> {
    let mut total = 0;
    loop {
        let rows = usage_intent::Entity::find()
            .filter(usage_intent::Column::Holder.eq(holder))
            .order_by_asc(usage_intent::Column::CreatedAt)
            .limit(500)
            .all(db)
            .await?;
        if rows.is_empty() {
            return Ok(total);
        }
        total += settle_rows(db, rows).await?;
    }
}

fn presence_name(holder: &str) -> String {
    format!("instance:{holder}")
}

/// Renews this instance's presence: while it is live, others leave its intents alone.
pub async fn announce(db: &DatabaseConnection, holder: &str, now: DateTime<Utc>) -> bool {
    let name = presence_name(holder);
    match crate::jobs::try_acquire(db, &name, holder, PRESENCE_TTL, now).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = %e, "cannot renew this instance's presence");
            false
        }
    }
}

/// Reconciles intents older than [`MIN_AGE`] whose instance has no live presence.
pub async fn reconcile_abandoned(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let cutoff = now - chrono::Duration::from_std(MIN_AGE).unwrap_or_default();
    let holders: Vec<String> = usage_intent::Entity::find()
        .select_only()
        .column(usage_intent::Column::Holder)
        .filter(usage_intent::Column::CreatedAt.lt(cutoff))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut total = 0;
    for holder in holders {
        let live = job_lease::Entity::find()
            .filter(job_lease::Column::Name.eq(presence_name(&holder)))
            .filter(job_lease::Column::ExpiresAtMs.gt(now.timestamp_millis()))
            .one(db)
            .await?
            .is_some();
        if live {
            continue;
        }
        let rows = usage_intent::Entity::find()
            .filter(usage_intent::Column::Holder.eq(holder.clone()))
            .filter(usage_intent::Column::CreatedAt.lt(cutoff))
            .all(db)
            .await?;
        total += settle_rows(db, rows).await?;
    }
    Ok(total)
}

/// Keeps this instance's presence alive and reconciles abandoned intents, every [`TICK`].
pub async fn run_forever(db: DatabaseConnection, holder: Arc<str>) {
    let mut every = tokio::time::interval(TICK);
    loop {
        every.tick().await;
        let now = Utc::now();
        announce(&db, &holder, now).await;
        match reconcile_abandoned(&db, now).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                requests = n,
                "reconciled requests left in flight by a stopped instance"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot reconcile abandoned usage intents"),
        }
    }
}

/// Ends presence on a clean shutdown (every intent has been settled by then).
pub async fn depart(db: &DatabaseConnection, holder: &str) {
    if let Err(e) = crate::jobs::release(db, &presence_name(holder), holder).await {
        tracing::warn!(error = %e, "cannot end this instance's presence");
    }
}

/// A forwarded request's intent while it is in flight. If the request is dropped before its
/// usage row is handed to the ledger (the client went away while the provider was still
/// answering), dropping this hands the ledger a flagged row instead, so the intent is settled
/// without waiting for a restart.
#[derive(Debug)]
pub struct Pending {
    settled: AtomicBool,
    fallback: Option<UsageRecord>,
    reservation: Arc<Reservation>,
    ledger: Ledger,
}

impl Pending {
    pub fn new(intent: &Intent, reservation: Arc<Reservation>, ledger: Ledger) -> Self {
        Self {
            settled: AtomicBool::new(false),
            fallback: Some(intent.fallback_record(
                Outcome::ClientDisconnected,
                "client_disconnected_before_answer",
            )),
            reservation,
            ledger,
        }
    }

    /// The request's own usage row has been handed to the ledger.
    pub fn settle(&self) {
        self.settled.store(true, Ordering::Release);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.settled.load(Ordering::Acquire) {
            return;
        }
        if let Some(mut record) = self.fallback.take() {
            record.holds = self.reservation.take();
            self.ledger.record(record);
        }
    }
}

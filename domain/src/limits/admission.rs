//! Admission: before a request is forwarded, reserve its worst-case cost against every hard
//! budget that applies (its Keygate key, user and project). Each reservation is one
//! conditional `UPDATE … WHERE spent + reserved + estimate <= limit`, so concurrent requests —
//! on one server or on several sharing PostgreSQL — can never together exceed a budget. The
//! ledger writer settles the reservation to the actual cost ([`super::settle`]). A database
//! error refuses the request: a budget that cannot be checked is not spent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use super::store::{enforcement_of, period_of, scope_of};
use super::{Enforcement, Period, Scope};
use crate::entities::usage_limit;

/// Who a request is billed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub org_id: i32,
    /// 0 for callers without a Keygate key (organization JWTs).
    pub key_id: i32,
    pub user_id: Option<i32>,
    pub project_id: i32,
}

/// A request's worst case: prompt tokens plus the most it may generate, and their price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    pub micros: i64,
    pub tokens: i64,
}

/// The limits that apply to one request, read in one query.
#[derive(Clone, Debug, Default)]
pub struct Applicable {
    /// The caller's own limits: its Keygate key, user and project.
    pub own: Vec<usage_limit::Model>,
    /// Every provider-key budget of the organization (keys over a hard budget are skipped).
    pub provider_keys: Vec<usage_limit::Model>,
}

impl Applicable {
    /// Whether any limit needs the request's token or cost estimate.
    pub fn needs_estimate(&self) -> bool {
        self.own
            .iter()
            .any(|l| l.limit_micros.is_some() || l.limit_tokens.is_some() || l.tpm.is_some())
    }

    fn hard_budgets(&self) -> impl Iterator<Item = &usage_limit::Model> {
        self.own.iter().filter(|l| {
            enforcement_of(l) == Enforcement::Hard
                && (l.limit_micros.is_some() || l.limit_tokens.is_some())
        })
    }

    /// Provider keys whose hard budget is used up at `now` (the proxy does not pick them).
    pub fn exhausted_provider_keys(&self, now: DateTime<Utc>) -> Vec<i32> {
        self.provider_keys
            .iter()
            .filter(|l| super::store::status(l, now).exhausted)
            .map(|l| l.scope_id)
            .collect()
    }
}

/// Reads the limits that apply to `subject`.
pub async fn applicable(db: &DatabaseConnection, subject: Subject) -> Result<Applicable, DbErr> {
    let mut scopes = Condition::any()
        .add(
            Condition::all()
                .add(usage_limit::Column::Scope.eq(Scope::Key.as_str()))
                .add(usage_limit::Column::ScopeId.eq(subject.key_id)),
        )
        .add(
            Condition::all()
                .add(usage_limit::Column::Scope.eq(Scope::Project.as_str()))
                .add(usage_limit::Column::ScopeId.eq(subject.project_id)),
        )
        .add(usage_limit::Column::Scope.eq(Scope::ProviderKey.as_str()));
    if let Some(user_id) = subject.user_id {
        scopes = scopes.add(
            Condition::all()
                .add(usage_limit::Column::Scope.eq(Scope::User.as_str()))
                .add(usage_limit::Column::ScopeId.eq(user_id)),
        );
    }
    let rows = usage_limit::Entity::find()
        .filter(usage_limit::Column::OrgId.eq(subject.org_id))
        .filter(scopes)
        .all(db)
        .await?;
    let (provider_keys, own) = rows
        .into_iter()
        .partition(|l| scope_of(l) == Some(Scope::ProviderKey));
    Ok(Applicable { own, provider_keys })
}

/// Which budget ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exhausted {
    pub scope: Scope,
    pub scope_id: i32,
    pub period: Period,
    /// `true` for the dollar budget, `false` for the token budget.
    pub dollars: bool,
    pub limit: i64,
    pub spent: i64,
    pub reserved: i64,
    pub requested: i64,
    pub reset_at: Option<DateTime<Utc>>,
}

impl Exhausted {
    /// A sentence for the caller: which limit, how much is left, when it resets.
    pub fn message(&self) -> String {
        let amount = |v: i64| {
            if self.dollars {
                format!("${}", crate::insight::export::usd(v))
            } else {
                format!("{v} tokens")
            }
        };
        let left = Ord::max(self.limit - self.spent - self.reserved, 0);
        let reset = match self.reset_at {
            Some(at) => format!(" It resets at {}.", at.format("%Y-%m-%dT%H:%M:%SZ")),
            None => " It does not reset.".to_owned(),
        };
        format!(
            "Budget exhausted: the {} {} {} budget of {} has {} left (this request may cost up to {}).{}",
            self.period.as_str(),
            self.scope.noun(),
            self.scope_id,
            amount(self.limit),
            amount(left),
            amount(self.requested),
            reset
        )
    }
}

#[derive(Debug)]
pub enum Refusal {
    Exhausted(Exhausted),
    /// The limit state could not be read or written: refuse (fail closed).
    Unavailable(DbErr),
}

/// One budget's share of a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hold {
    pub limit_id: i32,
    pub micros: i64,
    pub tokens: i64,
}

/// Reserved estimates. Hand the holds to the ledger record with [`Reservation::take`]; a
/// reservation dropped without that (the request failed before reaching the ledger) is
/// released in the background.
#[derive(Debug)]
pub struct Reservation {
    holds: Vec<Hold>,
    taken: AtomicBool,
    db: Option<DatabaseConnection>,
}

impl Reservation {
    /// A reservation that holds nothing (no hard budget applies).
    pub fn none() -> Arc<Self> {
        Arc::new(Self {
            holds: Vec::new(),
            taken: AtomicBool::new(true),
            db: None,
        })
    }

    /// The holds, for a write-ahead intent (they stay with this reservation).
    pub fn holds(&self) -> &[Hold] {
        &self.holds
    }

    /// The holds, once: the ledger writer settles them with the usage row.
    pub fn take(&self) -> Vec<Hold> {
        if self.taken.swap(true, Ordering::AcqRel) {
            Vec::new()
        } else {
            self.holds.clone()
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.taken.load(Ordering::Acquire) || self.holds.is_empty() {
            return;
        }
        let (Some(db), Ok(runtime)) = (self.db.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let holds = std::mem::take(&mut self.holds);
        runtime.spawn(async move {
            if let Err(e) = release(&db, &holds).await {
                tracing::error!(error = %e, "cannot release a budget reservation");
            }
        });
    }
}

/// Starts a new period in the database if the stored one has ended.
pub(super) async fn roll_over<C: ConnectionTrait>(
    db: &C,
    limit: &usage_limit::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let period = period_of(limit);
    if period == Period::Never {
        return Ok(());
    }
    let start = period.start(now);
    usage_limit::Entity::update_many()
        .col_expr(usage_limit::Column::SpentMicros, Expr::value(0i64))
        .col_expr(usage_limit::Column::SpentTokens, Expr::value(0i64))
        .col_expr(usage_limit::Column::PeriodStart, Expr::value(start))
        .filter(usage_limit::Column::Id.eq(limit.id))
        .filter(usage_limit::Column::PeriodStart.lt(start))
        .exec(db)
        .await?;
    Ok(())
}

/// One conditional reservation; `false` if it does not fit.
async fn reserve_one(
    db: &DatabaseConnection,
    limit: &usage_limit::Model,
    estimate: Estimate,
) -> Result<bool, DbErr> {
    use usage_limit::Column as C;
    let fits = |limit: C, spent: C, reserved: C, amount: i64| {
        Condition::any().add(limit.is_null()).add(
            Expr::col(spent)
                .add(Expr::col(reserved))
                .add(amount)
                .lte(Expr::col(limit)),
        )
    };
    let result = usage_limit::Entity::update_many()
        .col_expr(
            C::ReservedMicros,
            Expr::col(C::ReservedMicros).add(estimate.micros),
        )
        .col_expr(
            C::ReservedTokens,
            Expr::col(C::ReservedTokens).add(estimate.tokens),
        )
        .filter(C::Id.eq(limit.id))
        .filter(fits(
            C::LimitMicros,
            C::SpentMicros,
            C::ReservedMicros,
            estimate.micros,
        ))
        .filter(fits(
            C::LimitTokens,
            C::SpentTokens,
            C::ReservedTokens,
            estimate.tokens,
        ))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Reserves `estimate` against every hard budget in `applicable`, all or nothing.
pub async fn reserve(
    db: &DatabaseConnection,
    applicable: &Applicable,
    estimate: Estimate,
    now: DateTime<Utc>,
) -> Result<Arc<Reservation>, Refusal> {
    let mut holds = Vec::new();
    for limit in applicable.hard_budgets() {
        let attempt = async {
            roll_over(db, limit, now).await?;
            reserve_one(db, limit, estimate).await
        }
        .await;
        let refusal = match attempt {
            Ok(true) => {
                holds.push(Hold {
                    limit_id: limit.id,
                    micros: estimate.micros,
                    tokens: estimate.tokens,
                });
                continue;
            }
            Ok(false) => Refusal::Exhausted(exhausted(db, limit, estimate, now).await),
            Err(e) => Refusal::Unavailable(e),
        };
        if let Err(e) = release(db, &holds).await {
            tracing::error!(error = %e, "cannot release a partial budget reservation");
        }
        return Err(refusal);
    }
    Ok(Arc::new(Reservation {
        holds,
        taken: AtomicBool::new(false),
        db: Some(db.clone()),
    }))
}

/// Describes the budget that refused, from a fresh read (or the admission-time row).
async fn exhausted(
    db: &DatabaseConnection,
    limit: &usage_limit::Model,
    estimate: Estimate,
    now: DateTime<Utc>,
) -> Exhausted {
    let fresh = usage_limit::Entity::find_by_id(limit.id)
        .one(db)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| limit.clone());
    let status = super::store::status(&fresh, now);
    let over = |limit: Option<i64>, spent: i64, reserved: i64, requested: i64| {
        limit.is_some_and(|l| spent + reserved + requested > l)
    };
    let dollars = over(
        fresh.limit_micros,
        status.spent_micros,
        status.reserved_micros,
        estimate.micros,
    ) || fresh.limit_tokens.is_none();
    let (limit_value, spent, reserved, requested) = if dollars {
        (
            fresh.limit_micros.unwrap_or(0),
            status.spent_micros,
            status.reserved_micros,
            estimate.micros,
        )
    } else {
        (
            fresh.limit_tokens.unwrap_or(0),
            status.spent_tokens,
            status.reserved_tokens,
            estimate.tokens,
        )
    };
    Exhausted {
        scope: scope_of(&fresh).unwrap_or(Scope::Project),
        scope_id: fresh.scope_id,
        period: period_of(&fresh),
        dollars,
        limit: limit_value,
        spent,
        reserved,
        requested,
        reset_at: status.reset_at,
    }
}

/// Gives reserved amounts back (never below zero).
pub async fn release<C: ConnectionTrait>(db: &C, holds: &[Hold]) -> Result<(), DbErr> {
    for hold in holds {
        super::settle::unreserve(db, hold.limit_id, hold.micros, hold.tokens).await?;
    }
    Ok(())
}

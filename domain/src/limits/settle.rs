//! Settlement: the ledger writer, in the transaction that writes a batch's usage rows, gives
//! back each request's reservation and adds its actual cost and tokens to every limit of its
//! Keygate key, user, project and provider key. A usage row and its budget effect therefore
//! commit together or not at all.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::Scope;
use super::admission::roll_over;
use super::store::scope_of;
use crate::entities::usage_limit;
use crate::ledger::UsageRecord;

/// Subtracts a reservation, never going below zero.
pub async fn unreserve<C: ConnectionTrait>(
    db: &C,
    limit_id: i32,
    micros: i64,
    tokens: i64,
) -> Result<(), DbErr> {
    use usage_limit::Column as C;
    let minus = |column: C, amount: i64| {
        Expr::case(Expr::col(column).gt(amount), Expr::col(column).sub(amount)).finally(0i64)
    };
    usage_limit::Entity::update_many()
        .col_expr(C::ReservedMicros, minus(C::ReservedMicros, micros).into())
        .col_expr(C::ReservedTokens, minus(C::ReservedTokens, tokens).into())
        .filter(C::Id.eq(limit_id))
        .exec(db)
        .await?;
    Ok(())
}

/// What a batch spent per limit target.
type Spending = BTreeMap<(i32, Scope, i32), (i64, i64)>;

fn spending(batch: &[UsageRecord]) -> Spending {
    let mut spent = Spending::new();
    for r in batch {
        let tokens = i64::from(r.usage.prompt_tokens.unwrap_or(0))
            + i64::from(r.usage.completion_tokens.unwrap_or(0));
        let micros = Ord::max(r.cost_micros, 0);
        if tokens == 0 && micros == 0 {
            continue;
        }
        let mut add = |scope: Scope, id: i32| {
            let entry = spent.entry((r.org_id, scope, id)).or_default();
            entry.0 += micros;
            entry.1 += tokens;
        };
        add(Scope::Project, r.project_id);
        if r.virtual_key_id != 0 {
            add(Scope::Key, r.virtual_key_id);
        }
        if let Some(user_id) = r.user_id {
            add(Scope::User, user_id);
        }
        if let Some(id) = r.provider_key_id {
            add(Scope::ProviderKey, id);
        }
    }
    spent
}

/// Settles a batch's reservations and spending (called inside the ledger's transaction).
pub async fn settle<C: ConnectionTrait>(txn: &C, batch: &[UsageRecord]) -> Result<(), DbErr> {
    let mut reserved: HashMap<i32, (i64, i64)> = HashMap::new();
    for hold in batch.iter().flat_map(|r| r.holds.iter()) {
        let entry = reserved.entry(hold.limit_id).or_default();
        entry.0 += hold.micros;
        entry.1 += hold.tokens;
    }
    for (limit_id, (micros, tokens)) in reserved {
        unreserve(txn, limit_id, micros, tokens).await?;
    }

    let spent = spending(batch);
    if spent.is_empty() {
        return Ok(());
    }
    let mut org_ids: Vec<i32> = spent.keys().map(|(org, _, _)| *org).collect();
    org_ids.dedup();
    let limits = usage_limit::Entity::find()
        .filter(usage_limit::Column::OrgId.is_in(org_ids))
        .all(txn)
        .await?;
    let now = Utc::now();
    for limit in limits {
        let Some(scope) = scope_of(&limit) else {
            continue;
        };
        let Some(&(micros, tokens)) = spent.get(&(limit.org_id, scope, limit.scope_id)) else {
            continue;
        };
        roll_over(txn, &limit, now).await?;
        use usage_limit::Column as C;
        usage_limit::Entity::update_many()
            .col_expr(C::SpentMicros, Expr::col(C::SpentMicros).add(micros))
            .col_expr(C::SpentTokens, Expr::col(C::SpentTokens).add(tokens))
            .filter(C::Id.eq(limit.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

//! Reading the log: filters and keyset pagination, newest first.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use super::entry::Outcome;
use crate::entities::audit_log;
use crate::error::DomainError;

/// Most entries one page returns.
pub const MAX_PAGE: u64 = 500;
/// Entries per page when the caller does not say.
pub const DEFAULT_PAGE: u64 = 100;

/// Which entries to show. Every field narrows the result; `None` means any.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// The viewer's organization: its entries plus installation-wide ones (no org, e.g. a
    /// failed sign-in for an unknown e-mail).
    pub org_id: Option<i32>,
    /// Case-insensitive substring of the actor label.
    pub actor: Option<String>,
    /// An exact action (`provider_key.reveal`), or a prefix ending in `*` (`provider_key.*`).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<Outcome>,
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
}

/// One page, newest first; `next_before` is the cursor for the next (older) page.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub entries: Vec<audit_log::Model>,
    pub next_before: Option<i64>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `value` with LIKE's wildcards escaped (the escape character is `\`).
fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The filter as a query over `audit_log` (no ordering or paging).
pub(super) fn filtered(filter: &AuditFilter) -> Select<audit_log::Entity> {
    let mut q = audit_log::Entity::find();
    if let Some(org) = filter.org_id {
        q = q.filter(
            Condition::any()
                .add(audit_log::Column::OrgId.eq(org))
                .add(audit_log::Column::OrgId.is_null()),
        );
    }
    if let Some(actor) = non_empty(&filter.actor) {
        let pattern = format!("%{}%", like_escape(&actor.to_lowercase()));
        q = q.filter(
            Expr::expr(Func::lower(Expr::col(audit_log::Column::Actor)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    if let Some(action) = non_empty(&filter.action) {
        q = match action.strip_suffix('*') {
            Some(prefix) => q.filter(
                Expr::col(audit_log::Column::Action)
                    .like(LikeExpr::new(format!("{}%", like_escape(prefix))).escape('\\')),
            ),
            None => q.filter(audit_log::Column::Action.eq(action)),
        };
    }
    if let Some(kind) = non_empty(&filter.target_kind) {
        q = q.filter(audit_log::Column::TargetKind.eq(kind));
    }
    if let Some(id) = non_empty(&filter.target_id) {
        q = q.filter(audit_log::Column::TargetId.eq(id));
    }
    if let Some(outcome) = filter.outcome {
        q = q.filter(audit_log::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(audit_log::Column::CreatedAt.lt(to));
    }
    q
}

/// Up to `limit` (at most [`MAX_PAGE`]) entries matching `filter` with an id below `before`,
/// newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: Option<u64>,
) -> Result<AuditPage, DomainError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let mut q = filtered(filter);
    if let Some(before) = before {
        q = q.filter(audit_log::Column::Id.lt(before));
    }
    let mut entries = q
        .order_by_desc(audit_log::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = entries.len() as u64 > limit;
    entries.truncate(limit as usize);
    let next_before = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escape("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}

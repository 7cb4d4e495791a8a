//! Everything one dashboard view shows, read concurrently from the rollups: the series
//! (with latency, and summing to the totals), top models, providers and Keygate keys, and —
//! for viewers who see the organization — top users, with names for keys and users.

use std::collections::HashMap;

use sea_orm::DatabaseConnection;

use crate::error::DomainError;
use crate::ledger::query::{self, Group, GroupBy, UsageFilter};

use super::labels::labels;

/// Rows kept per breakdown.
pub const TOP_ROWS: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    pub window: query::Window,
    pub total: Group,
    pub series: Vec<Group>,
    pub models: Vec<Group>,
    pub providers: Vec<Group>,
    pub keys: Vec<Group>,
    pub key_names: HashMap<String, String>,
    /// Empty unless `with_users`.
    pub users: Vec<Group>,
    pub user_names: HashMap<String, String>,
}

fn top(mut groups: Vec<Group>) -> Vec<Group> {
    groups.truncate(TOP_ROWS);
    groups
}

/// The dashboard of `filter` (already restricted to what the viewer may see), stepping by
/// `step` (hour or day).
pub async fn dashboard(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    step: GroupBy,
    with_users: bool,
) -> Result<Dashboard, DomainError> {
    let window = query::window(filter, step);
    let (series, models, providers, keys, users) = futures_util::try_join!(
        query::series(db, filter, step),
        query::grouped(db, filter, GroupBy::Model),
        query::grouped(db, filter, GroupBy::Provider),
        query::grouped(db, filter, GroupBy::Key),
        async {
            if with_users {
                query::grouped(db, filter, GroupBy::User).await
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    let mut total = Group::default();
    for g in &series {
        total.add(g);
    }
    let (keys, users) = (top(keys), top(users));
    let (key_names, user_names) = futures_util::try_join!(
        labels(db, filter.org_id, GroupBy::Key, &keys),
        labels(db, filter.org_id, GroupBy::User, &users),
    )?;
    Ok(Dashboard {
        window,
        total,
        series,
        models: top(models),
        providers: top(providers),
        keys,
        key_names,
        users,
        user_names,
    })
}

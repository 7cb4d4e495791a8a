//! Reading usage for dashboards, reports and the REST API — from the rollups only, never the
//! raw ledger, so a query costs the same with ten rows or ten million.
//!
//! A query names an organization, a time range and optional filters (project, user, Keygate
//! key, provider key, persona, provider, model) and groups by one dimension. Ranges are
//! aligned to the rollup buckets they read: whole days when both ends fall on midnight UTC
//! (and the grouping is not by hour), otherwise whole hours.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};

use super::latency::{self, BUCKETS, Histogram};
use crate::error::DomainError;

/// What to group usage by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One group with everything.
    Total,
    Model,
    User,
    Key,
    Project,
    Provider,
    ProviderKey,
    Persona,
    Day,
    Hour,
}

impl GroupBy {
    pub const NAMES: [&'static str; 9] = [
        "model",
        "user",
        "key",
        "project",
        "provider",
        "providerKey",
        "persona",
        "day",
        "hour",
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "total" => GroupBy::Total,
            "model" => GroupBy::Model,
            "user" => GroupBy::User,
            "key" => GroupBy::Key,
            "project" => GroupBy::Project,
            "provider" => GroupBy::Provider,
            "providerKey" | "provider_key" => GroupBy::ProviderKey,
            "persona" => GroupBy::Persona,
            "day" => GroupBy::Day,
            "hour" => GroupBy::Hour,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Total => "total",
            GroupBy::Model => "model",
            GroupBy::User => "user",
            GroupBy::Key => "key",
            GroupBy::Project => "project",
            GroupBy::Provider => "provider",
            GroupBy::ProviderKey => "providerKey",
            GroupBy::Persona => "persona",
            GroupBy::Day => "day",
            GroupBy::Hour => "hour",
        }
    }

    fn column(self) -> Option<&'static str> {
        match self {
            GroupBy::Total => None,
            GroupBy::Model => Some("model"),
            GroupBy::User => Some("user_id"),
            GroupBy::Key => Some("virtual_key_id"),
            GroupBy::Project => Some("project_id"),
            GroupBy::Provider => Some("provider"),
            GroupBy::ProviderKey => Some("provider_key_id"),
            GroupBy::Persona => Some("persona_id"),
            GroupBy::Day | GroupBy::Hour => Some("bucket_start"),
        }
    }

    /// True when groups are named by a numeric id (0: none — no user, no persona, or an
    /// environment key).
    pub fn is_id(self) -> bool {
        matches!(
            self,
            GroupBy::User
                | GroupBy::Key
                | GroupBy::Project
                | GroupBy::ProviderKey
                | GroupBy::Persona
        )
    }

    pub fn is_time(self) -> bool {
        matches!(self, GroupBy::Day | GroupBy::Hour)
    }
}

/// Which usage to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageFilter {
    pub org_id: i32,
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
    pub project_id: Option<i32>,
    pub user_id: Option<i32>,
    pub virtual_key_id: Option<i32>,
    pub provider_key_id: Option<i32>,
    pub persona_id: Option<i32>,
    pub provider: Option<String>,
    pub model: Option<String>,
}

impl UsageFilter {
    pub fn new(org_id: i32, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            org_id,
            from,
            to,
            project_id: None,
            user_id: None,
            virtual_key_id: None,
            provider_key_id: None,
            persona_id: None,
            provider: None,
            model: None,
        }
    }
}

/// Sums for one group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The model or provider name, the id (as text) of the user / key / project / provider
    /// key / persona, or the bucket start (RFC 3339) of a day or hour.
    pub key: String,
    pub requests: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
    pub latency: Histogram,
}

impl Group {
    pub fn tokens(&self) -> i64 {
        self.prompt_tokens + self.completion_tokens
    }

    pub fn p50_ms(&self) -> Option<f64> {
        latency::percentile(&self.latency, 0.5)
    }

    pub fn p95_ms(&self) -> Option<f64> {
        latency::percentile(&self.latency, 0.95)
    }

    /// Errors as a share of requests (0 when there were none).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    pub fn add(&mut self, other: &Group) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cost_micros = self.cost_micros.saturating_add(other.cost_micros);
        for (mine, theirs) in self.latency.iter_mut().zip(other.latency.iter()) {
            *mine += theirs;
        }
    }
}

/// The rollup granularity and aligned range a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub granularity: &'static str,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn step(&self) -> TimeDelta {
        if self.granularity == "day" {
            TimeDelta::days(1)
        } else {
            TimeDelta::hours(1)
        }
    }
}

fn ceil(at: DateTime<Utc>, step: TimeDelta) -> DateTime<Utc> {
    let floor = at.duration_trunc(step).unwrap_or(at);
    if floor == at { at } else { floor + step }
}

/// Which rollups serve `filter` grouped by `group_by`.
pub fn window(filter: &UsageFilter, group_by: GroupBy) -> Window {
    let day = TimeDelta::days(1);
    let day_aligned = filter.from.duration_trunc(day).ok() == Some(filter.from)
        && filter.to.duration_trunc(day).ok() == Some(filter.to);
    let use_days = group_by == GroupBy::Day || (group_by != GroupBy::Hour && day_aligned);
    let step = if use_days { day } else { TimeDelta::hours(1) };
    Window {
        granularity: if use_days { "day" } else { "hour" },
        from: filter.from.duration_trunc(step).unwrap_or(filter.from),
        to: ceil(filter.to, step),
    }
}

fn latency_alias(i: usize) -> String {
    format!("lat_{i}")
}

fn statement(
    filter: &UsageFilter,
    group_by: GroupBy,
    w: &Window,
    latency: Latency,
) -> SelectStatement {
    let mut q = Query::select();
    q.from(Alias::new("usage_rollups"));
    if let Some(column) = group_by.column() {
        q.expr_as(Expr::col(Alias::new(column)), Alias::new("group_key"));
        q.group_by_col(Alias::new(column));
    }
    // CAST: PostgreSQL sums BIGINT into NUMERIC.
    let mut sums: Vec<String> = [
        "requests",
        "errors",
        "prompt_tokens",
        "completion_tokens",
        "cost_micros",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    if latency == Latency::Included {
        sums.extend((0..BUCKETS).map(latency_alias));
    }
    for column in &sums {
        q.expr_as(
            Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)")),
            Alias::new(column.as_str()),
        );
    }
    q.and_where(Expr::col(Alias::new("org_id")).eq(filter.org_id))
        .and_where(Expr::col(Alias::new("granularity")).eq(w.granularity))
        .and_where(Expr::col(Alias::new("bucket_start")).gte(w.from))
        .and_where(Expr::col(Alias::new("bucket_start")).lt(w.to));
    let ids = [
        ("project_id", filter.project_id),
        ("user_id", filter.user_id),
        ("virtual_key_id", filter.virtual_key_id),
        ("provider_key_id", filter.provider_key_id),
        ("persona_id", filter.persona_id),
    ];
    for (column, value) in ids {
        if let Some(value) = value {
            q.and_where(Expr::col(Alias::new(column)).eq(value));
        }
    }
    if let Some(provider) = &filter.provider {
        q.and_where(Expr::col(Alias::new("provider")).eq(provider.as_str()));
    }
    if let Some(model) = &filter.model {
        q.and_where(Expr::col(Alias::new("model")).eq(model.as_str()));
    }
    if group_by.is_time() {
        q.order_by(Alias::new("group_key"), Order::Asc);
    }
    q
}

fn read_group(
    row: &QueryResult,
    group_by: GroupBy,
    latency_read: Latency,
) -> Result<Group, sea_orm::DbErr> {
    let key = match group_by {
        GroupBy::Total => String::new(),
        GroupBy::Model | GroupBy::Provider => row.try_get::<String>("", "group_key")?,
        GroupBy::Day | GroupBy::Hour => row
            .try_get::<DateTime<Utc>>("", "group_key")?
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        _ => row.try_get::<i32>("", "group_key")?.to_string(),
    };
    let mut latency: Histogram = [0; BUCKETS];
    if latency_read == Latency::Included {
        for (i, slot) in latency.iter_mut().enumerate() {
            *slot = row.try_get::<i64>("", &latency_alias(i))?;
        }
    }
    Ok(Group {
        key,
        requests: row.try_get("", "requests")?,
        errors: row.try_get("", "errors")?,
        prompt_tokens: row.try_get("", "prompt_tokens")?,
        completion_tokens: row.try_get("", "completion_tokens")?,
        cost_micros: row.try_get("", "cost_micros")?,
        latency,
    })
}

/// Whether a query also sums the latency histogram (twelve more columns per row read, so
/// breakdowns that show no latency leave it out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Included,
    Omitted,
}

/// Usage matching `filter`, one group per value of `group_by`: time groups in time order
/// (only buckets that had requests), other groups by cost then requests, largest first.
/// Without latency: `p50_ms`/`p95_ms` of the groups are `None`.
pub async fn grouped(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    group_by: GroupBy,
) -> Result<Vec<Group>, DomainError> {
    grouped_with(db, filter, group_by, Latency::Omitted).await
}

/// [`grouped`], choosing whether to read latency percentiles too.
pub async fn grouped_with(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    group_by: GroupBy,
    latency: Latency,
) -> Result<Vec<Group>, DomainError> {
    let w = window(filter, group_by);
    let statement = db
        .get_database_backend()
        .build(&statement(filter, group_by, &w, latency));
    let rows = db.query_all_raw(statement).await?;
    let mut groups = rows
        .iter()
        .map(|row| read_group(row, group_by, latency))
        .collect::<Result<Vec<_>, _>>()?;
    if group_by == GroupBy::Total && groups.is_empty() {
        groups.push(Group::default());
    }
    if !group_by.is_time() {
        groups.sort_by(|a, b| {
            b.cost_micros
                .cmp(&a.cost_micros)
                .then(b.requests.cmp(&a.requests))
                .then(a.key.cmp(&b.key))
        });
    }
    Ok(groups)
}

/// Everything matching `filter` as one group, latency included.
pub async fn total(db: &DatabaseConnection, filter: &UsageFilter) -> Result<Group, DomainError> {
    Ok(grouped_with(db, filter, GroupBy::Total, Latency::Included)
        .await?
        .into_iter()
        .next()
        .unwrap_or_default())
}

/// A time series over the whole window, with empty buckets as zero groups so charts have
/// one point per hour or day.
pub async fn series(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    group_by: GroupBy,
) -> Result<Vec<Group>, DomainError> {
    let group_by = if group_by.is_time() {
        group_by
    } else {
        GroupBy::Day
    };
    let w = window(filter, group_by);
    let found = grouped_with(db, filter, group_by, Latency::Included).await?;
    Ok(fill(&w, found))
}

/// One group per bucket of `w`, taking `found`'s sums where they exist.
pub fn fill(w: &Window, found: Vec<Group>) -> Vec<Group> {
    let mut by_key: HashMap<String, Group> =
        found.into_iter().map(|g| (g.key.clone(), g)).collect();
    let mut out = Vec::new();
    let mut at = w.from;
    // At most ~3 years of days or ~4 months of hours; beyond that the caller asked for
    // too fine a series and gets the buckets that had data.
    while at < w.to && out.len() < 5_000 {
        let key = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        out.push(by_key.remove(&key).unwrap_or(Group {
            key,
            ..Group::default()
        }));
        at += w.step();
    }
    out
}

/// Several breakdowns of the same usage from one read of the rollups: groups by every
/// combination of `dims` (no time dimension, no latency), folded into one list per
/// dimension, each sorted like [`grouped`]. Cheaper than one query per breakdown when the
/// range covers many rows.
pub async fn breakdowns(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    dims: &[GroupBy],
) -> Result<HashMap<GroupBy, Vec<Group>>, DomainError> {
    let dims: Vec<GroupBy> = dims
        .iter()
        .copied()
        .filter(|d| !d.is_time() && *d != GroupBy::Total)
        .collect();
    // The window of a non-time grouping (days when day-aligned, else hours).
    let w = window(filter, GroupBy::Model);
    let mut q = statement(filter, GroupBy::Total, &w, Latency::Omitted);
    for (i, dim) in dims.iter().enumerate() {
        if let Some(column) = dim.column() {
            q.expr_as(Expr::col(Alias::new(column)), Alias::new(format!("g{i}")));
            q.group_by_col(Alias::new(column));
        }
    }
    let rows = db
        .query_all_raw(db.get_database_backend().build(&q))
        .await?;
    let mut folded: HashMap<GroupBy, HashMap<String, Group>> = HashMap::new();
    for row in &rows {
        let sums = read_group(row, GroupBy::Total, Latency::Omitted)?;
        for (i, dim) in dims.iter().enumerate() {
            let alias = format!("g{i}");
            let key = match dim {
                GroupBy::Model | GroupBy::Provider => row.try_get::<String>("", &alias)?,
                _ => row.try_get::<i32>("", &alias)?.to_string(),
            };
            let group = folded
                .entry(*dim)
                .or_default()
                .entry(key.clone())
                .or_insert_with(|| Group {
                    key,
                    ..Group::default()
                });
            group.add(&sums);
        }
    }
    Ok(dims
        .iter()
        .map(|dim| {
            let mut groups: Vec<Group> = folded
                .remove(dim)
                .map(|m| m.into_values().collect())
                .unwrap_or_default();
            groups.sort_by(|a, b| {
                b.cost_micros
                    .cmp(&a.cost_micros)
                    .then(b.requests.cmp(&a.requests))
                    .then(a.key.cmp(&b.key))
            });
            (*dim, groups)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use chrono::TimeZone as _;

    use super::*;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
    }

    #[test]
    fn day_aligned_ranges_read_days_others_hours() {
        let f = UsageFilter::new(1, at(1, 0, 0), at(8, 0, 0));
        let w = window(&f, GroupBy::Model);
        assert_eq!(w.granularity, "day");
        let w = window(&f, GroupBy::Hour);
        assert_eq!(w.granularity, "hour");
        let f = UsageFilter::new(1, at(1, 10, 30), at(2, 10, 15));
        let w = window(&f, GroupBy::Model);
        assert_eq!(w.granularity, "hour");
        assert_eq!(w.from, at(1, 10, 0));
        assert_eq!(w.to, at(2, 11, 0));
        let w = window(&f, GroupBy::Day);
        assert_eq!((w.from, w.to), (at(1, 0, 0), at(3, 0, 0)));
    }

    #[test]
    fn fill_gives_one_point_per_bucket() {
        let f = UsageFilter::new(1, at(1, 0, 0), at(4, 0, 0));
        let w = window(&f, GroupBy::Day);
        let found = vec![Group {
            key: "2026-11-02T00:00:00Z".into(),
            requests: 5,
            ..Group::default()
        }];
        let filled = fill(&w, found);
        let requests: Vec<i64> = filled.iter().map(|g| g.requests).collect();
        assert_eq!(requests, vec![0, 5, 0]);
        assert_eq!(filled[0].key, "2026-11-01T00:00:00Z");
    }
}

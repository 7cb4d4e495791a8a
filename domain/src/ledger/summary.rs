//! Today's and this month's usage for a project, a Keygate key or a provider key, read from
//! the daily rollups (never from raw ledger rows).

use std::collections::HashMap;

use chrono::{DateTime, Datelike as _, DurationRound as _, TimeDelta, TimeZone as _, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::usage_rollup;
use crate::error::DomainError;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub requests: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
}

impl Totals {
    fn add(&mut self, row: &usage_rollup::Model) {
        self.requests += row.requests;
        self.errors += row.errors;
        self.prompt_tokens += row.prompt_tokens;
        self.completion_tokens += row.completion_tokens;
        self.cost_micros = self.cost_micros.saturating_add(row.cost_micros);
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Periods {
    pub today: Totals,
    pub month: Totals,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Project(i32),
    VirtualKey(i32),
    ProviderKey(i32),
}

fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

async fn month_rows(
    db: &DatabaseConnection,
    org_id: i32,
    scope: Option<Scope>,
    now: DateTime<Utc>,
) -> Result<Vec<usage_rollup::Model>, DomainError> {
    let mut query = usage_rollup::Entity::find()
        .filter(usage_rollup::Column::OrgId.eq(org_id))
        .filter(usage_rollup::Column::Granularity.eq("day"))
        .filter(usage_rollup::Column::BucketStart.gte(month_start(now)));
    query = match scope {
        Some(Scope::Project(id)) => query.filter(usage_rollup::Column::ProjectId.eq(id)),
        Some(Scope::VirtualKey(id)) => query.filter(usage_rollup::Column::VirtualKeyId.eq(id)),
        Some(Scope::ProviderKey(id)) => query.filter(usage_rollup::Column::ProviderKeyId.eq(id)),
        None => query,
    };
    Ok(query.all(db).await?)
}

fn fold<K: std::hash::Hash + Eq>(
    rows: &[usage_rollup::Model],
    now: DateTime<Utc>,
    key: impl Fn(&usage_rollup::Model) -> K,
) -> HashMap<K, Periods> {
    let today = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now);
    let mut out: HashMap<K, Periods> = HashMap::new();
    for row in rows {
        let periods = out.entry(key(row)).or_default();
        periods.month.add(row);
        if row.bucket_start >= today {
            periods.today.add(row);
        }
    }
    out
}

/// Today and this month (UTC) for one scope of an organization.
pub async fn periods(
    db: &DatabaseConnection,
    org_id: i32,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Periods, DomainError> {
    let rows = month_rows(db, org_id, Some(scope), now).await?;
    Ok(fold(&rows, now, |_| ()).remove(&()).unwrap_or_default())
}

/// Today and this month per Keygate key of a project.
pub async fn per_virtual_key(
    db: &DatabaseConnection,
    org_id: i32,
    project_id: i32,
    now: DateTime<Utc>,
) -> Result<HashMap<i32, Periods>, DomainError> {
    let rows = month_rows(db, org_id, Some(Scope::Project(project_id)), now).await?;
    Ok(fold(&rows, now, |r| r.virtual_key_id))
}

/// Today and this month per provider key of an organization.
pub async fn per_provider_key(
    db: &DatabaseConnection,
    org_id: i32,
    now: DateTime<Utc>,
) -> Result<HashMap<i32, Periods>, DomainError> {
    let rows = month_rows(db, org_id, None, now).await?;
    Ok(fold(&rows, now, |r| r.provider_key_id))
}

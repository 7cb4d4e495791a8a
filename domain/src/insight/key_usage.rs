//! A provider key's usage as seed 004's `GET /api/admin/api-keys/{id}/usage` describes it:
//! the current period against its limit and reset time, daily and monthly history, and cost
//! so far this month with a projection to its end.
//!
//! Without a budget on the key the period is the calendar month (UTC), usage is counted in
//! tokens and `limit` is `None`. With one ([`apply_limit`]) the period, reset time and unit
//! are the budget's: tokens when it has a token budget, else micro-dollars.

use chrono::{DateTime, Datelike as _, DurationRound as _, NaiveDate, TimeDelta, Utc};
use sea_orm::DatabaseConnection;

use crate::entities::usage_limit;
use crate::error::DomainError;
use crate::ledger::projection::{month_start, next_month_start, projected_month_cost};
use crate::ledger::query::{self, Group, GroupBy, UsageFilter};

/// Days of daily history.
pub const DAILY_DAYS: i64 = 30;
/// Months of monthly history (including the current one).
pub const MONTHS: u32 = 12;

#[derive(Clone, Debug, PartialEq)]
pub struct PeriodUsage {
    /// Used in the current period, in `unit`.
    pub current: i64,
    pub limit: Option<i64>,
    /// `None`: the budget never resets.
    pub reset_at: Option<DateTime<Utc>>,
    /// `tokens` (input + output) or `micros` (micro-dollars).
    pub unit: &'static str,
    pub requests: i64,
    pub cost_micros: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyUsage {
    pub usage: PeriodUsage,
    /// The last [`DAILY_DAYS`] days, oldest first (key: the day's start).
    pub daily: Vec<Group>,
    /// The last [`MONTHS`] months, oldest first (key: `YYYY-MM`).
    pub monthly: Vec<Group>,
    pub cost_current_micros: i64,
    pub cost_projected_micros: i64,
}

fn months_back(now: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let total = now.year() * 12 + now.month0() as i32 - n as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(now)
}

/// Usage of everything `base` selects (normally one provider key).
pub async fn key_usage(
    db: &DatabaseConnection,
    base: &UsageFilter,
    now: DateTime<Utc>,
) -> Result<KeyUsage, DomainError> {
    let tomorrow = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now) + TimeDelta::days(1);
    let this_month = month_start(now);

    // One read of the year's daily rows serves the month's total, the last 30 days and the
    // monthly history.
    let mut year = base.clone();
    year.from = months_back(now, MONTHS - 1);
    year.to = tomorrow;
    let days = query::grouped(db, &year, GroupBy::Day).await?;

    let month_key = this_month.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut current = Group::default();
    for day in days.iter().filter(|d| d.key >= month_key) {
        current.add(day);
    }
    let mut recent = base.clone();
    recent.from = tomorrow - TimeDelta::days(DAILY_DAYS);
    recent.to = tomorrow;
    let daily = query::fill(&query::window(&recent, GroupBy::Day), days.clone());

    let mut monthly: Vec<Group> = (0..MONTHS)
        .rev()
        .map(|back| {
            let start = months_back(now, back);
            Group {
                key: format!("{:04}-{:02}", start.year(), start.month()),
                ..Group::default()
            }
        })
        .collect();
    for day in &days {
        if let Some(month) = monthly.iter_mut().find(|m| day.key.starts_with(&m.key)) {
            month.add(day);
        }
    }

    // Complete days of this month before today feed the run-rate (plus earlier days of the
    // last week when the month is young).
    let today_key =
        (tomorrow - TimeDelta::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let complete: Vec<i64> = daily
        .iter()
        .filter(|g| g.key < today_key)
        .map(|g| g.cost_micros)
        .collect();
    let projected = projected_month_cost(now, current.cost_micros, &complete);
    Ok(KeyUsage {
        usage: PeriodUsage {
            current: current.tokens(),
            limit: None,
            reset_at: Some(next_month_start(now)),
            unit: "tokens",
            requests: current.requests,
            cost_micros: current.cost_micros,
        },
        daily,
        monthly,
        cost_current_micros: current.cost_micros,
        cost_projected_micros: projected,
    })
}

/// Reports the period against the key's budget: its period, reset time and unit.
pub fn apply_limit(usage: &mut PeriodUsage, limit: &usage_limit::Model, now: DateTime<Utc>) {
    let status = crate::limits::store::status(limit, now);
    usage.reset_at = status.reset_at;
    if let Some(tokens) = limit.limit_tokens {
        usage.current = status.spent_tokens;
        usage.limit = Some(tokens);
        usage.unit = "tokens";
    } else if let Some(micros) = limit.limit_micros {
        usage.current = status.spent_micros;
        usage.limit = Some(micros);
        usage.unit = "micros";
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn months_back_crosses_years() {
        let now = Utc.with_ymd_and_hms(2026, 2, 15, 8, 0, 0).unwrap();
        assert_eq!(
            months_back(now, 0),
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            months_back(now, 2),
            Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            months_back(now, 11),
            Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap()
        );
    }
}

//! Daily and monthly usage reports per organization (seed 004: usage reports, cost analysis,
//! usage trends): totals against the previous period, the day-by-day (or hour-by-hour) trend,
//! breakdowns by project, model, provider and user, and — for the running month — the
//! projected cost at its end. Read from the rollups.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::entities::organization;
use crate::error::DomainError;
use crate::ledger::projection::projected_month_cost;
use crate::ledger::query::{self, Group, GroupBy, UsageFilter};

use super::labels;

/// What a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Month { year: i32, month: u32 },
    Day(NaiveDate),
}

impl Period {
    /// `2026-11` (a month) or `2026-11-25` (a day).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.trim();
        if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(Period::Day(day));
        }
        let bad =
            || DomainError::validation("period", "Give a month as YYYY-MM or a day as YYYY-MM-DD.");
        let (y, m) = raw.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Period::Month { year, month })
    }

    fn first_day(self) -> NaiveDate {
        match self {
            Period::Month { year, month } => {
                NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
            }
            Period::Day(d) => d,
        }
    }

    /// [from, to) in UTC.
    pub fn range(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.first_day();
        let end = match self {
            Period::Month { year, month } => {
                let (y, m) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
            }
            Period::Day(d) => d.succ_opt().unwrap_or(NaiveDate::MAX),
        };
        let at = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_default()
        };
        (at(start), at(end))
    }

    pub fn previous(self) -> Self {
        match self {
            Period::Month { year, month: 1 } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month - 1,
            },
            Period::Day(d) => Period::Day(d.pred_opt().unwrap_or(d)),
        }
    }

    pub fn label(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year:04}-{month:02}"),
            Period::Day(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    pub fn is_month(self) -> bool {
        matches!(self, Period::Month { .. })
    }
}

/// A labelled breakdown row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub label: String,
    pub group: Group,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub org_id: i32,
    pub org_name: String,
    pub period: Period,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: Group,
    pub previous_total: Group,
    /// Days of a month, or hours of a day, oldest first.
    pub trend: Vec<Group>,
    pub by_project: Vec<Row>,
    pub by_model: Vec<Row>,
    pub by_provider: Vec<Row>,
    pub by_user: Vec<Row>,
    /// The running month's cost projected to its end; `None` for past periods and days.
    pub projected_cost_micros: Option<i64>,
    pub generated_at: DateTime<Utc>,
}

impl Report {
    /// Percentage change of cost against the previous period (`None` when it had none).
    pub fn cost_change_percent(&self) -> Option<f64> {
        (self.previous_total.cost_micros > 0).then(|| {
            (self.total.cost_micros - self.previous_total.cost_micros) as f64 * 100.0
                / self.previous_total.cost_micros as f64
        })
    }

    /// Percentage change of requests against the previous period.
    pub fn requests_change_percent(&self) -> Option<f64> {
        (self.previous_total.requests > 0).then(|| {
            (self.total.requests - self.previous_total.requests) as f64 * 100.0
                / self.previous_total.requests as f64
        })
    }
}

async fn labelled(
    db: &DatabaseConnection,
    org_id: i32,
    group_by: GroupBy,
    groups: Vec<Group>,
) -> Result<Vec<Row>, DomainError> {
    let names = labels::labels(db, org_id, group_by, &groups).await?;
    Ok(groups
        .into_iter()
        .map(|g| Row {
            label: names.get(&g.key).cloned().unwrap_or_else(|| g.key.clone()),
            group: g,
        })
        .collect())
}

/// The organization's report for `period`. `base` carries the organization (and, for a
/// member, their own user) — pass it through [`super::restrict`] first.
pub async fn report(
    db: &DatabaseConnection,
    base: &UsageFilter,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Report, DomainError> {
    let org = organization::Entity::find_by_id(base.org_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let (from, to) = period.range();
    let mut filter = base.clone();
    filter.from = from;
    filter.to = to;
    let mut previous = base.clone();
    (previous.from, previous.to) = period.previous().range();

    let trend_step = if period.is_month() {
        GroupBy::Day
    } else {
        GroupBy::Hour
    };
    let running_month = period.is_month() && from <= now && now < to;
    let mut week = base.clone();
    week.to = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    week.from = week.to - TimeDelta::days(7);
    // Independent reads, run at once; the four breakdowns share one.
    let dims = [
        GroupBy::Project,
        GroupBy::Model,
        GroupBy::Provider,
        GroupBy::User,
    ];
    let (previous_total, trend, week_series, mut split) = futures_util::try_join!(
        async {
            Ok::<_, DomainError>(
                query::grouped(db, &previous, GroupBy::Total)
                    .await?
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
            )
        },
        async {
            let found = query::grouped(db, &filter, trend_step).await?;
            Ok(query::fill(&query::window(&filter, trend_step), found))
        },
        async {
            if running_month {
                query::grouped(db, &week, GroupBy::Day).await
            } else {
                Ok(Vec::new())
            }
        },
        query::breakdowns(db, &filter, &dims),
    )?;
    let mut named = |dim: GroupBy| split.remove(&dim).unwrap_or_default();
    let (projects, models, providers, users) = (
        named(GroupBy::Project),
        named(GroupBy::Model),
        named(GroupBy::Provider),
        named(GroupBy::User),
    );
    let (by_project, by_model, by_provider, by_user) = futures_util::try_join!(
        labelled(db, filter.org_id, GroupBy::Project, projects),
        labelled(db, filter.org_id, GroupBy::Model, models),
        labelled(db, filter.org_id, GroupBy::Provider, providers),
        labelled(db, filter.org_id, GroupBy::User, users),
    )?;
    let week_series = query::fill(&query::window(&week, GroupBy::Day), week_series);
    // The trend covers the whole period bucket by bucket, so it sums to the total.
    let mut total = Group::default();
    for g in &trend {
        total.add(g);
    }
    let projected_cost_micros = running_month.then(|| {
        let daily: Vec<i64> = week_series.iter().map(|g| g.cost_micros).collect();
        projected_month_cost(now, total.cost_micros, &daily)
    });
    Ok(Report {
        org_id: org.id,
        org_name: org.name,
        period,
        from,
        to,
        total,
        previous_total,
        trend,
        by_project,
        by_model,
        by_provider,
        by_user,
        projected_cost_micros,
        generated_at: now,
    })
}

/// The report as CSV: one row per line item, with a `section` column (`total`, `previous`,
/// `trend`, `project`, `model`, `provider`, `user`, `projection`).
pub fn to_csv(report: &Report) -> Result<Vec<u8>, DomainError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| DomainError::internal("csv", e);
    w.write_record([
        "section",
        "key",
        "label",
        "requests",
        "errors",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    ])
    .map_err(err)?;
    let mut line = |section: &str, key: &str, label: &str, g: &Group| {
        w.write_record([
            section,
            key,
            label,
            &g.requests.to_string(),
            &g.errors.to_string(),
            &g.prompt_tokens.to_string(),
            &g.completion_tokens.to_string(),
            &super::export::usd(g.cost_micros),
        ])
    };
    let period = report.period.label();
    line("total", &period, &report.org_name, &report.total).map_err(err)?;
    line(
        "previous",
        &report.period.previous().label(),
        "previous period",
        &report.previous_total,
    )
    .map_err(err)?;
    for g in &report.trend {
        line("trend", &g.key, &g.key, g).map_err(err)?;
    }
    for (section, rows) in [
        ("project", &report.by_project),
        ("model", &report.by_model),
        ("provider", &report.by_provider),
        ("user", &report.by_user),
    ] {
        for r in rows {
            line(section, &r.group.key, &r.label, &r.group).map_err(err)?;
        }
    }
    if let Some(projected) = report.projected_cost_micros {
        let g = Group {
            cost_micros: projected,
            ..Group::default()
        };
        line("projection", &period, "projected month-end cost", &g).map_err(err)?;
    }
    w.into_inner().map_err(|e| DomainError::internal("csv", e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn periods_parse_and_bound() {
        let m = Period::parse("2026-12").unwrap();
        assert_eq!(
            m.range(),
            (
                Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
            )
        );
        assert_eq!(m.previous().label(), "2026-11");
        assert_eq!(
            Period::parse("2026-01").unwrap().previous().label(),
            "2025-12"
        );
        let d = Period::parse("2026-11-25").unwrap();
        assert_eq!(d.previous().label(), "2026-11-24");
        assert_eq!(d.range().1 - d.range().0, TimeDelta::days(1));
        assert!(Period::parse("2026-13").is_err());
        assert!(Period::parse("November").is_err());
    }
}

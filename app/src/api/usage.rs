//! The usage page's data: one dashboard (totals, a time series, breakdowns) for a scope and
//! range, and this month's cost with its projection. Both go through
//! `domain::insight::restrict`, so members only ever read their own usage whatever they send.
//! The CSV exports and the live feed are REST endpoints (`/api/usage/export.csv`,
//! `/api/usage/events`) the page links to.

use leptos::prelude::*;

use crate::dto_insight::{CostTrackingDto, ModelRatingDto, UsageDashboardDto};
use crate::error::AppError;

/// Longest custom range, in days (as the REST API).
#[cfg(feature = "ssr")]
const MAX_RANGE_DAYS: i64 = 3 * 366;

#[cfg(feature = "ssr")]
fn refused(message: &str) -> AppError {
    let err = AppError::Validation {
        field: None,
        message: message.to_owned(),
    };
    crate::ssr::answer_with(&err);
    err
}

/// The range a dashboard reads and its buckets: `24h` — the hour 24 hours ago up to the end
/// of the current hour, by hour; `7d` / `30d` — whole UTC days ending tonight, by day;
/// `custom` — from one date to another, both included, by day.
#[cfg(feature = "ssr")]
fn resolve_range(
    range: &str,
    from: Option<&str>,
    to: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<
    (
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
        domain::ledger::query::GroupBy,
    ),
    AppError,
> {
    use chrono::{DurationRound as _, NaiveDate, TimeDelta};
    use domain::ledger::query::GroupBy;
    let hour = TimeDelta::hours(1);
    let day = TimeDelta::days(1);
    let tomorrow = now.duration_trunc(day).unwrap_or(now) + day;
    match range {
        "24h" => {
            let start = (now - day).duration_trunc(hour).unwrap_or(now - day);
            let end = now.duration_trunc(hour).unwrap_or(now) + hour;
            Ok((start, end, GroupBy::Hour))
        }
        "7d" => Ok((tomorrow - TimeDelta::days(7), tomorrow, GroupBy::Day)),
        "30d" => Ok((tomorrow - TimeDelta::days(30), tomorrow, GroupBy::Day)),
        "custom" => {
            let date = |raw: Option<&str>| {
                raw.and_then(|r| NaiveDate::parse_from_str(r.trim(), "%Y-%m-%d").ok())
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
            };
            let (Some(start), Some(last)) = (date(from), date(to)) else {
                return Err(refused("Choose a start and an end date."));
            };
            if last < start {
                return Err(refused("The end date must not be before the start date."));
            }
            let end = last + day;
            if end - start > TimeDelta::days(MAX_RANGE_DAYS) {
                return Err(refused("Choose a range of at most three years."));
            }
            Ok((start, end, GroupBy::Day))
        }
        _ => Err(refused("Unknown range.")),
    }
}

/// The export's query string for a range and the filters the viewer chose.
#[cfg(feature = "ssr")]
fn export_query(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    project_id: Option<i32>,
    user_id: Option<i32>,
) -> String {
    use crate::dto_insight::encode_query_value;
    let time = |t: chrono::DateTime<chrono::Utc>| {
        encode_query_value(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    let mut query = format!("from={}&to={}", time(from), time(to));
    if let Some(id) = project_id {
        query.push_str(&format!("&projectId={id}"));
    }
    if let Some(id) = user_id {
        query.push_str(&format!("&userId={id}"));
    }
    query
}

/// A range as people read it: days with the last one included, hours with the end.
#[cfg(feature = "ssr")]
fn range_label(window: &domain::ledger::query::Window) -> String {
    if window.granularity == "day" {
        let last = window.to - chrono::TimeDelta::days(1);
        format!(
            "{} – {} (UTC)",
            window.from.format("%Y-%m-%d"),
            last.format("%Y-%m-%d")
        )
    } else {
        format!(
            "{} – {} (UTC)",
            window.from.format("%Y-%m-%d %H:%M"),
            window.to.format("%Y-%m-%d %H:%M")
        )
    }
}

/// Usage of the viewer's scope over a range: `range` is `24h`, `7d`, `30d` or `custom` (then
/// `from`/`to` are dates, both included). Admins may narrow to a project or a user; members
/// always get their own usage.
#[server(prefix = "/rpc", endpoint = "usage_dashboard")]
pub async fn usage_dashboard(
    range: String,
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
    #[server(default)] project_id: Option<i32>,
    #[server(default)] user_id: Option<i32>,
) -> Result<UsageDashboardDto, AppError> {
    use std::collections::HashMap;

    use crate::dto::provider_name;
    use crate::dto_insight::UsageGroupDto;
    use crate::ssr;
    use domain::insight::{self, dashboard::dashboard};
    use domain::ledger::query::UsageFilter;
    let state = ssr::state()?;
    let (viewer, _) = ssr::require_user().await?;
    let now = chrono::Utc::now();
    let (start, end, step) = resolve_range(&range, from.as_deref(), to.as_deref(), now)?;
    let mut filter = UsageFilter::new(viewer.org_id, start, end);
    filter.project_id = project_id;
    filter.user_id = user_id;
    let filter = insight::restrict(&viewer, filter)?;
    let organization = insight::sees_organization(&viewer);

    let d = dashboard(&state.db, &filter, step, organization).await?;
    let named = |groups: &[domain::ledger::query::Group], names: &HashMap<String, String>| {
        groups
            .iter()
            .map(|g| UsageGroupDto::new(g, names.get(&g.key).cloned().unwrap_or(g.key.clone())))
            .collect::<Vec<_>>()
    };
    let window = d.window;
    Ok(UsageDashboardDto {
        organization,
        from: window
            .from
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        to: window.to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        granularity: window.granularity.to_owned(),
        range_label: range_label(&window),
        export_query: export_query(window.from, window.to, project_id, user_id),
        total: UsageGroupDto::new(&d.total, "total".to_owned()),
        series: d.series.iter().map(UsageGroupDto::from).collect(),
        models: d.models.iter().map(UsageGroupDto::from).collect(),
        users: named(&d.users, &d.user_names),
        keys: named(&d.keys, &d.key_names),
        providers: d
            .providers
            .iter()
            .map(|g| UsageGroupDto::new(g, provider_name(&g.key).to_owned()))
            .collect(),
    })
}

/// This month's (UTC) cost so far for the viewer's scope, and the projection to its end from
/// the last seven days' run-rate.
#[server(prefix = "/rpc", endpoint = "usage_costs")]
pub async fn usage_costs(
    #[server(default)] project_id: Option<i32>,
    #[server(default)] user_id: Option<i32>,
) -> Result<CostTrackingDto, AppError> {
    use crate::ssr;
    use domain::insight::{self, key_usage::key_usage};
    use domain::ledger::query::UsageFilter;
    let state = ssr::state()?;
    let (viewer, _) = ssr::require_user().await?;
    let now = chrono::Utc::now();
    // `key_usage` sets the range itself; only the scope matters here.
    let mut filter = UsageFilter::new(viewer.org_id, now, now);
    filter.project_id = project_id;
    filter.user_id = user_id;
    let filter = insight::restrict(&viewer, filter)?;
    let usage = key_usage(&state.db, &filter, now).await?;
    Ok(CostTrackingDto {
        month: now.format("%B %Y").to_string(),
        current_micros: usage.cost_current_micros,
        projected_micros: usage.cost_projected_micros,
    })
}

/// Ratings per model in the viewer's organization, best-rated first. An aggregate without
/// users, so members see it too.
#[server(prefix = "/rpc", endpoint = "ratings_by_model")]
pub async fn ratings_by_model() -> Result<Vec<ModelRatingDto>, AppError> {
    use crate::dto_insight::RatingSummaryDto;
    use crate::ssr;
    let state = ssr::state()?;
    let (viewer, _) = ssr::require_user().await?;
    let found = domain::ratings::per_model(&state.db, viewer.org_id).await?;
    Ok(found
        .iter()
        .map(|(model, summary)| ModelRatingDto {
            model: model.clone(),
            ratings: RatingSummaryDto::from(summary),
        })
        .collect())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::{TimeZone as _, Utc};

    use super::*;

    #[test]
    fn ranges_align_to_hours_and_days() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap();
        let (from, to, _) = resolve_range("24h", None, None, now).unwrap();
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 11, 25, 15, 0, 0).unwrap());
        let (from, to, _) = resolve_range("7d", None, None, now).unwrap();
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 19, 0, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap());
        let (from, to, _) =
            resolve_range("custom", Some("2026-11-01"), Some("2026-11-03"), now).unwrap();
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0).unwrap());
    }
}

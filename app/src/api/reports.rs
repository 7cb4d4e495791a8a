//! Usage reports for a month (day by day) or a day (hour by hour): the `/reports` page and
//! its printable view read the same report. Goes through `domain::insight::restrict`, so
//! members only ever get a report of their own usage. The CSV is the REST route
//! `/api/usage/report.csv` the pages link to.

use leptos::prelude::*;

use crate::dto_insight::ReportDto;
use crate::error::AppError;

/// The report for `period` (`2026-11` or `2026-11-25`; empty: the current month, UTC).
#[server(prefix = "/rpc", endpoint = "usage_report")]
pub async fn usage_report(
    #[server(default)] period: Option<String>,
) -> Result<ReportDto, AppError> {
    use crate::dto::provider_name;
    use crate::dto_insight::{ReportDto, UsageGroupDto};
    use crate::ssr;
    use domain::insight::{
        self,
        report::{Period, Row, report},
    };
    use domain::ledger::query::UsageFilter;
    let state = ssr::state()?;
    let (viewer, _) = ssr::require_user().await?;
    let now = chrono::Utc::now();
    let raw = period.unwrap_or_default();
    let period = if raw.trim().is_empty() {
        Period::parse(&now.format("%Y-%m").to_string())
    } else {
        Period::parse(&raw)
    }?;
    let base = insight::restrict(&viewer, UsageFilter::new(viewer.org_id, now, now))?;
    let r = report(&state.db, &base, period, now).await?;
    let rows = |rows: &[Row]| -> Vec<UsageGroupDto> {
        rows.iter()
            .map(|row| UsageGroupDto::new(&row.group, row.label.clone()))
            .collect()
    };
    let title = if period.is_month() {
        r.from.format("%B %Y").to_string()
    } else {
        r.from.format("%A %-d %B %Y").to_string()
    };
    Ok(ReportDto {
        organization: insight::sees_organization(&viewer),
        org_name: r.org_name.clone(),
        period: period.label(),
        is_month: period.is_month(),
        title,
        previous_period: period.previous().label(),
        granularity: if period.is_month() { "day" } else { "hour" }.to_owned(),
        total: UsageGroupDto::new(&r.total, "total".to_owned()),
        previous_total: UsageGroupDto::new(&r.previous_total, "previous".to_owned()),
        cost_change_percent: r.cost_change_percent(),
        requests_change_percent: r.requests_change_percent(),
        trend: r.trend.iter().map(UsageGroupDto::from).collect(),
        by_project: rows(&r.by_project),
        by_model: rows(&r.by_model),
        by_provider: r
            .by_provider
            .iter()
            .map(|row| UsageGroupDto::new(&row.group, provider_name(&row.group.key).to_owned()))
            .collect(),
        by_user: rows(&r.by_user),
        projected_cost_micros: r.projected_cost_micros,
        generated_at: r
            .generated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

//! The body of a usage report — totals against the previous period, the projected month-end
//! cost, the trend and the breakdowns — shared by `/reports` and its printable view, so both
//! always show the same numbers.

use leptos::prelude::*;

use crate::components::charts::{BarChart, Measure, XPoint};
use crate::dto_insight::{
    ReportDto, UsageGroupDto, bucket_label, bucket_tick, change_percent, format_change,
    format_count, format_percent, format_usd, short_time,
};

/// One total: its value and how it moved since the previous period.
// `use<…>`: the view owns what it shows; without it, release builds (components not
// erased) keep the borrowed arguments alive for the view's whole lifetime.
fn total_tile(
    label: &'static str,
    test_id: &'static str,
    value: String,
    change: String,
    previous: &str,
) -> impl IntoView + use<> {
    view! {
        <div class="stat tile">
            <span class="stat-label">{label}</span>
            <span class="stat-value" data-testid=test_id>{value}</span>
            <span class="stat-change muted small" data-testid=format!("{test_id}-change")>
                {format!("{change} vs {previous}")}
            </span>
        </div>
    }
}

/// The change of the error rate, in percentage points (`—` without previous requests).
fn error_rate_change(current: &UsageGroupDto, previous: &UsageGroupDto) -> String {
    if previous.requests == 0 {
        "—".to_owned()
    } else {
        let points = (current.error_rate() - previous.error_rate()) * 100.0;
        if points.abs() < 0.05 {
            "±0.0 pts".to_owned()
        } else {
            format!("{points:+.1} pts")
        }
    }
}

#[component]
pub fn ReportBody(r: ReportDto) -> impl IntoView {
    let t = r.total.clone();
    let p = r.previous_total.clone();
    let prev = r.previous_period.clone();
    let scope = if r.organization {
        format!("{} · all usage of the organization", r.org_name)
    } else {
        format!("{} · your usage only", r.org_name)
    };
    let projected = r.projected_cost_micros.map(|micros| {
        view! {
            <div class="stat tile">
                <span class="stat-label">"Projected month-end cost"</span>
                <span class="stat-value" data-testid="report-projected">{format_usd(micros)}</span>
                <span class="muted small">"From the last seven days' average (UTC)"</span>
            </div>
        }
    });
    let per = if r.granularity == "hour" {
        "hour"
    } else {
        "day"
    };
    let x: Vec<XPoint> = r
        .trend
        .iter()
        .map(|g| XPoint {
            tooltip: bucket_label(&g.key, &r.granularity),
            tick: bucket_tick(&g.key, &r.granularity),
        })
        .collect();
    let requests: Vec<f64> = r.trend.iter().map(|g| g.requests as f64).collect();
    let cost: Vec<f64> = r
        .trend
        .iter()
        .map(|g| g.cost_micros as f64 / 1_000_000.0)
        .collect();
    let total_cost = t.cost_micros;
    let tiles = (
        total_tile(
            "Requests",
            "report-requests",
            format_count(t.requests),
            format_change(r.requests_change_percent),
            &prev,
        ),
        total_tile(
            "Errors",
            "report-errors",
            format!(
                "{} ({})",
                format_count(t.errors),
                format_percent(t.error_rate())
            ),
            error_rate_change(&t, &p),
            &prev,
        ),
        total_tile(
            "Tokens in",
            "report-tokens-in",
            format_count(t.prompt_tokens),
            format_change(change_percent(t.prompt_tokens, p.prompt_tokens)),
            &prev,
        ),
        total_tile(
            "Tokens out",
            "report-tokens-out",
            format_count(t.completion_tokens),
            format_change(change_percent(t.completion_tokens, p.completion_tokens)),
            &prev,
        ),
        total_tile(
            "Cost (USD)",
            "report-cost",
            format_usd(t.cost_micros),
            format_change(r.cost_change_percent),
            &prev,
        ),
    );
    view! {
        <section class="card report-totals" aria-labelledby="report-totals-heading">
            <h2 id="report-totals-heading">{format!("Totals · {}", r.title)}</h2>
            <p class="muted small">{scope}" · UTC"</p>
            <div class="tiles report-tiles">
                {tiles}
                {projected}
            </div>
            {(t.requests == 0).then(|| view! { <p class="muted">"No usage recorded in this period."</p> })}
        </section>
        <div class="charts report-charts">
            <section class="card" aria-labelledby="report-trend-requests-heading">
                <h2 id="report-trend-requests-heading">{format!("Requests per {per}")}</h2>
                <BarChart test_id="chart-report-requests" label=format!("Requests per {per}")
                    measure=Measure::Count("request", "requests") x=x.clone() values=requests />
            </section>
            <section class="card" aria-labelledby="report-trend-cost-heading">
                <h2 id="report-trend-cost-heading">{format!("Cost per {per} (USD)")}</h2>
                <BarChart test_id="chart-report-cost" label=format!("Cost per {per} in US dollars")
                    measure=Measure::Dollars x values=cost />
            </section>
        </div>
        <div class="breakdowns report-breakdowns">
            <ReportTable title="By project" column="Project" rows=r.by_project total_cost />
            <ReportTable title="By model" column="Model" rows=r.by_model total_cost />
            <ReportTable title="By provider" column="Provider" rows=r.by_provider total_cost />
            <ReportTable title="By user" column="User" rows=r.by_user total_cost />
        </div>
        <p class="muted small">{format!("Generated {} UTC.", short_time(&r.generated_at))}</p>
    }
}

/// One breakdown, every row, by cost.
#[component]
fn ReportTable(
    title: &'static str,
    column: &'static str,
    rows: Vec<UsageGroupDto>,
    total_cost: i64,
) -> impl IntoView {
    let share = move |micros: i64| {
        if total_cost > 0 {
            format_percent(micros as f64 / total_cost as f64)
        } else {
            "—".to_owned()
        }
    };
    let table = if rows.is_empty() {
        view! { <p class="muted">"Nothing in this period."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap">
                <table class="table" aria-label=title>
                    <thead><tr>
                        <th scope="col">{column}</th>
                        <th scope="col" class="num">"Requests"</th>
                        <th scope="col" class="num">"Errors"</th>
                        <th scope="col" class="num">"Tokens in"</th>
                        <th scope="col" class="num">"Tokens out"</th>
                        <th scope="col" class="num">"Cost"</th>
                        <th scope="col" class="num">"Share"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|g| view! {
                            <tr>
                                <td>{g.label.clone()}</td>
                                <td class="num">{format_count(g.requests)}</td>
                                <td class="num">{format_count(g.errors)}</td>
                                <td class="num">{format_count(g.prompt_tokens)}</td>
                                <td class="num">{format_count(g.completion_tokens)}</td>
                                <td class="num">{format_usd(g.cost_micros)}</td>
                                <td class="num">{share(g.cost_micros)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card breakdown report-breakdown">
            <div class="row card-head"><h2>{title}</h2></div>
            {table}
        </section>
    }
}

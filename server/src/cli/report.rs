//! `keygate report [--month YYYY-MM | --day YYYY-MM-DD] [--csv | --json]`.

use std::io::Write as _;

use chrono::{Datelike as _, Utc};
use domain::insight::export::usd;
use domain::insight::report::{self, Period, Report, Row};
use domain::ledger::query::UsageFilter;
use serde_json::json;

use super::{fail, print_json, print_table, resolve_org_id};
use crate::config::Config;
use crate::startup;

fn rows_table(title: &str, rows: &[Row]) {
    if rows.is_empty() {
        return;
    }
    println!("\n{title}");
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.label.clone(),
                r.group.requests.to_string(),
                r.group.errors.to_string(),
                r.group.tokens().to_string(),
                format!("${}", usd(r.group.cost_micros)),
            ]
        })
        .collect();
    print_table(&["", "requests", "errors", "tokens", "cost"], &table);
}

fn change(p: Option<f64>) -> String {
    p.map(|v| format!(" ({v:+.1}% vs previous)"))
        .unwrap_or_default()
}

fn print_text(r: &Report) {
    println!(
        "Usage report {} — {} (organization {})",
        r.period.label(),
        r.org_name,
        r.org_id
    );
    println!(
        "Requests: {}{}",
        r.total.requests,
        change(r.requests_change_percent())
    );
    println!(
        "Errors: {} ({:.1}%)",
        r.total.errors,
        r.total.error_rate() * 100.0
    );
    println!(
        "Tokens: {} in, {} out",
        r.total.prompt_tokens, r.total.completion_tokens
    );
    println!(
        "Cost: ${}{}",
        usd(r.total.cost_micros),
        change(r.cost_change_percent())
    );
    if let Some(projected) = r.projected_cost_micros {
        println!("Projected month-end cost: ${}", usd(projected));
    }
    rows_table("By project", &r.by_project);
    rows_table("By model", &r.by_model);
    rows_table("By provider", &r.by_provider);
    rows_table("By user", &r.by_user);
    println!("\nTrend");
    let table: Vec<Vec<String>> = r
        .trend
        .iter()
        .filter(|g| g.requests > 0)
        .map(|g| {
            vec![
                g.key.clone(),
                g.requests.to_string(),
                g.tokens().to_string(),
                format!("${}", usd(g.cost_micros)),
            ]
        })
        .collect();
    print_table(&["period", "requests", "tokens", "cost"], &table);
}

fn to_json(r: &Report) -> serde_json::Value {
    let rows = |rows: &[Row]| -> Vec<serde_json::Value> {
        rows.iter()
            .map(|r| {
                json!({"key": r.group.key, "label": r.label, "requests": r.group.requests,
                    "errors": r.group.errors, "promptTokens": r.group.prompt_tokens,
                    "completionTokens": r.group.completion_tokens, "costMicros": r.group.cost_micros})
            })
            .collect()
    };
    json!({
        "orgId": r.org_id,
        "orgName": r.org_name,
        "period": r.period.label(),
        "from": r.from.to_rfc3339(),
        "to": r.to.to_rfc3339(),
        "total": {"requests": r.total.requests, "errors": r.total.errors,
            "promptTokens": r.total.prompt_tokens, "completionTokens": r.total.completion_tokens,
            "costMicros": r.total.cost_micros},
        "previous": {"requests": r.previous_total.requests, "costMicros": r.previous_total.cost_micros},
        "projectedCostMicros": r.projected_cost_micros,
        "byProject": rows(&r.by_project),
        "byModel": rows(&r.by_model),
        "byProvider": rows(&r.by_provider),
        "byUser": rows(&r.by_user),
        "trend": r.trend.iter().map(|g| json!({"period": g.key, "requests": g.requests,
            "tokens": g.tokens(), "costMicros": g.cost_micros})).collect::<Vec<_>>(),
    })
}

pub async fn run(
    config: &Config,
    period: Option<&str>,
    csv: bool,
    json: bool,
    org_id: Option<i32>,
) -> Result<(), String> {
    let now = Utc::now();
    let period = match period {
        Some(raw) => Period::parse(raw).map_err(fail)?,
        None => Period::Month {
            year: now.year(),
            month: now.month(),
        },
    };
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = prepared.state.db;
    let org_id = resolve_org_id(&db, org_id).await?;
    let base = UsageFilter::new(org_id, now, now);
    let r = report::report(&db, &base, period, now)
        .await
        .map_err(fail)?;
    if csv {
        let bytes = report::to_csv(&r).map_err(fail)?;
        return std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| format!("cannot write the report: {e}"));
    }
    if json {
        return print_json(&to_json(&r));
    }
    print_text(&r);
    Ok(())
}

//! Dashboard query latency over a large ledger: seeds ROWS [10,000,000] usage events through
//! the real ledger writer (events and their hourly/daily rollups, exactly as the proxy writes
//! them), then times every query the dashboards, reports and analytics make, RUNS [50] times
//! each, and prints p50/p95/max in milliseconds as JSON and a markdown table.
//!
//!   cargo run --release -p server --example insight_bench -- <database-url>
//!
//! The synthetic organization: PROJECTS [20] projects, KEYS [200] Keygate keys (each in one
//! project, 70 % bound to one of USERS [100] users), 12 models, 6 personas, 3 provider keys per
//! provider, spread evenly over the last DAYS [30] days. Each key mostly calls its own two
//! models with its own persona — the rollups grow with active (key, model, persona)
//! combinations per hour, not with the number of requests.

mod seed;

use std::time::{Duration, Instant};

use chrono::{DurationRound as _, TimeDelta, Utc};
use domain::insight::key_usage::key_usage;
use domain::insight::report::{self, Period};
use domain::ledger::query::{self, GroupBy, UsageFilter};
use sea_orm::DatabaseConnection;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

struct Timing {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Timing {
    fn percentile(&self, q: f64) -> f64 {
        let mut s: Vec<f64> = self.samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        s.sort_by(|a, b| a.total_cmp(b));
        let i = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
        s[i]
    }
}

async fn time<F, Fut, T>(name: &'static str, runs: usize, mut f: F) -> Timing
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, domain::DomainError>>,
{
    // One warm-up run (caches, prepared statements), not counted.
    if let Err(e) = f().await {
        panic!("{name}: {e}");
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        if let Err(e) = f().await {
            panic!("{name}: {e}");
        }
        samples.push(started.elapsed());
    }
    Timing { name, samples }
}

async fn measure(db: &DatabaseConnection, org_id: i32, runs: usize) -> Vec<Timing> {
    let now = Utc::now();
    let tomorrow = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now) + TimeDelta::days(1);
    let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now) + TimeDelta::hours(1);
    let day24 = UsageFilter::new(org_id, hour - TimeDelta::hours(24), hour);
    let days7 = UsageFilter::new(org_id, tomorrow - TimeDelta::days(7), tomorrow);
    let days30 = UsageFilter::new(org_id, tomorrow - TimeDelta::days(30), tomorrow);
    let mut project30 = days30.clone();
    project30.project_id = Some(1);
    let mut user30 = days30.clone();
    user30.user_id = Some(1);
    let mut key30 = days30.clone();
    key30.provider_key_id = Some(1);
    let mut persona = days30.clone();
    persona.persona_id = Some(1);
    let mut out = Vec::new();
    out.push(
        time("24 h series by hour (org)", runs, || {
            query::series(db, &day24, GroupBy::Hour)
        })
        .await,
    );
    out.push(time("24 h totals (org)", runs, || query::total(db, &day24)).await);
    out.push(
        time("24 h top models (org)", runs, || {
            query::grouped(db, &day24, GroupBy::Model)
        })
        .await,
    );
    out.push(
        time("7 d series by day (org)", runs, || {
            query::series(db, &days7, GroupBy::Day)
        })
        .await,
    );
    out.push(
        time("30 d series by day (org)", runs, || {
            query::series(db, &days30, GroupBy::Day)
        })
        .await,
    );
    out.push(time("30 d totals (org)", runs, || query::total(db, &days30)).await);
    out.push(
        time("30 d top models", runs, || {
            query::grouped(db, &days30, GroupBy::Model)
        })
        .await,
    );
    out.push(
        time("30 d top users", runs, || {
            query::grouped(db, &days30, GroupBy::User)
        })
        .await,
    );
    out.push(
        time("30 d top keys", runs, || {
            query::grouped(db, &days30, GroupBy::Key)
        })
        .await,
    );
    out.push(
        time("30 d by provider", runs, || {
            query::grouped(db, &days30, GroupBy::Provider)
        })
        .await,
    );
    out.push(
        time("30 d by project", runs, || {
            query::grouped(db, &days30, GroupBy::Project)
        })
        .await,
    );
    out.push(
        time("30 d series, one project", runs, || {
            query::series(db, &project30, GroupBy::Day)
        })
        .await,
    );
    out.push(
        time("30 d series, one user", runs, || {
            query::series(db, &user30, GroupBy::Day)
        })
        .await,
    );
    out.push(
        time("provider key usage (seed 004)", runs, || {
            key_usage(db, &key30, now)
        })
        .await,
    );
    out.push(
        time("persona 30 d by model", runs, || {
            query::grouped(db, &persona, GroupBy::Model)
        })
        .await,
    );
    let month = Period::Month {
        year: chrono::Datelike::year(&now),
        month: chrono::Datelike::month(&now),
    };
    let base = UsageFilter::new(org_id, now, now);
    out.push(
        time("monthly report", runs, || {
            report::report(db, &base, month, now)
        })
        .await,
    );
    out
}

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite://./insight-bench.db?mode=rwc".into());
    let rows = env_usize("ROWS", 10_000_000);
    let runs = env_usize("RUNS", 50);
    let db = domain::db::connect_and_migrate(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    let shape = seed::Shape {
        rows,
        projects: env_usize("PROJECTS", 20) as i32,
        keys: env_usize("KEYS", 200) as i32,
        users: env_usize("USERS", 100) as i32,
        days: env_usize("DAYS", 30) as i64,
    };
    let seeded = seed::seed(&db, &shape).await;
    let timings = measure(&db, seed::ORG_ID, runs).await;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let results: Vec<serde_json::Value> = timings
        .iter()
        .map(|t| {
            serde_json::json!({"query": t.name, "p50Ms": t.percentile(0.5),
                "p95Ms": t.percentile(0.95), "maxMs": t.percentile(1.0)})
        })
        .collect();
    let worst = timings
        .iter()
        .map(|t| t.percentile(0.95))
        .fold(0.0_f64, f64::max);
    let summary = serde_json::json!({
        "backend": backend,
        "ledgerRows": seeded.events,
        "rollupRows": seeded.rollups,
        "seedSeconds": seeded.seconds,
        "runs": runs,
        "worstP95Ms": worst,
        "queries": results,
    });
    eprintln!("{summary}");
    let mut table = format!(
        "\n{backend}: {} ledger rows, {} rollup rows, {runs} runs per query\n\n| query | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|\n",
        seeded.events, seeded.rollups
    );
    for t in &timings {
        table.push_str(&format!(
            "| {} | {:.2} | {:.2} | {:.2} |\n",
            t.name,
            t.percentile(0.5),
            t.percentile(0.95),
            t.percentile(1.0)
        ));
    }
    table.push_str(&format!(
        "\nworst p95: {worst:.2} ms (target ≤ 50 ms: {})\n",
        if worst <= 50.0 { "PASS" } else { "MISS" }
    ));
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(table.as_bytes());
}

//! Prometheus metrics: their names, the process-wide recorder, and the few helpers the proxy
//! calls. Served at `/metrics` by [`endpoint`].
//!
//! The `metrics` facade is a process global, so the recorder is installed once, by the first
//! server that has metrics enabled (tests run many servers in one process). Until then every
//! helper here is a no-op costing an atomic load. Per-server values (the ledger queue, the
//! database pool) are not recorded here: they are read from the server's own state when it is
//! scraped.

mod endpoint;

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use endpoint::{Listener, router};

pub const PROXY_REQUESTS: &str = "keygate_proxy_requests_total";
pub const PROXY_DURATION: &str = "keygate_proxy_request_duration_seconds";
pub const STREAM_FIRST_BYTE: &str = "keygate_proxy_stream_first_byte_seconds";
pub const UPSTREAM_ERRORS: &str = "keygate_upstream_errors_total";
pub const BUDGET_REFUSALS: &str = "keygate_budget_refusals_total";
pub const LEDGER_QUEUE_DEPTH: &str = "keygate_ledger_queue_depth";
pub const DB_POOL_CONNECTIONS: &str = "keygate_db_pool_connections";
pub const BUILD_INFO: &str = "keygate_build_info";
pub const RUNTIME_TASKS: &str = "keygate_runtime_alive_tasks";

/// Histogram buckets in seconds: from a cached small answer to the longest first-byte wait.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// Histogram samples are buffered until drained; a scrape drains them too, but nobody may be
/// scraping, so a thread drains them on this period to keep memory bounded.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The proxy refusal codes counted as budget refusals (the `reason` label).
const BUDGET_CODES: [&str; 4] = [
    "budget_exceeded",
    "requests_rate_limit_exceeded",
    "tokens_rate_limit_exceeded",
    "limits_unavailable",
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder (first call only) and returns its handle; `None` when another
/// recorder was installed first, in which case `/metrics` answers 503.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    describe();
                    spawn_upkeep(handle.clone());
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot install the metrics recorder");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    describe_counter!(
        PROXY_REQUESTS,
        "Proxied API requests by provider, endpoint and the status answered."
    );
    describe_histogram!(
        PROXY_DURATION,
        metrics::Unit::Seconds,
        "Proxied request duration (streams: until the stream ended)."
    );
    describe_histogram!(
        STREAM_FIRST_BYTE,
        metrics::Unit::Seconds,
        "Streams: time until the provider's response headers."
    );
    describe_counter!(
        UPSTREAM_ERRORS,
        "Failed provider attempts by provider key and kind (5xx, timeout, connect, rate_limited, refused)."
    );
    describe_counter!(
        BUDGET_REFUSALS,
        "Requests refused by budgets and rate limits, by reason."
    );
    describe_gauge!(BUILD_INFO, "Always 1; the version is a label.");
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
    }
}

/// One proxied request answered with `status`. `elapsed` is `None` for a stream, whose
/// duration is recorded by [`stream_finished`] when it ends.
pub fn proxied(provider: &str, endpoint: &'static str, status: u16, elapsed: Option<Duration>) {
    counter!(
        PROXY_REQUESTS,
        "provider" => provider.to_owned(),
        "endpoint" => endpoint,
        "status" => status.to_string(),
    )
    .increment(1);
    if let Some(elapsed) = elapsed {
        histogram!(PROXY_DURATION, "provider" => provider.to_owned(), "endpoint" => endpoint)
            .record(elapsed.as_secs_f64());
    }
}

/// A stream ended (normally, cut, or abandoned by the client).
pub fn stream_finished(
    provider: &str,
    endpoint: &'static str,
    first_byte: Duration,
    total: Duration,
) {
    histogram!(STREAM_FIRST_BYTE, "provider" => provider.to_owned(), "endpoint" => endpoint)
        .record(first_byte.as_secs_f64());
    histogram!(PROXY_DURATION, "provider" => provider.to_owned(), "endpoint" => endpoint)
        .record(total.as_secs_f64());
}

/// One failed attempt at a provider with one key (`None`: the environment fallback key).
pub fn upstream_error(provider: &str, key_id: Option<i32>, kind: &'static str) {
    counter!(
        UPSTREAM_ERRORS,
        "provider" => provider.to_owned(),
        "provider_key_id" => key_id.map_or_else(|| "env".to_owned(), |id| id.to_string()),
        "kind" => kind,
    )
    .increment(1);
}

/// Counts a proxy refusal when its code is a budget or rate-limit refusal.
pub fn refused(code: Option<&'static str>) {
    if let Some(reason) = code.filter(|c| BUDGET_CODES.contains(c)) {
        counter!(BUDGET_REFUSALS, "reason" => reason).increment(1);
    }
}

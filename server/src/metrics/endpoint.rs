//! Serving `/metrics`: on the main address only with `KEYGATE_METRICS_TOKEN` as a bearer token
//! (compared in constant time), and on `KEYGATE_METRICS_ADDR` without one (an address only
//! operators should be able to reach). With neither configured, `/metrics` is a 404.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::AppState;
use sea_orm::DbBackend;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tokio::net::TcpListener;

use super::{DB_POOL_CONNECTIONS, LEDGER_QUEUE_DEPTH, RUNTIME_TASKS};
use crate::config::Config;
use crate::rest::error::ApiError;
use crate::startup::StartupError;

/// Comparing digests keeps the comparison constant-time whatever the lengths.
type TokenDigest = [u8; 32];

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// `/metrics` on the main router: 404 without a token configured, else bearer-guarded.
pub fn router(config: &Config, state: AppState) -> Router {
    let token = config
        .metrics_token
        .as_ref()
        .map(|t| t.0.trim())
        .filter(|t| !t.is_empty())
        .map(digest);
    if token.is_some() {
        super::install();
    }
    Router::new().route(
        "/metrics",
        get(move |headers: HeaderMap| {
            let state = state.clone();
            async move { guarded(token, &state, &headers) }
        }),
    )
}

fn guarded(token: Option<TokenDigest>, state: &AppState, headers: &HeaderMap) -> Response {
    let Some(expected) = token else {
        return ApiError::not_found().into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| digest(t.trim()));
    if !presented.is_some_and(|p| bool::from(p[..].ct_eq(&expected[..]))) {
        let mut response = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Metrics need the configured metrics token (Authorization: Bearer …).",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    scrape(state)
}

/// The exposition text: the process-wide recorder plus this server's own gauges.
fn scrape(state: &AppState) -> Response {
    let Some(handle) = super::install() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "Metrics are not available in this process.",
        )
        .into_response();
    };
    let mut text = handle.render();
    append_server_gauges(&mut text, state);
    append_process_gauges(&mut text);
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// Gauges of this server, sampled now. Written here rather than through the global recorder
/// so that several servers in one process (tests) never report each other's values.
fn append_server_gauges(text: &mut String, state: &AppState) {
    let _ = writeln!(
        text,
        "# HELP {LEDGER_QUEUE_DEPTH} Usage records waiting for the ledger writer.\n\
         # TYPE {LEDGER_QUEUE_DEPTH} gauge\n\
         {LEDGER_QUEUE_DEPTH} {}\n",
        state.gateway.ledger.queue_depth()
    );
    let db = &state.db;
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    let _ = writeln!(
        text,
        "# HELP {DB_POOL_CONNECTIONS} Database pool connections by state.\n\
         # TYPE {DB_POOL_CONNECTIONS} gauge\n\
         {DB_POOL_CONNECTIONS}{{state=\"idle\"}} {idle}\n\
         {DB_POOL_CONNECTIONS}{{state=\"in_use\"}} {}\n",
        size - idle
    );
}

/// The process's own resources: what a leak would make grow (tasks, descriptors, memory).
/// The two `process_*` names follow Prometheus's standard process collector.
fn append_process_gauges(text: &mut String) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let _ = writeln!(
            text,
            "# HELP {RUNTIME_TASKS} Tasks alive on the async runtime (requests, streams, jobs).\n\
             # TYPE {RUNTIME_TASKS} gauge\n\
             {RUNTIME_TASKS} {}\n",
            runtime.metrics().num_alive_tasks()
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        let _ = writeln!(
            text,
            "# HELP process_open_fds Open file descriptors (sockets included).\n\
             # TYPE process_open_fds gauge\n\
             process_open_fds {}\n",
            fds.count()
        );
    }
    let resident_pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok());
    if let Some(pages) = resident_pages {
        // Linux pages are 4 KiB on the platforms Keygate ships for.
        let _ = writeln!(
            text,
            "# HELP process_resident_memory_bytes Resident memory.\n\
             # TYPE process_resident_memory_bytes gauge\n\
             process_resident_memory_bytes {}\n",
            pages * 4096
        );
    }
}

/// The separate metrics listener (`KEYGATE_METRICS_ADDR`): `/metrics` without a token.
pub struct Listener {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
}

impl Listener {
    /// Binds `KEYGATE_METRICS_ADDR` when it is set.
    pub async fn bind(config: &Config, state: &AppState) -> Result<Option<Self>, StartupError> {
        let Some(wanted) = config.metrics_addr else {
            return Ok(None);
        };
        let listener = TcpListener::bind(wanted).await.map_err(|e| {
            StartupError::Other(format!("cannot listen for metrics on {wanted}: {e}"))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?;
        super::install();
        tracing::info!(%addr, "serving metrics");
        Ok(Some(Self {
            listener,
            addr,
            state: state.clone(),
        }))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the task is aborted (with the main server).
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let state = self.state;
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let state = state.clone();
                async move { scrape(&state) }
            }),
        );
        tokio::spawn(async move {
            if let Err(e) = axum::serve(self.listener, app).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })
    }
}

//! The `keygate` server: configuration, start-up, the HTTP stack and the CLI.

#![recursion_limit = "1024"] // the release (non-erased) view types of the app nest deeply

pub mod cli;
pub mod client_addr;
pub mod config;
pub mod metrics;
pub mod outage;
pub mod proxy;
pub mod rest;
pub mod router;
pub mod security;
pub mod serve;
pub mod startup;
pub mod storage_guard;
pub mod telemetry;

use std::net::SocketAddr;

use domain::AppState;
use tokio::net::TcpListener;
use tower_sessions::session_store::ExpiredDeletion as _;

use crate::config::Config;
use crate::startup::StartupError;

/// A server bound to its listener, ready to run.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The first-run token while no user exists.
    pub setup_token: Option<String>,
    listener: TcpListener,
    router: axum::Router,
    /// The separate `/metrics` listener (`KEYGATE_METRICS_ADDR`), if configured.
    metrics: Option<metrics::Listener>,
    rotation_tick: std::time::Duration,
    shutdown_grace: std::time::Duration,
    header_read_timeout: std::time::Duration,
}

impl Server {
    /// Prepares everything (database, vault, router) and binds `config.addr`.
    pub async fn bind(config: &Config) -> Result<Self, StartupError> {
        let prepared = startup::prepare(config).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|e| StartupError::Other(format!("cannot listen on {}: {e}", config.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?;
        prepared
            .state
            .gateway
            .set_instance(&config.instance_id(addr));
        let router = router::build(config, prepared.state.clone());
        let metrics = metrics::Listener::bind(config, &prepared.state).await?;
        Ok(Self {
            addr,
            state: prepared.state,
            setup_token: prepared.setup_token,
            listener,
            router,
            metrics,
            rotation_tick: config.rotation_tick,
            shutdown_grace: config.shutdown_grace,
            header_read_timeout: config.header_read_timeout,
        })
    }

    /// Where the separate metrics listener is bound, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(metrics::Listener::addr)
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = domain::session_store::SeaOrmSessionStore::new(self.state.db.clone());
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                every.tick().await;
                if let Err(e) = store.delete_expired().await {
                    tracing::warn!(error = %e, "could not delete expired sessions");
                }
            }
        });
        // Replicas sharing the database run each periodic job on one of them at a time: the
        // one holding the job's lease (see `domain::jobs`). This id names this process.
        let instance: std::sync::Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
        let lease = |job: &'static str, period: std::time::Duration| {
            domain::jobs::Lease::new(self.state.db.clone(), job, instance.clone(), period)
        };
        // Rotates Keygate keys whose schedule fell due, notes due provider keys, and ends
        // grace periods.
        let rotation_tick = self.rotation_tick.max(std::time::Duration::from_secs(1));
        let rotation_lease = lease("rotation", rotation_tick);
        let rotations = tokio::spawn(domain::rotation::scheduler::run_forever(
            self.state.clone(),
            rotation_tick,
            rotation_lease.clone(),
        ));
        // Evaluates alert rules and sends webhook and e-mail deliveries.
        let alerts_lease = lease("alerts", domain::alerts::TICK);
        let alerts = tokio::spawn(domain::alerts::run_forever(
            self.state.clone(),
            domain::alerts::TICK,
            alerts_lease.clone(),
        ));
        // Deletes audit entries older than each organization's retention, daily.
        let prune_lease = lease("audit_prune", domain::audit::schedule::PRUNE_EVERY);
        let audit_prune = tokio::spawn(domain::audit::schedule::run_forever(
            self.state.db.clone(),
            domain::audit::schedule::PRUNE_EVERY,
            prune_lease.clone(),
        ));
        // Requests a previous process with this instance name left in flight (it was killed)
        // get their usage rows before anything new is served; others' abandoned intents are
        // looked for periodically.
        let instance_id = self.state.gateway.instance();
        domain::ledger::intent::announce(&self.state.db, &instance_id, chrono::Utc::now()).await;
        match domain::ledger::intent::reconcile_holder(&self.state.db, &instance_id).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                requests = n,
                instance = %instance_id,
                "reconciled requests left in flight by this instance's previous run"
            ),
            Err(e) => tracing::error!(error = %e, "cannot reconcile usage intents at start-up"),
        }
        let intents = tokio::spawn(domain::ledger::intent::run_forever(
            self.state.db.clone(),
            instance_id.clone(),
        ));
        // Refuses writes while the disk under an embedded database is short of space.
        let storage = tokio::spawn(self.state.storage.clone().run_forever());
        let metrics = self.metrics.map(metrics::Listener::spawn);
        // On the shutdown signal the listener stops accepting and open requests (streams
        // included) may finish — for at most `shutdown_grace`, then the server returns anyway.
        let (stopping, mut stopping_seen) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = stopping.send(true);
        };
        let grace = self.shutdown_grace;
        let deadline = async move {
            let _ = stopping_seen.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        let serve = serve::serve(self.listener, self.router, signal, self.header_read_timeout);
        let result: std::io::Result<()> = tokio::select! {
            () = serve => Ok(()),
            () = deadline => {
                tracing::warn!(
                    grace_ms = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX),
                    "requests still open at the shutdown deadline are cut off"
                );
                Ok(())
            }
        };
        sweeper.abort();
        rotations.abort();
        alerts.abort();
        audit_prune.abort();
        intents.abort();
        storage.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // Another replica takes the jobs over at its next tick rather than after expiry.
        for lease in [rotation_lease, alerts_lease, prune_lease] {
            lease.release().await;
        }
        // Everything proxied so far reaches the ledger before the process exits.
        self.state.gateway.ledger.flush().await;
        domain::ledger::intent::depart(&self.state.db, &instance_id).await;
        result
    }
}

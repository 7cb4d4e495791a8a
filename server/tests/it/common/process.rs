//! The real `keygate` binary as a child process: for what only a separate process can show
//! (kill -9, restarts, resident memory and open files).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `keygate serve`.
pub struct Process {
    pub child: Child,
    pub base: String,
    pub port: u16,
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start one: the data directory (SQLite file and master key unless `database_url`),
/// the fake provider's base URL and any extra `KEYGATE_*` variables.
pub struct Spec<'a> {
    pub data_dir: &'a Path,
    pub database_url: Option<&'a str>,
    pub fake_base: &'a str,
    pub port: u16,
    pub env: Vec<(&'a str, String)>,
}

impl Process {
    /// Starts the binary and waits until `/v1/health` answers.
    pub async fn start(spec: &Spec<'_>) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keygate"));
        for (key, _) in std::env::vars() {
            if key.starts_with("KEYGATE_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("KEYGATE_DATA_DIR", spec.data_dir)
            .env("KEYGATE_ADDR", format!("127.0.0.1:{}", spec.port))
            .env("KEYGATE_ALLOW_PRIVATE_UPSTREAMS", "true")
            .env("KEYGATE_OPENAI_BASE_URL", format!("{}/v1", spec.fake_base))
            .env(
                "KEYGATE_ANTHROPIC_BASE_URL",
                format!("{}/anthropic", spec.fake_base),
            )
            .env("RUST_LOG", "warn");
        if let Some(url) = spec.database_url {
            cmd.env("KEYGATE_DATABASE_URL", url);
        }
        for (key, value) in &spec.env {
            cmd.env(key, value);
        }
        let child = cmd
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let process = Self {
            child,
            base: format!("http://127.0.0.1:{}", spec.port),
            port: spec.port,
        };
        process.wait_ready().await;
        process
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ok = client
                .get(format!("{}/v1/health", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} did not start",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = i32::try_from(self.child.id()).unwrap();
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }

    /// Resident memory in KiB (from /proc).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    }

    /// Open file descriptors (sockets included).
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The process's `/metrics` page (read with the metrics bearer token).
pub async fn metrics_page(client: &reqwest::Client, base: &str, token: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The sum of every sample on the page whose line starts with `prefix` (a metric name and
/// any label set, e.g. `keygate_db_pool_connections{state="idle"}`); 0 when there is none.
pub fn metric_sum(page: &str, prefix: &str) -> f64 {
    page.lines()
        .filter_map(|l| l.strip_prefix(prefix)?.trim().parse::<f64>().ok())
        .sum()
}

/// The database URL a process started on this data directory uses.
pub fn database_url(dir: &Path, database: Option<&str>) -> String {
    match database {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}?mode=rwc", dir.join("keygate.db").display()),
    }
}

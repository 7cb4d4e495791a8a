//! Typed configuration from flags and `KEYGATE_*` environment variables, loaded once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

mod audit_commands;
mod commands;
pub use audit_commands::*;
pub use commands::*;

/// A string whose value never appears in `Debug` output or `--help`.
#[derive(Clone)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

fn parse_trusted_proxies(raw: &str) -> Result<domain::ip_access::IpAllowlist, String> {
    domain::ip_access::IpAllowlist::parse_text(raw).map_err(|e| e.to_string())
}

fn parse_redacted(raw: &str) -> Result<Redacted, std::convert::Infallible> {
    Ok(Redacted(raw.to_owned()))
}

#[derive(Debug, Parser)]
#[command(
    name = "keygate",
    version,
    about = "Keygate: a self-hosted vault and gateway for AI provider API keys.",
    long_about = "Keygate keeps an organization's AI provider keys encrypted in one place and \
                  hands out revocable Keygate keys instead.\n\nWith no subcommand, serves the web \
                  UI, the REST API and the proxy on one address."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the UI, REST API and proxy (the default).
    Serve,
    /// Administrative tasks run against the database directly.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Tokens for programs (`kg_admin_…` for the REST API, `kg_svc_…` for the broker).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The vault's master-key versions.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Organizations: create one (with its owner) or list them.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Projects of an organization.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Provider API keys (shown masked; secrets are read from stdin, never from arguments).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Users of an organization.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Organization JWTs for applications that call the proxy as their users (`X-User-ID`).
    Jwt {
        #[command(subcommand)]
        command: JwtCommand,
    },
    /// An organization's usage report for a month (or a day): totals against the previous
    /// period, the trend, breakdowns by project, model, provider and user, and the projected
    /// month-end cost.
    Report {
        /// The month, `YYYY-MM` (default: the current month).
        #[arg(long, conflicts_with = "day")]
        month: Option<String>,
        /// A single day instead, `YYYY-MM-DD`.
        #[arg(long)]
        day: Option<String>,
        /// Print CSV instead of text.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The organization (needed when the database holds more than one).
        #[arg(long)]
        org_id: Option<i32>,
    },
    /// The tamper-evident audit log: verify, list, export, prune.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Personas: named system prompts, organization-wide or for one user.
    Persona {
        #[command(subcommand)]
        command: PersonaCommand,
    },
    /// Budgets and rate limits per Keygate key, user, project or provider key.
    Limit {
        #[command(subcommand)]
        command: LimitCommand,
    },
    /// Write a consistent backup of the whole database to a file (not the master key).
    Backup(BackupArgs),
    /// Replace the database's data with a backup (`--force` when it already holds data).
    Restore(RestoreArgs),
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        env = "KEYGATE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,

    /// Directory for the SQLite database and the generated master key.
    #[arg(
        long,
        env = "KEYGATE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite://PATH?mode=rwc` or `postgres://USER:PASS@HOST/DB`.
    /// Defaults to `DATA_DIR/keygate.db`.
    #[arg(long, env = "KEYGATE_DATABASE_URL", hide_env_values = true, value_parser = parse_redacted, global = true)]
    pub database_url: Option<Redacted>,

    /// The master key itself: base64 of 32 random bytes (`openssl rand -base64 32`).
    #[arg(long, env = "KEYGATE_MASTER_KEY", hide_env_values = true, value_parser = parse_redacted, global = true)]
    pub master_key: Option<Redacted>,

    /// A file holding the master key (base64). Default: DATA_DIR/master.key, generated on first
    /// run with mode 0600.
    #[arg(long, env = "KEYGATE_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,

    /// The URL people use to reach Keygate (for links in logs). When it starts with https,
    /// cookies are marked Secure and HSTS is sent.
    #[arg(long, env = "KEYGATE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Sign out after this much inactivity (e.g. 30m, 8h).
    #[arg(long, env = "KEYGATE_SESSION_IDLE_TIMEOUT", default_value = "8h", value_parser = humantime::parse_duration, global = true)]
    pub session_idle_timeout: Duration,

    /// Sign out this long after sign-in, however active (e.g. 7d).
    #[arg(long, env = "KEYGATE_SESSION_LIFETIME", default_value = "7d", value_parser = humantime::parse_duration, global = true)]
    pub session_lifetime: Duration,

    /// Where the built site (WASM, JS, CSS) is served from.
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,

    /// Let base URLs set on keys reach loopback, private and link-local addresses (tests and
    /// private deployments). Off by default: keys cannot point Keygate at its own network.
    #[arg(long, env = "KEYGATE_ALLOW_PRIVATE_UPSTREAMS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub allow_private_upstreams: bool,

    /// Reverse proxies (IP addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For`
    /// is believed when they are the TCP peer. Empty (the default): the peer is the client,
    /// and forwarding headers are ignored — IP allowlists and the audit log see the peer.
    #[arg(long, env = "KEYGATE_TRUSTED_PROXIES", default_value = "", value_parser = parse_trusted_proxies, global = true)]
    pub trusted_proxies: domain::ip_access::IpAllowlist,

    /// Per-provider base URLs; `None` reads `KEYGATE_<PROVIDER>_BASE_URL` from the environment.
    #[arg(skip)]
    pub upstream_overrides: Option<domain::upstream::Overrides>,

    /// Fallback provider keys; `None` reads `KEYGATE_FALLBACK_<PROVIDER>_API_KEY`.
    #[arg(skip)]
    pub fallback_keys: Option<domain::fallback::FallbackKeys>,

    /// Largest JSON request body the proxy accepts, in bytes (files have their own limit).
    #[arg(long, env = "KEYGATE_PROXY_MAX_BODY_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    pub proxy_max_body_bytes: usize,

    /// Largest `/v1/files` upload, in bytes.
    #[arg(long, env = "KEYGATE_PROXY_MAX_FILE_BYTES", default_value_t = 512 * 1024 * 1024, global = true)]
    pub proxy_max_file_bytes: usize,

    /// How long to wait for a provider to connect.
    #[arg(long, env = "KEYGATE_PROXY_CONNECT_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, global = true)]
    pub proxy_connect_timeout: Duration,

    /// How long to wait for a provider's response headers (non-streaming answers arrive whole).
    #[arg(long, env = "KEYGATE_PROXY_FIRST_BYTE_TIMEOUT", default_value = "300s", value_parser = humantime::parse_duration, global = true)]
    pub proxy_first_byte_timeout: Duration,

    /// Longest silence while reading a provider's answer (between stream chunks).
    #[arg(long, env = "KEYGATE_PROXY_IDLE_TIMEOUT", default_value = "120s", value_parser = humantime::parse_duration, global = true)]
    pub proxy_idle_timeout: Duration,

    /// Provider keys tried per request at most (failover).
    #[arg(long, env = "KEYGATE_PROXY_MAX_ATTEMPTS", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=10), global = true)]
    pub proxy_max_attempts: u8,

    /// Output tokens a budget reserves for a request that sets no `max_tokens` /
    /// `max_output_tokens` (the reservation is settled to the actual use afterwards).
    #[arg(long, env = "KEYGATE_BUDGET_DEFAULT_MAX_TOKENS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=10_000_000), global = true)]
    pub budget_default_max_tokens: u32,

    /// Where rate-limit state lives: `memory` (this server only), `database` (shared by every
    /// replica on the database), or `auto` — the database on PostgreSQL, memory on SQLite.
    #[arg(long, env = "KEYGATE_RATE_LIMIT_STORE", default_value = "auto", value_parser = ["auto", "memory", "database"], global = true)]
    pub rate_limit_store: String,

    /// How long a client may take to send a request's headers before the connection is
    /// closed (against clients that trickle headers to hold connections open).
    #[arg(long, env = "KEYGATE_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub header_read_timeout: Duration,

    /// After SIGTERM/Ctrl-C: how long open requests and streams may still finish before the
    /// server exits anyway (new connections are refused at once; the ledger is flushed after).
    #[arg(long, env = "KEYGATE_SHUTDOWN_GRACE", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub shutdown_grace: Duration,

    /// How often the rotation scheduler looks for keys whose rotation schedule fell due.
    #[arg(long, env = "KEYGATE_ROTATION_TICK", default_value = "60s", value_parser = humantime::parse_duration, global = true)]
    pub rotation_tick: Duration,

    /// SMTP server for alert e-mails: `smtp://USER:PASS@HOST:587` (STARTTLS),
    /// `smtps://USER:PASS@HOST:465` or `smtp://HOST:25?tls=none`. Unset: no e-mail.
    #[arg(long, env = "KEYGATE_SMTP_URL", hide_env_values = true, value_parser = parse_redacted, global = true)]
    pub smtp_url: Option<Redacted>,

    /// Sender of alert e-mails, e.g. `Keygate <keygate@example.com>` (needed with the URL).
    #[arg(long, env = "KEYGATE_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,

    /// Bearer token that `/metrics` on the main address requires. Unset: no metrics there.
    #[arg(long, env = "KEYGATE_METRICS_TOKEN", hide_env_values = true, value_parser = parse_redacted, global = true)]
    pub metrics_token: Option<Redacted>,

    /// A separate address serving only `/metrics`, without a token (e.g. `127.0.0.1:9464`).
    #[arg(long, env = "KEYGATE_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,

    /// Write each proxied request's usage intent to the database before forwarding it, so a
    /// crash (kill -9, power loss) cannot lose its usage row. `false` saves one small write
    /// per request at the price of losing rows still queued in memory in a crash.
    #[arg(long, env = "KEYGATE_USAGE_INTENTS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub usage_intents: bool,

    /// With SQLite: refuse writes (503, reads still served) while less than this many MiB
    /// are free under the database, instead of letting the disk fill up mid-write.
    #[arg(
        long,
        env = "KEYGATE_MIN_FREE_DISK_MB",
        default_value_t = 64,
        global = true
    )]
    pub min_free_disk_mb: u64,

    /// This process's stable name among replicas (default `HOSTNAME:PORT`). A restarted
    /// process with the same name reconciles the requests its predecessor left in flight;
    /// two running processes must never share one.
    #[arg(long, env = "KEYGATE_INSTANCE_ID", global = true)]
    pub instance_id: Option<String>,

    /// Log format: `text` or `json`. Levels come from RUST_LOG (default `info`).
    #[arg(long, env = "KEYGATE_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    pub log_format: String,
}

/// The machine's host name (a container's is its id), or `keygate` if it cannot be read.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "keygate".to_owned())
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.0.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("keygate.db").display()
            ),
        }
    }

    /// The directory holding the SQLite database, if the database is SQLite.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        let url = self.database_url();
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        let parent = std::path::Path::new(path).parent()?.to_path_buf();
        Some(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent
        })
    }

    /// This process's instance name once it listens on `bound`.
    pub fn instance_id(&self, bound: SocketAddr) -> String {
        match self.instance_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.chars().take(200).collect(),
            _ => format!("{}:{}", hostname(), bound.port()),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
            .trim_end_matches('/')
            .to_owned()
    }

    pub fn served_over_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// A configuration for tests and embedding: everything default except the data dir.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            master_key: None,
            master_key_file: None,
            public_url: None,
            session_idle_timeout: Duration::from_secs(8 * 3600),
            session_lifetime: Duration::from_secs(7 * 24 * 3600),
            site_root: PathBuf::from("target/site"),
            log_format: "text".into(),
            allow_private_upstreams: false,
            trusted_proxies: Default::default(),
            rate_limit_store: "auto".into(),
            upstream_overrides: None,
            fallback_keys: None,
            proxy_max_body_bytes: 20 * 1024 * 1024,
            proxy_max_file_bytes: 512 * 1024 * 1024,
            proxy_connect_timeout: Duration::from_secs(10),
            proxy_first_byte_timeout: Duration::from_secs(300),
            proxy_idle_timeout: Duration::from_secs(120),
            proxy_max_attempts: 3,
            rotation_tick: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            budget_default_max_tokens: 4096,
            smtp_url: None,
            smtp_from: None,
            metrics_token: None,
            metrics_addr: None,
            instance_id: None,
            min_free_disk_mb: 64,
            usage_intents: true,
        }
    }

    /// Whether rate limits live in the database: `database`, or `auto` on PostgreSQL (where
    /// replicas may share it). SQLite is one server, so `auto` keeps them in memory there.
    pub fn shared_rate_limits(&self) -> bool {
        match self.rate_limit_store.as_str() {
            "database" => true,
            "memory" => false,
            _ => self.database_url().starts_with("postgres"),
        }
    }

    pub fn proxy_limits(&self) -> domain::gateway::ProxyLimits {
        domain::gateway::ProxyLimits {
            max_body_bytes: self.proxy_max_body_bytes,
            max_file_bytes: self.proxy_max_file_bytes,
            first_byte_timeout: self.proxy_first_byte_timeout,
            max_attempts: usize::from(self.proxy_max_attempts),
            default_max_tokens: self.budget_default_max_tokens,
            shared_rate_limits: self.shared_rate_limits(),
            usage_intents: self.usage_intents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let mut config = Config::for_data_dir("/tmp/x".into());
        config.master_key = Some(Redacted("c2VjcmV0LW1hc3Rlci1rZXk=".into()));
        config.database_url = Some(Redacted("postgres://u:hunter2@db/k".into()));
        config.smtp_url = Some(Redacted("smtps://mail:swordfish@smtp.acme.test".into()));
        config.metrics_token = Some(Redacted("metrics-tok-sesame".into()));
        let shown = format!("{config:?}");
        assert!(!shown.contains("c2VjcmV0"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("swordfish"));
        assert!(!shown.contains("sesame"));
    }

    #[test]
    fn defaults_put_sqlite_in_the_data_dir() {
        let cli = Cli::try_parse_from(["keygate", "--data-dir", "/srv/kg"]).unwrap();
        assert_eq!(
            cli.config.database_url(),
            "sqlite:///srv/kg/keygate.db?mode=rwc"
        );
        assert_eq!(
            cli.config.master_key_path(),
            PathBuf::from("/srv/kg/master.key")
        );
        assert_eq!(
            cli.config.session_idle_timeout,
            Duration::from_secs(8 * 3600)
        );
        assert_eq!(
            cli.config.session_lifetime,
            Duration::from_secs(7 * 24 * 3600)
        );
        assert!(!cli.config.served_over_https());
    }

    #[test]
    fn bad_values_are_rejected_with_an_error() {
        assert!(Cli::try_parse_from(["keygate", "--addr", "nonsense"]).is_err());
        assert!(Cli::try_parse_from(["keygate", "--session-lifetime", "forever"]).is_err());
        assert!(Cli::try_parse_from(["keygate", "--log-format", "xml"]).is_err());
    }
}

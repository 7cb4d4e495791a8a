//! Latency benchmark for provider keys on SQLite: create, update and list 1,000 keys through
//! the REST API (`/api/admin/api-keys`) and through the server functions the UI calls
//! (`/rpc/keys_create`, `/rpc/keys_update`, `/rpc/keys_list`). Target: p99 ≤ 20 ms for each.
//!
//!   cargo run --release -p server --example keys_bench -- [--json] [--strict] [--breakdown]
//!       [--keys N] [--lists N]
//!
//! (or `bench/keys-bench.sh`, which sets the shared build environment). Each path gets its own
//! server, started in-process on 127.0.0.1:0 with a fresh SQLite data dir, an organization,
//! a signed-in owner (one sign-in, outside the measured loops) and one project. Requests are
//! sent one at a time over one keep-alive connection, so the figures are latencies, not
//! throughput; each sample runs from sending the request to having read the whole body.
//!
//! Operations per path: `create` N keys; `update` each once (rename, blank secret, which keeps
//! it); `list-all` M times, each answer holding all N keys; `list-name` M times with a name
//! filter that matches one key. `--json` prints JSON lines on stdout (the table then goes to
//! stderr); `--strict` exits with 1 when a p99 is over the target; `--breakdown` adds two
//! diagnostic rows per path: `db-query` (the list's query alone, in-process) and `api-me` (a
//! signed-in request with a tiny answer).

// A benchmark tool, not server code: failing loudly on a broken setup and printing results
// is its job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use domain::accounts::setup::{NewOrganization, create_organization};
use keygate_server::Server;
use keygate_server::config::Config;
use secrecy::SecretString;
use serde_json::{Value, json};

const TARGET_P99_MS: f64 = 20.0;
const EMAIL: &str = "owner@bench.test";
const PASSWORD: &str = "benchmark password 123";

struct Options {
    json: bool,
    strict: bool,
    keys: usize,
    lists: usize,
    breakdown: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        json: false,
        strict: false,
        keys: 1000,
        lists: 200,
        breakdown: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut count = |what: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{what} needs a positive number"))
        };
        match arg.as_str() {
            "--json" => options.json = true,
            "--strict" => options.strict = true,
            "--breakdown" => options.breakdown = true,
            "--keys" => options.keys = count("--keys")?,
            "--lists" => options.lists = count("--lists")?,
            "-h" | "--help" => {
                return Err(
                    "usage: keys_bench [--json] [--strict] [--breakdown] [--keys N (1000)] [--lists N (200)]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(options)
}

#[derive(Clone, Copy, PartialEq)]
enum Path {
    Rest,
    ServerFn,
}

impl Path {
    fn label(self) -> &'static str {
        match self {
            Path::Rest => "rest",
            Path::ServerFn => "server-fn",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Path::Rest => "rest",
            Path::ServerFn => "rpc",
        }
    }
}

struct Row {
    path: &'static str,
    op: &'static str,
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Row {
    fn new(path: Path, op: &'static str, mut samples: Vec<Duration>) -> Self {
        samples.sort();
        // Nearest-rank percentile.
        let pct = |p: f64| {
            let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            ms(samples[rank - 1])
        };
        Self {
            path: path.label(),
            op,
            n: samples.len(),
            p50: pct(0.50),
            p95: pct(0.95),
            p99: pct(0.99),
            max: ms(*samples.last().unwrap()),
        }
    }
    fn pass(&self) -> bool {
        self.p99 <= TARGET_P99_MS
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One server with a fresh SQLite database, an owner signed in and a project.
struct Bench {
    base: String,
    client: reqwest::Client,
    project_id: i64,
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
    state: domain::AppState,
    _dir: tempfile::TempDir,
}

impl Bench {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::for_data_dir(dir.path().to_path_buf());
        let server = Server::bind(&config)
            .await
            .unwrap_or_else(|e| panic!("server start: {e}"));
        let base = format!("http://{}", server.addr);
        let state = server.state.clone();
        let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("server run");
        });
        create_organization(
            &state.db,
            &state.hasher,
            NewOrganization {
                org_name: "Bench".into(),
                owner_name: "Bench Owner".into(),
                owner_email: EMAIL.into(),
                password: SecretString::from(PASSWORD.to_owned()),
            },
            false,
        )
        .await
        .expect("create organization");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let res = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "email": EMAIL, "password": PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), reqwest::StatusCode::OK, "sign-in");
        let res = client
            .post(format!("{base}/api/admin/projects"))
            .json(&json!({ "name": "Bench project" }))
            .send()
            .await
            .expect("create project");
        assert!(
            res.status().is_success(),
            "create project: {}",
            res.status()
        );
        let project: Value = res.json().await.expect("project JSON");
        let project_id = project["id"].as_i64().expect("project id");
        // Open the keep-alive connection and warm the session path before measuring.
        for _ in 0..20 {
            let res = client
                .get(format!("{base}/api/me"))
                .send()
                .await
                .expect("me");
            assert_eq!(res.status(), reqwest::StatusCode::OK, "/api/me");
            res.bytes().await.expect("me body");
        }
        Self {
            base,
            client,
            project_id,
            shutdown,
            server,
            state,
            _dir: dir,
        }
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.server.await;
        self.state.db.clone().close().await.ok();
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn rpc(&self, name: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(&format!("/rpc/{name}")))
            .header("origin", &self.base)
            .form(form)
    }
}

/// Sends `request`, reads the whole body, and returns the time taken with the status and body.
async fn timed(request: reqwest::RequestBuilder) -> (Duration, reqwest::StatusCode, Vec<u8>) {
    let start = Instant::now();
    let res = request.send().await.expect("request");
    let status = res.status();
    let body = res.bytes().await.expect("body");
    (start.elapsed(), status, body.to_vec())
}

fn json_body(op: &str, status: reqwest::StatusCode, body: &[u8]) -> Value {
    assert!(
        status.is_success(),
        "{op}: {status}: {}",
        String::from_utf8_lossy(body)
    );
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{op}: not JSON ({e})"))
}

fn key_name(path: Path, i: usize) -> String {
    format!("bench-{}-{i:06}", path.tag())
}

async fn run_path(path: Path, options: &Options) -> Vec<Row> {
    let bench = Bench::start().await;
    let project = bench.project_id.to_string();
    let mut rows = Vec::new();

    eprintln!("{}: creating {} keys…", path.label(), options.keys);
    let mut ids = Vec::with_capacity(options.keys);
    let mut samples = Vec::with_capacity(options.keys);
    for i in 0..options.keys {
        let name = key_name(path, i);
        let secret = format!("sk-proj-bench{i:06}abcdefghij");
        let request = match path {
            Path::Rest => bench.client.post(bench.url("/api/admin/api-keys")).json(&json!({
                "provider": "openai", "name": name, "key": secret, "projectId": bench.project_id,
            })),
            Path::ServerFn => bench.rpc(
                "keys_create",
                &[
                    ("target", &project),
                    ("provider", "openai"),
                    ("name", &name),
                    ("description", ""),
                    ("key", &secret),
                ],
            ),
        };
        let (took, status, body) = timed(request).await;
        if path == Path::Rest {
            assert_eq!(status, reqwest::StatusCode::CREATED, "create");
        }
        let created = json_body("create", status, &body);
        ids.push(created["id"].as_i64().expect("created id"));
        samples.push(took);
    }
    rows.push(Row::new(path, "create", samples));

    eprintln!("{}: updating {} keys…", path.label(), ids.len());
    let mut samples = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let renamed = format!("{}-renamed", key_name(path, i));
        let id_text = id.to_string();
        let request = match path {
            Path::Rest => bench
                .client
                .put(bench.url(&format!("/api/admin/api-keys/{id}")))
                .json(&json!({ "name": renamed, "key": "" })),
            Path::ServerFn => bench.rpc(
                "keys_update",
                &[
                    ("id", &id_text),
                    ("name", &renamed),
                    ("description", ""),
                    ("key", ""),
                ],
            ),
        };
        let (took, status, body) = timed(request).await;
        let updated = json_body("update", status, &body);
        assert_eq!(updated["name"], renamed.as_str(), "update renamed the key");
        samples.push(took);
    }
    rows.push(Row::new(path, "update", samples));

    for (op, filtered) in [("list-all", false), ("list-name", true)] {
        eprintln!("{}: {op} ×{}…", path.label(), options.lists);
        let mut samples = Vec::with_capacity(options.lists);
        for i in 0..options.lists {
            // Each filtered list asks for a different key; the names are zero-padded, so the
            // filter matches exactly one.
            let needle = if filtered {
                key_name(path, (i * 7919) % options.keys)
            } else {
                String::new()
            };
            let request = match path {
                Path::Rest if filtered => bench
                    .client
                    .get(bench.url("/api/admin/api-keys"))
                    .query(&[("name", &needle)]),
                Path::Rest => bench.client.get(bench.url("/api/admin/api-keys")),
                Path::ServerFn => bench.rpc(
                    "keys_list",
                    &[
                        ("view", "org"),
                        ("provider", "all"),
                        ("status", "all"),
                        ("scope", "all"),
                        ("name", &needle),
                    ],
                ),
            };
            let (took, status, body) = timed(request).await;
            let listed = json_body(op, status, &body);
            let count = match path {
                Path::Rest => listed["keys"].as_array().map(Vec::len),
                Path::ServerFn => listed.as_array().map(Vec::len),
            }
            .expect("a list of keys");
            let expected = if filtered { 1 } else { options.keys };
            assert_eq!(count, expected, "{op} returned {count} keys");
            samples.push(took);
        }
        rows.push(Row::new(path, op, samples));
    }
    if options.breakdown {
        rows.extend(breakdown(path, &bench, options).await);
    }

    bench.stop().await;
    rows
}

/// Diagnostic rows (`--breakdown`): what a list costs without HTTP, sessions and JSON (the
/// list's database query run in-process on the server's pool), and what any signed-in request
/// costs (`GET /api/me`: session and user lookup, tiny body).
async fn breakdown(path: Path, bench: &Bench, options: &Options) -> Vec<Row> {
    use domain::entities::provider_key;
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
    let org_id = provider_key::Entity::find()
        .one(&bench.state.db)
        .await
        .expect("a key")
        .expect("a key")
        .org_id;
    let mut db_samples = Vec::with_capacity(options.lists);
    let mut me_samples = Vec::with_capacity(options.lists);
    for _ in 0..options.lists {
        let start = Instant::now();
        let keys = provider_key::Entity::find()
            .filter(provider_key::Column::OrgId.eq(org_id))
            .filter(provider_key::Column::DeletedAt.is_null())
            .order_by_asc(provider_key::Column::Provider)
            .order_by_asc(provider_key::Column::Name)
            .order_by_asc(provider_key::Column::Id)
            .all(&bench.state.db)
            .await
            .expect("db list");
        db_samples.push(start.elapsed());
        assert_eq!(keys.len(), options.keys);
        let (took, status, _) = timed(bench.client.get(bench.url("/api/me"))).await;
        assert!(status.is_success());
        me_samples.push(took);
    }
    vec![
        Row::new(path, "db-query", db_samples),
        Row::new(path, "api-me", me_samples),
    ]
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // Format log events as the server does (its default filter), into a sink: their cost is
    // part of each request, the text is not part of the output.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn,tower_sessions=warn",
        ))
        .with_writer(std::io::sink)
        .init();

    let started = Instant::now();
    let mut rows = Vec::new();
    for path in [Path::Rest, Path::ServerFn] {
        rows.extend(run_path(path, &options).await);
    }

    let mut table = String::new();
    table.push_str(&format!(
        "{:<10} {:<10} {:>5} {:>9} {:>9} {:>9} {:>9}  {}\n",
        "path", "operation", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99 ≤ 20 ms"
    ));
    for r in &rows {
        table.push_str(&format!(
            "{:<10} {:<10} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {}\n",
            r.path,
            r.op,
            r.n,
            r.p50,
            r.p95,
            r.p99,
            r.max,
            if r.pass() { "PASS" } else { "FAIL" }
        ));
    }
    let failed = rows.iter().filter(|r| !r.pass()).count();
    table.push_str(&format!(
        "{} of {} rows within p99 ≤ {TARGET_P99_MS} ms; list-all returns all {} keys each time; wall time {:.1} s\n",
        rows.len() - failed,
        rows.len(),
        options.keys,
        started.elapsed().as_secs_f64(),
    ));

    if options.json {
        eprint!("{table}");
        for r in &rows {
            println!(
                "{}",
                json!({
                    "path": r.path, "op": r.op, "n": r.n,
                    "p50_ms": round2(r.p50), "p95_ms": round2(r.p95),
                    "p99_ms": round2(r.p99), "max_ms": round2(r.max),
                    "target_p99_ms": TARGET_P99_MS, "pass": r.pass(),
                })
            );
        }
    } else {
        print!("{table}");
    }

    if options.strict && failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

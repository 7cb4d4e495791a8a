//! Load generator for the proxy benchmark (`bench/proxy-bench.sh`): sends the same
//! chat-completions request to a URL (the fake provider directly, or Keygate's `/v1`) and prints
//! one JSON object with the results on stdout. Progress goes to stderr.
//!
//!   loadgen open   --url URL [--key KEY] [--rate 500] [--duration 10] [--warmup 2] [--pid PID]
//!   loadgen closed --url URL [--key KEY] [--concurrency 16] [--duration 10] [--warmup 2] [--pid PID]
//!   loadgen stream --url URL [--key KEY] [--streams 1000] [--open-rate 250] [--ready-file F] [--pid PID]
//!
//! * `open`: open loop at a fixed rate. Request i is sent at start + i/rate whether or not the
//!   earlier ones have finished (each on its own task, over a shared keep-alive pool), so a
//!   slow server cannot slow the offered load. Warm-up requests are sent at the same rate and
//!   not recorded. Latency: from sending the request to having read the whole body.
//! * `closed`: N workers, each sending its next request as soon as the last one is answered;
//!   requests completed in the measured window / window = maximum throughput.
//! * `stream`: opens N streaming requests (`"stream": true`) at `--open-rate` per second (0 =
//!   all at once), records each one's time to first body byte, and once every stream has
//!   delivered its first byte (the fake provider then holds them open, see `--model`) writes
//!   `--ready-file` and, with `--pid`, reads that process's RSS. Then it reads every stream to
//!   its end and counts those that ended with `data: [DONE]`.
//!
//! With `--pid`, the process's CPU time (utime + stime from `/proc/PID/stat`, in clock ticks of
//! `--clk-tck`) is read at the start and the end of the measured window, giving CPU µs per
//! request, and its VmRSS/VmHWM at the end.

// A benchmark tool: its results go to stdout.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

mod measure;
mod streams;

use measure::{Errors, cpu_report, cpu_ticks, memory, percentiles, round1};
use streams::streams_mode;

#[derive(Debug, Parser)]
#[command(about = "Load generator for the Keygate proxy benchmark")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Fixed request rate (open loop) with latency percentiles.
    Open {
        #[command(flatten)]
        common: Common,
        /// Requests per second.
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        /// Measured seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds of unrecorded requests first, at the same rate.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
    },
    /// N workers as fast as they can (closed loop): maximum requests per second.
    Closed {
        #[command(flatten)]
        common: Common,
        /// Concurrent workers (each one request at a time).
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Measured seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds of unrecorded requests first.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
    },
    /// N concurrent streams held open: time to first byte, and the server's RSS with all open.
    Stream {
        #[command(flatten)]
        common: Common,
        /// Streams to open.
        #[arg(long, default_value_t = 1000)]
        streams: usize,
        /// Streams opened per second (0: all at once).
        #[arg(long, default_value_t = 250.0)]
        open_rate: f64,
        /// Written (`open N`) once every stream has delivered its first byte.
        #[arg(long)]
        ready_file: Option<PathBuf>,
        /// Seconds to wait after the ready file before reading the rest of the streams.
        #[arg(long, default_value_t = 0.0)]
        ready_wait: f64,
    },
}

#[derive(Debug, Clone, Args)]
struct Common {
    /// The chat-completions URL, e.g. http://127.0.0.1:3000/v1/chat/completions.
    #[arg(long)]
    url: String,
    /// Bearer key to send.
    #[arg(long, env = "LOADGEN_KEY", hide_env_values = true)]
    key: Option<String>,
    /// Model to ask for (stream mode: the fake holds a stream for N s with `hold-Ns` in it).
    #[arg(long)]
    model: Option<String>,
    /// A process to meter: CPU time over the measured window, RSS at its end.
    #[arg(long)]
    pid: Option<u32>,
    /// Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    clk_tck: u64,
    /// Tokio worker threads of the load generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// A label copied into the output.
    #[arg(long, default_value = "")]
    label: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.mode {
        Mode::Open { common, .. } | Mode::Closed { common, .. } | Mode::Stream { common, .. } => {
            common.threads.max(1)
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.mode {
            Mode::Open {
                common,
                rate,
                duration,
                warmup,
            } => open_loop(common, rate, duration, warmup).await,
            Mode::Closed {
                common,
                concurrency,
                duration,
                warmup,
            } => closed_loop(common, concurrency, duration, warmup).await,
            Mode::Stream {
                common,
                streams,
                open_rate,
                ready_file,
                ready_wait,
            } => streams_mode(common, streams, open_rate, ready_file, ready_wait).await,
        }
    });
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

struct Target {
    client: reqwest::Client,
    url: reqwest::Url,
    auth: Option<reqwest::header::HeaderValue>,
    body: bytes::Bytes,
}

impl Target {
    fn new(common: &Common, stream: bool, pool: usize) -> Result<Arc<Self>, String> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(pool)
            .pool_idle_timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        let url = reqwest::Url::parse(&common.url).map_err(|e| format!("--url: {e}"))?;
        let auth = match &common.key {
            Some(key) => Some(
                reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| "--key is not a valid header value".to_owned())?,
            ),
            None => None,
        };
        let default_model = if stream {
            "gpt-4o-mini-hold-20s"
        } else {
            "gpt-4o-mini"
        };
        let mut body = json!({
            "model": common.model.as_deref().unwrap_or(default_model),
            "messages": [
                { "role": "system", "content": "You are a terse assistant." },
                { "role": "user", "content": "Say hello in five words." }
            ],
            "max_tokens": 16,
        });
        if stream {
            body["stream"] = Value::Bool(true);
        }
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        Ok(Arc::new(Self {
            client,
            url,
            auth,
            body: body.into(),
        }))
    }

    fn request(&self) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(self.body.clone());
        if let Some(auth) = &self.auth {
            request = request.header(reqwest::header::AUTHORIZATION, auth.clone());
        }
        request
    }

    /// One request, whole body read: its latency, or why it failed.
    async fn send(&self) -> Result<Duration, String> {
        let start = Instant::now();
        let response = self.request().send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let took = start.elapsed();
        if status.is_success() {
            Ok(took)
        } else {
            Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ))
        }
    }
}

/// A few requests outside the measurement, to fail fast on a broken setup.
async fn preflight(target: &Target) -> Result<(), String> {
    for _ in 0..3 {
        target
            .send()
            .await
            .map_err(|e| format!("preflight request to {} failed: {e}", target.url))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Open loop

async fn open_loop(common: Common, rate: f64, duration: f64, warmup: f64) -> Result<Value, String> {
    if !(rate > 0.0 && duration > 0.0 && warmup >= 0.0) {
        return Err("--rate and --duration must be positive, --warmup not negative".into());
    }
    let target = Target::new(&common, false, 1024)?;
    preflight(&target).await?;
    let warm = (rate * warmup).round() as usize;
    let measured = (rate * duration).round().max(1.0) as usize;
    eprintln!(
        "loadgen open {}: {rate} req/s, {warm} warm-up + {measured} measured requests",
        common.label
    );
    let interval = 1.0 / rate;
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let mut handles = Vec::with_capacity(measured);
    let mut lags = Vec::with_capacity(measured);
    let mut cpu_before = None;
    let mut window_start = None;
    let mut last_send = Instant::now();
    for i in 0..warm + measured {
        let due = start + Duration::from_secs_f64(i as f64 * interval);
        tokio::time::sleep_until(due).await;
        if i == warm {
            cpu_before = common.pid.and_then(cpu_ticks);
            window_start = Some(Instant::now());
        }
        let target = target.clone();
        let handle = tokio::spawn(async move { target.send().await });
        if i >= warm {
            lags.push(tokio::time::Instant::now().saturating_duration_since(due));
            handles.push(handle);
            last_send = Instant::now();
        }
    }
    let mut latencies = Vec::with_capacity(measured);
    let mut errors = Errors::default();
    for handle in handles {
        match handle.await {
            Ok(Ok(took)) => latencies.push(took),
            Ok(Err(e)) => errors.add(e),
            Err(e) => errors.add(format!("task failed: {e}")),
        }
    }
    let cpu_after = common.pid.and_then(cpu_ticks);
    let window = window_start.map_or(0.0, |s| s.elapsed().as_secs_f64());
    // Sends span (measured - 1) intervals; add one so that the rate of n sends is n / (n·Δ).
    let send_span = window_start.map_or(0.0, |s| {
        last_send.duration_since(s).as_secs_f64() + interval
    });
    let ok = latencies.len();
    Ok(json!({
        "mode": "open",
        "label": common.label,
        "url": common.url,
        "target_rps": rate,
        "sent": measured,
        "ok": ok,
        "errors": errors.count,
        "error_examples": errors.examples,
        "achieved_rps": round1(measured as f64 / send_span),
        "window_s": round1(window),
        "latency": percentiles(&mut latencies),
        "schedule_lag": percentiles(&mut lags),
        "cpu": cpu_report(&common, cpu_before, cpu_after, ok + errors.count),
        "memory": memory(common.pid),
    }))
}

// ---------------------------------------------------------------------------------------------
// Closed loop

async fn closed_loop(
    common: Common,
    concurrency: usize,
    duration: f64,
    warmup: f64,
) -> Result<Value, String> {
    if concurrency == 0 || duration <= 0.0 || warmup < 0.0 {
        return Err("--concurrency and --duration must be positive".into());
    }
    let target = Target::new(&common, false, concurrency)?;
    preflight(&target).await?;
    eprintln!(
        "loadgen closed {}: {concurrency} workers, {warmup} s warm-up + {duration} s",
        common.label
    );
    let begin = Instant::now();
    let measure_from = begin + Duration::from_secs_f64(warmup);
    let measure_to = measure_from + Duration::from_secs_f64(duration);
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Errors::default();
            loop {
                let sent = Instant::now();
                if sent >= measure_to {
                    break;
                }
                let result = target.send().await;
                let done = Instant::now();
                // Only requests that both start and finish inside the window count.
                if sent >= measure_from && done <= measure_to {
                    match result {
                        Ok(took) => latencies.push(took),
                        Err(e) => errors.add(e),
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let pid = common.pid;
    let meter = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        let before = pid.and_then(cpu_ticks);
        tokio::time::sleep_until(measure_to.into()).await;
        let after = pid.and_then(cpu_ticks);
        (before, after)
    });
    let mut latencies = Vec::new();
    let mut errors = Errors::default();
    for worker in workers {
        match worker.await {
            Ok((mut l, e)) => {
                latencies.append(&mut l);
                errors.count += e.count;
                for example in e.examples {
                    errors.add(example);
                }
            }
            Err(e) => errors.add(format!("worker failed: {e}")),
        }
    }
    let (cpu_before, cpu_after) = meter.await.unwrap_or((None, None));
    let ok = latencies.len();
    Ok(json!({
        "mode": "closed",
        "label": common.label,
        "url": common.url,
        "concurrency": concurrency,
        "ok": ok,
        "errors": errors.count,
        "error_examples": errors.examples,
        "achieved_rps": round1(ok as f64 / duration),
        "window_s": duration,
        "latency": percentiles(&mut latencies),
        // Requests partly outside the window are not counted but their CPU is: a slight
        // over-estimate (≤ concurrency requests out of thousands).
        "cpu": cpu_report(&common, cpu_before, cpu_after, ok + errors.count),
        "memory": memory(common.pid),
    }))
}

//! A bounded soak against a real `keygate` process: mixed streaming and non-streaming calls
//! from several Keygate keys, with faults (provider 5xx, cut streams) mixed in. Reports
//! requests, error rate, resident memory, open descriptors and database pool connections at
//! start and end. `make soak` runs it for 10 minutes (`KEYGATE_SOAK_SECONDS`); the test suite
//! runs it for 20 seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::Backend;
use crate::common::gateway::Gateway;
use crate::common::process::{Process, Spec, free_port, metric_sum, metrics_page};

const TOKEN: &str = "soak-metrics-token";
const WORKERS: usize = 8;

#[derive(Debug, Clone, Copy)]
struct Sample {
    rss_kib: u64,
    fds: usize,
    pool: f64,
    tasks: f64,
}

async fn sample(client: &reqwest::Client, process: &Process) -> Sample {
    let page = metrics_page(client, &process.base, TOKEN).await;
    let value = |prefix: &str| metric_sum(&page, prefix);
    Sample {
        rss_kib: process.rss_kib(),
        fds: process.open_fds(),
        pool: value("keygate_db_pool_connections{state=\"idle\"}")
            + value("keygate_db_pool_connections{state=\"in_use\"}"),
        tasks: value("keygate_runtime_alive_tasks "),
    }
}

/// What one call of the mix expects: its model, whether it streams, and whether the answer
/// is a fault the mix injected on purpose.
fn call_of(n: usize) -> (&'static str, bool, bool) {
    match n % 10 {
        0 => ("gpt-4o-error-500", false, true),
        1 => ("gpt-4o-cut-stream", true, true),
        2..=5 => ("gpt-4o", true, false),
        _ => ("gpt-4o", false, false),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak() {
    let seconds: u64 = std::env::var("KEYGATE_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let gw = Gateway::start(Backend::Sqlite).await;
    gw.add_key("openai", "sk-VALID-soak-1").await;
    gw.add_key("openai", "sk-VALID-soak-2").await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        keys.push(gw.mint(json!({})).await.1);
    }
    let fake_base = gw.fake.base.clone();
    let app = gw.app;
    let (dir, database) = (app.dir.clone(), app.database.clone());
    app.stop().await;
    let spec = Spec {
        data_dir: dir.path(),
        database_url: database.url.as_deref(),
        fake_base: &fake_base,
        port: free_port(),
        env: vec![("KEYGATE_METRICS_TOKEN", TOKEN.to_owned())],
    };
    let process = Process::start(&spec).await;
    let client = reqwest::Client::new();

    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicUsize::new(0));
    let unexpected = Arc::new(AtomicUsize::new(0));
    let faults = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (stop, requests, unexpected, faults) = (
            stop.clone(),
            requests.clone(),
            unexpected.clone(),
            faults.clone(),
        );
        let key = keys[worker % keys.len()].clone();
        let url = format!("{}/v1/chat/completions", process.base);
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = worker;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let (model, stream, fault) = call_of(n);
                requests.fetch_add(1, Ordering::Relaxed);
                let res = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({
                        "model": model,
                        "stream": stream,
                        "messages": [{"role": "user", "content": "hi"}],
                    }))
                    .send()
                    .await;
                let ok = match res {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let body_ok = res.bytes().await.is_ok();
                        if fault {
                            // A 5xx from the provider becomes 502; a cut stream breaks.
                            status == 502 || (status == 200 && !body_ok)
                        } else {
                            status == 200 && body_ok
                        }
                    }
                    Err(_) => false,
                };
                if fault {
                    faults.fetch_add(1, Ordering::Relaxed);
                }
                if !ok {
                    unexpected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    // The start sample comes after a warm-up (caches, pools and allocator arenas filled).
    let warm_up = Duration::from_secs((seconds / 5).clamp(3, 60));
    tokio::time::sleep(warm_up).await;
    let start = sample(&client, &process).await;
    let began = Instant::now();
    let mut peak_rss = start.rss_kib;
    while began.elapsed() < Duration::from_secs(seconds) - warm_up {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak_rss = peak_rss.max(process.rss_kib());
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let end = sample(&client, &process).await;
    let (requests, unexpected, faults) = (
        requests.load(Ordering::Relaxed),
        unexpected.load(Ordering::Relaxed),
        faults.load(Ordering::Relaxed),
    );
    let per_second = requests as f64 / seconds as f64;
    eprintln!(
        "soak {seconds} s, {WORKERS} clients, 3 Keygate keys, 2 provider keys: {requests} \
         requests ({per_second:.0}/s; {faults} injected faults), {unexpected} unexpected errors \
         ({:.3} %); RSS {} → {} KiB (peak {peak_rss}), open fds {} → {}, DB pool connections \
         {} → {}, runtime tasks {} → {}",
        unexpected as f64 * 100.0 / requests.max(1) as f64,
        start.rss_kib,
        end.rss_kib,
        start.fds,
        end.fds,
        start.pool,
        end.pool,
        start.tasks,
        end.tasks,
    );
    assert!(requests > 100);
    assert_eq!(unexpected, 0, "only the injected faults fail");
    // Growth beyond noise: a leak of even a few hundred bytes per request would show as
    // tens of MiB over the run.
    assert!(
        end.rss_kib <= start.rss_kib + start.rss_kib / 5 + 8 * 1024,
        "resident memory grew: {start:?} → {end:?}"
    );
    assert!(
        end.fds <= start.fds + 4,
        "descriptors grew: {start:?} → {end:?}"
    );
    assert!(
        end.pool <= start.pool.max(10.0),
        "pool grew: {start:?} → {end:?}"
    );
    assert!(
        end.tasks <= start.tasks + 4.0,
        "tasks grew: {start:?} → {end:?}"
    );
    drop(process);
    database.drop_database().await;
}

//! Rolling restart under load: three replicas on one PostgreSQL are restarted one after the
//! other (graceful stop, then a new process-equivalent server) while clients keep calling.
//! Clients follow the OpenAI SDK's retry policy and a round-robin balancer; no request is
//! lost and every request that reached the provider has exactly one usage row.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use domain::entities::usage_event;
use sea_orm::{Database, EntityTrait};
use serde_json::json;

use crate::common::gateway::Gateway;
use crate::common::{Backend, TestApp};

const WORKERS: usize = 12;

/// The OpenAI SDKs' defaults (openai-python `_constants.py`, openai-node): two retries, 0.5 s
/// doubling up to 8 s, less up to 25 % jitter; retried are connection errors, 408, 409, 429
/// and 5xx.
const MAX_RETRIES: u32 = 2;
const INITIAL_RETRY_DELAY: f64 = 0.5;
const MAX_RETRY_DELAY: f64 = 8.0;

fn retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

fn retry_delay(retries_so_far: u32) -> Duration {
    let base = (INITIAL_RETRY_DELAY * 2f64.powi(i32::try_from(retries_so_far).unwrap()))
        .min(MAX_RETRY_DELAY);
    let jitter = 1.0 - 0.25 * rand::random::<f64>();
    Duration::from_secs_f64(base * jitter)
}

/// The balancer's view: the replicas taking traffic.
#[derive(Default)]
struct Rotation {
    bases: RwLock<Vec<String>>,
    next: AtomicUsize,
}

impl Rotation {
    fn pick(&self) -> String {
        let bases = self.bases.read().unwrap();
        bases[self.next.fetch_add(1, Ordering::Relaxed) % bases.len()].clone()
    }
    fn add(&self, base: &str) {
        self.bases.write().unwrap().push(base.to_owned());
    }
    fn remove(&self, base: &str) {
        self.bases.write().unwrap().retain(|b| b != base);
    }
}

#[derive(Default)]
struct Tally {
    requests: AtomicUsize,
    succeeded: AtomicUsize,
    retries: AtomicUsize,
    lost: AtomicUsize,
}

/// One SDK call: `Ok(request id)` or the last error after the retries.
async fn call(
    client: &reqwest::Client,
    rotation: &Rotation,
    tally: &Tally,
    key: &str,
    body: &serde_json::Value,
) -> Result<String, String> {
    let mut last = String::new();
    for attempt in 0..=MAX_RETRIES {
        if attempt > 0 {
            tally.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(retry_delay(attempt - 1)).await;
        }
        let base = rotation.pick();
        let res = client
            .post(format!("{base}/v1/chat/completions"))
            .bearer_auth(key)
            .json(body)
            .send()
            .await;
        let res = match res {
            Ok(res) => res,
            Err(e) => {
                last = format!("{base}: {e}");
                continue;
            }
        };
        let status = res.status().as_u16();
        let id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if status == 200 {
            // A stream or body cut mid-way is not retried by the SDKs: it counts as lost.
            return res
                .bytes()
                .await
                .map(|_| id)
                .map_err(|e| format!("{base}: body: {e}"));
        }
        last = format!("{base}: {status}");
        if !retryable(status) {
            break;
        }
    }
    Err(last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_loses_no_request_and_no_usage() {
    let gw = Gateway::start(Backend::Postgres).await;
    gw.add_key("openai", "sk-proj-VALID-rolling").await;
    let (_, key) = gw.mint(json!({})).await;
    let database_url = gw.app.database.url.clone().unwrap();
    let mut replicas: Vec<TestApp> = vec![
        gw.app.replica(|_| {}).await,
        gw.app.replica(|_| {}).await,
        gw.app.replica(|_| {}).await,
    ];
    let rotation = Arc::new(Rotation::default());
    for replica in &replicas {
        rotation.add(&replica.base);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let succeeded_ids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (stop, tally, rotation, key, ids) = (
            stop.clone(),
            tally.clone(),
            rotation.clone(),
            key.clone(),
            succeeded_ids.clone(),
        );
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                // Mostly quick calls, a third streamed, and some held 2 s by the provider
                // (those are in flight when their replica is told to stop).
                let model = if (worker + n).is_multiple_of(6) {
                    "gpt-4o-slow"
                } else {
                    "gpt-4o"
                };
                let body = json!({
                    "model": model,
                    "stream": (worker + n).is_multiple_of(3),
                    "messages": [{"role": "user", "content": "hi"}],
                });
                tally.requests.fetch_add(1, Ordering::Relaxed);
                match call(&client, &rotation, &tally, &key, &body).await {
                    Ok(id) => {
                        tally.succeeded.fetch_add(1, Ordering::Relaxed);
                        ids.lock().unwrap().push(id);
                    }
                    Err(e) => {
                        eprintln!("lost: {e}");
                        tally.lost.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    // Restart each replica in turn: stop it (it refuses new connections and finishes what
    // it has), take it out of rotation once stopped, start its successor and add that.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    for _ in 0..3 {
        let mut old = replicas.remove(0);
        old.signal_shutdown();
        old.stopped().await;
        rotation.remove(&old.base);
        let successor = gw.app.replica(|_| {}).await;
        rotation.add(&successor.base);
        replicas.push(successor);
        tokio::time::sleep(Duration::from_millis(1_000)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    for replica in replicas {
        replica.stop().await;
    }

    let db = Database::connect(&database_url).await.unwrap();
    let rows = usage_event::Entity::find().all(&db).await.unwrap();
    let mut per_request: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *per_request.entry(row.request_id.as_str()).or_default() += 1;
    }
    let reached: HashSet<String> = gw
        .fake
        .requests()
        .iter()
        .filter_map(|r| r.header("x-client-request-id").map(str::to_owned))
        .collect();
    let rows_lost = reached
        .iter()
        .filter(|id| !per_request.contains_key(id.as_str()))
        .count();
    let duplicated = per_request.values().filter(|n| **n > 1).count();
    let unmetered_successes = succeeded_ids
        .lock()
        .unwrap()
        .iter()
        .filter(|id| !per_request.contains_key(id.as_str()))
        .count();
    let (requests, succeeded, retries, lost) = (
        tally.requests.load(Ordering::Relaxed),
        tally.succeeded.load(Ordering::Relaxed),
        tally.retries.load(Ordering::Relaxed),
        tally.lost.load(Ordering::Relaxed),
    );
    eprintln!(
        "rolling restart of 3 replicas under load: {requests} requests, {succeeded} succeeded, \
         {retries} SDK retries, {lost} lost; {} reached the provider, {} usage rows, \
         {rows_lost} usage rows lost, {duplicated} duplicated",
        reached.len(),
        rows.len(),
    );
    assert!(requests > 100, "the load ran throughout");
    assert_eq!(lost, 0, "no request lost");
    assert_eq!(succeeded, requests);
    assert_eq!(rows_lost, 0);
    assert_eq!(unmetered_successes, 0);
    assert_eq!(duplicated, 0);
    db.close().await.ok();
    gw.finish().await;
}

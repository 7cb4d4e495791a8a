//! Graceful shutdown: on the signal the server stops accepting connections, lets open requests
//! finish (their usage reaches the ledger), and exits after `KEYGATE_SHUTDOWN_GRACE` at the
//! latest even if a request is still open.

use crate::common;

use std::time::{Duration, Instant};

use common::Backend;
use common::gateway::Gateway;
use reqwest::StatusCode;
use serde_json::json;

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";

fn slow_chat() -> serde_json::Value {
    // The fake provider waits 2 s before answering a `slow` model.
    json!({"model": "gpt-4o-slow", "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_requests_finish_and_are_recorded_new_ones_are_refused() {
    let mut gw = Gateway::start(Backend::Sqlite).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let client = gw.app.client();
    let url = gw.app.url("/v1/chat/completions");
    let in_flight = tokio::spawn({
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        async move {
            client
                .post(url)
                .bearer_auth(key)
                .json(&slow_chat())
                .send()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = Instant::now();
    gw.app.signal_shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A fresh connection (not the open one's) is refused while the old request runs.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    assert!(fresh.get(gw.app.url("/v1/health")).send().await.is_err());
    let res = in_flight.await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["choices"][0]["message"]["content"].is_string(),
        "{body}"
    );
    tokio::time::timeout(Duration::from_secs(10), gw.app.stopped())
        .await
        .expect("the server stops once the request is done");
    let took = signalled.elapsed();
    eprintln!(
        "shutdown with one open 2 s request took {} ms",
        took.as_millis()
    );
    // Its usage was flushed to the ledger before the server returned.
    let rows = gw.ledger().await;
    assert_eq!(
        rows.iter().filter(|r| r.model.contains("slow")).count(),
        1,
        "{rows:?}"
    );
    gw.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_period_bounds_the_wait() {
    let mut gw = Gateway::start_with(Backend::Sqlite, |c| {
        c.shutdown_grace = Duration::from_millis(300);
    })
    .await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let client = gw.app.client();
    let url = gw.app.url("/v1/chat/completions");
    let _in_flight = tokio::spawn(async move {
        let _ = client
            .post(url)
            .bearer_auth(key)
            .json(&slow_chat())
            .send()
            .await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    gw.app.signal_shutdown();
    tokio::time::timeout(Duration::from_secs(5), gw.app.stopped())
        .await
        .expect("the server stops at the deadline");
    let took = signalled.elapsed();
    eprintln!(
        "shutdown with a 300 ms grace and a 2 s request open took {} ms",
        took.as_millis()
    );
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    gw.finish().await;
}

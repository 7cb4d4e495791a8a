//! OpenTelemetry: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, a real `keygate` process exports
//! a `proxy.request` span (with its upstream attempt) for a proxied call to an OTLP/HTTP
//! collector — here a local one that keeps what it receives. Without it, nothing is sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::json;

use crate::common::Backend;
use crate::common::gateway::Gateway;
use crate::common::process::{Process, Spec, free_port};

type Received = Arc<Mutex<Vec<Bytes>>>;

async fn collector() -> (String, Received) {
    let received = Received::default();
    async fn traces(State(received): State<Received>, body: Bytes) -> &'static str {
        received.lock().unwrap().push(body);
        ""
    }
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxied_calls_are_traced_over_otlp_when_configured() {
    let gw = Gateway::start(Backend::Sqlite).await;
    let provider_key = "sk-VALID-otel-secret-0001";
    gw.add_key("openai", provider_key).await;
    let (_, key) = gw.mint(json!({})).await;
    let fake_base = gw.fake.base.clone();
    let app = gw.app;
    let (dir, database) = (app.dir.clone(), app.database.clone());
    app.stop().await;
    let (collector_base, received) = collector().await;

    for traced in [false, true] {
        let mut env = Vec::new();
        if traced {
            env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", collector_base.clone()));
            env.push(("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()));
            env.push(("OTEL_SERVICE_NAME", "keygate-test".to_owned()));
        }
        let spec = Spec {
            data_dir: dir.path(),
            database_url: database.url.as_deref(),
            fake_base: &fake_base,
            port: free_port(),
            env,
        };
        let process = Process::start(&spec).await;
        let res = reqwest::Client::new()
            .post(format!("{}/v1/chat/completions", process.base))
            .bearer_auth(&key)
            .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "secret prompt"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let sent = Instant::now();
        if !traced {
            tokio::time::sleep(Duration::from_millis(1_000)).await;
            assert!(
                received.lock().unwrap().is_empty(),
                "no endpoint, no export"
            );
            drop(process);
            continue;
        }
        // Spans are batched: wait for the one that names this request.
        let export = loop {
            let found = received
                .lock()
                .unwrap()
                .iter()
                .find(|b| contains(b, &request_id))
                .cloned();
            if let Some(found) = found {
                break found;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "no span for {request_id} reached the collector"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        eprintln!(
            "OpenTelemetry: span for {request_id} exported {} ms after the answer ({} bytes)",
            sent.elapsed().as_millis(),
            export.len()
        );
        for expected in [
            "proxy.request",
            "upstream.attempt",
            "keygate-test",
            "gpt-4o",
            "chat/completions",
        ] {
            assert!(
                contains(&export, expected),
                "{expected} missing from the export"
            );
        }
        let everything: Vec<u8> = received.lock().unwrap().concat();
        for secret in [provider_key, key.as_str(), "secret prompt"] {
            assert!(!contains(&everything, secret), "a secret was exported");
        }
        // A clean stop flushes the batch instead of losing it.
        process.terminate();
    }
    database.drop_database().await;
}

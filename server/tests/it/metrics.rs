//! Prometheus metrics at `/metrics`: off unless configured, guarded by the metrics token on the
//! main address, open on the separate metrics address, and counting what the proxy does.
//!
//! Every server in this test binary shares one process-wide recorder, so tests compare counter
//! deltas, and label their traffic with a custom provider whose slug is unique to the test.

use crate::common;

use std::collections::HashMap;

use common::gateway::Gateway;
use common::{Backend, TestDatabase, config_for, json_of, spawn_app_with};
use keygate_server::Server;
use keygate_server::config::Redacted;
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "metrics-token-for-tests-0123456789";
const CHAT: &str = "/v1/chat/completions";
const ENDPOINT: &str = "chat/completions";

/// One scrape: every sample as (name, labels) → value.
struct Scrape(Vec<(String, HashMap<String, String>, f64)>);

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut samples = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap();
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            samples.push((name.to_owned(), labels, value.parse().unwrap()));
        }
        Self(samples)
    }

    /// The sum of the samples named `name` whose labels include `labels` (0 when none).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _, _)| n == name)
    }
}

async fn scrape(url: &str, token: Option<&str>) -> Scrape {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    Scrape::parse(&res.text().await.unwrap())
}

/// A custom provider pointing at the fake's OpenAI routes, under a slug unique to this test.
async fn unique_provider(gw: &Gateway, key: &str) -> String {
    let slug = format!("m{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/providers"))
        .json(&json!({"slug": slug, "name": slug, "baseUrl": format!("{}/v1", gw.fake.base)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    gw.add_key_with(json!({"provider": slug, "name": key, "key": key, "projectId": gw.project}))
        .await;
    slug
}

fn chat(provider: &str, stream: bool) -> Value {
    json!({
        "model": format!("{provider}/gpt-4o-mini"),
        "messages": [{"role": "user", "content": "hi"}],
        "stream": stream,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_unless_configured() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let res = app
        .client()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_guards_metrics_that_count_proxied_requests() {
    let gw = Gateway::start_with(Backend::Sqlite, |c| {
        c.metrics_token = Some(Redacted(TOKEN.into()));
    })
    .await;
    let url = gw.app.url("/metrics");
    let client = gw.app.client();
    for token in [None, Some("wrong-token"), Some(&TOKEN[..TOKEN.len() - 1])] {
        let mut request = client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let res = request.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        assert_eq!(json_of(res).await["error"]["code"], "invalid_token");
    }

    let good = unique_provider(&gw, "sk-VALID-metrics-good-0001").await;
    let broken = unique_provider(&gw, "sk-BROKEN-metrics-bad-0001").await;
    let (_, key) = gw.mint(json!({})).await;
    let (limited_id, limited) = gw.mint(json!({"name": "limited"})).await;
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/limits/key/{limited_id}")))
        .json(&json!({"rpm": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let before = scrape(&url, Some(TOKEN)).await;
    assert_eq!(
        before.value(
            "keygate_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    let ok = [("provider", good.as_str()), ("endpoint", ENDPOINT)];
    let ok_200 = [ok[0], ok[1], ("status", "200")];
    let requests = "keygate_proxy_requests_total";
    let durations = "keygate_proxy_request_duration_seconds_count";
    let first_bytes = "keygate_proxy_stream_first_byte_seconds_count";
    assert_eq!(before.value(requests, &ok_200), 0.0);

    const N: usize = 3;
    for _ in 0..N {
        let res = gw.call(&key, CHAT, chat(&good, false)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = gw.call(&key, CHAT, chat(&good, true)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("[DONE]"));
    // A failing upstream: 502 to the client, one 5xx against the broken key.
    let res = gw.call(&key, CHAT, chat(&broken, false)).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    // A rate-limited key: the second request is refused before reaching the provider.
    assert_eq!(
        gw.call(&limited, CHAT, chat(&good, false)).await.status(),
        StatusCode::OK
    );
    let refusals_before = scrape(&url, Some(TOKEN)).await.value(
        "keygate_budget_refusals_total",
        &[("reason", "requests_rate_limit_exceeded")],
    );
    let res = gw.call(&limited, CHAT, chat(&good, false)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    let after = scrape(&url, Some(TOKEN)).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    // N plain calls, the stream and the limited key's first call.
    assert_eq!(delta(requests, &ok_200), (N + 2) as f64);
    // Durations cover every answer, the refusal too.
    assert_eq!(delta(durations, &ok), (N + 3) as f64);
    assert_eq!(delta(first_bytes, &ok), 1.0);
    assert_eq!(
        delta(requests, &[ok[0], ok[1], ("status", "429")]),
        1.0,
        "the rate-limit refusal is counted under the routed provider"
    );
    assert!(
        after.value(
            "keygate_budget_refusals_total",
            &[("reason", "requests_rate_limit_exceeded")]
        ) - refusals_before
            >= 1.0
    );
    assert_eq!(
        delta(
            requests,
            &[
                ("provider", broken.as_str()),
                ("endpoint", ENDPOINT),
                ("status", "502")
            ]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "keygate_upstream_errors_total",
            &[("provider", broken.as_str()), ("kind", "5xx")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "keygate_upstream_errors_total",
            &[("provider", good.as_str())]
        ),
        0.0
    );
    // Histogram buckets are cumulative: the last (+Inf) holds every sample.
    assert_eq!(
        after.value(
            "keygate_proxy_request_duration_seconds_bucket",
            &[ok[0], ok[1], ("le", "+Inf")]
        ),
        after.value(durations, &ok)
    );
    gw.finish().await;
}

async fn pool_and_ledger_gauges_describe_this_server(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.metrics_token = Some(Redacted(TOKEN.into()));
    })
    .await;
    let scraped = scrape(&app.url("/metrics"), Some(TOKEN)).await;
    assert!(scraped.has("keygate_ledger_queue_depth"));
    let idle = scraped.value("keygate_db_pool_connections", &[("state", "idle")]);
    let in_use = scraped.value("keygate_db_pool_connections", &[("state", "in_use")]);
    assert!(idle + in_use >= 1.0, "idle {idle}, in use {in_use}");
    app.finish().await;
}

on_both_databases!(pool_and_ledger_gauges_describe_this_server);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_address_serves_metrics_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(Backend::Sqlite).await;
    let mut config = config_for(&dir, &database);
    config.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    let server = Server::bind(&config).await.unwrap();
    let main = format!("http://{}", server.addr);
    let metrics = format!("http://{}", server.metrics_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));

    let scraped = scrape(&format!("{metrics}/metrics"), None).await;
    assert!(scraped.has("keygate_build_info"));
    assert!(scraped.has("keygate_ledger_queue_depth"));
    let client = reqwest::Client::new();
    // Only metrics there; and no token configured, so none on the main address.
    for url in [format!("{metrics}/v1/health"), format!("{main}/metrics")] {
        let res = client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{url}");
    }
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    drop(database);
}

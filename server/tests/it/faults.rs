//! Upstream faults against a real `keygate` process: 5xx answers, a provider too slow to
//! answer, streams that stall or are cut, bodies that break off. Each ends in a clean error
//! within its deadline, and the process's tasks and open descriptors do not grow.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::Backend;
use crate::common::gateway::Gateway;
use crate::common::process::{Process, Spec, database_url, free_port, metric_sum, metrics_page};

const TOKEN: &str = "faults-metrics-token";
const CONCURRENCY: usize = 10;
/// `KEYGATE_PROXY_FIRST_BYTE_TIMEOUT` and `KEYGATE_PROXY_IDLE_TIMEOUT` for this test.
const DEADLINE: Duration = Duration::from_secs(1);

struct Fault {
    model: &'static str,
    stream: bool,
    /// The status the client must get (streams: 200, then the body must fail).
    status: u16,
    /// The longest the client may wait for the end (of the body, for streams). Generous on
    /// purpose: the printed figure is the measurement; the bound only separates "ended by
    /// the 1 s deadline" from "hung" (a stall never ends by itself) on a loaded machine.
    within: Duration,
}

const FAULTS: [Fault; 5] = [
    Fault {
        model: "gpt-4o-error-500",
        stream: false,
        status: 502,
        within: Duration::from_secs(6),
    },
    Fault {
        model: "gpt-4o-slow",
        stream: false,
        status: 504,
        within: Duration::from_secs(6),
    },
    Fault {
        model: "gpt-4o-truncate-body",
        stream: false,
        status: 502,
        within: Duration::from_secs(6),
    },
    Fault {
        model: "gpt-4o-stall",
        stream: true,
        status: 200,
        within: Duration::from_secs(8),
    },
    Fault {
        model: "gpt-4o-cut-stream",
        stream: true,
        status: 200,
        within: Duration::from_secs(6),
    },
];

/// Tasks alive and descriptors open in the process, once it has settled.
async fn resources(client: &reqwest::Client, process: &Process) -> (f64, usize) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let page = metrics_page(client, &process.base, TOKEN).await;
    assert!(
        page.contains("keygate_runtime_alive_tasks "),
        "the task gauge is exported"
    );
    let tasks = metric_sum(&page, "keygate_runtime_alive_tasks ");
    (tasks, process.open_fds())
}

/// Sends `count` requests for `model`, `CONCURRENCY` at a time; returns the slowest.
async fn round(base: &str, key: &str, fault: &Fault, count: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..count / CONCURRENCY {
        let mut wave = Vec::new();
        for _ in 0..CONCURRENCY {
            let url = format!("{base}/v1/chat/completions");
            let key = key.to_owned();
            let (model, stream, status) = (fault.model, fault.stream, fault.status);
            wave.push(tokio::spawn(async move {
                let started = Instant::now();
                let res = reqwest::Client::new()
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({
                        "model": model,
                        "stream": stream,
                        "messages": [{"role": "user", "content": "hi"}],
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), status, "{model}");
                let body = res.bytes().await;
                if stream {
                    assert!(
                        body.is_err(),
                        "{model}: a broken stream must not end cleanly"
                    );
                } else {
                    let body = body.unwrap();
                    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    assert!(error["error"]["message"].is_string(), "{model}: {error}");
                }
                started.elapsed()
            }));
        }
        for done in wave {
            slowest = slowest.max(done.await.unwrap());
        }
    }
    slowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_faults_end_cleanly_and_leak_nothing() {
    let gw = Gateway::start(Backend::Sqlite).await;
    gw.add_key("openai", "sk-VALID-faults").await;
    let (_, key) = gw.mint(json!({})).await;
    let fake_base = gw.fake.base.clone();
    let app = gw.app;
    let (dir, database) = (app.dir.clone(), app.database.clone());
    app.stop().await;
    let spec = Spec {
        data_dir: dir.path(),
        database_url: database.url.as_deref(),
        fake_base: &fake_base,
        port: free_port(),
        env: vec![
            ("KEYGATE_METRICS_TOKEN", TOKEN.to_owned()),
            ("KEYGATE_PROXY_FIRST_BYTE_TIMEOUT", "1s".to_owned()),
            ("KEYGATE_PROXY_IDLE_TIMEOUT", "1s".to_owned()),
        ],
    };
    let process = Process::start(&spec).await;
    let client = reqwest::Client::new();

    // Warm up at the same concurrency, so pooled connections exist before the baseline.
    let healthy = Fault {
        model: "gpt-4o",
        stream: false,
        status: 200,
        within: DEADLINE,
    };
    for _ in 0..CONCURRENCY {
        let _ = client
            .post(format!("{}/v1/chat/completions", process.base))
            .bearer_auth(&key)
            .json(&json!({"model": healthy.model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
    }
    let before = resources(&client, &process).await;
    let mut after_rounds = Vec::new();
    for _ in 0..2 {
        for fault in &FAULTS {
            let slowest = round(&process.base, &key, fault, 20).await;
            eprintln!(
                "upstream fault {} (stream: {}): 20 requests → {}, slowest {} ms",
                fault.model,
                fault.stream,
                if fault.stream {
                    "200 then a broken body".to_owned()
                } else {
                    fault.status.to_string()
                },
                slowest.as_millis()
            );
            assert!(
                slowest <= fault.within,
                "{}: {slowest:?} over {:?}",
                fault.model,
                fault.within
            );
        }
        // The slow provider answers 2 s late; let those connections finish first.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        after_rounds.push(resources(&client, &process).await);
    }
    eprintln!(
        "upstream faults, 200 requests: tasks {} before → {} after the first 100 → {} after \
         the second; open descriptors {} → {} → {}",
        before.0,
        after_rounds[0].0,
        after_rounds[1].0,
        before.1,
        after_rounds[0].1,
        after_rounds[1].1
    );
    let (first, second) = (after_rounds[0], after_rounds[1]);
    assert!(
        second.0 <= first.0 + 2.0 && second.1 <= first.1 + 2,
        "a second round of faults must not grow tasks or descriptors: {first:?} → {second:?}"
    );
    assert!(
        first.0 <= before.0 + CONCURRENCY as f64 && first.1 <= before.1 + CONCURRENCY,
        "faults must not leave tasks or connections behind: {before:?} → {first:?}"
    );

    // Every request was metered once, with the fault named.
    let db = sea_orm::Database::connect(&database_url(dir.path(), database.url.as_deref()))
        .await
        .unwrap();
    use sea_orm::EntityTrait as _;
    let rows = domain::entities::usage_event::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), CONCURRENCY + 200);
    let errors = rows.iter().filter(|r| r.outcome != "success").count();
    assert_eq!(errors, 200, "every fault is recorded as an error");
    drop(process);
    db.close().await.ok();
    database.drop_database().await;
}

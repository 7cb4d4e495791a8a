//! kill -9 under load: every request that reached the provider has exactly one usage row
//! once the killed instance is back (write-ahead intents, reconciled at start-up).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use domain::entities::{usage_event, usage_intent};
use sea_orm::{Database, EntityTrait};
use serde_json::json;

use crate::common::Backend;
use crate::common::gateway::Gateway;
use crate::common::process::{Process, Spec, free_port};

const WORKERS: usize = 16;

async fn kill_nine_loses_no_usage(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-VALID-crash-test").await;
    let (_, key) = gw.mint(json!({})).await;
    let fake_base = gw.fake.base.clone();
    let fake = gw.fake.seen.clone();
    let app = gw.app;
    let database_url = app.config.database_url();
    let data_dir = app.dir.clone();
    let test_database = app.database.clone();
    app.stop().await;

    let port = free_port();
    let spec = Spec {
        data_dir: data_dir.path(),
        database_url: test_database.url.as_deref(),
        fake_base: &fake_base,
        port,
        env: vec![("KEYGATE_INSTANCE_ID", "crash-test".to_owned())],
    };
    let process = Process::start(&spec).await;

    // Load: slow (2 s) and fast requests, half of them streamed, from 16 clients at once.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (stop, answered, key) = (stop.clone(), answered.clone(), key.clone());
        let url = format!("{}/v1/chat/completions", process.base);
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let model = if worker % 2 == 0 {
                "gpt-4o-slow"
            } else {
                "gpt-4o"
            };
            while !stop.load(Ordering::Relaxed) {
                let sent = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({
                        "model": model,
                        "stream": worker % 4 < 2,
                        "messages": [{"role": "user", "content": "hi"}],
                    }))
                    .send()
                    .await;
                let Ok(res) = sent else { break };
                assert_eq!(res.status(), 200, "before the kill every call is served");
                if res.bytes().await.is_err() {
                    break;
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    process.kill9();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }

    // Back up under the same instance name: its start-up reconciles what was in flight.
    let process = Process::start(&spec).await;
    let db = Database::connect(&database_url).await.unwrap();
    let rows = usage_event::Entity::find().all(&db).await.unwrap();
    let intents_left = usage_intent::Entity::find().all(&db).await.unwrap().len();
    let reached: HashSet<String> = fake
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| r.header("x-client-request-id").map(str::to_owned))
        .collect();
    let mut per_request: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *per_request.entry(row.request_id.as_str()).or_default() += 1;
    }
    let lost = reached
        .iter()
        .filter(|id| !per_request.contains_key(id.as_str()))
        .count();
    let duplicated = per_request.values().filter(|n| **n > 1).count();
    let reconciled = rows.iter().filter(|r| r.outcome == "interrupted").count();
    let without_upstream = per_request
        .keys()
        .filter(|id| !reached.contains(**id))
        .count();
    eprintln!(
        "kill -9 ({backend:?}): {} requests reached the provider ({} answered before the kill), \
         {} usage rows, {lost} lost, {duplicated} duplicated, {reconciled} reconciled from \
         intents (flagged `interrupted`), {without_upstream} rows for requests killed before \
         sending, {intents_left} intents left",
        reached.len(),
        answered.load(Ordering::Relaxed),
        rows.len(),
    );
    assert!(reached.len() >= WORKERS, "the load reached the provider");
    assert_eq!(lost, 0, "every forwarded request has a usage row");
    assert_eq!(duplicated, 0, "no request has two");
    assert!(
        reconciled >= WORKERS / 2,
        "the slow requests in flight at the kill were reconciled: {reconciled}"
    );
    assert_eq!(intents_left, 0);
    for row in rows.iter().filter(|r| r.outcome == "interrupted") {
        assert!(row.estimated, "reconciled rows are flagged as estimates");
        assert_eq!(row.error_type.as_deref(), Some("reconciled_after_restart"));
    }

    // The restarted instance serves and meters normally.
    let res = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", process.base))
        .bearer_auth(&key)
        .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    drop(process);
    db.close().await.ok();
    test_database.drop_database().await;
}

on_both_databases!(kill_nine_loses_no_usage);

/// An instance that never comes back: another one reconciles its intents once its presence
/// has lapsed, and only once even when two try at the same moment.
async fn abandoned_intents_are_reconciled_once(backend: Backend) {
    use domain::ledger::intent::{self, Intent};
    let gw = Gateway::start(backend).await;
    let (key_id, _) = gw.mint(json!({})).await;
    let db = gw.app.state.db.clone();
    let project_id = i32::try_from(gw.project).unwrap();
    let virtual_key_id = i32::try_from(key_id).unwrap();
    let caller_org = usage_event_org(&gw).await;
    let old = chrono::Utc::now() - chrono::Duration::minutes(5);
    for (n, holder) in ["gone", "gone", "alive"].iter().enumerate() {
        intent::open(
            &db,
            &Intent {
                request_id: format!("req_abandoned_{n}"),
                holder: (*holder).into(),
                org_id: caller_org,
                project_id,
                virtual_key_id,
                user_id: None,
                provider: "openai".into(),
                model: "gpt-4o".into(),
                endpoint: "chat/completions",
                stream: false,
                persona_id: None,
                estimate: domain::limits::Estimate {
                    micros: 1_500,
                    tokens: 300,
                },
                holds: Vec::new(),
                created_at: old,
            },
        )
        .await
        .unwrap();
    }
    assert!(intent::announce(&db, "alive", chrono::Utc::now()).await);
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        intent::reconcile_abandoned(&db, now),
        intent::reconcile_abandoned(&db, now)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        2,
        "two intents of the gone instance, once"
    );
    let rows = gw.ledger().await;
    let reconciled: Vec<_> = rows
        .iter()
        .filter(|r| r.request_id.starts_with("req_abandoned_"))
        .collect();
    assert_eq!(reconciled.len(), 2);
    assert!(
        reconciled
            .iter()
            .all(|r| r.cost_micros == 1_500 && r.outcome == "interrupted" && r.estimated)
    );
    let left = usage_intent::Entity::find().all(&db).await.unwrap();
    assert_eq!(left.len(), 1, "the live instance's intent is left alone");
    assert_eq!(left[0].holder, "alive");
    gw.finish().await;
}

async fn usage_event_org(gw: &Gateway) -> i32 {
    use domain::entities::project;
    let project = project::Entity::find_by_id(i32::try_from(gw.project).unwrap())
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    project.org_id
}

on_both_databases!(abandoned_intents_are_reconciled_once);

/// While a request is with the provider its intent is in the database (unless switched off
/// with `KEYGATE_USAGE_INTENTS=false`); once its usage row is written the intent is gone.
async fn an_intent_lives_exactly_while_the_request_is_in_flight(backend: Backend) {
    for intents in [true, false] {
        let gw = Gateway::start_with(backend, |c| c.usage_intents = intents).await;
        gw.add_key("openai", "sk-VALID-in-flight").await;
        let (_, key) = gw.mint(json!({})).await;
        let base = gw.app.base.clone();
        let call = tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/v1/chat/completions"))
                .bearer_auth(key)
                .json(&json!({"model": "gpt-4o-slow", "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await
                .unwrap()
                .status()
        });
        tokio::time::sleep(Duration::from_millis(700)).await;
        let in_flight = usage_intent::Entity::find()
            .all(&gw.app.state.db)
            .await
            .unwrap();
        assert_eq!(in_flight.len(), usize::from(intents), "intents: {intents}");
        if let Some(intent) = in_flight.first() {
            assert_eq!(intent.model, "gpt-4o-slow");
            assert_eq!(intent.holder.as_str(), &*gw.app.state.gateway.instance());
        }
        assert_eq!(call.await.unwrap(), 200);
        assert_eq!(gw.ledger().await.len(), 1);
        let left = usage_intent::Entity::find()
            .all(&gw.app.state.db)
            .await
            .unwrap();
        assert!(left.is_empty(), "settled with its usage row");
        gw.finish().await;
    }
}

on_both_databases!(an_intent_lives_exactly_while_the_request_is_in_flight);

/// A client that hangs up while the provider is still answering: the request was forwarded,
/// so it gets a usage row (flagged, the admission estimate) and its intent is settled at once.
async fn a_client_hanging_up_mid_request_is_still_metered(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-VALID-hang-up").await;
    let (_, key) = gw.mint(json!({})).await;
    let hung_up = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .post(gw.app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({"model": "gpt-4o-slow", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await;
    assert!(hung_up.is_err(), "the client gave up first");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let rows = loop {
        let rows = gw.ledger().await;
        if !rows.is_empty() || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), 1, "one row for the forwarded request");
    assert_eq!(rows[0].outcome, "client_disconnected");
    assert_eq!(
        rows[0].error_type.as_deref(),
        Some("client_disconnected_before_answer")
    );
    assert!(rows[0].estimated);
    let left = usage_intent::Entity::find()
        .all(&gw.app.state.db)
        .await
        .unwrap();
    assert!(left.is_empty());
    gw.finish().await;
}

on_both_databases!(a_client_hanging_up_mid_request_is_still_metered);

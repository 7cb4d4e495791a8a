//! Scale-out: three `keygate` replicas on one PostgreSQL database. A budget is exact across
//! them, a revocation made on one is refused on the others within a second, and periodic jobs
//! run on one replica at a time, taken over by another when it stops.

use crate::common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::gateway::Gateway;
use common::{Backend, TestApp, json_of};
use domain::entities::{job_lease, key_rotation, virtual_key};
use domain::gateway::estimate;
use domain::gateway::usage::WireFormat;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";
const CHAT: &str = "/v1/chat/completions";

fn chat(model: &str, max_tokens: u32) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": max_tokens,
    })
}

async fn call(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.client()
        .post(app.url(CHAT))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Replicas B and C beside the gateway's own server (A).
async fn cluster(gw: &Gateway) -> (TestApp, TestApp) {
    let b = gw.app.replica(|_| {}).await;
    let c = gw.app.replica(|_| {}).await;
    (b, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_is_exact_across_three_replicas() {
    let gw = Gateway::start(Backend::Postgres).await;
    let (b, c) = cluster(&gw).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    // The slow model holds every admitted request for 2 s: all 99 race for the budget while
    // the first reservations are open, spread over three servers with their own pools.
    let model = "gpt-4o-slow";
    let body = chat(model, 100);
    let per_request = i64::from(estimate::prompt_tokens(
        WireFormat::ChatCompletions,
        model,
        &body,
    )) + 100;
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .json(&json!({"period": "monthly", "limitTokens": per_request * 10 + per_request / 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let replicas = [&gw.app, &b, &c];
    let calls = (0..99).map(|i| call(replicas[i % 3], &key, body.clone()));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(calls)
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect();
    let admitted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    eprintln!(
        "3 replicas, 99 concurrent requests, budget for 10: {admitted} admitted, {refused} refused"
    );
    assert_eq!((admitted, refused), (10, 89));
    assert_eq!(gw.fake.requests_to("/chat/completions").len(), 10);
    b.stop().await;
    c.stop().await;
    gw.finish().await;
}

/// On PostgreSQL rate limits live in the database (`KEYGATE_RATE_LIMIT_STORE=auto`): a limit
/// of 6 requests a minute admits 6 in all, however the requests are spread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_shared_by_three_replicas() {
    let gw = Gateway::start(Backend::Postgres).await;
    let (b, c) = cluster(&gw).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .json(&json!({"period": "monthly", "rpm": 6}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let replicas = [&gw.app, &b, &c];
    let mut remaining = Vec::new();
    let mut refused = 0;
    for i in 0..12 {
        let res = call(replicas[i % 3], &key, chat("gpt-4o-mini", 5)).await;
        match res.status() {
            StatusCode::OK => remaining.push(
                res.headers()["x-ratelimit-remaining-requests"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            ),
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(res.headers().contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        remaining,
        ["5", "4", "3", "2", "1", "0"],
        "one bucket for all"
    );
    assert_eq!(refused, 6);
    b.stop().await;
    c.stop().await;
    gw.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_every_replica_within_a_second() {
    let gw = Gateway::start(Backend::Postgres).await;
    let (b, c) = cluster(&gw).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    // Warm every replica's key cache.
    for app in [&gw.app, &b, &c] {
        assert_eq!(
            call(app, &key, chat("gpt-4o-mini", 5)).await.status(),
            StatusCode::OK
        );
    }
    let res = gw
        .owner
        .post(
            gw.app
                .url(&format!("/api/admin/virtual-keys/{key_id}/revoke")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let revoked_at = Instant::now();
    assert_eq!(
        call(&gw.app, &key, chat("gpt-4o-mini", 5)).await.status(),
        StatusCode::UNAUTHORIZED,
        "at once on the replica that revoked"
    );
    let mut slowest = Duration::ZERO;
    for app in [&b, &c] {
        loop {
            let status = call(app, &key, chat("gpt-4o-mini", 5)).await.status();
            if status == StatusCode::UNAUTHORIZED {
                slowest = slowest.max(revoked_at.elapsed());
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(
                revoked_at.elapsed() < Duration::from_secs(1),
                "still accepted after 1 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!(
        "revocation visible on all 3 replicas after {} ms",
        slowest.as_millis()
    );
    assert!(slowest < Duration::from_secs(1));
    b.stop().await;
    c.stop().await;
    gw.finish().await;
}

async fn rotations_of(gw: &Gateway, id: i64) -> Vec<key_rotation::Model> {
    rotations_on(&gw.app, id).await
}

async fn rotations_on(app: &TestApp, id: i64) -> Vec<key_rotation::Model> {
    key_rotation::Entity::find()
        .filter(key_rotation::Column::KeyKind.eq("virtual"))
        .filter(key_rotation::Column::KeyId.eq(i32::try_from(id).unwrap()))
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Gives a key a rotation schedule (through the API) and puts its next rotation in the past.
async fn make_due(gw: &Gateway, id: i64) {
    let path = format!("/api/admin/virtual-keys/{id}/rotation-schedule");
    let res = gw
        .owner
        .put(gw.app.url(&path))
        .json(&json!({"schedule": "every 7 days"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", json_of(res).await);
    make_due_on(&gw.app, id).await;
}

/// Puts a key's next rotation in the past (giving it a schedule if it has none).
async fn make_due_on(app: &TestApp, id: i64) {
    let row = virtual_key::Entity::find_by_id(i32::try_from(id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: virtual_key::ActiveModel = row.into();
    active.rotation_schedule = Set(Some("every 7 days".into()));
    active.next_rotation_at = Set(Some(Utc::now() - chrono::Duration::minutes(1)));
    active.update(&app.state.db).await.unwrap();
}

async fn wait_for_rotation(gw: &Gateway, id: i64, within: Duration) -> Duration {
    let started = Instant::now();
    while rotations_of(gw, id).await.is_empty() {
        assert!(
            started.elapsed() < within,
            "key {id} not rotated within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_jobs_run_on_one_replica_and_fail_over() {
    let tick = |c: &mut keygate_server::config::Config| c.rotation_tick = Duration::from_secs(1);
    let gw = Gateway::start_with(Backend::Postgres, tick).await;
    let b = gw.app.replica(tick).await;
    let c = gw.app.replica(tick).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (first, _) = gw.mint(json!({})).await;
    let (second, _) = gw.mint(json!({})).await;
    make_due(&gw, first).await;
    wait_for_rotation(&gw, first, Duration::from_secs(10)).await;
    // Three schedulers tick every second; the key still rotates exactly once.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(rotations_of(&gw, first).await.len(), 1);
    let holder = rotation_holder(&gw.app).await;

    // The first server started first and took the lease at its first tick. It stops (as on
    // SIGTERM, releasing its leases); one of the others takes the job over.
    let Gateway { app: a, .. } = gw;
    a.stop().await;
    make_due_on(&b, second).await;
    let started = Instant::now();
    while rotations_on(&b, second).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no replica took over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    let next_holder = rotation_holder(&b).await;
    assert_ne!(next_holder, holder, "another replica holds the lease");
    eprintln!(
        "rotation job taken over {} ms after its holder stopped",
        took.as_millis()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rotations_on(&b, second).await.len(), 1);
    c.stop().await;
    b.finish().await;
}

async fn rotation_holder(app: &TestApp) -> String {
    let leases = job_lease::Entity::find().all(&app.state.db).await.unwrap();
    let rotation: Vec<_> = leases.iter().filter(|l| l.name == "rotation").collect();
    assert_eq!(rotation.len(), 1, "{leases:?}");
    rotation[0].holder.clone()
}

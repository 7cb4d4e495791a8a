//! Key choice under failure: failover on 429/5xx/connection errors, cooldowns honouring
//! Retry-After, quarantine on 401, key-resolution priority, and scrubbed errors.

use crate::common;

use common::Backend;
use common::gateway::Gateway;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";

fn chat() -> Value {
    json!({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})
}

async fn failing_keys_are_skipped_cooled_down_and_quarantined(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let limited = "sk-proj-RATELIMIT-key-0001";
    let broken = "sk-proj-BROKEN-key-000001";
    let refused = "sk-proj-refused-key-00001";
    let good = "sk-proj-VALID-good-key-001";
    for key in [limited, broken] {
        gw.add_key("openai", key).await;
    }
    let (_, key) = gw.mint(json!({})).await;
    // Only failing keys: 429 everywhere → 429 with the shortest Retry-After; the provider's
    // error (which echoes its key) is scrubbed.
    let res = gw.call(&key, CHAT, chat()).await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_GATEWAY,
        "one 429 and one 500 → 502"
    );
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("RATELIMIT") && !text.contains("BROKEN"),
        "{text}"
    );
    assert_eq!(
        gw.fake.credentials_seen(),
        vec![limited.to_owned(), broken.to_owned()]
    );

    let refused_id = gw.add_key("openai", refused).await;
    gw.add_key("openai", good).await;
    // Give caches time to see the new keys.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    gw.fake.clear();
    // Both failing keys are cooling down, so the refused key and the good key come first.
    let res = gw.call(&key, CHAT, chat()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        gw.fake.credentials_seen(),
        vec![refused.to_owned(), good.to_owned()]
    );
    // The refused key is quarantined: marked invalid and never tried again.
    let mut status = String::new();
    for _ in 0..50 {
        let res = gw
            .owner
            .get(gw.app.url(&format!("/api/admin/api-keys/{refused_id}")))
            .send()
            .await
            .unwrap();
        status = res.json::<Value>().await.unwrap()["verification"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status == "invalid" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "invalid");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    gw.fake.clear();
    for _ in 0..3 {
        assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    }
    assert_eq!(gw.fake.credentials_seen(), vec![good.to_owned(); 3]);
    let rows = gw.ledger().await;
    assert_eq!(rows[0].outcome, "upstream_error");
    assert!(rows[1..].iter().all(|r| r.outcome == "success"));
    gw.finish().await;
}

async fn rate_limits_stay_429_with_retry_after(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-RATELIMIT-key-0001").await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw.call(&key, CHAT, chat()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "7");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert!(!body.to_string().contains("RATELIMIT-key"), "{body}");
    gw.finish().await;
}

async fn unreachable_and_slow_providers_fail_over_then_time_out(backend: Backend) {
    let gw = Gateway::start_with(backend, |c| {
        c.proxy_first_byte_timeout = std::time::Duration::from_millis(500);
    })
    .await;
    let dead = common::fake_provider::unreachable_base().await;
    gw.add_key_with(json!({"provider":"openai","name":"dead","key":"sk-proj-VALID-dead-00001","projectId":gw.project,"baseUrl":format!("{dead}/v1")}))
        .await;
    gw.add_key("openai", "sk-proj-VALID-live-00001").await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw.call(&key, CHAT, chat()).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "connection refused fails over"
    );
    // A model that answers after 2 s exceeds the 0.5 s first-byte deadline on every key.
    let started = std::time::Instant::now();
    let res = gw
        .call(&key, CHAT, json!({"model":"gpt-4o-slow","messages":[]}))
        .await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    gw.finish().await;
}

async fn keys_resolve_personal_then_project_then_environment(backend: Backend) {
    let fallback = domain::fallback::FallbackKeys::from_pairs([(
        domain::providers::ProviderKind::OpenAi,
        "sk-VALID-from-environment".to_owned(),
    )])
    .unwrap();
    let gw = Gateway::start_with(backend, |c| c.fallback_keys = Some(fallback)).await;
    let (_, key) = gw.mint(json!({})).await;
    // Nothing stored: the environment key answers.
    assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    assert_eq!(
        gw.fake.credentials_seen().last().unwrap(),
        "sk-VALID-from-environment"
    );
    // A project key wins over the environment.
    gw.add_key("openai", "sk-proj-VALID-project-001").await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    assert_eq!(
        gw.fake.credentials_seen().last().unwrap(),
        "sk-proj-VALID-project-001"
    );
    // A key bound to a user uses that user's personal key first.
    let res = gw
        .app
        .create_user(
            &gw.owner,
            "Dev",
            "dev@acme.test",
            "member",
            common::PASSWORD,
        )
        .await;
    let user = common::json_of(res).await["id"].as_i64().unwrap();
    let dev = gw.app.signed_in("dev@acme.test", common::PASSWORD).await;
    let res = dev
        .post(gw.app.url("/api/api-keys"))
        .json(&json!({"service":"openai","name":"mine","value":"sk-proj-VALID-personal-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, bound) = gw.mint(json!({"userId": user})).await;
    assert_eq!(gw.call(&bound, CHAT, chat()).await.status(), StatusCode::OK);
    assert_eq!(
        gw.fake.credentials_seen().last().unwrap(),
        "sk-proj-VALID-personal-01"
    );
    // The unbound key never sees the personal key.
    assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    assert_eq!(
        gw.fake.credentials_seen().last().unwrap(),
        "sk-proj-VALID-project-001"
    );
    // No key at all for a provider: 403.
    let res = gw
        .call(
            &key,
            CHAT,
            json!({"model":"claude-3-5-haiku","messages":[]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_key_available");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No key available")
    );
    let rows = gw.ledger().await;
    assert_eq!(rows.last().unwrap().outcome, "no_key");
    assert_eq!(rows[0].provider_key_id, None, "environment keys have no id");
    gw.finish().await;
}

/// How many of the recorded requests each credential served.
fn served_by(gw: &Gateway, credential: &str) -> usize {
    gw.fake
        .credentials_seen()
        .iter()
        .filter(|c| c.as_str() == credential)
        .count()
}

async fn projects_balance_least_used_or_weighted(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let heavy = "sk-proj-VALID-heavy-00001";
    let light = "sk-proj-VALID-light-00001";
    for (key, weight) in [(heavy, 3), (light, 1)] {
        gw.add_key_with(json!({
            "provider": "openai", "name": key, "key": key, "projectId": gw.project, "weight": weight
        }))
        .await;
    }
    let (_, key) = gw.mint(json!({})).await;
    // Least used (the default) spreads evenly whatever the weights.
    for _ in 0..8 {
        assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    }
    assert_eq!((served_by(&gw, heavy), served_by(&gw, light)), (4, 4));

    let path = format!("/api/admin/projects/{}", gw.project);
    let res = gw
        .owner
        .put(gw.app.url(&path))
        .json(&json!({"balanceStrategy": "fastest"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = gw
        .owner
        .put(gw.app.url(&path))
        .json(&json!({"balanceStrategy": "weighted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["balanceStrategy"], "weighted");

    // Weighted round-robin: 3:1.
    gw.fake.clear();
    for _ in 0..8 {
        assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    }
    assert_eq!((served_by(&gw, heavy), served_by(&gw, light)), (6, 2));
    gw.finish().await;
}

on_both_databases!(
    projects_balance_least_used_or_weighted,
    failing_keys_are_skipped_cooled_down_and_quarantined,
    rate_limits_stay_429_with_retry_after,
    unreachable_and_slow_providers_fail_over_then_time_out,
    keys_resolve_personal_then_project_then_environment,
);

//! Who may call the proxy: Keygate keys only, checked offline first, cached, and revoked
//! everywhere within a second.

use crate::common;

use std::time::{Duration, Instant};

use common::Backend;
use common::gateway::Gateway;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";

fn chat(model: &str) -> Value {
    json!({"model": model, "messages":[{"role":"user","content":"hi"}]})
}

async fn error_code(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn keys_are_checked_revoked_and_blocked_with_their_project(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    let (id, key) = gw
        .mint(json!({"models": ["gpt-4o*"], "expiresIn": "30d"}))
        .await;
    assert_eq!(
        gw.call(&key, CHAT, chat("gpt-4o-mini")).await.status(),
        StatusCode::OK
    );

    // Malformed, mistyped (bad checksum), admin tokens and missing keys: 401.
    let mut typo = key.clone().into_bytes();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    for bad in [
        typo.as_str(),
        "sk-proxy-short",
        "kg_admin_0123456789abcdefghijklmnopqrstuvwxyzABCD",
        "",
    ] {
        let (status, _) = error_code(gw.call(bad, CHAT, chat("gpt-4o-mini")).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
    }
    let res = gw
        .app
        .client()
        .post(gw.app.url(CHAT))
        .json(&chat("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Allowed models.
    let (status, message) = error_code(gw.call(&key, CHAT, chat("gpt-3.5-turbo")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        message.contains("may not use model gpt-3.5-turbo"),
        "{message}"
    );

    // Bad bodies.
    let res = gw
        .app
        .client()
        .post(gw.app.url(CHAT))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        gw.call(&key, CHAT, json!({"messages":[]})).await.status(),
        StatusCode::BAD_REQUEST
    );

    // Deactivating the project blocks its keys (403) without revoking them.
    let url = |path: &str| {
        gw.app
            .url(&format!("/api/admin/projects/{}/{path}", gw.project))
    };
    assert!(
        gw.owner
            .post(url("deactivate"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let blocked_within = wait_for_status(&gw, &key, StatusCode::FORBIDDEN).await;
    assert!(
        blocked_within < Duration::from_secs(1),
        "{blocked_within:?}"
    );
    // No new keys for an inactive project.
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/virtual-keys"))
        .json(&json!({"projectId": gw.project, "name": "late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Cannot generate tokens for inactive project")
    );
    assert!(
        gw.owner
            .post(url("activate"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    wait_for_status(&gw, &key, StatusCode::OK).await;

    // Revocation takes effect within a second.
    let res = gw
        .owner
        .post(gw.app.url(&format!("/api/admin/virtual-keys/{id}/revoke")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "revoked");
    let revoked_within = wait_for_status(&gw, &key, StatusCode::UNAUTHORIZED).await;
    assert!(
        revoked_within < Duration::from_secs(1),
        "{revoked_within:?}"
    );
    gw.finish().await;
}

/// Polls until the key gets `expected`; returns how long that took (fails after 3 s).
async fn wait_for_status(gw: &Gateway, key: &str, expected: StatusCode) -> Duration {
    let started = Instant::now();
    loop {
        let status = gw.call(key, CHAT, chat("gpt-4o-mini")).await.status();
        if status == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "still {status}, wanted {expected}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn revoking_all_tokens_of_a_project_and_listing_them(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    let (_, first) = gw.mint(json!({})).await;
    let (_, second) = gw.mint(json!({"name": "second", "expiresIn": "1h"})).await;
    let listed: Value = gw
        .owner
        .get(
            gw.app
                .url(&format!("/api/admin/virtual-keys?projectId={}", gw.project)),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            listed["total"].as_i64(),
            listed["active"].as_i64(),
            listed["recent"].as_i64()
        ),
        (Some(2), Some(2), Some(2))
    );
    let hint = listed["virtualKeys"][0]["hint"].as_str().unwrap();
    assert!(
        hint.starts_with("sk-proxy-") && hint.ends_with(&second[second.len() - 4..]),
        "{hint}"
    );
    assert!(
        !listed.to_string().contains(&second),
        "the key is shown only once"
    );
    assert!(listed["virtualKeys"][0]["expiresAt"].is_string());
    let res = gw
        .owner
        .post(gw.app.url(&format!(
            "/api/admin/projects/{}/revoke-all-tokens",
            gw.project
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["revoked"], 2);
    for key in [&first, &second] {
        wait_for_status(&gw, key, StatusCode::UNAUTHORIZED).await;
    }
    // Bad input is a clear 422.
    for body in [
        json!({"projectId": gw.project, "name": ""}),
        json!({"projectId": gw.project, "name": "x", "expiresIn": "5m"}),
        json!({"projectId": gw.project, "name": "x", "models": ["gpt 4"]}),
        json!({"projectId": 999_999, "name": "x"}),
    ] {
        let res = gw
            .owner
            .post(gw.app.url("/api/admin/virtual-keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    gw.finish().await;
}

/// Malformed keys never reach the database: with PostgreSQL gone, a well-formed key gets 503
/// (fail closed) while a malformed one still gets its 401 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_keys_are_refused_without_a_database_query() {
    let gw = Gateway::start(Backend::Postgres).await;
    let (_, key) = gw.mint(json!({})).await;
    gw.app.database.drop_database().await;
    tokio::time::sleep(Duration::from_millis(600)).await; // past the cache's freshness
    let res = gw.call(&key, CHAT, chat("gpt-4o-mini")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let started = Instant::now();
    let res = gw.call("sk-proxy-typo", CHAT, chat("gpt-4o-mini")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (_, message) = error_code(res).await;
    assert_eq!(message, "Malformed Keygate key.");
    assert!(started.elapsed() < Duration::from_secs(1));
}

on_both_databases!(
    keys_are_checked_revoked_and_blocked_with_their_project,
    revoking_all_tokens_of_a_project_and_listing_them,
);

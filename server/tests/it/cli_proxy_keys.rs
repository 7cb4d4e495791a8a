//! `keygate token create|list|revoke` for Keygate keys (`sk-proxy-…`): the real binary against
//! a running server's data, and the keys it prints working — then not — on the proxy.

use crate::common;

use std::time::{Duration, Instant};

use common::Backend;
use common::cli::{fails, json_ok, run};
use common::gateway::Gateway;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

async fn the_cli_mints_lists_and_revokes_proxy_keys(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    let project = gw.project.to_string();

    let created = json_ok(
        &gw.app,
        &[
            "token",
            "create",
            "--project",
            &project,
            "--name",
            "cli key",
            "--models",
            "gpt-4o-mini",
            "--expires-in",
            "30d",
            "--json",
        ],
        "",
    );
    assert_eq!(created["kind"], "proxy");
    assert_eq!(created["status"], "active");
    assert_eq!(created["models"], json!(["gpt-4o-mini"]));
    assert!(created["expiresAt"].is_string());
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-proxy-"));
    let id_number = created["id"].as_i64().unwrap();
    let id = id_number.to_string();

    // The printed key works on the proxy, within its allowed models only.
    assert_eq!(
        gw.call(&key, "/v1/chat/completions", chat("gpt-4o-mini"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        gw.call(&key, "/v1/chat/completions", chat("gpt-4o"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Listed without its secret.
    let out = run(
        &gw.app,
        &["token", "list", "--project", &project, "--json"],
        "",
    );
    assert!(out.status.success());
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_i64() == Some(id_number))
        .unwrap();
    assert_eq!(entry["name"], "cli key");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&key[9..]));
    let table = run(&gw.app, &["token", "list", "--project", &project], "");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("cli key") && table.contains("active"),
        "{table}"
    );

    // Revoked from the CLI: the running server refuses the key within a second.
    let revoked = json_ok(&gw.app, &["token", "revoke", &id, "--json"], "");
    assert_eq!(revoked["status"], "revoked");
    let start = Instant::now();
    loop {
        let status = gw
            .call(&key, "/v1/chat/completions", chat("gpt-4o-mini"))
            .await
            .status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "still {status} after revocation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gw.finish().await;
}

async fn cli_token_mistakes_are_clear_errors(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let project = gw.project.to_string();

    let message = fails(
        &gw.app,
        &[
            "token",
            "create",
            "--project",
            &project,
            "--name",
            "x",
            "--expires-in",
            "5m",
        ],
        "",
    );
    assert!(message.contains("expir"), "{message}");
    let message = fails(
        &gw.app,
        &["token", "create", "--kind", "proxy", "--name", "x"],
        "",
    );
    assert!(message.contains("--project"), "{message}");
    let message = fails(
        &gw.app,
        &[
            "token", "create", "--kind", "admin", "--name", "x", "--models", "gpt-4o",
        ],
        "",
    );
    assert!(message.contains("proxy keys"), "{message}");
    let message = fails(&gw.app, &["token", "revoke", "987654"], "");
    assert!(
        message.contains("no proxy token with id 987654"),
        "{message}"
    );

    // Revoking with the wrong kind never touches a token of another kind.
    let admin = json_ok(
        &gw.app,
        &[
            "token", "create", "--kind", "admin", "--name", "ci", "--json",
        ],
        "",
    );
    let admin_id = admin["id"].as_i64().unwrap().to_string();
    let message = fails(
        &gw.app,
        &["token", "revoke", &admin_id, "--kind", "service"],
        "",
    );
    assert!(message.contains("no service token"), "{message}");
    let res = reqwest::Client::new()
        .get(gw.app.url("/api/admin/api-keys"))
        .bearer_auth(admin["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // An admin token is not a Keygate key.
    let res = gw
        .call(
            admin["token"].as_str().unwrap(),
            "/v1/chat/completions",
            chat("gpt-4o-mini"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    gw.finish().await;
}

on_both_databases!(
    the_cli_mints_lists_and_revokes_proxy_keys,
    cli_token_mistakes_are_clear_errors,
);

//! IP allowlists: a Keygate key used from outside its networks is refused (403, audited, never
//! forwarded); `X-Forwarded-For` counts only from trusted proxies; the admin console refuses
//! other networks, refuses a list that would lock the admin out, and the CLI clears it.

use crate::common;

use common::gateway::Gateway;
use common::{Backend, json_of};
use domain::entities::audit_log;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";
const MESSAGES: &str = "/v1/messages";

fn chat() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
}

fn claude() -> Value {
    json!({"model": "claude-3-5-haiku-latest", "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}]})
}

async fn denied_for_ip(gw: &Gateway) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("access.denied"))
        .all(&gw.app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.detail
                .as_deref()
                .is_some_and(|d| d.contains("ip_allowlist"))
        })
        .collect()
}

async fn set_key_ips(gw: &Gateway, id: i64, ips: Value) -> reqwest::Response {
    gw.owner
        .put(
            gw.app
                .url(&format!("/api/admin/virtual-keys/{id}/allowed-ips")),
        )
        .json(&json!({ "allowedIps": ips }))
        .send()
        .await
        .unwrap()
}

async fn key_allowlists_refuse_other_networks(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    gw.add_key("anthropic", "sk-ant-api03-VALID-anthropic-0001")
        .await;
    let (id, key) = gw
        .mint(json!({"allowedIps": ["10.0.0.0/8", "2001:db8::/32"]}))
        .await;

    // The test client comes from 127.0.0.1: refused in both dialects, nothing forwarded.
    let res = gw.call(&key, CHAT, chat()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = json_of(res).await;
    assert_eq!(body["error"]["code"], "ip_not_allowed", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("127.0.0.1"), "{message}");
    assert!(
        !message.contains("10.0.0.0"),
        "the list itself is not disclosed: {message}"
    );
    let res = gw
        .app
        .client()
        .post(gw.app.url(MESSAGES))
        .header("x-api-key", &key)
        .header("anthropic-version", "2023-06-01")
        .json(&claude())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = json_of(res).await;
    assert_eq!(body["type"], "error", "Anthropic-shaped: {body}");
    let models = gw
        .app
        .client()
        .get(gw.app.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), StatusCode::FORBIDDEN);
    assert!(
        gw.fake.requests().is_empty(),
        "nothing reached the provider"
    );
    let denied = denied_for_ip(&gw).await;
    assert_eq!(denied.len(), 3, "each refusal is audited");
    assert_eq!(denied[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        denied[0].target_id.as_deref(),
        Some(id.to_string().as_str())
    );

    // The key lists its networks; adding loopback lets it through at once on this replica.
    let res = set_key_ips(&gw, id, json!(["127.0.0.1", "10.0.0.0/8"])).await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated = json_of(res).await;
    assert_eq!(updated["allowedIps"], json!(["127.0.0.1/32", "10.0.0.0/8"]));
    assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    assert_eq!(gw.fake.requests().len(), 1);

    // Bad entries are named; nothing changes.
    let res = set_key_ips(&gw, id, json!(["10.0.0.0/33"])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json_of(res).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10.0.0.0/33"),
        "{body}"
    );
    let many: Vec<String> = (0..101).map(|i| format!("10.1.{i}.0/24")).collect();
    let res = set_key_ips(&gw, id, json!(many)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/virtual-keys"))
        .json(&json!({"projectId": gw.project, "name": "bad", "allowedIps": ["localhost"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Emptying the list allows every address again.
    let res = set_key_ips(&gw, id, json!([])).await;
    assert_eq!(json_of(res).await["allowedIps"], json!([]));
    assert_eq!(gw.call(&key, CHAT, chat()).await.status(), StatusCode::OK);
    gw.finish().await;
}

/// Forwarded addresses count only when the peer is a trusted proxy, and only the right-most
/// untrusted one: a client cannot claim an allowed address.
async fn forwarded_addresses_need_a_trusted_proxy(backend: Backend) {
    let gw = Gateway::start_with(backend, |c| {
        c.trusted_proxies = domain::ip_access::IpAllowlist::parse(["127.0.0.1"]).unwrap();
    })
    .await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    let (_, key) = gw.mint(json!({"allowedIps": ["203.0.113.0/24"]})).await;
    let call = |xff: Option<&'static str>| {
        let mut req = gw
            .app
            .client()
            .post(gw.app.url(CHAT))
            .bearer_auth(&key)
            .json(&chat());
        if let Some(xff) = xff {
            req = req.header("x-forwarded-for", xff);
        }
        req.send()
    };
    assert_eq!(
        call(Some("203.0.113.9")).await.unwrap().status(),
        StatusCode::OK
    );
    // The client forged the allowed address in front of its real one.
    assert_eq!(
        call(Some("203.0.113.9, 198.51.100.7"))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(call(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    let denied = denied_for_ip(&gw).await;
    assert_eq!(denied[0].ip.as_deref(), Some("198.51.100.7"));
    gw.finish().await;

    // Without trusted proxies the header is ignored.
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    let (_, key) = gw.mint(json!({"allowedIps": ["203.0.113.0/24"]})).await;
    let res = gw
        .app
        .client()
        .post(gw.app.url(CHAT))
        .bearer_auth(&key)
        .header("x-forwarded-for", "203.0.113.9")
        .json(&chat())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    gw.finish().await;
}

async fn put_admin_ips(client: &reqwest::Client, gw: &Gateway, ips: Value) -> reqwest::Response {
    client
        .put(gw.app.url("/api/admin/ip-allowlist"))
        .json(&json!({ "allowedIps": ips }))
        .send()
        .await
        .unwrap()
}

async fn admin_console_allowlist(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let res = gw
        .owner
        .get(gw.app.url("/api/admin/ip-allowlist"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_of(res).await,
        json!({"allowedIps": [], "yourIp": "127.0.0.1"})
    );

    // A list without the caller's own address is refused: no lock-out by typo.
    let res = put_admin_ips(&gw.owner, &gw, json!(["10.0.0.0/8"])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json_of(res).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lock you out"),
        "{body}"
    );
    let res = put_admin_ips(&gw.owner, &gw, json!(["not-an-ip"])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put_admin_ips(&gw.owner, &gw, json!(["127.0.0.0/8", "10.0.0.0/8"])).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_of(res).await["allowedIps"],
        json!(["127.0.0.0/8", "10.0.0.0/8"])
    );
    assert_eq!(
        gw.owner
            .get(gw.app.url("/api/admin/virtual-keys"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The operator narrows it from the server (as after a network change): admin requests
    // from 127.0.0.1 are now refused, and audited; a member's own pages are not the console.
    let org = domain::entities::organization::Entity::find()
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let out = common::cli::ok(
        &gw.app,
        &[
            "org",
            "admin-ips",
            "--org",
            &org.id.to_string(),
            "--set",
            "10.0.0.0/8",
        ],
        "",
    );
    assert!(out.contains("only from 10.0.0.0/8"), "{out}");
    let res = gw
        .owner
        .get(gw.app.url("/api/admin/virtual-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = json_of(res).await;
    assert_eq!(body["error"]["code"], "ip_not_allowed", "{body}");
    assert_eq!(
        gw.owner
            .get(gw.app.url("/api/api-keys"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "personal key pages stay reachable"
    );
    // The UI's server functions are the console too.
    let res = gw
        .owner
        .post(gw.app.url("/rpc/admin_ip_allowlist_get"))
        .header("origin", gw.app.url(""))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let denied = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("access.denied"))
        .all(&gw.app.state.db)
        .await
        .unwrap();
    let paths: Vec<String> = denied.iter().filter_map(|e| e.detail.clone()).collect();
    assert!(
        paths.iter().any(|d| d.contains("/api/admin/virtual-keys")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|d| d.contains("/rpc/admin_ip_allowlist_get")),
        "{paths:?}"
    );

    // Recovery: the CLI clears the list.
    let out = common::cli::ok(
        &gw.app,
        &["org", "admin-ips", "--org", &org.id.to_string(), "--clear"],
        "",
    );
    assert!(out.contains("every address"), "{out}");
    assert_eq!(
        gw.owner
            .get(gw.app.url("/api/admin/virtual-keys"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let changes = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("organization.ip_allowlist"))
        .all(&gw.app.state.db)
        .await
        .unwrap();
    assert!(
        changes.len() >= 3,
        "REST and CLI changes are audited: {changes:?}"
    );
    gw.finish().await;
}

on_both_databases!(
    key_allowlists_refuse_other_networks,
    forwarded_addresses_need_a_trusted_proxy,
    admin_console_allowlist,
);

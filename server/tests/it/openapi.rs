//! `/api/openapi.json` documents every REST route, and every documented route exists.

use crate::common;

use common::{Backend, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

async fn the_openapi_document_matches_the_router(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    let res = client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();

    let expected = [
        ("post", "/api/auth/login"),
        ("post", "/api/auth/logout"),
        ("post", "/api/auth/mfa"),
        ("get", "/api/me"),
        ("get", "/api/admin/projects"),
        ("post", "/api/admin/projects"),
        ("get", "/api/admin/projects/{id}"),
        ("put", "/api/admin/projects/{id}"),
        ("delete", "/api/admin/projects/{id}"),
        ("post", "/api/admin/projects/{id}/activate"),
        ("post", "/api/admin/projects/{id}/deactivate"),
        ("get", "/api/admin/api-keys"),
        ("post", "/api/admin/api-keys"),
        ("get", "/api/admin/api-keys/{id}"),
        ("put", "/api/admin/api-keys/{id}"),
        ("delete", "/api/admin/api-keys/{id}"),
        ("post", "/api/admin/api-keys/{id}/verify"),
        ("get", "/api/admin/limits"),
        ("get", "/api/admin/alerts/rules"),
        ("post", "/api/admin/alerts/rules"),
        ("put", "/api/admin/alerts/rules/{id}"),
        ("delete", "/api/admin/alerts/rules/{id}"),
        ("get", "/api/admin/alerts/events"),
        ("post", "/api/admin/alerts/evaluate"),
        ("get", "/api/admin/alerts/email-deliveries"),
        ("get", "/api/admin/webhooks"),
        ("post", "/api/admin/webhooks"),
        ("delete", "/api/admin/webhooks/{id}"),
        ("get", "/api/admin/webhooks/{id}/secret"),
        ("get", "/api/admin/webhooks/{id}/deliveries"),
        ("post", "/api/admin/webhooks/{id}/test"),
        ("get", "/api/notifications"),
        ("post", "/api/notifications/read"),
        ("get", "/api/admin/limits/{scope}/{id}"),
        ("put", "/api/admin/limits/{scope}/{id}"),
        ("delete", "/api/admin/limits/{scope}/{id}"),
        ("get", "/api/api-keys"),
        ("post", "/api/api-keys"),
        ("get", "/api/api-keys/{id}"),
        ("put", "/api/api-keys/{id}"),
        ("delete", "/api/api-keys/{id}"),
        ("post", "/api/api-keys/test"),
        ("get", "/api/api-keys/stats"),
        ("post", "/api/broker/credentials"),
        ("get", "/api/providers"),
        ("post", "/api/admin/providers"),
        ("get", "/api/admin/providers/{id}"),
        ("put", "/api/admin/providers/{id}"),
        ("delete", "/api/admin/providers/{id}"),
        ("post", "/api/admin/virtual-keys"),
        ("get", "/api/admin/virtual-keys"),
        ("post", "/api/admin/virtual-keys/{id}/revoke"),
        ("put", "/api/admin/virtual-keys/{id}/allowed-ips"),
        ("get", "/api/admin/ip-allowlist"),
        ("put", "/api/admin/ip-allowlist"),
        ("post", "/api/admin/projects/{id}/revoke-all-tokens"),
        ("get", "/api/admin/projects/{id}/routes"),
        ("post", "/api/admin/projects/{id}/routes"),
        ("delete", "/api/admin/projects/{id}/routes/{route_id}"),
        ("get", "/api/admin/projects/{id}/usage"),
        ("get", "/api/admin/prices"),
        ("put", "/api/admin/prices"),
        ("delete", "/api/admin/prices/{id}"),
        ("get", "/api/usage"),
        ("get", "/api/usage/export.csv"),
        ("get", "/api/usage/report.csv"),
        ("get", "/api/usage/events"),
        ("get", "/api/admin/api-keys/{id}/usage"),
        ("get", "/api/admin/personas"),
        ("post", "/api/admin/personas"),
        ("get", "/api/admin/personas/{id}"),
        ("put", "/api/admin/personas/{id}"),
        ("delete", "/api/admin/personas/{id}"),
        ("post", "/api/admin/personas/{id}/activate"),
        ("post", "/api/admin/personas/{id}/deactivate"),
        ("get", "/api/admin/personas/{id}/analytics"),
        ("put", "/api/admin/api-keys/{id}/rotate"),
        ("get", "/api/admin/api-keys/{id}/rotations"),
        ("put", "/api/admin/api-keys/{id}/rotation-schedule"),
        ("post", "/api/admin/virtual-keys/{id}/rotate"),
        ("get", "/api/admin/virtual-keys/{id}/rotations"),
        ("put", "/api/admin/virtual-keys/{id}/rotation-schedule"),
        ("post", "/api/virtual-keys/{id}/rotate"),
        ("get", "/api/deliveries"),
        ("post", "/api/deliveries/{id}/reveal"),
        ("get", "/api/admin/audit"),
        ("get", "/api/admin/audit/verify"),
        ("get", "/api/admin/audit/export.csv"),
        ("get", "/api/admin/audit/retention"),
        ("put", "/api/admin/audit/retention"),
    ];
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        expected.len(),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (method, path) in expected {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(operation["responses"].is_object(), "{method} {path}");
        // The route exists: without credentials it answers anything but "no such endpoint".
        let url = app.url(&path.replace("{id}", "1").replace("{route_id}", "1"));
        let req = match method {
            "get" => client.get(url),
            "post" => client.post(url).json(&serde_json::json!({})),
            "put" => client.put(url).json(&serde_json::json!({})),
            _ => client.delete(url),
        };
        let res = req.send().await.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_ne!(
            body["error"]["message"], "No such endpoint.",
            "{method} {path} is documented but not routed"
        );
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {path}");
    }
    // Bearer tokens and the session cookie are described.
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for name in ["session", "adminToken", "serviceToken"] {
        assert!(schemes.contains_key(name), "{name}");
    }
    app.finish().await;
}

on_both_databases!(the_openapi_document_matches_the_router);

//! Admin token scopes and expiry: a read-only token reads but changes nothing, a keys token
//! manages keys but nothing else, an expired token is refused; refusals are audited.

use crate::common;

use common::{Backend, json_of, spawn_with_owner};
use domain::entities::api_token;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

async fn mint(
    app: &common::TestApp,
    owner: &reqwest::Client,
    name: &str,
    scope: &str,
) -> (i64, String) {
    let created: Value = app
        .rpc(
            owner,
            "tokens_create",
            &[
                ("token_name", name),
                ("kind", "admin"),
                ("scope", scope),
                ("expires_in", "30d"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["token"]["scope"], scope, "{created}");
    assert!(created["token"]["expires_at"].is_string(), "{created}");
    (
        created["token"]["id"].as_i64().unwrap(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn scopes_limit_admin_tokens(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let project = app.create_project(&owner, "Backend").await;
    let client = app.client();
    let send = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut request = client.request(method, app.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };

    let (_, read_only) = mint(&app, &owner, "dashboards", "read_only").await;
    let res = send(
        reqwest::Method::GET,
        "/api/admin/projects",
        &read_only,
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(
        reqwest::Method::POST,
        "/api/admin/projects",
        &read_only,
        Some(json!({"name": "Nope"})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(json_of(res).await["error"]["code"], "insufficient_scope");

    let (_, keys) = mint(&app, &owner, "key manager", "keys").await;
    let res = send(
        reqwest::Method::POST,
        "/api/admin/api-keys",
        &keys,
        Some(json!({"provider": "openai", "name": "k", "key": "sk-proj-SCOPE-test-0001", "projectId": project})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = send(
        reqwest::Method::POST,
        "/api/admin/virtual-keys",
        &keys,
        Some(json!({"projectId": project, "name": "svc"})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = send(
        reqwest::Method::PUT,
        &format!("/api/admin/limits/project/{project}"),
        &keys,
        Some(json!({"rpm": 5})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (admin_id, admin) = mint(&app, &owner, "automation", "admin").await;
    let res = send(
        reqwest::Method::PUT,
        &format!("/api/admin/limits/project/{project}"),
        &admin,
        Some(json!({"rpm": 5})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Expired: refused like a wrong token.
    let row = api_token::Entity::find_by_id(i32::try_from(admin_id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: api_token::ActiveModel = row.into();
    active.expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
    active.update(&app.state.db).await.unwrap();
    let res = send(reqwest::Method::GET, "/api/admin/projects", &admin, None)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The refusals are in the audit log.
    let denied = domain::audit::list(
        &app.state.db,
        &domain::audit::AuditFilter {
            action: Some("access.denied".into()),
            ..Default::default()
        },
        None,
        None,
    )
    .await
    .unwrap();
    let text = format!("{denied:?}");
    assert!(text.contains("read_only"), "{text}");
    assert!(text.contains("dashboards"), "{text}");
    app.finish().await;
}

on_both_databases!(scopes_limit_admin_tokens);

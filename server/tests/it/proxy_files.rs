//! `/v1/files` through the proxy: uploads pass through to the provider and count towards the
//! project's storage; list/retrieve/content/delete reach only the project's own files, through
//! the key that stored them; deleting gives the bytes back.

use crate::common;

use common::Backend;
use common::gateway::Gateway;
use domain::entities::project;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use sea_orm::EntityTrait;
use serde_json::Value;

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";
const CONTENT: &[u8] =
    b"{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"}\n";

async fn storage_used(gw: &Gateway, project_id: i64) -> i64 {
    project::Entity::find_by_id(i32::try_from(project_id).unwrap())
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap()
        .storage_used_bytes
}

async fn upload(gw: &Gateway, key: &str, content: &[u8]) -> reqwest::Response {
    let form = Form::new().text("purpose", "batch").part(
        "file",
        Part::bytes(content.to_vec()).file_name("requests.jsonl"),
    );
    gw.app
        .client()
        .post(gw.app.url("/v1/files"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn get(gw: &Gateway, key: &str, path: &str) -> reqwest::Response {
    gw.app
        .client()
        .get(gw.app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn delete(gw: &Gateway, key: &str, path: &str) -> reqwest::Response {
    gw.app
        .client()
        .delete(gw.app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn files_round_trip_and_storage_follows(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let provider_key = gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(serde_json::json!({})).await;

    let res = upload(&gw, &key, CONTENT).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(file["bytes"], CONTENT.len());
    assert_eq!(file["filename"], "requests.jsonl");
    assert_eq!(gw.fake.file_content(&id).unwrap(), CONTENT);
    assert_eq!(gw.fake.requests_to("/v1/files")[0].credential, OPENAI_KEY);
    assert_eq!(storage_used(&gw, gw.project).await, CONTENT.len() as i64);

    // A second file adds its own bytes.
    let res = upload(&gw, &key, b"second").await;
    let second: Value = res.json().await.unwrap();
    assert_eq!(
        storage_used(&gw, gw.project).await,
        (CONTENT.len() + 6) as i64
    );

    let list: Value = get(&gw, &key, "/v1/files").await.json().await.unwrap();
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second["id"].as_str().unwrap(), id.as_str()]);
    let none: Value = get(&gw, &key, "/v1/files?purpose=fine-tune")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["data"].as_array().unwrap().len(), 0);

    let res = get(&gw, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let retrieved: Value = res.json().await.unwrap();
    assert_eq!(retrieved["purpose"], "batch");
    let res = get(&gw, &key, &format!("/v1/files/{id}/content")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), CONTENT);

    let res = delete(&gw, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let deleted: Value = res.json().await.unwrap();
    assert_eq!(deleted["deleted"], true);
    assert!(gw.fake.file_content(&id).is_none());
    assert_eq!(storage_used(&gw, gw.project).await, 6);
    // Deleting again: Keygate no longer knows the file, and bytes are not subtracted twice.
    let res = delete(&gw, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(storage_used(&gw, gw.project).await, 6);

    // One ledger row per upstream call: two uploads, retrieve, content, delete.
    let rows = gw.ledger().await;
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows.iter().all(|r| r.endpoint == "files"
        && r.outcome == "success"
        && r.cost_micros == 0
        && r.provider_key_id.map(i64::from) == Some(provider_key)));
    gw.finish().await;
}

async fn projects_never_see_each_others_files(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(serde_json::json!({})).await;
    let other = gw.app.create_project(&gw.owner, "Other").await;
    gw.add_key_with(serde_json::json!({
        "provider": "openai", "name": "other", "key": "sk-proj-VALID-openai-0002", "projectId": other
    }))
    .await;
    let (_, other_key) = gw.mint(serde_json::json!({ "projectId": other })).await;

    let file: Value = upload(&gw, &key, CONTENT).await.json().await.unwrap();
    let id = file["id"].as_str().unwrap();

    let list: Value = get(&gw, &other_key, "/v1/files")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    for res in [
        get(&gw, &other_key, &format!("/v1/files/{id}")).await,
        get(&gw, &other_key, &format!("/v1/files/{id}/content")).await,
        delete(&gw, &other_key, &format!("/v1/files/{id}")).await,
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "file_not_found");
    }
    assert!(gw.fake.file_content(id).is_some());
    assert_eq!(storage_used(&gw, gw.project).await, CONTENT.len() as i64);
    assert_eq!(storage_used(&gw, other).await, 0);
    gw.finish().await;
}

async fn uploads_fail_over_and_later_calls_use_the_storing_key(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-RATELIMIT-key-0001").await;
    let good = gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(serde_json::json!({})).await;

    let res = upload(&gw, &key, CONTENT).await;
    assert_eq!(res.status(), StatusCode::OK);
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap();
    gw.fake.clear();
    let res = get(&gw, &key, &format!("/v1/files/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen = gw.fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].credential, OPENAI_KEY);
    let rows = gw.ledger().await;
    assert_eq!(rows[0].provider_key_id.map(i64::from), Some(good));
    gw.finish().await;
}

async fn bad_uploads_are_refused_clearly(backend: Backend) {
    let gw = Gateway::start_with(backend, |c| c.proxy_max_file_bytes = 1024).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(serde_json::json!({})).await;

    let res = upload(&gw, &key, &[b'x'; 4096]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1024 bytes")
    );

    let res = gw
        .call(&key, "/v1/files", serde_json::json!({"purpose": "batch"}))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("multipart")
    );

    let no_purpose = Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/files"))
        .bearer_auth(&key)
        .multipart(no_purpose)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/files"))
        .bearer_auth(&key)
        .header("x-keygate-provider", "anthropic")
        .multipart(
            Form::new()
                .text("purpose", "batch")
                .part("file", Part::bytes(b"x".to_vec()).file_name("a.txt")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Unauthenticated calls never reach the provider.
    let res = get(&gw, "sk-proxy-not-a-key", "/v1/files").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(gw.fake.requests().is_empty());
    assert_eq!(storage_used(&gw, gw.project).await, 0);
    gw.finish().await;
}

on_both_databases!(
    files_round_trip_and_storage_follows,
    projects_never_see_each_others_files,
    uploads_fail_over_and_later_calls_use_the_storing_key,
    bad_uploads_are_refused_clearly,
);

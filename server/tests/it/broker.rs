//! The credential broker over real HTTP: the user's own key, else the token's project's,
//! else the environment fallback; only with a service token; every fetch recorded.

use crate::common;

use common::{Backend, PASSWORD, json_of, spawn_app_with};
use domain::fallback::FallbackKeys;
use domain::providers::ProviderKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ENV_KEY: &str = "sk-proj-fromtheenvironment0000wxyz";
const PROJECT_KEY: &str = "sk-proj-projectsharedkey000000abcd";
const PERSONAL_KEY: &str = "sk-proj-mialovesherownkey0000mine";

async fn the_broker_resolves_personal_then_project_then_environment(backend: Backend) {
    let fallbacks = FallbackKeys::from_pairs([(ProviderKind::OpenAi, ENV_KEY.to_owned())]).unwrap();
    let app = spawn_app_with(backend, |c| c.fallback_keys = Some(fallbacks)).await;
    app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    let res = app
        .rpc(
            &owner,
            "users_create",
            &[
                ("display_name", "Mia"),
                ("email", "mia@acme.test"),
                ("role", "member"),
                ("password", PASSWORD),
                ("external_id", "app-user-42"),
            ],
        )
        .await;
    assert!(res.status().is_success());
    let mia = app.signed_in("mia@acme.test", PASSWORD).await;
    let project = app.create_project(&owner, "Chat app").await;
    let project_key = json_of(
        owner
            .post(app.url("/api/admin/api-keys"))
            .json(
                &json!({"provider":"openai","name":"Shared","key":PROJECT_KEY,"projectId":project}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let personal_key = json_of(
        mia.post(app.url("/api/api-keys"))
            .json(&json!({"name":"Mine","service":"openai","value":PERSONAL_KEY}))
            .send()
            .await
            .unwrap(),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let project_str = project.to_string();
    let token: Value = app
        .rpc(
            &owner,
            "tokens_create",
            &[
                ("token_name", "chat backend"),
                ("kind", "service"),
                ("project_id", &project_str),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let token = token["secret"].as_str().unwrap().to_owned();
    let unbound: Value = app
        .rpc(
            &owner,
            "tokens_create",
            &[("token_name", "batch job"), ("kind", "service")],
        )
        .await
        .json()
        .await
        .unwrap();
    let unbound = unbound["secret"].as_str().unwrap().to_owned();

    let api = reqwest::Client::new();
    let ask = |token: String, body: Value| {
        let api = api.clone();
        let url = app.url("/api/broker/credentials");
        async move {
            api.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // Mia (by external id) has her own key.
    let got = json_of(
        ask(
            token.clone(),
            json!({"externalId":"app-user-42","service":"openai"}),
        )
        .await,
    )
    .await;
    assert_eq!(got["source"], "personal", "{got}");
    assert_eq!(got["value"], PERSONAL_KEY);
    assert_eq!(got["keyId"], personal_key);
    // The owner has none: the token's project key.
    let got = json_of(
        ask(
            token.clone(),
            json!({"email":"Owner@Acme.test","service":"openai"}),
        )
        .await,
    )
    .await;
    assert_eq!(got["source"], "project");
    assert_eq!(got["value"], PROJECT_KEY);
    // A token without a project: the environment fallback.
    let got = json_of(
        ask(
            unbound.clone(),
            json!({"email":"owner@acme.test","service":"openai"}),
        )
        .await,
    )
    .await;
    assert_eq!(got["source"], "environment");
    assert_eq!(got["value"], ENV_KEY);
    assert!(got["keyId"].is_null());
    // Nothing for this service anywhere.
    let res = ask(token.clone(), json!({"userId":1,"service":"anthropic"})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_of(res).await["error"]["code"], "no_key_available");
    // Deactivating the project skips its keys.
    owner
        .post(app.url(&format!("/api/admin/projects/{project}/deactivate")))
        .send()
        .await
        .unwrap();
    let got = json_of(
        ask(
            token.clone(),
            json!({"email":"owner@acme.test","service":"openai"}),
        )
        .await,
    )
    .await;
    assert_eq!(got["source"], "environment");

    // No token, a session, an admin token, a bad token, bad bodies.
    let res = api
        .post(app.url("/api/broker/credentials"))
        .json(&json!({"userId":1,"service":"openai"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = owner
        .post(app.url("/api/broker/credentials"))
        .json(&json!({"userId":1,"service":"openai"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let admin_token: Value = app
        .rpc(
            &owner,
            "tokens_create",
            &[("token_name", "admin"), ("kind", "admin")],
        )
        .await
        .json()
        .await
        .unwrap();
    let res = ask(
        admin_token["secret"].as_str().unwrap().to_owned(),
        json!({"userId":1,"service":"openai"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = ask(
        token.clone(),
        json!({"userId":1,"email":"owner@acme.test","service":"openai"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = ask(token.clone(), json!({"userId":999,"service":"openai"})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = ask(token.clone(), json!({"userId":1,"service":"nonsense"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Every fetch of a stored key is in its history.
    for (id, expected) in [(personal_key, 1), (project_key, 1)] {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let brokered = domain::entities::provider_key_event::Entity::find()
            .filter(domain::entities::provider_key_event::Column::KeyId.eq(id as i32))
            .filter(domain::entities::provider_key_event::Column::Action.eq("brokered"))
            .all(&app.state.db)
            .await
            .unwrap();
        assert_eq!(brokered.len(), expected, "key {id}");
    }
    app.finish().await;
}

on_both_databases!(the_broker_resolves_personal_then_project_then_environment);

//! Admin API tokens from Settings: created once, used as `Bearer kg_admin_…`, revoked, and
//! refused when their creator loses the admin role.

use crate::common;

use common::{Backend, PASSWORD, spawn_with_owner};
use reqwest::StatusCode;
use serde_json::Value;

async fn admin_tokens_work_until_revoked_or_their_creator_is_demoted(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let res = app
        .create_user(&owner, "Ada", "ada@acme.test", "admin", PASSWORD)
        .await;
    assert!(res.status().is_success());
    let ada = app.signed_in("ada@acme.test", PASSWORD).await;

    let created: Value = app
        .rpc(
            &ada,
            "tokens_create",
            &[("token_name", "deploy bot"), ("kind", "admin")],
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_i64().unwrap().to_string();
    assert!(secret.starts_with("kg_admin_"));
    assert!(
        created["token"]["hint"]
            .as_str()
            .unwrap()
            .ends_with(&secret[secret.len() - 4..])
    );

    let api = reqwest::Client::new();
    let call = |token: String| {
        let api = api.clone();
        let url = app.url("/api/admin/projects");
        async move {
            api.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call(secret.clone()).await, StatusCode::OK);
    // Creating through the token works too, acting as Ada.
    let res = api
        .post(app.url("/api/admin/projects"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({ "name": "Made by a bot" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Garbage, a service token and a missing scheme are all 401.
    assert_eq!(call("kg_admin_nope".into()).await, StatusCode::UNAUTHORIZED);
    let service: Value = app
        .rpc(
            &ada,
            "tokens_create",
            &[("token_name", "broker"), ("kind", "service")],
        )
        .await
        .json()
        .await
        .unwrap();
    let service = service["secret"].as_str().unwrap().to_owned();
    assert!(service.starts_with("kg_svc_"));
    assert_eq!(call(service).await, StatusCode::UNAUTHORIZED);
    let res = api
        .get(app.url("/api/admin/projects"))
        .header("authorization", secret.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Members can neither create nor list tokens.
    app.create_user(&owner, "Mo", "mo@acme.test", "member", PASSWORD)
        .await;
    let mo = app.signed_in("mo@acme.test", PASSWORD).await;
    let res = app
        .rpc(
            &mo,
            "tokens_create",
            &[("token_name", "x"), ("kind", "admin")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.rpc(&mo, "tokens_list", &[]).await.status(),
        StatusCode::FORBIDDEN
    );

    // Demoting Ada stops her token; promoting her again restores it.
    let ada_id = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        domain::entities::user::Entity::find()
            .filter(domain::entities::user::Column::Email.eq("ada@acme.test"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string()
    };
    let res = app
        .rpc(
            &owner,
            "users_set_role",
            &[("user_id", &ada_id), ("role", "member")],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(call(secret.clone()).await, StatusCode::UNAUTHORIZED);
    app.rpc(
        &owner,
        "users_set_role",
        &[("user_id", &ada_id), ("role", "admin")],
    )
    .await;
    assert_eq!(call(secret.clone()).await, StatusCode::OK);

    // Revoked: refused at once. The owner sees both tokens, one revoked.
    let res = app.rpc(&owner, "tokens_revoke", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(call(secret.clone()).await, StatusCode::UNAUTHORIZED);
    let list: Value = app
        .rpc(&owner, "tokens_list", &[])
        .await
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|t| t["revoked"] == true).count(), 1);
    assert!(!serde_json::to_string(&list).unwrap().contains(&secret));
    app.finish().await;
}

on_both_databases!(admin_tokens_work_until_revoked_or_their_creator_is_demoted);

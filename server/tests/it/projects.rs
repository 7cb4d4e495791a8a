//! `/api/admin/projects` over real HTTP, on SQLite and PostgreSQL.

use crate::common;

use common::{Backend, PASSWORD, spawn_with_owner};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

async fn admins_manage_projects_that_are_never_deleted(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let url = app.url("/api/admin/projects");

    let created = owner
        .post(&url)
        .json(&json!({ "name": " Search ", "description": "RAG" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let search = body(created).await;
    assert_eq!(search["name"], "Search");
    assert_eq!(search["active"], true);
    assert_eq!(search["storageUsedBytes"], 0);
    assert_eq!(search["keys"], 0);
    let id = search["id"].as_i64().unwrap();
    owner
        .post(&url)
        .json(&json!({ "name": "Support bot" }))
        .send()
        .await
        .unwrap();

    let duplicate = owner
        .post(&url)
        .json(&json!({ "name": "search" }))
        .send()
        .await
        .unwrap();
    // Names are unique per organization as typed; a different case is a different name.
    assert_eq!(duplicate.status(), StatusCode::CREATED);
    let exact_duplicate = owner
        .post(&url)
        .json(&json!({ "name": "Search" }))
        .send()
        .await
        .unwrap();
    assert_eq!(exact_duplicate.status(), StatusCode::CONFLICT);

    let all = body(owner.get(&url).send().await.unwrap()).await;
    assert_eq!(all["total"], 3);
    let filtered = body(owner.get(format!("{url}?name=SEAR")).send().await.unwrap()).await;
    assert_eq!(filtered["total"], 2);

    let project_url = format!("{url}/{id}");
    let renamed = owner
        .put(&project_url)
        .json(&json!({ "description": "Retrieval" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed = body(renamed).await;
    assert_eq!(renamed["name"], "Search");
    assert_eq!(renamed["description"], "Retrieval");

    let off = owner
        .post(format!("{project_url}/deactivate"))
        .send()
        .await
        .unwrap();
    assert_eq!(body(off).await["active"], false);
    let inactive = body(
        owner
            .get(format!("{url}?status=inactive"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(inactive["total"], 1);
    assert_eq!(inactive["projects"][0]["id"], id);
    let on = owner
        .post(format!("{project_url}/activate"))
        .send()
        .await
        .unwrap();
    assert_eq!(body(on).await["active"], true);

    let delete = owner.delete(&project_url).send().await.unwrap();
    assert_eq!(delete.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body(delete).await["error"]["code"], "method_not_allowed");
    assert_eq!(
        owner.get(&project_url).send().await.unwrap().status(),
        StatusCode::OK
    );
    app.finish().await;
}

async fn project_input_is_validated(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let url = app.url("/api/admin/projects");
    let cases = [
        (json!({ "name": "" }), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({ "name": "x".repeat(101) }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "name": "ok", "colour": "red" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "description": "no name" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "name": "big", "description": "x".repeat(70_000) }),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (payload, status) in cases {
        let res = owner.post(&url).json(&payload).send().await.unwrap();
        assert_eq!(
            res.status(),
            status,
            "{}",
            &payload.to_string()[..40.min(payload.to_string().len())]
        );
        assert!(body(res).await["error"]["code"].is_string());
    }
    for path in ["/api/admin/projects/abc", "/api/admin/projects/999999"] {
        let res = owner.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let bad_status = owner
        .get(format!("{url}?status=maybe"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_status.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

async fn projects_are_private_to_admins_of_their_organization(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let created = body(
        owner
            .post(app.url("/api/admin/projects"))
            .json(&json!({ "name": "Secret plans" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let project_url = app.url(&format!("/api/admin/projects/{}", created["id"]));

    // An owner of another organization sees nothing of it.
    domain::accounts::setup::create_organization(
        &app.state.db,
        &app.state.hasher,
        domain::accounts::setup::NewOrganization {
            org_name: "Globex".into(),
            owner_name: "Hank".into(),
            owner_email: "hank@globex.test".into(),
            password: secrecy::SecretString::from(PASSWORD.to_owned()),
        },
        false,
    )
    .await
    .unwrap();
    let stranger = app.signed_in("hank@globex.test", PASSWORD).await;
    assert_eq!(
        stranger.get(&project_url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let their_list = body(
        stranger
            .get(app.url("/api/admin/projects"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(their_list["total"], 0);
    let rename = stranger
        .put(&project_url)
        .json(&json!({ "name": "Mine now" }))
        .send()
        .await
        .unwrap();
    assert_eq!(rename.status(), StatusCode::NOT_FOUND);

    // A member of the same organization is refused; an anonymous caller must sign in.
    app.create_user(
        &owner,
        "Max",
        "max@acme.test",
        "member",
        "member password 1",
    )
    .await;
    let member = app.signed_in("max@acme.test", "member password 1").await;
    assert_eq!(
        member.get(&project_url).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .post(app.url("/api/admin/projects"))
            .json(&json!({ "name": "x" }))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client()
            .get(&project_url)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}

on_both_databases!(
    admins_manage_projects_that_are_never_deleted,
    project_input_is_validated,
    projects_are_private_to_admins_of_their_organization,
);

//! Provider keys over real HTTP, on SQLite and PostgreSQL, against a local fake provider:
//! masking, editing, rotation history, soft delete, reveal, verification and who may do what.

use crate::common;

use common::fake_provider::{FakeProvider, unreachable_base};
use common::{Backend, PASSWORD, TestApp, json_of, spawn_app_with};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const OPENAI_SECRET: &str = "sk-proj-VALIDabcdefghijklmnop1234";
const OPENAI_BAD: &str = "sk-proj-revokedabcdefghijkl9876";
const PERSONAL_SECRET: &str = "sk-ant-api03-VALIDpersonal-secret-wxyz";

/// A server whose providers all point at a fresh fake, with an owner and a project.
async fn setup(backend: Backend) -> (TestApp, FakeProvider, Client, i64) {
    let fake = FakeProvider::start().await;
    let overrides = fake.overrides();
    let app = spawn_app_with(backend, |c| c.upstream_overrides = Some(overrides)).await;
    app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    let project = app.create_project(&owner, "Search").await;
    (app, fake, owner, project)
}

async fn add_member(app: &TestApp, owner: &Client, email: &str) -> Client {
    let res = app
        .create_user(owner, "Member", email, "member", PASSWORD)
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    app.signed_in(email, PASSWORD).await
}

async fn create_project_key(app: &TestApp, owner: &Client, project: i64, secret: &str) -> Value {
    let res = owner
        .post(app.url("/api/admin/api-keys"))
        .json(&json!({
            "provider": "openai", "name": "Prod OpenAI", "key": format!("  {secret}\n"),
            "projectId": project, "organizationId": "org-acme",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    json_of(res).await
}

async fn history(app: &TestApp, id: i64) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    domain::entities::provider_key_event::Entity::find()
        .filter(domain::entities::provider_key_event::Column::KeyId.eq(id as i32))
        .order_by_asc(domain::entities::provider_key_event::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn admins_add_project_keys_and_only_ever_see_them_masked(backend: Backend) {
    let (app, _fake, owner, project) = setup(backend).await;
    let created = create_project_key(&app, &owner, project, OPENAI_SECRET).await;
    assert_eq!(created["key"], "sk-proj-…1234");
    assert_eq!(created["scope"], "project");
    assert_eq!(created["projectId"], project);
    assert_eq!(created["organizationId"], "org-acme");
    assert_eq!(created["verification"]["status"], "never");

    let list = owner
        .get(app.url("/api/admin/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let text = list.text().await.unwrap();
    assert!(!text.contains(OPENAI_SECRET), "list leaks the secret");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["keys"][0]["name"], "Prod OpenAI");
    // The project counts its keys.
    let shown = json_of(
        owner
            .get(app.url(&format!("/api/admin/projects/{project}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (shown["keys"].as_u64(), shown["activeKeys"].as_u64()),
        (Some(1), Some(1))
    );

    // Filters: provider, status, scope, name.
    for (query, total) in [
        ("provider=openai", 1),
        ("provider=anthropic", 0),
        ("status=inactive", 0),
        ("scope=personal", 0),
        ("name=prod", 1),
        ("name=nothing", 0),
    ] {
        let found = json_of(
            owner
                .get(app.url(&format!("/api/admin/api-keys?{query}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(found["total"], total, "{query}");
    }

    // Bad input: clear errors, never the secret echoed back.
    for (body, status, needle) in [
        (
            json!({"provider":"openai","name":"x","key":"pk-nope-123456789","projectId":project}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid API key format",
        ),
        (
            json!({"provider":"mistral-ish","name":"x","key":"sk-1234567890","projectId":project}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unknown provider",
        ),
        (
            json!({"provider":"openai","name":"x","key":OPENAI_SECRET,"projectId":project,"colour":"red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field",
        ),
        (
            json!({"provider":"openai","name":"x","key":OPENAI_SECRET,"projectId":999999}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a project",
        ),
        (
            json!({"provider":"openai","name":"x","key":OPENAI_SECRET,"projectId":project,"baseUrl":"https://169.254.169.254/v1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "must not point at",
        ),
        (
            json!({"provider":"openai","name":"x","key":OPENAI_SECRET,"projectId":project,"weight":OPENAI_SECRET}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid type",
        ),
    ] {
        let res = owner
            .post(app.url("/api/admin/api-keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(needle), "{text}");
        assert!(
            !text.contains(OPENAI_SECRET),
            "error echoes the secret: {text}"
        );
    }
    app.finish().await;
}

async fn editing_with_a_blank_secret_keeps_it_and_a_new_one_is_a_rotation(backend: Backend) {
    let (app, fake, owner, project) = setup(backend).await;
    let created = create_project_key(&app, &owner, project, OPENAI_SECRET).await;
    let id = created["id"].as_i64().unwrap();
    let key_url = app.url(&format!("/api/admin/api-keys/{id}"));

    let edited = owner
        .put(&key_url)
        .json(&json!({ "name": "Prod OpenAI (EU)", "key": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let edited = json_of(edited).await;
    assert_eq!(edited["name"], "Prod OpenAI (EU)");
    assert_eq!(edited["key"], "sk-proj-…1234");

    let verified = json_of(
        owner
            .post(format!("{key_url}/verify"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(verified["status"], "valid");
    assert_eq!(verified["details"]["organization"], "org-fake");
    assert_eq!(verified["details"]["rateLimitRequests"], 500);
    // The stored secret (trimmed) is what reached the provider.
    assert_eq!(fake.credentials_seen(), vec![OPENAI_SECRET.to_owned()]);
    let shown = json_of(owner.get(&key_url).send().await.unwrap()).await;
    assert_eq!(shown["verification"]["status"], "valid");
    assert!(shown["verification"]["checkedAt"].is_string());

    // A new secret replaces the old one: a rotation, and the key must be tested again.
    let rotated = json_of(
        owner
            .put(&key_url)
            .json(&json!({ "key": OPENAI_BAD }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rotated["key"], "sk-proj-…9876");
    assert_eq!(rotated["verification"]["status"], "never");
    let res = owner
        .post(format!("{key_url}/verify"))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    // The fake echoes the key in its 401 body; Keygate never passes that on.
    assert!(!text.contains(OPENAI_BAD), "{text}");
    let verified: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["status"], "invalid");
    assert_eq!(verified["details"]["httpStatus"], 401);

    // Deactivate and reactivate.
    let off = json_of(
        owner
            .put(&key_url)
            .json(&json!({ "active": false }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(off["active"], false);
    assert_eq!(
        history(&app, id).await,
        vec![
            "created",
            "updated",
            "verified",
            "rotated",
            "verified",
            "deactivated"
        ]
    );
    app.finish().await;
}

async fn deleting_destroys_the_secret_and_keeps_the_history(backend: Backend) {
    let (app, _fake, owner, project) = setup(backend).await;
    let created = create_project_key(&app, &owner, project, OPENAI_SECRET).await;
    let id = created["id"].as_i64().unwrap();
    let key_url = app.url(&format!("/api/admin/api-keys/{id}"));
    let res = owner.delete(&key_url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        owner.get(&key_url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        owner.delete(&key_url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    use sea_orm::EntityTrait;
    let row = domain::entities::provider_key::Entity::find_by_id(id as i32)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.ciphertext.is_none() && row.wrapped_key.is_none() && row.key_version.is_none());
    assert!(row.deleted_at.is_some());
    assert_eq!(history(&app, id).await, vec!["created", "deleted"]);
    let list = json_of(
        owner
            .get(app.url("/api/admin/api-keys"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["total"], 0);
    app.finish().await;
}

async fn only_the_owner_reveals_a_personal_key_with_their_password(backend: Backend) {
    let (app, _fake, owner, _project) = setup(backend).await;
    let member = add_member(&app, &owner, "mia@acme.test").await;
    let created = member
        .post(app.url("/api/api-keys"))
        .json(&json!({ "name": "My Claude", "service": "anthropic", "value": PERSONAL_SECRET }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json_of(created).await;
    assert_eq!(created["service"], "anthropic");
    assert_eq!(created["scope"], "personal");
    assert_eq!(created["key"], "sk-ant-…wxyz");
    assert!(created.get("value").is_none());
    let id = created["id"].as_i64().unwrap();
    let mine = app.url(&format!("/api/api-keys/{id}"));

    // Without the password header, with a wrong password, then with the right one.
    let res = member
        .get(format!("{mine}?includeValue=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = member
        .get(format!("{mine}?includeValue=true"))
        .header("x-keygate-password", "not my password")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!res.text().await.unwrap().contains(PERSONAL_SECRET));
    let revealed = json_of(
        member
            .get(format!("{mine}?includeValue=true"))
            .header("x-keygate-password", PASSWORD)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(revealed["value"], PERSONAL_SECRET);
    let plain = json_of(member.get(&mine).send().await.unwrap()).await;
    assert!(plain.get("value").is_none());

    // The admin sees it masked in the organization list but can never reveal it.
    let org_keys = owner
        .get(app.url("/api/admin/api-keys?scope=personal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(org_keys.contains("sk-ant-…wxyz") && !org_keys.contains(PERSONAL_SECRET));
    let res = owner
        .get(format!("{mine}?includeValue=true"))
        .header("x-keygate-password", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains(PERSONAL_SECRET));
    // Nor change its secret through the admin API; deactivating it is allowed.
    let admin_url = app.url(&format!("/api/admin/api-keys/{id}"));
    let res = owner
        .put(&admin_url)
        .json(&json!({ "key": "sk-ant-api03-hijackedsecret" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = owner
        .put(&admin_url)
        .json(&json!({ "active": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        history(&app, id).await,
        vec!["created", "reveal_refused", "revealed", "deactivated"]
    );

    // Test and stats for the owner.
    let tested = json_of(
        member
            .post(app.url("/api/api-keys/test"))
            .json(&json!({ "keyId": id }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(tested["valid"], true, "{tested}");
    assert_eq!(tested["details"]["rateLimitRequests"], 50);
    let stats = json_of(
        member
            .get(app.url("/api/api-keys/stats"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stats["total"], 1);
    assert_eq!(stats["services"][0]["service"], "anthropic");
    assert_eq!(stats["services"][0]["verifiedKeys"], 1);
    assert_eq!(stats["services"][0]["activeKeys"], 0);
    app.finish().await;
}

async fn guessing_the_password_through_reveal_is_throttled(backend: Backend) {
    let (app, _fake, owner, _project) = setup(backend).await;
    let member = add_member(&app, &owner, "mia@acme.test").await;
    let id = json_of(
        member
            .post(app.url("/api/api-keys"))
            .json(&json!({ "name": "Mine", "service": "anthropic", "value": PERSONAL_SECRET }))
            .send()
            .await
            .unwrap(),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let url = app.url(&format!("/api/api-keys/{id}?includeValue=true"));
    for guess in 0..5 {
        let res = member
            .get(&url)
            .header("x-keygate-password", format!("guess number {guess}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "guess {guess}"
        );
    }
    // Now even the right password waits, and the wait is announced.
    let res = member
        .get(&url)
        .header("x-keygate-password", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert!(!res.text().await.unwrap().contains(PERSONAL_SECRET));
    app.finish().await;
}

/// Every key route, for every kind of caller: 0 leaks.
async fn the_authorization_matrix_has_no_leaks(backend: Backend) {
    let (app, _fake, owner, project) = setup(backend).await;
    let member = add_member(&app, &owner, "mia@acme.test").await;
    let other_member = add_member(&app, &owner, "max@acme.test").await;
    let stranger = app.other_org_owner("gina@globex.test").await;
    let anonymous = app.client();

    let project_key = create_project_key(&app, &owner, project, OPENAI_SECRET).await["id"]
        .as_i64()
        .unwrap();
    let personal_key = json_of(
        member
            .post(app.url("/api/api-keys"))
            .json(&json!({ "name": "Mine", "service": "openai", "value": OPENAI_SECRET }))
            .send()
            .await
            .unwrap(),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let admin_routes = |id: i64| {
        vec![
            ("GET", "/api/admin/api-keys".to_owned(), None),
            ("GET", format!("/api/admin/api-keys/{id}"), None),
            (
                "PUT",
                format!("/api/admin/api-keys/{id}"),
                Some(json!({"name":"x"})),
            ),
            ("POST", format!("/api/admin/api-keys/{id}/verify"), None),
            ("DELETE", format!("/api/admin/api-keys/{id}"), None),
        ]
    };
    let send = |client: &Client, method: &str, path: &str, body: Option<Value>| {
        let url = app.url(path);
        let builder = match method {
            "GET" => client.get(url),
            "PUT" => client.put(url),
            "POST" => client.post(url),
            _ => client.delete(url),
        };
        let builder = match body {
            Some(b) => builder.json(&b),
            None => builder,
        };
        builder.send()
    };
    let mut checked = 0;
    for id in [project_key, personal_key] {
        for (method, path, body) in admin_routes(id) {
            for (who, client, expected) in [
                ("anonymous", &anonymous, StatusCode::UNAUTHORIZED),
                ("member", &member, StatusCode::FORBIDDEN),
                ("other org admin", &stranger, StatusCode::NOT_FOUND),
            ] {
                let res = send(client, method, &path, body.clone()).await.unwrap();
                let status = res.status();
                let text = res.text().await.unwrap();
                let expected = if path == "/api/admin/api-keys" && who == "other org admin" {
                    StatusCode::OK // their own (empty) list
                } else {
                    expected
                };
                assert_eq!(status, expected, "{who} {method} {path}: {text}");
                assert!(
                    !text.contains("…1234") && !text.contains("Prod OpenAI"),
                    "{who} {method} {path} saw a key: {text}"
                );
                checked += 1;
            }
        }
    }
    // The seed-003 routes only ever show the caller's own personal keys.
    let own_routes = |id: i64| {
        vec![
            ("GET", format!("/api/api-keys/{id}"), None),
            ("GET", format!("/api/api-keys/{id}?includeValue=true"), None),
            (
                "PUT",
                format!("/api/api-keys/{id}"),
                Some(json!({"name":"x"})),
            ),
            (
                "POST",
                "/api/api-keys/test".to_owned(),
                Some(json!({"keyId": id})),
            ),
            ("DELETE", format!("/api/api-keys/{id}"), None),
        ]
    };
    for id in [project_key, personal_key] {
        for (method, path, body) in own_routes(id) {
            for (who, client) in [
                ("owner (admin)", &owner),
                ("other member", &other_member),
                ("other org admin", &stranger),
            ] {
                let res = send(client, method, &path, body.clone()).await.unwrap();
                let status = res.status();
                let text = res.text().await.unwrap();
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{who} {method} {path}: {text}"
                );
                assert!(!text.contains(OPENAI_SECRET));
                checked += 1;
            }
            let res = send(&anonymous, method, &path, body.clone()).await.unwrap();
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "anonymous {method} {path}"
            );
            checked += 1;
        }
    }
    // Lists show only what each caller may see.
    for (who, client, total) in [
        ("owner", &owner, 0),
        ("member", &member, 1),
        ("other member", &other_member, 0),
        ("stranger", &stranger, 0),
    ] {
        let list = json_of(client.get(app.url("/api/api-keys")).send().await.unwrap()).await;
        assert_eq!(list["total"], total, "{who}");
    }
    let admin_list = json_of(
        owner
            .get(app.url("/api/admin/api-keys"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(admin_list["total"], 2);
    let stranger_list = json_of(
        stranger
            .get(app.url("/api/admin/api-keys"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stranger_list["total"], 0);
    // Both keys are untouched by all of the above.
    assert_eq!(history(&app, project_key).await, vec!["created"]);
    assert_eq!(history(&app, personal_key).await, vec!["created"]);
    assert_eq!(checked, 2 * 5 * 3 + 2 * 5 * 4);
    app.finish().await;
}

/// The same matrix through the server functions the browser calls.
async fn the_server_functions_have_no_leaks(backend: Backend) {
    let (app, _fake, owner, project) = setup(backend).await;
    let member = add_member(&app, &owner, "mia@acme.test").await;
    let other_member = add_member(&app, &owner, "max@acme.test").await;
    let stranger = app.other_org_owner("gina@globex.test").await;
    let anonymous = app.client();
    let project_key = create_project_key(&app, &owner, project, OPENAI_SECRET).await["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let personal = app
        .rpc(
            &member,
            "keys_create",
            &[
                ("target", "personal"),
                ("provider", "anthropic"),
                ("name", "Mine"),
                ("description", ""),
                ("key", PERSONAL_SECRET),
            ],
        )
        .await;
    assert_eq!(personal.status(), StatusCode::OK);
    let personal: Value = personal.json().await.unwrap();
    assert_eq!(personal["masked"], "sk-ant-…wxyz");
    assert_eq!(personal["can_reveal"], true);
    let personal_key = personal["id"].as_i64().unwrap().to_string();

    let calls = |id: &str| -> Vec<(&'static str, Vec<(&'static str, String)>)> {
        vec![
            (
                "keys_update",
                vec![
                    ("id", id.to_owned()),
                    ("name", "x".into()),
                    ("description", "".into()),
                    ("key", "".into()),
                ],
            ),
            (
                "keys_set_active",
                vec![("id", id.to_owned()), ("active", "false".into())],
            ),
            ("keys_test", vec![("id", id.to_owned())]),
            (
                "keys_reveal",
                vec![("id", id.to_owned()), ("password", PASSWORD.into())],
            ),
            ("keys_delete", vec![("id", id.to_owned())]),
        ]
    };
    let mut checked = 0;
    for (who, client, key, expected) in [
        (
            "anonymous",
            &anonymous,
            &project_key,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "anonymous",
            &anonymous,
            &personal_key,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "member on a project key",
            &member,
            &project_key,
            StatusCode::NOT_FOUND,
        ),
        (
            "other member",
            &other_member,
            &personal_key,
            StatusCode::NOT_FOUND,
        ),
        ("other org", &stranger, &project_key, StatusCode::NOT_FOUND),
        ("other org", &stranger, &personal_key, StatusCode::NOT_FOUND),
    ] {
        for (function, form) in calls(key) {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.rpc(client, function, &form).await;
            let status = res.status();
            let text = res.text().await.unwrap();
            assert_eq!(status, expected, "{who} {function}: {text}");
            assert!(!text.contains(OPENAI_SECRET) && !text.contains(PERSONAL_SECRET));
            checked += 1;
        }
    }
    // The admin and someone else's personal key: no reveal, no edit; test/deactivate allowed.
    for (function, expected) in [
        ("keys_reveal", StatusCode::FORBIDDEN),
        ("keys_update", StatusCode::FORBIDDEN),
        ("keys_test", StatusCode::OK),
        ("keys_set_active", StatusCode::OK),
    ] {
        let form = calls(&personal_key)
            .into_iter()
            .find(|(f, _)| *f == function)
            .unwrap()
            .1;
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.rpc(&owner, function, &form).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, expected, "admin {function}: {text}");
        assert!(!text.contains(PERSONAL_SECRET));
        checked += 1;
    }
    // Lists: members cannot list the organization's keys; "mine" is only their own.
    let list_form = |view: &'static str| {
        vec![
            ("view", view),
            ("provider", "all"),
            ("status", "all"),
            ("scope", "all"),
            ("name", ""),
        ]
    };
    assert_eq!(
        app.rpc(&member, "keys_list", &list_form("org"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let mine: Value = app
        .rpc(&other_member, "keys_list", &list_form("mine"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 0);
    let org: Value = app
        .rpc(&stranger, "keys_list", &list_form("org"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org.as_array().unwrap().len(), 0);
    // A member cannot add a project key.
    let res = app
        .rpc(
            &member,
            "keys_create",
            &[
                ("target", &project.to_string()),
                ("provider", "openai"),
                ("name", "sneaky"),
                ("description", ""),
                ("key", OPENAI_SECRET),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(checked, 6 * 5 + 4);
    // Untouched by all the refused calls.
    assert_eq!(
        history(&app, project_key.parse().unwrap()).await,
        vec!["created"]
    );
    app.finish().await;
}

async fn every_provider_verifies_against_its_own_endpoint(backend: Backend) {
    let (app, _fake, owner, project) = setup(backend).await;
    let cases = [
        (
            json!({"provider":"anthropic","key":"sk-ant-api03-VALIDkey-000000"}),
            "valid",
        ),
        (
            json!({"provider":"google","key":"AIzaSyVALIDgooglekey0000"}),
            "valid",
        ),
        (
            json!({"provider":"groq","key":"gsk_VALIDgroqkey00000000"}),
            "valid",
        ),
        (
            json!({"provider":"xai","key":"xai-VALIDxaikey000000000"}),
            "valid",
        ),
        (
            json!({"provider":"openrouter","key":"sk-or-v1-VALIDorkey0000"}),
            "valid",
        ),
        (
            json!({"provider":"google","key":"AIzaSyWRONGgooglekey000"}),
            "invalid",
        ),
        (
            json!({"provider":"aws","key":"AKIAVALIDEXAMPLE7890","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","region":"eu-west-1"}),
            "valid",
        ),
        (
            json!({"provider":"aws","key":"AKIAWRONGEXAMPLE7890","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
            "invalid",
        ),
    ];
    for (mut body, expected) in cases {
        body["name"] = json!("k");
        body["projectId"] = json!(project);
        let created = owner
            .post(app.url("/api/admin/api-keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{body}");
        let id = json_of(created).await["id"].as_i64().unwrap();
        let verified = json_of(
            owner
                .post(app.url(&format!("/api/admin/api-keys/{id}/verify")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(verified["status"], expected, "{body} → {verified}");
        if body["provider"] == "aws" && expected == "valid" {
            assert_eq!(verified["details"]["account"], "123456789012");
        }
    }
    // AWS needs both parts of its secret.
    let res = owner
        .post(app.url("/api/admin/api-keys"))
        .json(
            &json!({"provider":"aws","name":"k","key":"AKIAVALIDEXAMPLE7890","projectId":project}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

async fn an_unreachable_provider_is_reported_as_such(backend: Backend) {
    let dead = unreachable_base().await;
    let mut overrides = std::collections::HashMap::new();
    overrides.insert(
        domain::providers::ProviderKind::OpenAi,
        url::Url::parse(&format!("{dead}/v1")).unwrap(),
    );
    let app = spawn_app_with(backend, |c| c.upstream_overrides = Some(overrides)).await;
    app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    let project = app.create_project(&owner, "Search").await;
    let id = create_project_key(&app, &owner, project, OPENAI_SECRET).await["id"]
        .as_i64()
        .unwrap();
    let verified = json_of(
        owner
            .post(app.url(&format!("/api/admin/api-keys/{id}/verify")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(verified["status"], "unreachable", "{verified}");
    assert_eq!(verified["valid"], false);
    assert!(
        verified["details"]["message"]
            .as_str()
            .unwrap()
            .contains("could not connect")
    );
    app.finish().await;
}

on_both_databases!(
    admins_add_project_keys_and_only_ever_see_them_masked,
    editing_with_a_blank_secret_keeps_it_and_a_new_one_is_a_rotation,
    deleting_destroys_the_secret_and_keeps_the_history,
    only_the_owner_reveals_a_personal_key_with_their_password,
    guessing_the_password_through_reveal_is_throttled,
    the_authorization_matrix_has_no_leaks,
    the_server_functions_have_no_leaks,
    every_provider_verifies_against_its_own_endpoint,
    an_unreachable_provider_is_reported_as_such,
);

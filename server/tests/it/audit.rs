//! The tamper-evident audit log over real HTTP and the real CLI, on SQLite and PostgreSQL:
//! what is recorded (actor, action, outcome, IP), who may read it, tamper detection, CSV
//! export, retention, and sensitive actions refused when the log cannot be written.

use crate::common;

use common::cli::{fails, json_ok, ok};
use common::{Backend, PASSWORD, TestApp, json_of, spawn_with_owner};
use reqwest::{Client, StatusCode};
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};

const SECRET: &str = "sk-proj-AUDITabcdefghijklmnop1234";
const PERSONAL_SECRET: &str = "sk-ant-api03-AUDITpersonal-secret-wxyz";

/// The entries `client` sees for `query` (e.g. `action=auth.sign_in`), newest first.
async fn entries(app: &TestApp, client: &Client, query: &str) -> Vec<Value> {
    let res = client
        .get(app.url(&format!("/api/admin/audit?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["entries"].as_array().unwrap().clone()
}

async fn verification(app: &TestApp, client: &Client) -> Value {
    let res = client
        .get(app.url("/api/admin/audit/verify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

async fn sql(app: &TestApp, statement: &str) {
    app.state.db.execute_unprepared(statement).await.unwrap();
}

async fn add_member(app: &TestApp, owner: &Client, email: &str) -> Client {
    let res = app
        .create_user(owner, "Member", email, "member", PASSWORD)
        .await;
    assert!(res.status().is_success());
    app.signed_in(email, PASSWORD).await
}

async fn sign_ins_and_key_changes_are_recorded(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let browser = Client::builder()
        .cookie_store(true)
        .user_agent("audit-test/1.0")
        .build()
        .unwrap();
    assert_eq!(
        app.login(&browser, "owner@acme.test", "wrong password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&browser, "Owner@Acme.test", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let project = app.create_project(&owner, "Search").await;
    let res = browser
        .post(app.url("/api/admin/api-keys"))
        .json(&json!({ "provider": "openai", "name": "Prod OpenAI", "key": SECRET, "projectId": project }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    let sign_ins = entries(&app, &owner, "action=auth.sign_in").await;
    let (success, failure) = (&sign_ins[0], &sign_ins[1]);
    assert_eq!(success["actor"], "owner@acme.test");
    assert_eq!(success["outcome"], "success");
    assert!(success["actorUserId"].is_number());
    assert_eq!(success["ip"], "127.0.0.1");
    assert_eq!(success["userAgent"], "audit-test/1.0");
    assert_eq!(failure["actor"], "owner@acme.test");
    assert_eq!(failure["outcome"], "failure");
    assert!(failure["actorUserId"].is_null());
    assert_eq!(failure["ip"], "127.0.0.1");

    let created = entries(&app, &owner, "action=provider_key.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["actor"], "owner@acme.test");
    assert_eq!(created[0]["targetKind"], "provider_key");
    assert_eq!(created[0]["targetLabel"], "Prod OpenAI");
    assert_eq!(created[0]["outcome"], "success");
    assert_eq!(created[0]["ip"], "127.0.0.1");
    // Filters: actor text, a prefix of actions, an outcome, a target, dates.
    let failed = entries(&app, &owner, "actor=OWNER@&outcome=failure").await;
    assert_eq!(failed.len(), 1);
    let keys = entries(
        &app,
        &owner,
        "action=provider_key.*&targetKind=provider_key",
    )
    .await;
    assert_eq!(keys.len(), 1);
    assert!(entries(&app, &owner, "to=2000-01-01").await.is_empty());
    let res = owner
        .get(app.url("/api/admin/audit?outcome=maybe"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Never a secret, in any field.
    let everything = entries(&app, &owner, "limit=500").await;
    let text = serde_json::to_string(&everything).unwrap();
    assert!(!text.contains(SECRET) && !text.contains(PASSWORD) && !text.contains("wrong password"));
    assert_eq!(verification(&app, &owner).await["ok"], true);
    app.finish().await;
}

async fn members_are_refused_and_the_refusal_is_recorded(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let mia = add_member(&app, &owner, "mia@acme.test").await;
    for path in [
        "/api/admin/audit",
        "/api/admin/audit/verify",
        "/api/admin/audit/export.csv",
        "/api/admin/audit/retention",
    ] {
        let res = mia.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let res = mia
        .put(app.url("/api/admin/audit/retention"))
        .json(&json!({ "days": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A member calling an admin server function is refused and recorded too.
    let res = app.rpc(&mia, "audit_verify", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let denied = entries(&app, &owner, "action=access.denied").await;
    assert_eq!(denied.len(), 6, "{denied:?}");
    assert!(denied.iter().all(|e| e["actor"] == "mia@acme.test"
        && e["outcome"] == "denied"
        && e["ip"] == "127.0.0.1"));
    let detail: Value = serde_json::from_str(denied[5]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["path"], "/api/admin/audit");
    assert_eq!(detail["method"], "GET");
    app.finish().await;
}

async fn tampering_is_named_by_the_api_and_the_cli(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    for name in ["One", "Two", "Three", "Four"] {
        app.create_project(&owner, name).await;
    }
    let v = verification(&app, &owner).await;
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["firstBroken"].is_null());
    assert!(ok(&app, &["audit", "verify"], "").contains("Chain verified"));

    let projects = entries(&app, &owner, "action=project.create").await;
    let third = projects[1]["id"].as_i64().unwrap();
    // An edited field.
    sql(
        &app,
        &format!("UPDATE audit_log SET action = 'project.update' WHERE id = {third}"),
    )
    .await;
    let v = verification(&app, &owner).await;
    assert_eq!(
        (v["ok"].clone(), v["firstBroken"].as_i64()),
        (json!(false), Some(third))
    );
    let stderr = fails(&app, &["audit", "verify"], "");
    assert!(
        stderr.contains(&format!("chain broken at entry {third}:")),
        "{stderr}"
    );
    let json = common::cli::run(&app, &["audit", "verify", "--json"], "");
    assert!(!json.status.success());
    let out: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(out["firstBroken"], third);

    // Put it back: intact again. Then delete a middle entry: the next one is named.
    sql(
        &app,
        &format!("UPDATE audit_log SET action = 'project.create' WHERE id = {third}"),
    )
    .await;
    assert_eq!(verification(&app, &owner).await["ok"], true);
    let second = projects[2]["id"].as_i64().unwrap();
    sql(&app, &format!("DELETE FROM audit_log WHERE id = {second}")).await;
    let v = verification(&app, &owner).await;
    assert_eq!(v["firstBroken"].as_i64(), Some(second + 1));
    let stderr = fails(&app, &["audit", "verify"], "");
    assert!(
        stderr.contains(&format!("chain broken at entry {}:", second + 1)),
        "{stderr}"
    );

    // The CLI lists and exports; its own actions are recorded as `cli`.
    let listed = json_ok(
        &app,
        &["audit", "list", "--action", "project.create", "--json"],
        "",
    );
    assert_eq!(listed["entries"].as_array().unwrap().len(), 3);
    let checks = entries(&app, &owner, "action=audit.verify").await;
    assert!(checks.iter().all(|e| e["actor"] == "cli"));
    app.finish().await;
}

async fn export_and_retention_keep_the_chain_verifiable(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    app.create_project(&owner, "=HYPERLINK(\"http://evil.test\")")
        .await;
    let res = owner
        .get(app.url("/api/admin/audit/export.csv?action=project.create"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,created_at,org_id,actor,")
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains("project.create") && row.contains("\"'=HYPERLINK("),
        "{row}"
    );
    assert_eq!(lines.next(), None);
    // The export is itself recorded.
    assert_eq!(entries(&app, &owner, "action=audit.export").await.len(), 1);
    let file = app.dir.path().join("audit.csv");
    ok(
        &app,
        &["audit", "export", "--out", file.to_str().unwrap()],
        "",
    );
    let exported = std::fs::read_to_string(&file).unwrap();
    assert!(exported.contains("auth.sign_in") && exported.contains("project.create"));

    // Retention: read, refused out of range, set.
    let retention = app.url("/api/admin/audit/retention");
    let res = owner.get(&retention).send().await.unwrap();
    assert_eq!(json_of(res).await["days"], 365);
    for days in [0, 3651] {
        let res = owner
            .put(&retention)
            .json(&json!({ "days": days }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = owner
        .put(&retention)
        .json(&json!({ "days": 30 }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await["days"], 30);
    assert_eq!(
        entries(&app, &owner, "action=audit.retention").await.len(),
        1
    );

    // Nothing is old yet; a month later everything is, and the chain still verifies.
    let pruned = json_ok(&app, &["audit", "prune", "--json"], "");
    assert_eq!(pruned["deleted"], 0);
    let org_id = {
        use sea_orm::EntityTrait as _;
        let orgs = domain::entities::organization::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap();
        orgs[0].id
    };
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let report = domain::audit::prune(&app.state.db, org_id, later)
        .await
        .unwrap();
    assert!(report.deleted >= 5, "{report:?}");
    let v = verification(&app, &owner).await;
    assert_eq!(v["ok"], true, "{v}");
    let kept = entries(&app, &owner, "").await;
    assert_eq!(kept.last().unwrap()["action"], "audit.prune");
    assert!(ok(&app, &["audit", "verify"], "").contains("Chain verified"));
    // Deleting the oldest kept entry by hand is not a prune: caught.
    let oldest = kept.last().unwrap()["id"].as_i64().unwrap();
    app.create_project(&owner, "After").await;
    sql(&app, &format!("DELETE FROM audit_log WHERE id = {oldest}")).await;
    let v = verification(&app, &owner).await;
    assert_eq!(v["firstBroken"].as_i64(), Some(oldest + 1));
    app.finish().await;
}

async fn a_reveal_is_refused_when_the_log_cannot_be_written(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let mia = add_member(&app, &owner, "mia@acme.test").await;
    let created = mia
        .post(app.url("/api/api-keys"))
        .json(&json!({ "name": "My Claude", "service": "anthropic", "value": PERSONAL_SECRET }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = json_of(created).await["id"].as_i64().unwrap().to_string();
    let mine = app.url(&format!("/api/api-keys/{id}?includeValue=true"));
    let reveal = || mia.get(&mine).header("x-keygate-password", PASSWORD).send();
    // While the log works, the reveal is recorded first.
    let res = reveal().await.unwrap();
    assert_eq!(json_of(res).await["value"], PERSONAL_SECRET);
    let revealed = entries(&app, &owner, "action=provider_key.reveal").await;
    assert_eq!(revealed[0]["actor"], "mia@acme.test");
    assert_eq!(revealed[0]["targetLabel"], "My Claude");

    // Without the chain head no entry can be appended: no secret leaves Keygate.
    sql(&app, "DELETE FROM audit_head").await;
    let res = reveal().await.unwrap();
    assert!(res.status().is_server_error(), "{}", res.status());
    assert!(!res.text().await.unwrap().contains(PERSONAL_SECRET));
    let res = app
        .rpc(&mia, "keys_reveal", &[("id", &id), ("password", PASSWORD)])
        .await;
    assert!(!res.status().is_success());
    assert!(!res.text().await.unwrap().contains(PERSONAL_SECRET));
    // Vault rotation is refused as well; other actions go on.
    let stderr = fails(&app, &["vault", "rotate"], "");
    assert!(stderr.contains("audit log"), "{stderr}");
    app.create_project(&owner, "Still works").await;
    let v = verification(&app, &owner).await;
    assert_eq!(v["ok"], false);
    app.finish().await;
}

on_both_databases!(
    sign_ins_and_key_changes_are_recorded,
    members_are_refused_and_the_refusal_is_recorded,
    tampering_is_named_by_the_api_and_the_cli,
    export_and_retention_keep_the_chain_verifiable,
    a_reveal_is_refused_when_the_log_cannot_be_written,
);

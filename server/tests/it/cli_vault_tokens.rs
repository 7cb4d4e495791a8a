//! `keygate token create` and `keygate vault rotate|status`: the real binary against the data
//! of a running server, including a rotation killed with SIGKILL half-way.

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Backend, TestApp, spawn_with_owner};
use domain::auth::SessionUser;
use domain::provider_keys::{KeyScope, NewKey};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use secrecy::SecretString;
use serde_json::Value;

/// The binary, pointed at the test server's data directory and database.
fn keygate(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keygate"));
    for (key, _) in std::env::vars() {
        if key.starts_with("KEYGATE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("KEYGATE_DATA_DIR", app.dir.path());
    if let Some(url) = &app.database.url {
        cmd.env("KEYGATE_DATABASE_URL", url);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn json_output(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn a_cli_token_calls_the_admin_api(backend: Backend) {
    let (app, _owner) = spawn_with_owner(backend).await;
    let created = json_output(keygate(&app).args(["token", "create", "--name", "ci", "--json"]));
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("kg_admin_"));
    assert_eq!(created["actsAs"], "owner@acme.test");
    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/api/admin/api-keys"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A different last character (replacing an `x` with `x` would change nothing).
    let mut wrong = token.clone();
    let last = wrong.pop();
    wrong.push(if last == Some('x') { 'y' } else { 'x' });
    let res = client
        .get(app.url("/api/admin/api-keys"))
        .bearer_auth(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Only the hash is stored.
    let rows = domain::entities::api_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!format!("{rows:?}").contains(&token[9..]));
    // An unknown acting user is a clear error.
    let out = keygate(&app)
        .args(["token", "create", "--name", "x", "--as", "nobody@acme.test"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such active user"));
    app.finish().await;
}

async fn seed(app: &TestApp, n: usize) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let owner = domain::entities::user::Entity::find()
        .filter(domain::entities::user::Column::Email.eq("owner@acme.test"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let owner = SessionUser::from_model(&owner).unwrap();
    for i in 0..n {
        let key = NewKey {
            scope: KeyScope::Personal,
            provider: "groq".into(),
            name: format!("key {i}"),
            description: String::new(),
            key: SecretString::from(format!("gsk_seeded{i:05}abcdefgh")),
            secret_access_key: None,
            region: None,
            provider_org_id: None,
            base_url: None,
            expires_at: None,
            weight: None,
            rotation_schedule: None,
        };
        domain::provider_keys::create(&app.state, &owner, key)
            .await
            .unwrap();
    }
}

/// Every key opens to its own seeded secret; returns how many there are.
async fn every_row_opens(app: &TestApp) -> usize {
    let opened = app.open_every_key().await;
    for (name, secret) in &opened {
        let i: usize = name.trim_start_matches("key ").parse().unwrap();
        assert_eq!(secret, format!("gsk_seeded{i:05}abcdefgh").as_bytes());
    }
    opened.len()
}

async fn rows_on(app: &TestApp, version: i32) -> u64 {
    domain::vault::rotation::status(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.version == version)
        .map(|v| v.rows)
        .unwrap_or(0)
}

async fn a_rotation_killed_halfway_leaves_every_row_readable_and_resumes(backend: Backend) {
    const KEYS: usize = 300;
    let (app, _owner) = spawn_with_owner(backend).await;
    seed(&app, KEYS).await;

    // One row per batch makes the run long enough to be killed in the middle.
    let mut child = keygate(&app)
        .args(["vault", "rotate", "--batch-size", "1"])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while rows_on(&app, 2).await < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "rotation did not start"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "rotation ended too soon"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let moved = rows_on(&app, 2).await;
    eprintln!("killed after re-wrapping {moved} of {KEYS} rows");
    assert!(moved > 0 && moved < KEYS as u64, "{moved}");
    assert_eq!(every_row_opens(&app).await, KEYS);

    let status = json_output(keygate(&app).args(["vault", "status", "--json"]));
    assert_eq!(status["versions"][1]["current"], true);
    assert_eq!(status["versions"][1]["rows"], moved);
    assert_eq!(status["versions"][0]["rows"], KEYS as u64 - moved);

    let resumed = json_output(keygate(&app).args(["vault", "rotate", "--json"]));
    assert_eq!(resumed["addedVersion"], false);
    assert_eq!(resumed["targetVersion"], 2);
    assert_eq!(resumed["rewrapped"], KEYS as u64 - moved);
    assert_eq!(resumed["remaining"], 0);
    assert_eq!(resumed["retired"], serde_json::json!([1]));
    assert_eq!(every_row_opens(&app).await, KEYS);

    let status = json_output(keygate(&app).args(["vault", "status", "--json"]));
    assert_eq!(status["versions"][0]["rows"], 0);
    assert!(status["versions"][0]["retiredAt"].is_string());
    assert_eq!(status["versions"][1]["rows"], KEYS as u64);
    let text = keygate(&app).args(["vault", "status"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("current") && text.contains("retired"),
        "{text}"
    );
    app.finish().await;
}

on_both_databases!(
    a_cli_token_calls_the_admin_api,
    a_rotation_killed_halfway_leaves_every_row_readable_and_resumes,
);

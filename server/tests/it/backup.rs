//! `keygate backup` and `keygate restore`: a backup of a running server restores into a fresh
//! database (same backend, and SQLite ⇄ PostgreSQL) where sign-in, the vault, the proxy, the
//! audit chain and new inserts all keep working; damaged, newer or unwanted restores are
//! refused without touching the target.

use crate::common;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use base64::Engine as _;
use common::cli::{fails, json_ok};
use common::gateway::Gateway;
use common::{Backend, PASSWORD, TestApp, json_of, spawn_app, spawn_with_owner};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};

const PROJECT_KEY: &str = "sk-proj-VALID-openai-backup-0001";
const PERSONAL_SECRET: &str = "sk-ant-api03-VALIDbackup-personal-secret";

fn chat() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
}

/// Rows per table (all but `seaql_migrations`).
async fn counts(db: &DatabaseConnection) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for table in domain::backup::schema::tables(db).await.unwrap() {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", table.name);
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        counts.insert(table.name, row.try_get_by_index::<i64>(0).unwrap() as u64);
    }
    counts
}

/// The decompressed text of a backup file.
fn unzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn zip(path: &Path, text: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
}

/// The header's row count per table.
fn header_counts(text: &str) -> BTreeMap<String, u64> {
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    header["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn user_count(app: &TestApp) -> u64 {
    domain::entities::user::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

/// A server with an owner, a project, a provider key, a personal key, a Keygate key and some
/// usage; returns it with the personal key's id and the Keygate key.
async fn populated(backend: Backend) -> (Gateway, i64, String) {
    let gw = Gateway::start(backend).await;
    // Named apart from its secret (`add_key` names a key after it).
    gw.add_key_with(
        json!({"provider": "openai", "name": "Production", "key": PROJECT_KEY, "projectId": gw.project}),
    )
    .await;
    let created = gw
        .owner
        .post(gw.app.url("/api/api-keys"))
        .json(&json!({"name": "My Claude", "service": "anthropic", "value": PERSONAL_SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let personal = json_of(created).await["id"].as_i64().unwrap();
    let (_, key) = gw.mint(json!({})).await;
    for _ in 0..3 {
        let res = gw.call(&key, "/v1/chat/completions", chat()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let _ = res.bytes().await.unwrap();
    }
    assert_eq!(gw.ledger().await.len(), 3);
    (gw, personal, key)
}

/// Backs up a populated `from` server, restores into a fresh `to` database, and checks that
/// everything works there.
async fn round_trip(from: Backend, to: Backend) {
    let (gw, personal, key) = populated(from).await;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("keygate.backup");
    let file_arg = file.to_str().unwrap();
    // The server keeps serving (and writing usage) while the backup runs.
    let traffic = {
        let (client, url, key) = (
            gw.app.client(),
            gw.app.url("/v1/chat/completions"),
            key.clone(),
        );
        tokio::spawn(async move {
            for _ in 0..10 {
                let res = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&chat())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let _ = res.bytes().await.unwrap();
            }
        })
    };
    let started = std::time::Instant::now();
    let made = json_ok(&gw.app, &["backup", "--out", file_arg, "--json"], "");
    let backup_seconds = started.elapsed().as_secs_f64();
    traffic.await.unwrap();
    assert_eq!(made["file"], file_arg);
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert_eq!(made["bytes"].as_u64(), Some(bytes));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(files.path()).unwrap().count(), 1);

    // Neither the master key nor any plaintext secret is in the file.
    let text = unzip(&file);
    let master = std::fs::read_to_string(gw.app.dir.path().join("master.key")).unwrap();
    let master = master.trim();
    assert!(master.len() >= 32);
    assert!(!text.contains(master));
    if let Ok(raw) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(master) {
        assert!(!text.contains(&base64::engine::general_purpose::STANDARD.encode(&raw)));
    }
    for secret in [PROJECT_KEY, PERSONAL_SECRET, key.as_str()] {
        assert!(!text.contains(secret), "the backup shows {secret}");
    }
    let snapshot = header_counts(&text);
    assert_eq!(made["rows"].as_u64(), Some(snapshot.values().sum()));
    assert_eq!(made["tables"].as_u64(), Some(snapshot.len() as u64));
    assert_eq!(snapshot["users"], 1);
    assert!(snapshot["usage_events"] >= 3);

    // A fresh database (its server stopped, as for a real restore).
    let mut target = spawn_app(to).await;
    target.pause().await;
    let started = std::time::Instant::now();
    let restored = json_ok(&target, &["restore", "--from", file_arg, "--json"], "");
    let restore_seconds = started.elapsed().as_secs_f64();
    assert_eq!(restored["rows"], made["rows"]);
    assert_eq!(restored["tables"], made["tables"]);
    eprintln!(
        "backup {from:?} -> {to:?}: {} tables, {} rows, {bytes} bytes, backup {backup_seconds:.2} s, restore {restore_seconds:.2} s",
        made["tables"], made["rows"]
    );

    // The server starts on it with the source's master key.
    std::fs::copy(
        gw.app.dir.path().join("master.key"),
        target.dir.path().join("master.key"),
    )
    .unwrap();
    let overrides = gw.fake.overrides();
    let app = target
        .restart_with(|c| {
            c.allow_private_upstreams = true;
            c.upstream_overrides = Some(overrides);
        })
        .await
        .unwrap();
    let mut after = counts(&app.state.db).await;
    // The restore itself is audited.
    *after.get_mut("audit_log").unwrap() -= 1;
    for (table, rows) in &snapshot {
        // Leases are live coordination state: the restarted server takes its own at once.
        if table == "job_leases" {
            continue;
        }
        assert_eq!(after.get(table), Some(rows), "{table}");
    }

    // The old password signs in; the personal key decrypts under the same master key.
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    let revealed = json_of(
        owner
            .get(app.url(&format!("/api/api-keys/{personal}?includeValue=true")))
            .header("x-keygate-password", PASSWORD)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(revealed["value"], PERSONAL_SECRET);
    // The Keygate key still authenticates, and the provider key still opens.
    let res = app
        .client()
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&chat())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let _ = res.bytes().await.unwrap();
    // The audit chain still verifies.
    let verified = json_ok(&app, &["audit", "verify", "--json"], "");
    assert_eq!(verified["ok"], true, "{verified}");
    // New rows get fresh ids (PostgreSQL's sequences continue after the restored ids).
    let project = app.create_project(&owner, "After the restore").await;
    assert!(project > 1);
    let res = owner
        .post(app.url("/api/admin/virtual-keys"))
        .json(&json!({"projectId": project, "name": "new key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .create_user(&owner, "New", "new@acme.test", "member", PASSWORD)
        .await;
    assert!(res.status().is_success(), "{}", res.status());

    app.finish().await;
    gw.finish().await;
}

async fn a_backup_restores_into_a_fresh_database(backend: Backend) {
    round_trip(backend, backend).await;
}

async fn a_restore_refuses_data_damage_and_newer_schemas(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    app.create_project(&owner, "Kept").await;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("b.gz");
    let file_arg = file.to_str().unwrap();
    json_ok(&app, &["backup", "--out", file_arg, "--json"], "");

    // A database with data needs --force; with it, the backup replaces the data.
    let refused = fails(&app, &["restore", "--from", file_arg], "");
    assert!(refused.contains("--force"), "{refused}");
    app.create_project(&owner, "Made after the backup").await;
    json_ok(
        &app,
        &["restore", "--from", file_arg, "--force", "--json"],
        "",
    );
    let projects = domain::entities::project::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(projects, 1);
    let verified = json_ok(&app, &["audit", "verify", "--json"], "");
    assert_eq!(verified["ok"], true, "{verified}");

    // Damaged and foreign files change nothing in an empty target.
    let mut target = spawn_app(backend).await;
    target.pause().await;
    let full = std::fs::read(&file).unwrap();
    let damaged = files.path().join("damaged.gz");
    let damaged_arg = damaged.to_str().unwrap();
    std::fs::write(&damaged, &full[..full.len() / 2]).unwrap();
    let message = fails(&target, &["restore", "--from", damaged_arg], "");
    assert!(message.contains("backup"), "{message}");
    let mut flipped = full.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    std::fs::write(&damaged, &flipped).unwrap();
    fails(&target, &["restore", "--from", damaged_arg], "");
    std::fs::write(&damaged, b"not a backup").unwrap();
    fails(&target, &["restore", "--from", damaged_arg], "");
    // Without its end line (a backup cut at a line boundary).
    let text = unzip(&file);
    let cut: Vec<&str> = text.lines().collect();
    zip(&damaged, &(cut[..cut.len() - 1].join("\n") + "\n"));
    let message = fails(&target, &["restore", "--from", damaged_arg], "");
    assert!(message.contains("truncated"), "{message}");
    // A backup from a newer Keygate.
    let mut header: Value = serde_json::from_str(cut[0]).unwrap();
    header["schema"]
        .as_array_mut()
        .unwrap()
        .push(json!("m29990101_000001_from_the_future"));
    let newer = std::iter::once(header.to_string())
        .chain(cut[1..].iter().map(|l| (*l).to_owned()))
        .collect::<Vec<_>>()
        .join("\n");
    zip(&damaged, &(newer + "\n"));
    let message = fails(&target, &["restore", "--from", damaged_arg], "");
    assert!(message.contains("newer"), "{message}");

    let target = target.restart_with(|_| {}).await.unwrap();
    assert_eq!(user_count(&target).await, 0);
    assert!(target.setup_token.is_some());
    target.finish().await;
    app.finish().await;
}

on_both_databases!(
    a_backup_restores_into_a_fresh_database,
    a_restore_refuses_data_damage_and_newer_schemas,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_restores_into_postgres() {
    round_trip(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_restores_into_sqlite() {
    round_trip(Backend::Postgres, Backend::Sqlite).await;
}

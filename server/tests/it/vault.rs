//! Online master-key rotation and "a stolen database reveals no provider key", on SQLite and
//! PostgreSQL, with a running server.

use crate::common;

use common::fake_provider::FakeProvider;
use common::{Backend, PASSWORD, TestApp, json_of, spawn_app_with};
use domain::vault::rotation;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

async fn setup(backend: Backend) -> (TestApp, FakeProvider, Client, i64) {
    let fake = FakeProvider::start().await;
    let overrides = fake.overrides();
    let app = spawn_app_with(backend, |c| c.upstream_overrides = Some(overrides)).await;
    app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    let project = app.create_project(&owner, "Search").await;
    (app, fake, owner, project)
}

fn secret_number(i: usize) -> String {
    format!("sk-proj-VALIDseeded{i:04}abcdefghij")
}

async fn seed_keys(app: &TestApp, owner: &Client, project: i64, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let res = owner
            .post(app.url("/api/admin/api-keys"))
            .json(&json!({
                "provider": "openai", "name": format!("key {i}"),
                "key": secret_number(i), "projectId": project,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        ids.push(json_of(res).await["id"].as_i64().unwrap());
    }
    ids
}

/// Every key opens to its own seeded secret; returns how many there are.
async fn every_row_opens(app: &TestApp) -> usize {
    let opened = app.open_every_key().await;
    for (name, secret) in &opened {
        let index: usize = name.trim_start_matches("key ").parse().unwrap();
        assert_eq!(secret, secret_number(index).as_bytes());
    }
    opened.len()
}

async fn rotation_rewraps_every_row_and_survives_being_stopped_halfway(backend: Backend) {
    let (app, fake, owner, project) = setup(backend).await;
    let ids = seed_keys(&app, &owner, project, 25).await;
    let db = &app.state.db;
    let status = rotation::status(db).await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!((status[0].version, status[0].rows), (1, 25));

    // Stopped after 10 rows — as a kill between batches would leave it.
    let first = rotation::rotate(db, &app.state.master_key, 4, Some(10))
        .await
        .unwrap();
    assert!(first.added_version);
    assert_eq!(first.target_version, 2);
    assert_eq!((first.rewrapped, first.remaining), (10, 15));
    assert!(first.retired.is_empty());
    assert_eq!(every_row_opens(&app).await, 25);

    // The running server (which loaded only version 1) still opens keys re-wrapped under 2.
    let verified = json_of(
        owner
            .post(app.url(&format!("/api/admin/api-keys/{}/verify", ids[0])))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(verified["status"], "valid", "{verified}");
    assert_eq!(fake.credentials_seen(), vec![secret_number(0)]);
    // And seals new secrets under the newest version ("key 0" again, same secret).
    seed_keys(&app, &owner, project, 1).await;
    let status = rotation::status(db).await.unwrap();
    assert_eq!(status[1].version, 2);
    assert_eq!(status[1].rows, 11, "{status:?}");

    // Running it again resumes (no third version) and finishes.
    let second = rotation::rotate(db, &app.state.master_key, 4, None)
        .await
        .unwrap();
    assert!(!second.added_version);
    assert_eq!(second.target_version, 2);
    assert_eq!((second.rewrapped, second.remaining), (15, 0));
    assert_eq!(second.retired, vec![1]);
    let status = rotation::status(db).await.unwrap();
    assert_eq!(status.len(), 2);
    assert!(status[0].retired_at.is_some() && status[0].rows == 0);
    assert!(status[1].current && status[1].rows == 26);
    assert_eq!(every_row_opens(&app).await, 26);

    // A later rotation starts a new version and moves 100 % of rows again.
    let third = rotation::rotate(db, &app.state.master_key, 100, None)
        .await
        .unwrap();
    assert!(third.added_version);
    assert_eq!((third.target_version, third.rewrapped), (3, 26));
    assert_eq!(third.retired, vec![2]);
    assert_eq!(every_row_opens(&app).await, 26);
    app.finish().await;
}

async fn a_database_dump_contains_none_of_the_seeded_secrets(backend: Backend) {
    let (app, _fake, owner, project) = setup(backend).await;
    let member_res = app
        .create_user(&owner, "Mia", "mia@acme.test", "member", PASSWORD)
        .await;
    assert!(member_res.status().is_success());
    let member = app.signed_in("mia@acme.test", PASSWORD).await;
    let ids = seed_keys(&app, &owner, project, 5).await;
    let personal = "sk-ant-api03-VALIDpersonalsecret-9999";
    let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(
        member
            .post(app.url("/api/api-keys"))
            .json(&json!({"name":"Mine","service":"anthropic","value":personal}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        owner
            .post(app.url("/api/admin/api-keys"))
            .json(&json!({"provider":"aws","name":"S3","key":"AKIAVALIDEXAMPLE7890","secretAccessKey":aws_secret,"projectId":project}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    // Replace one secret too: the replaced one must not linger either.
    let replacement = "sk-proj-VALIDreplacement0000abcdef";
    assert_eq!(
        owner
            .put(app.url(&format!("/api/admin/api-keys/{}", ids[1])))
            .json(&json!({ "key": replacement }))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let mut seeded: Vec<String> = (0..5).map(secret_number).collect();
    seeded.push(replacement.to_owned());
    seeded.extend([
        personal.to_owned(),
        aws_secret.to_owned(),
        PASSWORD.to_owned(),
    ]);

    let dump = match backend {
        Backend::Sqlite => {
            // The raw database files, write-ahead log included.
            app.state
                .db
                .execute_unprepared("PRAGMA wal_checkpoint(FULL)")
                .await
                .unwrap();
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(app.dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("keygate.db")
                {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            assert!(bytes.len() > 10_000);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Backend::Postgres => {
            // A logical dump: every row of every table as text.
            let db = &app.state.db;
            let tables = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
                ))
                .await
                .unwrap();
            let mut text = String::new();
            for table in tables {
                let name: String = table.try_get("", "table_name").unwrap();
                let rows = db
                    .query_all_raw(Statement::from_string(
                        db.get_database_backend(),
                        format!("SELECT t::text AS row FROM \"{name}\" t"),
                    ))
                    .await
                    .unwrap();
                for row in rows {
                    let line: String = row.try_get("", "row").unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            assert!(text.len() > 1000);
            text
        }
    };
    for secret in &seeded {
        assert!(
            !dump.contains(secret.as_str()),
            "the dump contains a seeded secret"
        );
        // Nor a long tail of it (e.g. a prefix-stripped copy).
        let tail = &secret[secret.len() - 16..];
        assert!(
            !dump.contains(tail),
            "the dump contains part of a seeded secret"
        );
    }
    // The masked hints are there (so the dump is the real thing).
    assert!(dump.contains("…"));
    app.finish().await;
}

on_both_databases!(
    rotation_rewraps_every_row_and_survives_being_stopped_halfway,
    a_database_dump_contains_none_of_the_seeded_secrets,
);

//! The `keygate` binary itself: `--help`, and `admin create` followed by a real sign-in.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::{Backend, TestDatabase, config_for};
use reqwest::StatusCode;

fn keygate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keygate"));
    for (key, _) in std::env::vars() {
        if key.starts_with("KEYGATE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[test]
fn help_documents_the_configuration() {
    let out = keygate().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for name in [
        "KEYGATE_ADDR",
        "KEYGATE_DATA_DIR",
        "KEYGATE_DATABASE_URL",
        "KEYGATE_MASTER_KEY",
        "KEYGATE_MASTER_KEY_FILE",
        "KEYGATE_SESSION_IDLE_TIMEOUT",
    ] {
        assert!(help.contains(name), "--help does not mention {name}");
    }
}

#[test]
fn a_malformed_master_key_refuses_to_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = keygate()
        .env("KEYGATE_DATA_DIR", dir.path())
        .env("KEYGATE_ADDR", "127.0.0.1:0")
        .env("KEYGATE_MASTER_KEY", "too-short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("master key"), "{stderr}");
    assert!(stderr.contains("malformed"), "{stderr}");
}

async fn admin_create_makes_an_owner_who_can_sign_in(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend).await;
    let mut cmd = keygate();
    cmd.args([
        "admin",
        "create",
        "--org",
        "Initech",
        "--email",
        "Bill@Initech.test",
        "--name",
        "Bill",
    ])
    .env("KEYGATE_DATA_DIR", dir.path())
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(url) = &database.url {
        cmd.env("KEYGATE_DATABASE_URL", url);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("bill@initech.test"), "{stdout}");
    assert!(!stdout.contains("a long enough password"));

    // A server on the same data dir and database lets Bill in.
    let config = config_for(&dir, &database);
    let server = keygate_server::Server::bind(&config).await.unwrap();
    assert!(
        server.setup_token.is_none(),
        "setup must close once a user exists"
    );
    let base = format!("http://{}", server.addr);
    let db = server.state.db.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let res = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "email": "bill@initech.test", "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["role"], "owner");
    assert_eq!(me["org_name"], "Initech");
    let _ = tx.send(());
    running.await.unwrap().unwrap();
    db.close().await.ok();
    database.drop_database().await;
}

on_both_databases!(admin_create_makes_an_owner_who_can_sign_in);

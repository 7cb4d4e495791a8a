//! The `keygate` binary itself: `--help`, and `admin create` followed by a real sign-in.

use crate::common;

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

/// Runs the real binary with debug logging through setup, sign-in and a password change, and
/// checks that no password, session id or master key reaches the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_never_contain_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let master_key = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
    let mut child = keygate()
        .env("KEYGATE_DATA_DIR", dir.path())
        .env("KEYGATE_ADDR", addr.to_string())
        .env("KEYGATE_MASTER_KEY", master_key)
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let mut token = None;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(rest) = text.split("setup?token=").nth(1) {
            token = Some(rest.split_whitespace().next().unwrap().to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = token.expect("setup URL logged");
    let first = "first secret passphrase";
    let second = "second secret passphrase";
    let setup = client
        .post(format!("{base}/rpc/setup"))
        .header("origin", &base)
        .form(&[
            ("token", token.as_str()),
            ("org_name", "Acme"),
            ("display_name", "Olivia"),
            ("email", "owner@acme.test"),
            ("password", first),
            ("password_confirm", first),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), StatusCode::OK);
    // A second browser signs in and changes the password.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "email": "owner@acme.test", "password": first }))
        .send()
        .await
        .unwrap();
    let session_id = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    let changed = client
        .post(format!("{base}/rpc/change_password"))
        .header("origin", &base)
        .form(&[
            ("current_password", first),
            ("new_password", second),
            ("confirm_password", second),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    child.kill().unwrap();
    child.wait().unwrap();

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("signed in"),
        "the log should record the sign-in:\n{text}"
    );
    for secret in [first, second, session_id.as_str(), master_key] {
        assert!(
            !text.contains(secret),
            "the log contains a secret ({} chars)",
            secret.len()
        );
    }
}

//! The secret scan: known provider keys, passwords and the master key are seeded and used
//! the ways users use them — stored, proxied (also with a key the provider refuses and echoes
//! back), wrong passwords, Keygate keys minted and called — with every log at debug level
//! captured; then every log line, every response body and every database file is searched for
//! them. Expected matches: 0.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::gateway::Gateway;
use common::{Backend, json_of};
use serde_json::json;

const OPENAI_SECRET: &str = "sk-proj-VALID-scan-7f3a9c2e5b1d8a40";
const ANTHROPIC_SECRET: &str = "sk-ant-api03-VALID-scan-4c8e1a6f2d9b";
/// No `VALID`: the fake provider answers 401 with a body that echoes this key.
const REFUSED_SECRET: &str = "sk-proj-scanrefused-9d2b7e41a6c35f18";
const USER_PASSWORD: &str = "Scan-Password-5e9f1c7a-horse";
const WRONG_PASSWORD: &str = "Wrong-Scan-Secret-3b8d-battery";

/// Everything written through `tracing`, at debug level, from every test in this binary.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: the scan needs this test's lines, not an unbounded history.
        if all.len() < 256 * 1024 * 1024 {
            all.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_responses_or_the_database() {
    let captured = Captured::default();
    let writer = captured.clone();
    let installed = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .is_ok();
    assert!(installed, "this test owns the process's log subscriber");
    tracing::debug!("secret scan: capture started");

    let gw = Gateway::start(Backend::Sqlite).await;
    let mut bodies: Vec<String> = Vec::new();
    // (`Gateway::add_key` names a key after its secret; these get real names.)
    for (provider, name, secret) in [
        ("openai", "OpenAI main", OPENAI_SECRET),
        ("anthropic", "Anthropic main", ANTHROPIC_SECRET),
    ] {
        gw.add_key_with(
            json!({"provider": provider, "name": name, "key": secret, "projectId": gw.project}),
        )
        .await;
    }
    let refused_key = gw
        .add_key_with(json!({"provider": "openai", "name": "refused", "key": REFUSED_SECRET, "projectId": gw.project}))
        .await;
    let (_, keygate_key) = gw.mint(json!({})).await;

    for _ in 0..3 {
        let res = gw
            .call(
                &keygate_key,
                "/v1/chat/completions",
                json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
            )
            .await;
        bodies.push(res.text().await.unwrap());
    }
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &keygate_key)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-3-5-haiku-latest", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    bodies.push(res.text().await.unwrap());
    // The refused key: verification and the key list must not echo the provider's answer.
    let res = gw
        .owner
        .post(
            gw.app
                .url(&format!("/api/admin/api-keys/{refused_key}/verify")),
        )
        .send()
        .await
        .unwrap();
    bodies.push(res.text().await.unwrap());
    let res = gw
        .owner
        .get(gw.app.url("/api/admin/api-keys"))
        .send()
        .await
        .unwrap();
    bodies.push(res.text().await.unwrap());

    // A user with a known password; a wrong password; the right one.
    gw.app
        .create_user(&gw.owner, "Scan", "scan@acme.test", "member", USER_PASSWORD)
        .await;
    let client = gw.app.client();
    let res = gw
        .app
        .login(&client, "scan@acme.test", WRONG_PASSWORD)
        .await;
    bodies.push(res.text().await.unwrap());
    let res = gw.app.login(&client, "scan@acme.test", USER_PASSWORD).await;
    bodies.push(res.text().await.unwrap());
    let res = client.get(gw.app.url("/api/me")).send().await.unwrap();
    bodies.push(json_of(res).await.to_string());
    let res = gw
        .owner
        .get(gw.app.url("/api/admin/audit"))
        .send()
        .await
        .unwrap();
    bodies.push(res.text().await.unwrap());
    gw.app.state.gateway.ledger.flush().await;

    let master_key = std::fs::read_to_string(gw.app.dir.path().join("master.key")).unwrap();
    let master_key = master_key.trim().to_owned();
    let mut secrets: Vec<(&str, String)> = vec![
        ("OpenAI key", OPENAI_SECRET.into()),
        ("Anthropic key", ANTHROPIC_SECRET.into()),
        ("refused key", REFUSED_SECRET.into()),
        ("user password", USER_PASSWORD.into()),
        ("wrong password", WRONG_PASSWORD.into()),
        ("Keygate key", keygate_key.clone()),
        ("owner password", common::PASSWORD.into()),
    ];
    if !master_key.is_empty() {
        secrets.push(("master key", master_key));
    }

    let logs = captured.0.lock().unwrap().clone();
    assert!(
        count(&logs, "secret scan: capture started") == 1,
        "logs were captured"
    );
    let mut database = Vec::new();
    for entry in std::fs::read_dir(gw.app.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("keygate.db") {
            database.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(database.len() > 100_000, "the database files were read");
    let responses = bodies.join("\n");
    let mut found = Vec::new();
    for (what, secret) in &secrets {
        for (place, bytes) in [
            ("logs", logs.as_slice()),
            ("responses", responses.as_bytes()),
            ("database", database.as_slice()),
        ] {
            let n = count(bytes, secret);
            if n > 0 {
                found.push(format!("{what} ×{n} in {place}"));
            }
        }
    }
    eprintln!(
        "secret scan: {} secrets, {} log bytes, {} response bytes, {} database bytes: {} matches",
        secrets.len(),
        logs.len(),
        responses.len(),
        database.len(),
        found.len()
    );
    assert_eq!(found, Vec::<String>::new());
    gw.finish().await;
}

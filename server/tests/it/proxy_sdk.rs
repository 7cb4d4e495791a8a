//! The official `openai` and `anthropic` Python SDKs (installed by scripts/setup.sh into
//! .tools/pyenv) call Keygate with only `base_url` and the key changed.

use crate::common;

use common::Backend;
use common::gateway::Gateway;
use serde_json::json;

fn python() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join(".tools/pyenv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/setup.sh (it installs the openai and anthropic SDKs)",
        venv.display()
    );
    venv
}

async fn the_official_sdks_work_through_keygate(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    gw.add_key("anthropic", "sk-ant-VALID-anthropic-01").await;
    let (_, key) = gw.mint(json!({})).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/sdk_check.py");
    let base = gw.app.base.clone();
    let secret = key.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python())
            .arg(script)
            .env("KEYGATE_BASE_URL", base)
            .env("KEYGATE_KEY", secret)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "SDK checks failed:\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("FAIL"));
    assert!(
        !stdout.contains(&key) && !stderr.contains(&key),
        "the key must not be printed"
    );
    let oks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(oks, 10, "expected every SDK check to run: {stdout}");
    // Every SDK call that reached a provider is in the ledger.
    let rows = gw.ledger().await;
    assert!(rows.iter().all(|r| r.outcome == "success"), "{rows:?}");
    assert!(rows.iter().any(|r| r.provider == "anthropic" && r.stream));
    assert!(rows.iter().any(|r| r.endpoint == "responses" && r.stream));
    gw.finish().await;
}

on_both_databases!(the_official_sdks_work_through_keygate);

//! The deployment files: `Dockerfile` and `compose.yaml`. No container engine runs here, so
//! this checks what they rely on — every `KEYGATE_*` variable they set is one the binary reads,
//! the image's tool versions match the build's, the runtime user is not root — and then starts
//! two real `keygate` processes with the compose file's environment on one PostgreSQL database
//! and waits until both serve.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDatabase};

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `environment:` map of the `keygate-1` service (a flat `KEY: value` block).
fn compose_environment(compose: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut in_service = false;
    let mut in_environment = false;
    for line in compose.lines() {
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        if indent == 2 && (trimmed.ends_with(':') || trimmed.contains(": &")) {
            in_service = trimmed.starts_with("keygate-1:");
            in_environment = false;
            continue;
        }
        if in_service && indent == 4 {
            in_environment = trimmed == "environment:";
            continue;
        }
        if in_service
            && in_environment
            && indent == 6
            && let Some((key, value)) = trimmed.split_once(": ")
        {
            env.insert(key.to_owned(), value.to_owned());
        }
    }
    env
}

/// `ENV` variables set in the Dockerfile's final stage.
fn dockerfile_environment(dockerfile: &str) -> Vec<String> {
    let runtime = dockerfile.rsplit("\nFROM ").next().unwrap();
    runtime
        .split_whitespace()
        .filter_map(|word| word.split_once('=').map(|(k, _)| k))
        .filter(|k| k.starts_with("KEYGATE_") || k.starts_with("LEPTOS_"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_deployment_files_use_only_what_the_binary_reads() {
    let help = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let compose = repo_file("compose.yaml");
    let dockerfile = repo_file("Dockerfile");
    let env = compose_environment(&compose);
    assert!(env.contains_key("KEYGATE_DATABASE_URL"), "{env:?}");
    let mut names: Vec<String> = env.keys().cloned().collect();
    names.extend(dockerfile_environment(&dockerfile));
    for name in names.iter().filter(|n| n.starts_with("KEYGATE_")) {
        assert!(
            help.contains(name.as_str()),
            "`keygate --help` does not know {name}"
        );
    }
    assert!(names.iter().any(|n| n == "LEPTOS_SITE_ROOT"));

    // The runtime stage runs the binary as an unprivileged user.
    let runtime = dockerfile.rsplit("\nFROM ").next().unwrap();
    assert!(runtime.contains("\nUSER keygate\n"), "non-root user");
    assert!(runtime.contains("ENTRYPOINT [\"/usr/local/bin/keygate\"]"));
    assert!(runtime.contains("CMD [\"serve\"]"));
    // The build stage installs the same tool versions as `make setup`.
    let setup = repo_file("scripts/setup.sh");
    assert!(setup.contains("CARGO_LEPTOS_VERSION=\"0.3.10\""));
    assert!(dockerfile.contains("cargo-leptos --version 0.3.10"));
    let lock = repo_file("Cargo.lock");
    let bindgen = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"wasm-bindgen\"\n"))
        .and_then(|p| p.lines().find(|l| l.starts_with("version = ")))
        .map(|l| {
            l.trim_start_matches("version = ")
                .trim_matches('"')
                .to_owned()
        })
        .unwrap();
    assert!(
        dockerfile.contains(&format!("wasm-bindgen-cli --version {bindgen}")),
        "the image's wasm-bindgen-cli must be {bindgen}"
    );
    // Both replicas share the database and the master key.
    assert!(compose.contains("keygate-2:\n    <<: *keygate"));
}

/// Kills the replicas when the test ends, also when it fails half-way.
struct Replicas(Vec<std::process::Child>);

impl Drop for Replicas {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_start_with_the_compose_environment() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let env = compose_environment(&repo_file("compose.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let master_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let mut children = Replicas(Vec::new());
    let mut bases = Vec::new();
    for replica in 0..2 {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keygate"));
        for (key, _) in std::env::vars() {
            if key.starts_with("KEYGATE_") {
                cmd.env_remove(key);
            }
        }
        for (key, value) in &env {
            // Substitutions compose would make; the rest is used as written.
            let value = match key.as_str() {
                "KEYGATE_ADDR" => format!("127.0.0.1:{port}"),
                "KEYGATE_DATABASE_URL" => database.url.clone().unwrap(),
                "KEYGATE_MASTER_KEY" => master_key.to_owned(),
                "KEYGATE_PUBLIC_URL" => format!("http://127.0.0.1:{port}"),
                _ => value.clone(),
            };
            assert!(!value.contains("${"), "{key} left unsubstituted");
            cmd.env(key, value);
        }
        // Each replica's log, shown if it does not come up.
        let log = std::fs::File::create(dir.path().join(format!("replica-{replica}.log"))).unwrap();
        cmd.env("KEYGATE_DATA_DIR", dir.path())
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log);
        children.0.push(cmd.spawn().unwrap());
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    for (replica, base) in bases.iter().enumerate() {
        loop {
            let ok = client
                .get(format!("{base}/v1/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                break;
            }
            let exited = children.0[replica].try_wait().unwrap();
            if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
                let log =
                    std::fs::read_to_string(dir.path().join(format!("replica-{replica}.log")))
                        .unwrap_or_default();
                panic!("{base} did not start (exit: {exited:?}); its log:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // One database: an API request on either replica sees the same (empty) installation.
    for base in &bases {
        let res = client.get(format!("{base}/api/me")).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
    }
    drop(children);
    database.drop_database().await;
}

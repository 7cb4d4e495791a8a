//! Running the real `keygate` binary against a test server's data directory and database.
#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::TestApp;

/// Runs the binary against the test server's data directory and database, with `stdin` piped
/// in.
pub fn run(app: &TestApp, args: &[&str], stdin: &str) -> Output {
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
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading stdin closes it: ignore the broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(app: &TestApp, args: &[&str], stdin: &str) -> String {
    let out = run(app, args, stdin);
    assert!(
        out.status.success(),
        "keygate {args:?} failed: {}",
        stderr_of(&out)
    );
    stdout_of(&out)
}

/// Runs a command that must succeed and print JSON (stdout holds nothing else).
pub fn json_ok(app: &TestApp, args: &[&str], stdin: &str) -> Value {
    let text = ok(app, args, stdin);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"))
}

/// Runs a command that must fail with a message on stderr; returns that message.
pub fn fails(app: &TestApp, args: &[&str], stdin: &str) -> String {
    let out = run(app, args, stdin);
    let stderr = stderr_of(&out);
    assert!(!out.status.success(), "keygate {args:?} should fail");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("keygate: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Asserts that no output of `out` contains `secret`.
pub fn assert_never_shown(out: &Output, secret: &str) {
    assert!(!stdout_of(out).contains(secret), "stdout shows a secret");
    assert!(!stderr_of(out).contains(secret), "stderr shows a secret");
}

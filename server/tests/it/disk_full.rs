//! Disk full on SQLite: the data directory is a small tmpfs that the test fills up. Writes
//! fail cleanly (503 with a message, nothing forwarded unbilled), nothing is half-written,
//! reads and pages go on, and the service resumes by itself once space returns.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use domain::entities::{usage_event, usage_intent};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::json;

use crate::common::gateway::Gateway;
use crate::common::{Backend, json_of};

/// A tmpfs mounted for the test (the machine's tests run as root), unmounted on drop.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size_mib: u32) -> Self {
        let path = tempfile::tempdir().unwrap().keep();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mib}m"), "tmpfs"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "this test mounts a small tmpfs and needs root (CAP_SYS_ADMIN)"
        );
        Self { path }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Writes zeros into `dir/filler` until the file system refuses.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    // Fill the last partial block too.
    while file.write_all(&[0u8; 512]).is_ok() {}
    path
}

fn chat() -> serde_json::Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_cleanly_and_recovers() {
    let tmpfs = Tmpfs::mount(24);
    let data_dir = tmpfs.path.clone();
    let gw = Gateway::start_with(Backend::Sqlite, |c| {
        c.data_dir = data_dir;
        c.min_free_disk_mb = 1;
    })
    .await;
    gw.add_key("openai", "sk-VALID-disk-full").await;
    let (_, key) = gw.mint(json!({})).await;
    assert_eq!(
        gw.call(&key, "/v1/chat/completions", chat()).await.status(),
        200
    );
    gw.app.state.gateway.ledger.flush().await;

    let filler = fill(&tmpfs.path);
    // SQLite may still fit a few rows into free pages; within a few calls the disk is full
    // for it too. Every call is either served (and metered) or refused before forwarding.
    let (mut served, mut refused) = (0, 0);
    for _ in 0..200 {
        let res = gw.call(&key, "/v1/chat/completions", chat()).await;
        match res.status() {
            StatusCode::OK => served += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                // Refused by the intent write that failed, or up front once the watcher
                // or that failure flagged the disk.
                let body = json_of(res).await;
                let code = body["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                assert!(
                    code == "usage_unavailable" || code == "storage_full",
                    "{body}"
                );
                refused += 1;
                if refused == 5 {
                    break;
                }
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(refused, 5, "a full disk refuses proxy requests");
    // Writes elsewhere are refused up front with a message that says why — the REST API
    // and the UI's server functions alike — while reads go on.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/projects"))
        .json(&json!({"name": "Won't fit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_of(res).await;
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("storage is full"),
        "{body}"
    );
    let res = gw
        .app
        .rpc(
            &gw.owner,
            "projects_create",
            &[("name", "Won't fit either"), ("description", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("serverfnerror"));
    assert!(res.text().await.unwrap().contains("storage is full"));
    let res = gw
        .owner
        .get(gw.app.url("/api/admin/projects"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let projects = json_of(res).await;
    assert_eq!(
        projects["total"], 1,
        "nothing refused was half-created: {projects}"
    );
    let page = gw.owner.get(gw.app.url("/projects")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "pages still render");
    let forwarded_while_full = gw.fake.requests_to("/chat/completions").len() - 1;
    assert_eq!(
        forwarded_while_full, served,
        "nothing refused was forwarded"
    );

    std::fs::remove_file(filler).unwrap();
    let returned = Instant::now();
    loop {
        let res = gw.call(&key, "/v1/chat/completions", chat()).await;
        if res.status() == StatusCode::OK {
            break;
        }
        assert!(
            returned.elapsed() < Duration::from_secs(10),
            "the proxy did not resume after space returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resumed_ms = returned.elapsed().as_millis();
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/projects"))
        .json(&json!({"name": "Fits now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Rows whose write failed while the disk was full were retried, not dropped.
    let db = &gw.app.state.db;
    let deadline = Instant::now() + Duration::from_secs(15);
    let forwarded = gw.fake.requests_to("/chat/completions").len();
    let rows = loop {
        gw.app.state.gateway.ledger.flush().await;
        let rows = usage_event::Entity::find().all(db).await.unwrap().len();
        if rows >= forwarded || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let intents = usage_intent::Entity::find().all(db).await.unwrap().len();
    let integrity = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    eprintln!(
        "disk full (SQLite on a 24 MiB tmpfs): {served} calls served and {refused} refused \
         (503) while full (admin and UI writes refused with 503, reads served), {forwarded} forwarded in all, {rows} usage rows, {intents} intents \
         left, integrity_check {integrity}, serving again {resumed_ms} ms after space returned"
    );
    assert_eq!(
        rows, forwarded,
        "exactly one usage row per forwarded request"
    );
    assert_eq!(intents, 0);
    assert_eq!(integrity, "ok");
    gw.finish().await;
    drop(tmpfs);
}

//! Dump and restore against real (SQLite) databases: the same rows come back, a database with
//! data is refused, a damaged file changes nothing.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};

use flate2::read::GzDecoder;
use sea_orm::{ConnectionTrait as _, DatabaseConnection};

use super::*;

async fn fresh(dir: &tempfile::TempDir, name: &str) -> DatabaseConnection {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    crate::db::connect_and_migrate(&url).await.unwrap()
}

async fn seed(db: &DatabaseConnection) {
    for sql in [
        "INSERT INTO organizations (name, created_at, auto_create_users) \
         VALUES ('Acme', '2026-11-26 15:00:00.123456+00:00', 1)",
        "INSERT INTO users (org_id, email, display_name, role, password_hash, created_at, updated_at) \
         VALUES (1, 'owner@acme.test', 'Owner', 'owner', '$argon2id$x', \
         '2026-11-26T15:00:01Z', '2026-11-26 15:00:02')",
        "INSERT INTO projects (org_id, name, created_at, updated_at) \
         VALUES (1, 'Backend \"quoted\" ✓', '2026-11-26 15:00:03+00:00', '2026-11-26 15:00:03+00:00')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
}

/// The decompressed lines after the header (whose `createdAt` differs between dumps).
fn rows_of(file: &[u8]) -> Vec<String> {
    BufReader::new(GzDecoder::new(file))
        .lines()
        .skip(1)
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_dump_restores_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let source = fresh(&dir, "a.db").await;
    seed(&source).await;
    let mut file = Vec::new();
    let dumped = dump(&source, &mut file).await.unwrap();
    assert!(dumped.rows >= 3 && dumped.tables > 10, "{dumped:?}");

    let target = fresh(&dir, "b.db").await;
    let restored = restore(&target, file.as_slice(), false).await.unwrap();
    assert_eq!(restored, dumped);
    let mut again = Vec::new();
    dump(&target, &mut again).await.unwrap();
    assert_eq!(rows_of(&again), rows_of(&file));
    assert!(
        rows_of(&file)
            .iter()
            .any(|l| l.contains(r#""auto_create_users":true"#))
    );
    assert!(
        rows_of(&file)
            .iter()
            .any(|l| l.contains(r#""updated_at":"2026-11-26T15:00:02Z""#))
    );

    // Now the target holds data: only --force replaces it.
    assert!(matches!(
        restore(&target, file.as_slice(), false).await,
        Err(BackupError::NotEmpty)
    ));
    restore(&target, file.as_slice(), true).await.unwrap();
    // New rows still get fresh ids.
    target
        .execute_unprepared(
            "INSERT INTO projects (org_id, name, created_at, updated_at) \
             VALUES (1, 'Second', '2026-11-27 00:00:00+00:00', '2026-11-27 00:00:00+00:00')",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn damaged_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = fresh(&dir, "a.db").await;
    seed(&source).await;
    let mut file = Vec::new();
    dump(&source, &mut file).await.unwrap();
    let target = fresh(&dir, "b.db").await;
    for cut in [10, file.len() / 2, file.len() - 4] {
        let err = restore(&target, &file[..cut], false).await.unwrap_err();
        assert!(matches!(err, BackupError::Format(_)), "{err}");
    }
    let err = restore(&target, &b"{\"format\":\"x\"}"[..], false)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::Format(_)), "{err}");
    assert!(!restore::holds_data(&target).await.unwrap());
}

//! The chain against a real (SQLite) database: appending, verifying, tampering, pruning,
//! filtering.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait as _};

use super::append::{append_locked, lock_head};
use super::*;
use crate::entities::organization;

async fn database() -> (tempfile::TempDir, DatabaseConnection, i32) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let db = crate::db::connect_and_migrate(&url).await.unwrap();
    // Columns other features add later keep their database defaults.
    let org = organization::Entity::insert(organization::ActiveModel {
        name: Set("Acme".into()),
        auto_create_users: Set(false),
        audit_retention_days: Set(365),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap();
    (dir, db, org.last_insert_id)
}

fn entry(org: i32, action: &str) -> Entry {
    Entry::new(Some(org), Actor::anonymous("ada@example.com"), action)
        .target("provider_key", 4, "OpenAI")
        .client(&ClientInfo {
            ip: Some("192.0.2.1".into()),
            user_agent: Some("test".into()),
        })
        .detail(serde_json::json!({ "n": 1 }))
}

async fn append_at(db: &DatabaseConnection, entry: Entry, days_ago: i64) {
    let txn = db.begin().await.unwrap();
    let head = lock_head(&txn).await.unwrap();
    append_locked(&txn, &head, entry, Utc::now() - Duration::days(days_ago))
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.unwrap();
}

async fn five(db: &DatabaseConnection, org: i32) {
    for i in 1..=5 {
        let id = append(db, entry(org, &format!("test.{i}"))).await.unwrap();
        assert_eq!(id, i);
    }
}

#[tokio::test]
async fn appended_entries_verify() {
    let (_dir, db, org) = database().await;
    assert!(verify(&db).await.unwrap().ok, "an empty log verifies");
    five(&db, org).await;
    let v = verify(&db).await.unwrap();
    assert_eq!(
        v,
        Verification {
            entries: 5,
            ok: true,
            first_broken: None,
            reason: None
        }
    );
    let rows = list(&db, &AuditFilter::default(), None, None)
        .await
        .unwrap();
    assert_eq!(rows.entries[4].prev_hash, chain::GENESIS);
    assert_eq!(rows.entries[0].ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(rows.entries[0].detail.as_deref(), Some(r#"{"n":1}"#));
}

#[tokio::test]
async fn an_edited_field_is_named() {
    let (_dir, db, org) = database().await;
    five(&db, org).await;
    exec(
        &db,
        "UPDATE audit_log SET action = 'test.other' WHERE id = 3",
    )
    .await;
    let v = verify(&db).await.unwrap();
    assert!(!v.ok);
    assert_eq!(v.first_broken, Some(3));
    assert!(v.reason.unwrap().contains("edited"));
}

#[tokio::test]
async fn a_deleted_middle_entry_is_named() {
    let (_dir, db, org) = database().await;
    five(&db, org).await;
    exec(&db, "DELETE FROM audit_log WHERE id = 3").await;
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.first_broken), (false, Some(4)));
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let (_dir, db, org) = database().await;
    five(&db, org).await;
    exec(&db, "UPDATE audit_log SET id = 100 WHERE id = 2").await;
    exec(&db, "UPDATE audit_log SET id = 2 WHERE id = 3").await;
    exec(&db, "UPDATE audit_log SET id = 3 WHERE id = 100").await;
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.first_broken), (false, Some(2)));
}

#[tokio::test]
async fn removed_ends_are_named() {
    let (_dir, db, org) = database().await;
    five(&db, org).await;
    exec(&db, "DELETE FROM audit_log WHERE id = 5").await;
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.first_broken), (false, Some(5)));
    exec(&db, "DELETE FROM audit_log WHERE id = 1").await;
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.first_broken), (false, Some(2)));
    assert!(v.reason.unwrap().contains("without a recorded prune"));
}

#[tokio::test]
async fn pruning_keeps_the_chain_verifiable() {
    let (_dir, db, org) = database().await;
    for i in 0..3 {
        append_at(&db, entry(org, &format!("old.{i}")), 400).await;
    }
    append_at(&db, entry(org, "new.1"), 1).await;
    append_at(&db, entry(org, "new.2"), 0).await;
    let report = prune(&db, org, Utc::now()).await.unwrap();
    assert_eq!(report.deleted, 3);
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.entries), (true, 3), "{v:?}");
    // Nothing left to prune: no new entry either.
    assert_eq!(prune(&db, org, Utc::now()).await.unwrap().deleted, 0);
    assert_eq!(verify(&db).await.unwrap().entries, 3);
    // Everything is old: only the prune entry remains, and still verifies.
    let later = prune(&db, org, Utc::now() + Duration::days(800))
        .await
        .unwrap();
    assert_eq!(later.deleted, 3);
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.entries), (true, 1), "{v:?}");
    // Removing entries by hand after a prune is still caught.
    append(&db, entry(org, "new.3")).await.unwrap();
    exec(&db, "DELETE FROM audit_log WHERE action = 'audit.prune'").await;
    assert!(!verify(&db).await.unwrap().ok);
}

#[tokio::test]
async fn retention_is_validated() {
    let (_dir, db, org) = database().await;
    let client = ClientInfo::default();
    let set = |days| set_retention_days(&db, org, days, Actor::cli(), &client);
    assert!(set(0).await.is_err());
    assert!(set(3651).await.is_err());
    assert_eq!(set(30).await.unwrap(), 30);
    assert_eq!(retention_days(&db, org).await.unwrap(), 30);
    let page = list(&db, &AuditFilter::default(), None, None)
        .await
        .unwrap();
    assert_eq!(page.entries[0].action, "audit.retention");
}

#[tokio::test]
async fn filters_and_pages() {
    let (_dir, db, org) = database().await;
    five(&db, org).await;
    append(&db, entry(org, "other").outcome(Outcome::Denied))
        .await
        .unwrap();
    let all = AuditFilter {
        org_id: Some(org),
        ..AuditFilter::default()
    };
    let first = list(&db, &all, None, Some(4)).await.unwrap();
    assert_eq!(
        first.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![6, 5, 4, 3]
    );
    let second = list(&db, &all, first.next_before, Some(4)).await.unwrap();
    assert_eq!(second.entries.len(), 2);
    assert_eq!(second.next_before, None);
    let test_actions = AuditFilter {
        action: Some("test.*".into()),
        actor: Some("ADA@".into()),
        ..all.clone()
    };
    assert_eq!(
        list(&db, &test_actions, None, None)
            .await
            .unwrap()
            .entries
            .len(),
        5
    );
    let denied = AuditFilter {
        outcome: Some(Outcome::Denied),
        ..all.clone()
    };
    assert_eq!(
        list(&db, &denied, None, None).await.unwrap().entries.len(),
        1
    );
    let other_org = AuditFilter {
        org_id: Some(org + 1),
        ..AuditFilter::default()
    };
    assert!(
        list(&db, &other_org, None, None)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
}

#[tokio::test]
async fn concurrent_appends_chain_in_order() {
    let (_dir, db, org) = database().await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { append(&db, entry(org, &format!("c.{i}"))).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let v = verify(&db).await.unwrap();
    assert_eq!((v.ok, v.entries), (true, 16), "{v:?}");
}

#[tokio::test]
async fn a_missing_head_refuses_appends() {
    let (_dir, db, org) = database().await;
    exec(&db, "DELETE FROM audit_head").await;
    assert!(append(&db, entry(org, "x")).await.is_err());
}

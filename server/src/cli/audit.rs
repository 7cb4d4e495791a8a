//! `keygate audit verify|list|export|prune`: the tamper-evident audit log, read and pruned on
//! the server's machine. Each command is itself recorded, as the `cli` actor.

use std::io::Write as _;
use std::path::Path;

use domain::audit::{self, AuditFilter, Outcome};
use domain::entities::audit_log;
use futures_util::StreamExt as _;
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::{cli_entry, fail, print_json, print_table, resolve_org_id};
use crate::config::{AuditCommand, Config};
use crate::startup;

pub async fn run(config: &Config, command: &AuditCommand) -> Result<(), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = &prepared.state.db;
    match command {
        AuditCommand::Verify { json } => verify(db, *json).await,
        AuditCommand::List {
            limit,
            action,
            org_id,
            json,
        } => list(db, *limit, action.clone(), *org_id, *json).await,
        AuditCommand::Export { out, org_id } => export(db, out, *org_id).await,
        AuditCommand::Prune { org_id, json } => prune(db, *org_id, *json).await,
    }
}

/// An entry for an audit command: in `org_id` when given, else installation-wide.
fn entry(org_id: Option<i32>, action: &str) -> audit::Entry {
    match org_id {
        Some(id) => cli_entry(id, action),
        None => audit::Entry::new(None, audit::Actor::cli(), action),
    }
}

async fn verify(db: &DatabaseConnection, json: bool) -> Result<(), String> {
    let result = audit::verify(db).await.map_err(fail)?;
    let outcome = if result.ok {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let detail = json!({
        "entries": result.entries,
        "ok": result.ok,
        "first_broken": result.first_broken,
    });
    audit::record(
        db,
        entry(None, "audit.verify").outcome(outcome).detail(detail),
    )
    .await;
    if json {
        print_json(&json!({
            "entries": result.entries,
            "ok": result.ok,
            "firstBroken": result.first_broken,
            "reason": result.reason,
        }))?;
    } else if result.ok {
        println!("Chain verified: {} entries.", result.entries);
    }
    if result.ok {
        return Ok(());
    }
    let at = result
        .first_broken
        .map(|id| id.to_string())
        .unwrap_or_else(|| "?".into());
    let message = format!(
        "chain broken at entry {at}: {}",
        result.reason.unwrap_or_default()
    );
    if !json {
        println!("{message}");
    }
    Err(message)
}

fn entry_json(e: &audit_log::Model) -> serde_json::Value {
    json!({
        "id": e.id,
        "createdAt": audit::chain::time_text(&e.created_at),
        "orgId": e.org_id,
        "actor": e.actor,
        "actorUserId": e.actor_user_id,
        "action": e.action,
        "targetKind": e.target_kind,
        "targetId": e.target_id,
        "targetLabel": e.target_label,
        "outcome": e.outcome,
        "ip": e.ip,
        "userAgent": e.user_agent,
        "detail": e.detail.as_deref().and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()),
        "hash": e.hash,
    })
}

fn target_text(e: &audit_log::Model) -> String {
    match (&e.target_kind, &e.target_id, &e.target_label) {
        (Some(kind), Some(id), Some(label)) if !label.is_empty() => {
            format!("{kind} {id} ({label})")
        }
        (Some(kind), Some(id), _) => format!("{kind} {id}"),
        _ => String::new(),
    }
}

async fn list(
    db: &DatabaseConnection,
    limit: u64,
    action: Option<String>,
    org_id: Option<i32>,
    json: bool,
) -> Result<(), String> {
    let org_id = match org_id {
        Some(id) => Some(resolve_org_id(db, Some(id)).await?),
        None => None,
    };
    let filter = AuditFilter {
        org_id,
        action,
        ..AuditFilter::default()
    };
    let page = audit::list(db, &filter, None, Some(limit))
        .await
        .map_err(fail)?;
    audit::record(
        db,
        entry(org_id, "audit.list").detail(json!({ "shown": page.entries.len() })),
    )
    .await;
    if json {
        let rows: Vec<_> = page.entries.iter().map(entry_json).collect();
        return print_json(&json!({ "entries": rows }));
    }
    let rows: Vec<Vec<String>> = page
        .entries
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                e.actor.clone(),
                e.action.clone(),
                target_text(e),
                e.outcome.clone(),
                e.ip.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
            "id",
            "time (UTC)",
            "actor",
            "action",
            "target",
            "outcome",
            "ip",
        ],
        &rows,
    );
    Ok(())
}

async fn export(db: &DatabaseConnection, out: &Path, org_id: Option<i32>) -> Result<(), String> {
    let org_id = match org_id {
        Some(id) => Some(resolve_org_id(db, Some(id)).await?),
        None => None,
    };
    let filter = AuditFilter {
        org_id,
        ..AuditFilter::default()
    };
    let mut file =
        std::fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut chunks = std::pin::pin!(audit::audit_csv(db.clone(), filter));
    while let Some(chunk) = chunks.next().await {
        let bytes = chunk.map_err(fail)?;
        file.write_all(&bytes)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    file.flush()
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    audit::record(
        db,
        entry(org_id, "audit.export").detail(json!({ "format": "csv" })),
    )
    .await;
    println!("Wrote the audit log to {}.", out.display());
    Ok(())
}

async fn prune(db: &DatabaseConnection, org_id: Option<i32>, json: bool) -> Result<(), String> {
    let org_id = resolve_org_id(db, org_id).await?;
    let report = audit::prune_by(
        db,
        org_id,
        chrono::Utc::now(),
        audit::Actor::cli(),
        &audit::ClientInfo::default(),
    )
    .await
    .map_err(fail)?;
    if json {
        return print_json(&json!({
            "deleted": report.deleted,
            "cutoff": audit::chain::time_text(&report.cutoff),
        }));
    }
    println!(
        "Deleted {} audit entries older than {}.",
        report.deleted,
        report.cutoff.format("%Y-%m-%d %H:%M UTC")
    );
    Ok(())
}

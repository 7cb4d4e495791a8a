//! `keygate vault rotate|status`: the master-key versions.

use super::print_json;
use crate::config::Config;
use crate::startup;

/// `keygate vault rotate`: adds a version (or resumes) and re-wraps every data key.
pub async fn vault_rotate(
    config: &Config,
    batch_size: u64,
    max_rows: Option<u64>,
    json: bool,
) -> Result<(), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let state = &prepared.state;
    // Rotating the vault is sensitive: it is logged first, and refused if it cannot be.
    let entry = domain::audit::Entry::new(None, domain::audit::Actor::cli(), "vault.rotate")
        .target("vault", "master_key", "master key")
        .detail(serde_json::json!({ "batch_size": batch_size, "max_rows": max_rows }));
    domain::audit::append(&state.db, entry.clone())
        .await
        .map_err(|e| {
            format!("the audit log cannot be written, so the vault was not rotated: {e}")
        })?;
    let report =
        match domain::vault::rotation::rotate(&state.db, &state.master_key, batch_size, max_rows)
            .await
        {
            Ok(report) => report,
            Err(e) => {
                let detail = serde_json::json!({ "error": e.to_string() });
                let failed = entry
                    .outcome(domain::audit::Outcome::Failure)
                    .detail(detail);
                domain::audit::record(&state.db, failed).await;
                return Err(e.to_string());
            }
        };
    let done = domain::audit::Entry::new(None, domain::audit::Actor::cli(), "vault.rotate.finish")
        .target("vault", "master_key", "master key")
        .detail(serde_json::json!({
            "target_version": report.target_version,
            "added_version": report.added_version,
            "rewrapped": report.rewrapped,
            "remaining": report.remaining,
            "retired": report.retired,
        }));
    domain::audit::record(&state.db, done).await;
    if json {
        return print_json(&serde_json::json!({
            "targetVersion": report.target_version,
            "addedVersion": report.added_version,
            "rewrapped": report.rewrapped,
            "remaining": report.remaining,
            "retired": report.retired,
        }));
    }
    if report.added_version {
        println!("Added master-key version {}.", report.target_version);
    } else {
        println!(
            "Resuming the rotation to master-key version {}.",
            report.target_version
        );
    }
    println!("Re-wrapped {} secrets.", report.rewrapped);
    if report.remaining > 0 {
        println!(
            "{} secrets still use older versions; run `keygate vault rotate` again to finish.",
            report.remaining
        );
    } else if report.retired.is_empty() {
        println!("Every secret uses version {}.", report.target_version);
    } else {
        let retired: Vec<String> = report.retired.iter().map(i32::to_string).collect();
        println!(
            "Every secret uses version {}; retired version(s) {}.",
            report.target_version,
            retired.join(", ")
        );
    }
    Ok(())
}

/// `keygate vault status`: versions and rows per version.
pub async fn vault_status(config: &Config, json: bool) -> Result<(), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let versions = domain::vault::rotation::status(&prepared.state.db)
        .await
        .map_err(|e| e.to_string())?;
    if json {
        let rows: Vec<serde_json::Value> = versions
            .iter()
            .map(|v| {
                serde_json::json!({
                    "version": v.version,
                    "current": v.current,
                    "rows": v.rows,
                    "createdAt": v.created_at.to_rfc3339(),
                    "retiredAt": v.retired_at.map(|t| t.to_rfc3339()),
                })
            })
            .collect();
        return print_json(&serde_json::json!({ "versions": rows }));
    }
    println!("{:<8} {:<9} {:>8}  created", "version", "state", "secrets");
    for v in versions {
        let state = if v.current {
            "current"
        } else if v.retired_at.is_some() {
            "retired"
        } else {
            "old"
        };
        println!(
            "{:<8} {:<9} {:>8}  {}",
            v.version,
            state,
            v.rows,
            v.created_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}

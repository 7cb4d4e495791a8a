//! `keygate admin …` and `keygate vault …`: tasks an operator runs on the server's machine.
#![allow(clippy::print_stdout)] // the CLI talks to its operator on stdout

use std::io::{BufRead as _, IsTerminal as _};

use domain::accounts::setup::{NewOrganization, create_organization};
use secrecy::{ExposeSecret as _, SecretString};

use crate::config::Config;
use crate::startup;

fn read_password() -> Result<SecretString, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password for the new owner: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let second = rpassword::prompt_password("Repeat the password: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != second {
            return Err("the passwords do not match".into());
        }
        Ok(SecretString::from(first))
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        Ok(SecretString::from(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        ))
    }
}

/// Creates an organization and its owner; returns the owner's id.
pub async fn admin_create(
    config: &Config,
    org: &str,
    email: &str,
    name: Option<&str>,
) -> Result<i32, String> {
    let password = read_password()?;
    if password.expose_secret().is_empty() {
        return Err("no password given".into());
    }
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let display_name = name
        .map(str::to_owned)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    let input = NewOrganization {
        org_name: org.to_owned(),
        owner_name: display_name,
        owner_email: email.to_owned(),
        password,
    };
    let owner = create_organization(&prepared.state.db, &prepared.state.hasher, input, false)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Created organization {org:?} (id {}) with owner {} (id {}).",
        owner.org_id, owner.email, owner.id
    );
    Ok(owner.id)
}

fn print_json(value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// `keygate vault rotate`: adds a version (or resumes) and re-wraps every data key.
pub async fn vault_rotate(
    config: &Config,
    batch_size: u64,
    max_rows: Option<u64>,
    json: bool,
) -> Result<(), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let state = &prepared.state;
    let report =
        domain::vault::rotation::rotate(&state.db, &state.master_key, batch_size, max_rows)
            .await
            .map_err(|e| e.to_string())?;
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

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

/// The admin a CLI-made token acts as: `--as` (must be an admin of the organization) or the
/// organization's first owner.
async fn acting_admin(
    db: &sea_orm::DatabaseConnection,
    org_id: Option<i32>,
    as_email: Option<&str>,
) -> Result<domain::auth::Admin, String> {
    use domain::entities::{organization, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let org_id = match org_id {
        Some(id) => id,
        None => {
            let orgs = organization::Entity::find()
                .all(db)
                .await
                .map_err(|e| e.to_string())?;
            match orgs.as_slice() {
                [only] => only.id,
                [] => return Err("no organization exists yet".into()),
                _ => return Err("several organizations exist; pass --org-id".into()),
            }
        }
    };
    let mut query = user::Entity::find().filter(user::Column::OrgId.eq(org_id));
    query = match as_email {
        Some(email) => {
            let email = domain::types::Email::parse(email).map_err(|e| e.to_string())?;
            query.filter(user::Column::Email.eq(email.as_str()))
        }
        None => query
            .filter(user::Column::Role.eq("owner"))
            .order_by_asc(user::Column::Id),
    };
    let model = query
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .filter(|u| !u.disabled)
        .ok_or_else(|| format!("no such active user in organization {org_id}"))?;
    let user = domain::auth::SessionUser::from_model(&model).map_err(|e| e.to_string())?;
    domain::auth::Admin::new(user).map_err(|_| format!("{} is not an admin", model.email))
}

/// `keygate token create`: prints the new token once.
pub async fn token_create(
    config: &Config,
    name: &str,
    kind: &str,
    org_id: Option<i32>,
    as_email: Option<&str>,
    json: bool,
) -> Result<(), String> {
    use domain::api_tokens::{NewToken, TokenKind};
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = &prepared.state.db;
    let admin = acting_admin(db, org_id, as_email).await?;
    let input = NewToken {
        kind: TokenKind::parse(kind).map_err(|e| e.to_string())?,
        name: name.to_owned(),
        project_id: None,
        expires_at: None,
    };
    let (token, secret) = domain::api_tokens::create(db, &admin, input)
        .await
        .map_err(|e| e.to_string())?;
    if json {
        return print_json(&serde_json::json!({
            "id": token.id,
            "kind": token.kind,
            "name": token.name,
            "orgId": token.org_id,
            "actsAs": admin.user().email,
            "token": secret.expose_secret(),
        }));
    }
    println!(
        "Created {} token {:?} (id {}) acting as {}. It is shown only this once:",
        token.kind,
        token.name,
        token.id,
        admin.user().email
    );
    println!("{}", secret.expose_secret());
    Ok(())
}

//! The `keygate` subcommands an operator runs on the server's machine, against the database
//! directly: `admin`, `vault`, `token`, `org`, `project`, `key`, `user`, `jwt`,
//! `persona`, `limit`, `audit`, `backup` and `restore`.
//!
//! Every command prints short text for people, or JSON with stable camelCase keys with
//! `--json`. Errors come back as a message for stderr; secrets are read from stdin (or a
//! prompt without echo) and never printed.
#![allow(clippy::print_stdout)] // the CLI talks to its operator on stdout

mod admin;
pub mod audit;
pub mod backup;
pub mod jwts;
pub mod keys;
pub mod limits;
pub mod orgs;
pub mod personas;
pub mod projects;
pub mod report;
pub mod tokens;
pub mod users;
mod vault;

use std::io::{BufRead as _, IsTerminal as _};

use domain::AppState;
use domain::DomainError;
use domain::auth::Admin;
use secrecy::SecretString;

use crate::config::{ActingAs, Config};
use crate::startup;

pub use admin::admin_create;
pub use vault::{vault_rotate, vault_status};

/// A domain error as a message for the operator. The CLI runs on the server's machine, so the
/// detail of an internal error (a database message, never a secret) is shown too.
fn fail(err: DomainError) -> String {
    match err {
        DomainError::Internal(detail) => format!("internal error: {detail}"),
        other => other.to_string(),
    }
}

/// Like [`fail`], with a message that names what was not found.
fn fail_or_missing(err: DomainError, missing: impl FnOnce() -> String) -> String {
    match err {
        DomainError::NotFound => missing(),
        other => fail(other),
    }
}

/// Reads one line from stdin without its line ending (`None` at end of input).
fn read_stdin_line() -> Result<Option<String>, String> {
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read from stdin: {e}"))?;
    if read == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// A new password: prompted for twice on a terminal, otherwise one line of stdin.
fn read_password(whose: &str) -> Result<SecretString, String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {whose}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let second = rpassword::prompt_password("Repeat the password: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != second {
            return Err("the passwords do not match".into());
        }
        first
    } else {
        read_stdin_line()?.unwrap_or_default()
    };
    if password.is_empty() {
        return Err("no password given (pipe it on stdin or type it at the prompt)".into());
    }
    Ok(SecretString::from(password))
}

/// A secret: prompted for without echo on a terminal, otherwise one trimmed line of stdin.
fn read_secret(prompt: &str, what: &str) -> Result<SecretString, String> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("{prompt}: "))
            .map_err(|e| format!("cannot read the {what}: {e}"))?
    } else {
        read_stdin_line()?.unwrap_or_default()
    };
    let trimmed = secret.trim();
    if trimmed.is_empty() {
        return Err(format!("no {what} given on stdin"));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

fn print_json(value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// Prints rows under a header, each column as wide as its widest cell.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// The organization a command acts in: `--org-id`, or the only one there is.
pub(crate) async fn resolve_org_id(
    db: &sea_orm::DatabaseConnection,
    org_id: Option<i32>,
) -> Result<i32, String> {
    use domain::entities::organization;
    use sea_orm::EntityTrait;
    let orgs = organization::Entity::find()
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    match org_id {
        Some(id) if orgs.iter().any(|o| o.id == id) => Ok(id),
        Some(id) => Err(format!(
            "no organization with id {id}; `keygate org list` shows them"
        )),
        None => match orgs.as_slice() {
            [only] => Ok(only.id),
            [] => Err("no organization exists yet; create one with `keygate org create`".into()),
            _ => Err("several organizations exist; pass --org-id (see `keygate org list`)".into()),
        },
    }
}

/// The admin a command acts as: `--as` (must be an admin of the organization) or the
/// organization's first owner.
async fn acting_admin(
    db: &sea_orm::DatabaseConnection,
    org_id: Option<i32>,
    as_email: Option<&str>,
) -> Result<Admin, String> {
    use domain::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let org_id = resolve_org_id(db, org_id).await?;
    let mut query = user::Entity::find().filter(user::Column::OrgId.eq(org_id));
    query = match as_email {
        Some(email) => {
            let email = domain::types::Email::parse(email).map_err(fail)?;
            query.filter(user::Column::Email.eq(email.as_str()))
        }
        None => query
            .filter(user::Column::Role.eq("owner"))
            .filter(user::Column::Disabled.eq(false))
            .order_by_asc(user::Column::Id),
    };
    let model = query
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .filter(|u| !u.disabled)
        .ok_or_else(|| format!("no such active user in organization {org_id}"))?;
    let user = domain::auth::SessionUser::from_model(&model).map_err(fail)?;
    Admin::new(user).map_err(|_| format!("{} is not an admin", model.email))
}

/// An audit entry for `action` taken through the CLI in organization `org_id`.
fn cli_entry(org_id: i32, action: &str) -> domain::audit::Entry {
    domain::audit::Entry::new(Some(org_id), domain::audit::Actor::cli(), action)
}

/// Opens the database and vault and finds the acting admin.
async fn open(config: &Config, acting: &ActingAs) -> Result<(AppState, Admin), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let admin = acting_admin(
        &prepared.state.db,
        acting.org_id,
        acting.as_email.as_deref(),
    )
    .await?;
    Ok((prepared.state, admin))
}

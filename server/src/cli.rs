//! `keygate admin …`: tasks an operator runs on the server's machine.
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

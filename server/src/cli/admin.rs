//! `keygate admin create`: the first organization and its owner.

use domain::accounts::setup::{NewOrganization, create_organization};

use super::{cli_entry, fail, read_password};
use crate::config::Config;
use crate::startup;

/// Creates an organization and its owner; returns the owner's id.
pub async fn admin_create(
    config: &Config,
    org: &str,
    email: &str,
    name: Option<&str>,
) -> Result<i32, String> {
    let password = read_password("the new owner")?;
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
        .map_err(fail)?;
    let entry = cli_entry(owner.org_id, "org.create")
        .target("organization", owner.org_id, org)
        .detail(serde_json::json!({ "owner": owner.email }));
    domain::audit::record(&prepared.state.db, entry).await;
    println!(
        "Created organization {org:?} (id {}) with owner {} (id {}).",
        owner.org_id, owner.email, owner.id
    );
    Ok(owner.id)
}

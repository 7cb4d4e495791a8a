//! `keygate org create|list`.

use domain::accounts::setup::{NewOrganization, create_organization};
use domain::entities::{organization, user};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

use super::{cli_entry, fail, print_json, print_table, read_password};
use crate::config::{Config, OrgCommand};
use crate::startup;

pub async fn run(config: &Config, command: &OrgCommand) -> Result<(), String> {
    match command {
        OrgCommand::Create {
            name,
            owner_email,
            owner_name,
            json,
        } => create(config, name, owner_email, owner_name.as_deref(), *json).await,
        OrgCommand::List { json } => list(config, *json).await,
        OrgCommand::AdminIps {
            org,
            set,
            clear,
            json,
        } => admin_ips(config, *org, set.as_deref(), *clear, *json).await,
    }
}

/// Shows or replaces an organization's admin IP allowlist. Run on the server, so there is no
/// caller address to protect: `--set` is not checked for lock-out (that is what it fixes).
async fn admin_ips(
    config: &Config,
    org_id: i32,
    set: Option<&[String]>,
    clear: bool,
    json: bool,
) -> Result<(), String> {
    use domain::ip_access::{self, IpAllowlist};
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = &prepared.state.db;
    let change = match (set, clear) {
        (_, true) => Some(IpAllowlist::default()),
        (Some(entries), false) => Some(IpAllowlist::parse(entries).map_err(|e| e.to_string())?),
        (None, false) => None,
    };
    if let Some(list) = change {
        let entry = cli_entry(org_id, "organization.ip_allowlist")
            .target("organization", org_id, "")
            .detail(json!({ "allowedIps": list.entries() }));
        let apply = ip_access::store_admin_allowlist(db, org_id, &list);
        domain::audit::guarded(db, entry, apply)
            .await
            .map_err(fail)?;
    }
    let list = ip_access::admin_allowlist(db, org_id).await.map_err(fail)?;
    if json {
        return print_json(&json!({ "organization": org_id, "allowedIps": list.entries() }));
    }
    if list.is_empty() {
        println!("Organization {org_id}: the admin console may be used from every address.");
    } else {
        println!(
            "Organization {org_id}: the admin console may be used only from {}.",
            list.entries().join(", ")
        );
    }
    Ok(())
}

async fn create(
    config: &Config,
    name: &str,
    owner_email: &str,
    owner_name: Option<&str>,
    json: bool,
) -> Result<(), String> {
    let password = read_password("the new owner")?;
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = &prepared.state.db;
    let owner_name = owner_name.map(str::to_owned).unwrap_or_else(|| {
        owner_email
            .split('@')
            .next()
            .unwrap_or(owner_email)
            .to_owned()
    });
    let input = NewOrganization {
        org_name: name.to_owned(),
        owner_name,
        owner_email: owner_email.to_owned(),
        password,
    };
    let owner = create_organization(db, &prepared.state.hasher, input, false)
        .await
        .map_err(fail)?;
    let org = organization::Entity::find_by_id(owner.org_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the new organization vanished")?;
    let entry = cli_entry(org.id, "org.create")
        .target("organization", org.id, org.name.clone())
        .detail(json!({ "owner": owner.email }));
    domain::audit::record(db, entry).await;
    if json {
        return print_json(&json!({
            "id": org.id,
            "name": org.name,
            "createdAt": org.created_at.to_rfc3339(),
            "owner": {
                "id": owner.id,
                "email": owner.email,
                "displayName": owner.display_name,
            },
        }));
    }
    println!(
        "Created organization {:?} (id {}) with owner {} (id {}).",
        org.name, org.id, owner.email, owner.id
    );
    Ok(())
}

async fn list(config: &Config, json: bool) -> Result<(), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = &prepared.state.db;
    let orgs = organization::Entity::find()
        .order_by_asc(organization::Column::Id)
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    let users = user::Entity::find()
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    let count = |org_id: i32| users.iter().filter(|u| u.org_id == org_id).count();
    if json {
        let rows: Vec<serde_json::Value> = orgs
            .iter()
            .map(|o| {
                json!({
                    "id": o.id,
                    "name": o.name,
                    "users": count(o.id),
                    "createdAt": o.created_at.to_rfc3339(),
                })
            })
            .collect();
        return print_json(&json!({ "organizations": rows }));
    }
    if orgs.is_empty() {
        println!("No organizations yet; create one with `keygate org create`.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = orgs
        .iter()
        .map(|o| {
            vec![
                o.id.to_string(),
                o.name.clone(),
                count(o.id).to_string(),
                o.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            ]
        })
        .collect();
    print_table(&["id", "name", "users", "created"], &rows);
    Ok(())
}

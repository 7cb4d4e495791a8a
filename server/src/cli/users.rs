//! `keygate user create|list|delete|reset-mfa`. Keygate never erases a user (their keys' history names
//! them): `delete` disables the account.

use domain::accounts::users::{self, NewUser};
use domain::auth::Admin;
use domain::entities::user;
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::{cli_entry, fail, fail_or_missing, open, print_json, print_table, read_password};
use crate::config::{Config, UserCommand};

pub async fn run(config: &Config, command: &UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Create {
            email,
            name,
            role,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            let password = read_password(email)?;
            let input = NewUser {
                display_name: name.clone(),
                email: email.clone(),
                role: role.clone(),
                password,
                external_id: None,
            };
            let created = users::create(&state.db, &state.hasher, &admin, input)
                .await
                .map_err(fail)?;
            let entry = cli_entry(created.org_id, "user.create")
                .user(&created)
                .detail(json!({ "role": created.role }));
            domain::audit::record(&state.db, entry).await;
            if *json {
                return print_json(&user_json(&created));
            }
            println!(
                "Created {} {} (id {}) in organization {}.",
                created.role, created.email, created.id, created.org_id
            );
            Ok(())
        }
        UserCommand::List { acting, json } => {
            let (state, admin) = open(config, acting).await?;
            let all = users::list(&state.db, &admin).await.map_err(fail)?;
            if *json {
                let rows: Vec<serde_json::Value> = all.iter().map(user_json).collect();
                return print_json(&json!({ "users": rows }));
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|u| {
                    vec![
                        u.id.to_string(),
                        u.email.clone(),
                        u.display_name.clone(),
                        u.role.clone(),
                        if u.disabled { "disabled" } else { "active" }.to_owned(),
                    ]
                })
                .collect();
            print_table(&["id", "email", "name", "role", "status"], &rows);
            Ok(())
        }
        UserCommand::Delete { user, acting, json } => {
            let (state, admin) = open(config, acting).await?;
            let target = resolve(&state.db, &admin, user).await?;
            if target.id == admin.user().id {
                return Err(format!(
                    "{} is the admin this command acts as; pass --as with another admin",
                    target.email
                ));
            }
            let was_disabled = target.disabled;
            let updated = users::set_disabled(&state.db, &admin, target.id, true)
                .await
                .map_err(|e| fail_or_missing(e, || missing(&admin, user)))?;
            let entry = cli_entry(updated.org_id, "user.delete")
                .user(&updated)
                .detail(json!({ "effect": "disabled", "was_disabled": was_disabled }));
            domain::audit::record(&state.db, entry).await;
            if *json {
                return print_json(&user_json(&updated));
            }
            if was_disabled {
                println!(
                    "User {} (id {}) was already disabled.",
                    updated.email, updated.id
                );
            } else {
                println!(
                    "Disabled user {} (id {}): they can no longer sign in and their sessions have \
                     ended. Users are never erased, so their history stays.",
                    updated.email, updated.id
                );
            }
            Ok(())
        }
        UserCommand::ResetMfa { user, acting, json } => {
            let (state, admin) = open(config, acting).await?;
            let target = resolve(&state.db, &admin, user).await?;
            let was_enabled = domain::mfa::is_enabled(&state.db, target.id)
                .await
                .map_err(fail)?;
            domain::mfa::store::remove(&state.db, target.id)
                .await
                .map_err(fail)?;
            if was_enabled {
                let entry = cli_entry(target.org_id, "mfa.disable")
                    .user(&target)
                    .detail(json!({ "reset_by": admin.user().email }));
                domain::audit::record(&state.db, entry).await;
            }
            if *json {
                return print_json(
                    &json!({ "user": user_json(&target), "wasEnabled": was_enabled }),
                );
            }
            if was_enabled {
                println!(
                    "Turned off two-factor authentication for {} (id {}).",
                    target.email, target.id
                );
            } else {
                println!(
                    "{} (id {}) had no two-factor authentication.",
                    target.email, target.id
                );
            }
            Ok(())
        }
    }
}

fn user_json(u: &user::Model) -> serde_json::Value {
    json!({
        "id": u.id,
        "orgId": u.org_id,
        "email": u.email,
        "displayName": u.display_name,
        "role": u.role,
        "disabled": u.disabled,
        "createdAt": u.created_at.to_rfc3339(),
    })
}

fn missing(admin: &Admin, reference: &str) -> String {
    format!(
        "no user {reference:?} in organization {}; `keygate user list` shows them",
        admin.user().org_id
    )
}

/// A user of the admin's organization by id or e-mail address.
pub(super) async fn resolve(
    db: &DatabaseConnection,
    admin: &Admin,
    reference: &str,
) -> Result<user::Model, String> {
    let all = users::list(db, admin).await.map_err(fail)?;
    let wanted = reference.trim();
    let found = match wanted.parse::<i32>() {
        Ok(id) => all.into_iter().find(|u| u.id == id),
        Err(_) => {
            let email = domain::types::Email::parse(wanted).map_err(fail)?;
            all.into_iter().find(|u| u.email == email.as_str())
        }
    };
    found.ok_or_else(|| missing(admin, wanted))
}

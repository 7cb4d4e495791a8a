//! `keygate jwt create|list|revoke|auto-create-users`: organization JWTs for applications.

use domain::entities::org_jwt;
use domain::org_jwts::{self, NewJwt};
use secrecy::ExposeSecret as _;
use serde_json::json;

use super::{cli_entry, fail, fail_or_missing, print_json, print_table};
use crate::config::{Config, JwtCommand};
use crate::startup;

fn status(t: &org_jwt::Model) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at <= chrono::Utc::now() {
        "expired"
    } else {
        "active"
    }
}

fn jwt_json(t: &org_jwt::Model) -> serde_json::Value {
    json!({
        "id": t.id,
        "jti": t.jti,
        "orgId": t.org_id,
        "projectId": t.project_id,
        "name": t.name,
        "status": status(t),
        "createdAt": t.created_at.to_rfc3339(),
        "expiresAt": t.expires_at.to_rfc3339(),
        "revokedAt": t.revoked_at.map(|v| v.to_rfc3339()),
        "lastUsedAt": t.last_used_at.map(|v| v.to_rfc3339()),
    })
}

pub async fn run(config: &Config, command: &JwtCommand) -> Result<(), String> {
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let state = prepared.state;
    match command {
        JwtCommand::Create {
            org_id,
            org_name,
            days,
            project_id,
            name,
            json,
        } => {
            let new = NewJwt {
                org_id: *org_id,
                org_name: org_name.clone(),
                days: *days,
                project_id: *project_id,
                name: name.clone(),
                created_by: None,
            };
            let (row, token) = org_jwts::mint(&state.db, &state.master_key, new)
                .await
                .map_err(fail)?;
            let entry = cli_entry(row.org_id, "org_jwt.mint").org_jwt(&row);
            domain::audit::record(&state.db, entry).await;
            if *json {
                let mut out = jwt_json(&row);
                out["token"] = json!(token.expose_secret());
                return print_json(&out);
            }
            println!(
                "JWT token created (id {}) for organization {}.",
                row.id, row.org_id
            );
            println!(
                "Expires: {} (valid for {days} days)",
                row.expires_at.to_rfc3339()
            );
            println!("Serves users from project {}.\n", row.project_id);
            println!("{}\n", token.expose_secret());
            println!(
                "Use it with: Authorization: Bearer <token> and X-User-ID: <user's external id>"
            );
            Ok(())
        }
        JwtCommand::List { org_id, json } => {
            let rows = org_jwts::list(&state.db, *org_id).await.map_err(fail)?;
            if *json {
                let rows: Vec<_> = rows.iter().map(jwt_json).collect();
                return print_json(&json!({ "tokens": rows }));
            }
            if rows.is_empty() {
                println!("Organization {org_id} has no JWTs; mint one with `keygate jwt create`.");
                return Ok(());
            }
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|t| {
                    vec![
                        t.id.to_string(),
                        t.name.clone(),
                        status(t).to_owned(),
                        t.project_id.to_string(),
                        t.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                        t.last_used_at
                            .map(|v| v.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_else(|| "never".into()),
                    ]
                })
                .collect();
            print_table(
                &["id", "name", "status", "project", "expires", "last used"],
                &table,
            );
            Ok(())
        }
        JwtCommand::Revoke { id, org_id, json } => {
            let name = domain::audit::targets::name_of(&state.db, "org_jwt", *org_id, *id)
                .await
                .map_err(fail)?;
            let entry = cli_entry(*org_id, "org_jwt.revoke").target("org_jwt", *id, name);
            let revoke = org_jwts::revoke(&state.db, *org_id, *id);
            let row = domain::audit::guarded(&state.db, entry, revoke)
                .await
                .map_err(|e| {
                    fail_or_missing(e, || {
                        format!(
                            "no JWT {id} in organization {org_id}; `keygate jwt list` shows them"
                        )
                    })
                })?;
            if *json {
                return print_json(&jwt_json(&row));
            }
            println!("Revoked JWT {id}.");
            Ok(())
        }
        JwtCommand::AutoCreateUsers { org_id, setting } => {
            let allowed = setting == "on";
            org_jwts::set_auto_create_users(&state.db, *org_id, allowed)
                .await
                .map_err(|e| fail_or_missing(e, || format!("no organization {org_id}")))?;
            let entry =
                cli_entry(*org_id, "org.auto_create_users").detail(json!({ "enabled": allowed }));
            domain::audit::record(&state.db, entry).await;
            println!(
                "Unknown X-User-IDs {} in organization {org_id}.",
                if allowed {
                    "now become new members"
                } else {
                    "are now refused (403)"
                }
            );
            Ok(())
        }
    }
}

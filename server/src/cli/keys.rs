//! `keygate key create|list|deactivate`. Secrets come from stdin (or a prompt without echo),
//! never from arguments; only the masked form is ever printed.

use std::collections::HashMap;

use domain::AppState;
use domain::auth::{Admin, SessionUser};
use domain::entities::provider_key;
use domain::projects::ProjectFilter;
use domain::provider_keys::{KeyFilter, KeyScope, NewKey};
use domain::providers::ProviderKind;
use serde_json::json;

use super::{cli_entry, fail, fail_or_missing, open, print_json, print_table, read_secret, yes_no};
use crate::config::{Config, KeyCommand};

/// The `<project>` that asks for a personal key.
pub const PERSONAL: &str = "-";

pub async fn run(config: &Config, command: &KeyCommand) -> Result<(), String> {
    match command {
        KeyCommand::Create {
            project,
            provider,
            name,
            description,
            user,
            region,
            base_url,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            let request = CreateRequest {
                project,
                provider,
                name,
                description,
                user: user.as_deref(),
                region: region.as_deref(),
                base_url: base_url.as_deref(),
            };
            create(&state, &admin, request, *json).await
        }
        KeyCommand::List {
            project,
            provider,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            list(
                &state,
                &admin,
                project.as_deref(),
                provider.as_deref(),
                *json,
            )
            .await
        }
        KeyCommand::Deactivate { id, acting, json } => {
            let (state, admin) = open(config, acting).await?;
            deactivate(&state, &admin, *id, *json).await
        }
    }
}

struct CreateRequest<'a> {
    project: &'a str,
    provider: &'a str,
    name: &'a str,
    description: &'a str,
    user: Option<&'a str>,
    region: Option<&'a str>,
    base_url: Option<&'a str>,
}

async fn create(
    state: &AppState,
    admin: &Admin,
    request: CreateRequest<'_>,
    json: bool,
) -> Result<(), String> {
    let provider = ProviderKind::parse(request.provider).map_err(fail)?;
    if request.region.is_some() && provider != ProviderKind::Aws {
        return Err("--region is for AWS keys only".into());
    }
    // Who creates the key, and for what.
    let (actor, scope) = if request.project.trim() == PERSONAL {
        let actor = match request.user {
            Some(email) => {
                let model = super::users::resolve(&state.db, admin, email).await?;
                if model.disabled {
                    return Err(format!("{} is disabled", model.email));
                }
                SessionUser::from_model(&model).map_err(fail)?
            }
            None => admin.user().clone(),
        };
        (actor, KeyScope::Personal)
    } else {
        if request.user.is_some() {
            return Err(format!(
                "personal keys belong to no project: pass {PERSONAL:?} as the project with --user"
            ));
        }
        let project = super::projects::resolve(&state.db, admin, request.project).await?;
        (admin.user().clone(), KeyScope::Project(project.id))
    };
    let (key, secret_access_key) = if provider == ProviderKind::Aws {
        let key = read_secret("AWS access key id", "AWS access key id")?;
        let secret =
            read_secret("AWS secret access key", "AWS secret access key").map_err(|_| {
                "AWS keys need two lines on stdin: the access key id, then the secret access key"
                    .to_owned()
            })?;
        (key, Some(secret))
    } else {
        (read_secret("API key", "API key")?, None)
    };
    let input = NewKey {
        scope,
        provider: provider.id().to_owned(),
        name: request.name.to_owned(),
        description: request.description.to_owned(),
        key,
        secret_access_key,
        region: request.region.map(str::to_owned),
        provider_org_id: None,
        base_url: request.base_url.map(str::to_owned),
        expires_at: None,
        weight: None,
        rotation_schedule: None,
    };
    let created = domain::provider_keys::create(state, &actor, input)
        .await
        .map_err(fail)?;
    let entry = cli_entry(created.org_id, "provider_key.create").provider_key(&created);
    domain::audit::record(&state.db, entry).await;
    let names = Names::load(state, admin).await?;
    if json {
        return print_json(&key_json(&created, &names));
    }
    println!(
        "Stored {} key {:?} (id {}) for {}: {}",
        created.provider,
        created.name,
        created.id,
        names.scope(&created),
        created.secret_hint
    );
    Ok(())
}

async fn list(
    state: &AppState,
    admin: &Admin,
    project: Option<&str>,
    provider: Option<&str>,
    json: bool,
) -> Result<(), String> {
    let project_id = match project {
        Some(reference) => Some(
            super::projects::resolve(&state.db, admin, reference)
                .await?
                .id,
        ),
        None => None,
    };
    let provider = provider
        .map(ProviderKind::parse)
        .transpose()
        .map_err(fail)?;
    let filter = KeyFilter {
        provider,
        project_id,
        ..KeyFilter::default()
    };
    let keys = domain::provider_keys::list(&state.db, admin.user(), &filter)
        .await
        .map_err(fail)?;
    let names = Names::load(state, admin).await?;
    if json {
        let rows: Vec<serde_json::Value> = keys.iter().map(|k| key_json(k, &names)).collect();
        return print_json(&json!({ "keys": rows }));
    }
    if keys.is_empty() {
        println!("No keys match.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.id.to_string(),
                k.provider.clone(),
                k.name.clone(),
                k.secret_hint.clone(),
                names.scope(k),
                yes_no(k.active),
            ]
        })
        .collect();
    print_table(&["id", "provider", "name", "key", "scope", "active"], &rows);
    Ok(())
}

async fn deactivate(state: &AppState, admin: &Admin, id: i32, json: bool) -> Result<(), String> {
    let missing = || {
        format!(
            "no key with id {id} in organization {}; `keygate key list` shows them",
            admin.user().org_id
        )
    };
    let before = domain::provider_keys::get(&state.db, admin.user(), id)
        .await
        .map_err(|e| fail_or_missing(e, missing))?;
    let updated = domain::provider_keys::set_active(state, admin.user(), id, false)
        .await
        .map_err(|e| fail_or_missing(e, missing))?;
    let entry = cli_entry(updated.org_id, "provider_key.deactivate").provider_key(&updated);
    domain::audit::record(&state.db, entry).await;
    let names = Names::load(state, admin).await?;
    if json {
        return print_json(&key_json(&updated, &names));
    }
    let verb = if before.active {
        "Deactivated"
    } else {
        "Already inactive:"
    };
    println!(
        "{verb} {} key {:?} (id {}, {}) for {}.",
        updated.provider,
        updated.name,
        updated.id,
        updated.secret_hint,
        names.scope(&updated)
    );
    Ok(())
}

/// Project names and user e-mails of the organization, to say whose a key is.
struct Names {
    projects: HashMap<i32, String>,
    users: HashMap<i32, String>,
}

impl Names {
    async fn load(state: &AppState, admin: &Admin) -> Result<Self, String> {
        let projects = domain::projects::list(&state.db, admin, &ProjectFilter::default())
            .await
            .map_err(fail)?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let users = domain::accounts::users::list(&state.db, admin)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        Ok(Self { projects, users })
    }

    fn project(&self, key: &provider_key::Model) -> Option<&str> {
        key.project_id
            .and_then(|id| self.projects.get(&id))
            .map(String::as_str)
    }

    fn owner(&self, key: &provider_key::Model) -> Option<&str> {
        key.owner_user_id
            .and_then(|id| self.users.get(&id))
            .map(String::as_str)
    }

    /// `project NAME` or `personal EMAIL`.
    fn scope(&self, key: &provider_key::Model) -> String {
        match (key.project_id, key.owner_user_id) {
            (Some(id), _) => format!("project {}", self.project(key).unwrap_or(&id.to_string())),
            (None, Some(id)) => format!("personal {}", self.owner(key).unwrap_or(&id.to_string())),
            (None, None) => "none".into(),
        }
    }
}

fn key_json(key: &provider_key::Model, names: &Names) -> serde_json::Value {
    json!({
        "id": key.id,
        "orgId": key.org_id,
        "provider": key.provider,
        "name": key.name,
        "description": key.description,
        "secretHint": key.secret_hint,
        "scope": if key.project_id.is_some() { "project" } else { "personal" },
        "projectId": key.project_id,
        "projectName": names.project(key),
        "ownerUserId": key.owner_user_id,
        "ownerEmail": names.owner(key),
        "region": key.region,
        "baseUrl": key.base_url,
        "active": key.active,
        "verifyStatus": key.verify_status,
        "createdAt": key.created_at.to_rfc3339(),
    })
}

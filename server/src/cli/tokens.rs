//! `keygate token create|list|revoke`: Keygate keys for the proxy (`sk-proxy-…`) and tokens
//! for programs (`kg_admin_…` for the REST API, `kg_svc_…` for the credential broker).

use domain::AppState;
use domain::auth::Admin;
use domain::entities::{api_token, virtual_key};
use domain::virtual_keys::store::{self, KeyStatus, NewVirtualKey, models_of};
use secrecy::ExposeSecret as _;

use super::{cli_entry, fail, open, print_json, print_table};
use crate::config::{Config, TokenCommand};

pub async fn run(config: &Config, command: &TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Create {
            name,
            kind,
            project,
            expires_in,
            scope,
            user,
            models,
            allowed_ips,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            let kind = kind
                .as_deref()
                .unwrap_or(if project.is_some() { "proxy" } else { "admin" });
            if kind == "proxy" {
                let Some(project) = project else {
                    return Err("a Keygate key belongs to a project: pass --project".into());
                };
                let request = ProxyKeyRequest {
                    name,
                    project,
                    expires_in: expires_in.as_deref(),
                    user: user.as_deref(),
                    models,
                    allowed_ips,
                };
                create_proxy_key(&state, &admin, request, *json).await
            } else {
                if user.is_some() || !models.is_empty() || !allowed_ips.is_empty() {
                    return Err("--user, --models and --allowed-ips are for proxy keys".into());
                }
                if scope.is_some() && kind != "admin" {
                    return Err("--scope is for admin tokens".into());
                }
                let program = ProgramToken {
                    name,
                    kind,
                    project: project.as_deref(),
                    expires_in: expires_in.as_deref(),
                    scope: scope.as_deref(),
                };
                create_program_token(&state, &admin, program, *json).await
            }
        }
        TokenCommand::List {
            project,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            list(&state, &admin, project.as_deref(), *json).await
        }
        TokenCommand::Revoke {
            id,
            kind,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            revoke(&state, &admin, *id, kind, *json).await
        }
    }
}

struct ProxyKeyRequest<'a> {
    name: &'a str,
    project: &'a str,
    expires_in: Option<&'a str>,
    user: Option<&'a str>,
    models: &'a [String],
    allowed_ips: &'a [String],
}

async fn create_proxy_key(
    state: &AppState,
    admin: &Admin,
    request: ProxyKeyRequest<'_>,
    json: bool,
) -> Result<(), String> {
    let project = super::projects::resolve(&state.db, admin, request.project).await?;
    let user_id = match request.user {
        Some(email) => Some(super::users::resolve(&state.db, admin, email).await?.id),
        None => None,
    };
    let (key, secret) = store::create(
        &state.db,
        admin,
        NewVirtualKey {
            project_id: project.id,
            name: request.name.to_owned(),
            expires_in: request.expires_in.map(str::to_owned),
            user_id,
            models: request.models.to_vec(),
            persona_id: None,
            allowed_ips: request.allowed_ips.to_vec(),
        },
    )
    .await
    .map_err(fail)?;
    let entry = cli_entry(key.org_id, "virtual_key.create").virtual_key(&key);
    domain::audit::record(&state.db, entry).await;
    if json {
        let mut value = proxy_json(&key);
        value["key"] = secret.expose_secret().into();
        return print_json(&value);
    }
    println!(
        "Created Keygate key {:?} (id {}) for project {}. It is shown only this once:",
        key.name, key.id, project.name
    );
    println!("{}", secret.expose_secret());
    Ok(())
}

/// What `token create` needs for an admin or service token.
struct ProgramToken<'a> {
    name: &'a str,
    kind: &'a str,
    project: Option<&'a str>,
    expires_in: Option<&'a str>,
    scope: Option<&'a str>,
}

async fn create_program_token(
    state: &AppState,
    admin: &Admin,
    program: ProgramToken<'_>,
    json: bool,
) -> Result<(), String> {
    use domain::api_tokens::{NewToken, TokenKind, TokenScope};
    let ProgramToken {
        name,
        kind,
        project,
        expires_in,
        scope,
    } = program;
    let expires_at = match expires_in {
        Some(raw) => domain::virtual_keys::input::parse_expires_in(raw)
            .map_err(fail)?
            .and_then(|d| chrono::TimeDelta::from_std(d).ok())
            .and_then(|d| chrono::Utc::now().checked_add_signed(d)),
        None => None,
    };
    let scope = TokenScope::parse(scope.unwrap_or("admin")).map_err(fail)?;
    let project_id = match project {
        Some(reference) => Some(
            super::projects::resolve(&state.db, admin, reference)
                .await?
                .id,
        ),
        None => None,
    };
    let input = NewToken {
        kind: TokenKind::parse(kind).map_err(fail)?,
        name: name.to_owned(),
        project_id,
        expires_at,
        scope,
    };
    let (token, secret) = domain::api_tokens::create(&state.db, admin, input)
        .await
        .map_err(fail)?;
    let entry = cli_entry(token.org_id, "api_token.create").api_token(&token);
    domain::audit::record(&state.db, entry).await;
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

fn time(at: Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| none.to_owned())
}

fn proxy_json(key: &virtual_key::Model) -> serde_json::Value {
    serde_json::json!({
        "id": key.id,
        "kind": "proxy",
        "name": key.name,
        "projectId": key.project_id,
        "userId": key.user_id,
        "hint": format!("{}…{}", key.prefix, key.last_four),
        "status": KeyStatus::of(key, chrono::Utc::now()).as_str(),
        "models": models_of(key),
        "expiresAt": key.expires_at.map(|t| t.to_rfc3339()),
        "lastUsedAt": key.last_used_at.map(|t| t.to_rfc3339()),
    })
}

fn program_json(token: &api_token::Model) -> serde_json::Value {
    serde_json::json!({
        "id": token.id,
        "kind": token.kind,
        "name": token.name,
        "projectId": token.project_id,
        "hint": token.hint,
        "status": if token.revoked_at.is_some() { "revoked" } else { "active" },
        "expiresAt": token.expires_at.map(|t| t.to_rfc3339()),
        "lastUsedAt": token.last_used_at.map(|t| t.to_rfc3339()),
    })
}

async fn list(
    state: &AppState,
    admin: &Admin,
    project: Option<&str>,
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
    let proxy = store::list(&state.db, admin, project_id)
        .await
        .map_err(fail)?;
    let programs = if project_id.is_none() {
        domain::api_tokens::list(&state.db, admin)
            .await
            .map_err(fail)?
    } else {
        Vec::new()
    };
    if json {
        let all: Vec<_> = proxy
            .iter()
            .map(proxy_json)
            .chain(programs.iter().map(program_json))
            .collect();
        return print_json(&serde_json::Value::Array(all));
    }
    let now = chrono::Utc::now();
    let mut rows: Vec<Vec<String>> = proxy
        .iter()
        .map(|k| {
            vec![
                "proxy".into(),
                k.id.to_string(),
                k.name.clone(),
                format!("{}…{}", k.prefix, k.last_four),
                KeyStatus::of(k, now).as_str().into(),
                k.project_id.to_string(),
                time(k.expires_at, "never"),
                time(k.last_used_at, "never"),
            ]
        })
        .collect();
    rows.extend(programs.iter().map(|t| {
        vec![
            t.kind.clone(),
            t.id.to_string(),
            t.name.clone(),
            t.hint.clone(),
            if t.revoked_at.is_some() {
                "revoked"
            } else {
                "active"
            }
            .into(),
            t.project_id
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            time(t.expires_at, "never"),
            time(t.last_used_at, "never"),
        ]
    }));
    print_table(
        &[
            "KIND",
            "ID",
            "NAME",
            "TOKEN",
            "STATUS",
            "PROJECT",
            "EXPIRES",
            "LAST USED",
        ],
        &rows,
    );
    Ok(())
}

async fn revoke(
    state: &AppState,
    admin: &Admin,
    id: i32,
    kind: &str,
    json: bool,
) -> Result<(), String> {
    let missing = || format!("no {kind} token with id {id}; `keygate token list` shows them");
    let org_id = admin.user().org_id;
    let target = if kind == "proxy" {
        "virtual_key"
    } else {
        "api_token"
    };
    let name = domain::audit::targets::name_of(&state.db, target, org_id, id)
        .await
        .map_err(fail)?;
    let entry = cli_entry(org_id, &format!("{target}.revoke")).target(target, id, name);
    let value = if kind == "proxy" {
        let revoke = store::revoke(&state.db, admin, id);
        let key = domain::audit::guarded(&state.db, entry, revoke)
            .await
            .map_err(|e| super::fail_or_missing(e, missing))?;
        proxy_json(&key)
    } else {
        let revoke = domain::api_tokens::revoke(&state.db, admin, id, Some(kind));
        let token = domain::audit::guarded(&state.db, entry, revoke)
            .await
            .map_err(|e| super::fail_or_missing(e, missing))?;
        program_json(&token)
    };
    if json {
        return print_json(&value);
    }
    println!(
        "Revoked {kind} token {} (id {id}).",
        value["name"].as_str().unwrap_or_default()
    );
    Ok(())
}

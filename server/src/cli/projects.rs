//! `keygate project create|list`, and finding a project by id or name.

use domain::auth::Admin;
use domain::entities::project;
use domain::projects::ProjectFilter;
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::{cli_entry, fail, open, print_json, print_table, yes_no};
use crate::config::{Config, ProjectCommand};

pub async fn run(config: &Config, command: &ProjectCommand) -> Result<(), String> {
    match command {
        ProjectCommand::Create {
            name,
            description,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            let created = domain::projects::create(&state.db, &admin, name, description)
                .await
                .map_err(fail)?;
            let entry = cli_entry(created.org_id, "project.create").project(&created);
            domain::audit::record(&state.db, entry).await;
            if *json {
                return print_json(&project_json(&created));
            }
            println!(
                "Created project {:?} (id {}) in organization {}.",
                created.name, created.id, created.org_id
            );
            Ok(())
        }
        ProjectCommand::List { acting, json } => {
            let (state, admin) = open(config, acting).await?;
            let projects = domain::projects::list(&state.db, &admin, &ProjectFilter::default())
                .await
                .map_err(fail)?;
            if *json {
                let rows: Vec<serde_json::Value> = projects.iter().map(project_json).collect();
                return print_json(&json!({ "projects": rows }));
            }
            if projects.is_empty() {
                println!(
                    "Organization {} has no projects yet; create one with `keygate project create`.",
                    admin.user().org_id
                );
                return Ok(());
            }
            let rows: Vec<Vec<String>> = projects
                .iter()
                .map(|p| {
                    vec![
                        p.id.to_string(),
                        p.name.clone(),
                        yes_no(p.active),
                        p.description.clone(),
                    ]
                })
                .collect();
            print_table(&["id", "name", "active", "description"], &rows);
            Ok(())
        }
    }
}

fn project_json(p: &project::Model) -> serde_json::Value {
    json!({
        "id": p.id,
        "orgId": p.org_id,
        "name": p.name,
        "description": p.description,
        "active": p.active,
        "createdAt": p.created_at.to_rfc3339(),
    })
}

/// A project of the admin's organization by id or exact name (then by name ignoring case,
/// when that is unambiguous).
pub(super) async fn resolve(
    db: &DatabaseConnection,
    admin: &Admin,
    reference: &str,
) -> Result<project::Model, String> {
    let projects = domain::projects::list(db, admin, &ProjectFilter::default())
        .await
        .map_err(fail)?;
    let wanted = reference.trim();
    if let Ok(id) = wanted.parse::<i32>()
        && let Some(found) = projects.iter().find(|p| p.id == id)
    {
        return Ok(found.clone());
    }
    if let Some(found) = projects.iter().find(|p| p.name == wanted) {
        return Ok(found.clone());
    }
    let lower = wanted.to_lowercase();
    let mut similar = projects.iter().filter(|p| p.name.to_lowercase() == lower);
    if let (Some(found), None) = (similar.next(), similar.next()) {
        return Ok(found.clone());
    }
    Err(format!(
        "no project {wanted:?} in organization {}; `keygate project list` shows them",
        admin.user().org_id
    ))
}

//! `keygate persona create|list|get|update|activate|deactivate|delete|analytics`.

use domain::entities::persona;
use domain::insight::export::usd;
use domain::personas::{self, NewPersona, PersonaChanges};
use serde_json::json;

use super::{
    cli_entry, fail, fail_or_missing, open, print_json, print_table, read_stdin_line, yes_no,
};
use crate::config::{Config, PersonaCommand, PersonaRef};

/// `-` means "read it from stdin" (all of it, for multi-line prompts).
fn content_arg(raw: &str) -> Result<String, String> {
    if raw != "-" {
        return Ok(raw.to_owned());
    }
    let mut text = String::new();
    while let Some(line) = read_stdin_line()? {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    Ok(text)
}

fn persona_json(p: &persona::Model) -> serde_json::Value {
    json!({
        "id": p.id,
        "orgId": p.org_id,
        "name": p.name,
        "description": p.description,
        "content": p.content,
        "userId": p.user_id,
        "active": p.active,
        "contentLength": p.content.chars().count(),
        "createdAt": p.created_at.to_rfc3339(),
        "updatedAt": p.updated_at.to_rfc3339(),
    })
}

fn scope(p: &persona::Model) -> String {
    match p.user_id {
        Some(id) => format!("user {id}"),
        None => "organization-wide".into(),
    }
}

fn missing(id: i32) -> impl FnOnce() -> String {
    move || format!("no persona {id} in this organization; `keygate persona list` shows them")
}

fn print_one(p: &persona::Model, json: bool, verb: &str) -> Result<(), String> {
    if json {
        return print_json(&persona_json(p));
    }
    println!("Persona {verb}: {} ({}, id {})", p.name, scope(p), p.id);
    Ok(())
}

pub async fn run(config: &Config, command: &PersonaCommand) -> Result<(), String> {
    match command {
        PersonaCommand::Create {
            name,
            content,
            description,
            user_id,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            let new = NewPersona {
                name: name.clone(),
                description: description.clone(),
                content: content_arg(content)?,
                user_id: *user_id,
            };
            let created = personas::create(&state.db, &admin, new)
                .await
                .map_err(fail)?;
            let entry = cli_entry(created.org_id, "persona.create").persona(&created);
            domain::audit::record(&state.db, entry).await;
            print_one(&created, *json, "created")
        }
        PersonaCommand::List { acting, json } => {
            let (state, admin) = open(config, acting).await?;
            let found = personas::list(&state.db, admin.user())
                .await
                .map_err(fail)?;
            if *json {
                let rows: Vec<_> = found.iter().map(persona_json).collect();
                return print_json(&json!({ "personas": rows, "total": found.len() }));
            }
            if found.is_empty() {
                println!("No personas yet; create one with `keygate persona create`.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = found
                .iter()
                .map(|p| {
                    vec![
                        p.id.to_string(),
                        p.name.clone(),
                        scope(p),
                        yes_no(p.active),
                        p.content.chars().count().to_string(),
                        p.description.clone(),
                    ]
                })
                .collect();
            print_table(
                &["id", "name", "scope", "active", "chars", "description"],
                &rows,
            );
            Ok(())
        }
        PersonaCommand::Get(PersonaRef { id, acting, json }) => {
            let (state, admin) = open(config, acting).await?;
            let p = personas::get(&state.db, admin.user(), *id)
                .await
                .map_err(|e| fail_or_missing(e, missing(*id)))?;
            if *json {
                return print_json(&persona_json(&p));
            }
            println!(
                "ID: {}\nName: {}\nDescription: {}",
                p.id, p.name, p.description
            );
            println!("Scope: {}\nActive: {}", scope(&p), yes_no(p.active));
            println!(
                "Created: {}\n\nContent:\n{}",
                p.created_at.to_rfc3339(),
                p.content
            );
            Ok(())
        }
        PersonaCommand::Update {
            id,
            name,
            content,
            description,
            user_id,
            org_wide,
            acting,
            json,
        } => {
            let (state, admin) = open(config, acting).await?;
            let changes = PersonaChanges {
                name: name.clone(),
                description: description.clone(),
                content: content.as_deref().map(content_arg).transpose()?,
                user_id: if *org_wide {
                    Some(None)
                } else {
                    user_id.map(Some)
                },
            };
            let updated = personas::update(&state.db, &admin, *id, changes)
                .await
                .map_err(|e| fail_or_missing(e, missing(*id)))?;
            let entry = cli_entry(updated.org_id, "persona.update").persona(&updated);
            domain::audit::record(&state.db, entry).await;
            print_one(&updated, *json, "updated")
        }
        PersonaCommand::Activate(r) | PersonaCommand::Deactivate(r) => {
            let active = matches!(command, PersonaCommand::Activate(_));
            let (state, admin) = open(config, &r.acting).await?;
            let changed = personas::set_active(&state.db, &admin, r.id, active)
                .await
                .map_err(|e| fail_or_missing(e, missing(r.id)))?;
            let action = if active {
                "persona.activate"
            } else {
                "persona.deactivate"
            };
            let entry = cli_entry(changed.org_id, action).persona(&changed);
            domain::audit::record(&state.db, entry).await;
            print_one(
                &changed,
                r.json,
                if active { "activated" } else { "deactivated" },
            )
        }
        PersonaCommand::Delete(r) => {
            let (state, admin) = open(config, &r.acting).await?;
            let deleted = personas::delete(&state.db, &admin, r.id)
                .await
                .map_err(|e| fail_or_missing(e, missing(r.id)))?;
            let entry = cli_entry(deleted.org_id, "persona.delete").persona(&deleted);
            domain::audit::record(&state.db, entry).await;
            print_one(&deleted, r.json, "deleted")
        }
        PersonaCommand::Analytics(r) => {
            let (state, admin) = open(config, &r.acting).await?;
            let a =
                personas::analytics::analytics(&state.db, admin.user(), r.id, chrono::Utc::now())
                    .await
                    .map_err(|e| fail_or_missing(e, missing(r.id)))?;
            let users = domain::insight::labels::labels(
                &state.db,
                admin.user().org_id,
                domain::ledger::query::GroupBy::User,
                &a.top_users,
            )
            .await
            .map_err(fail)?;
            let user_label = |key: &str| users.get(key).cloned().unwrap_or_else(|| key.into());
            if r.json {
                let group = |g: &domain::ledger::query::Group, label: String| {
                    json!({"key": g.key, "label": label, "requests": g.requests,
                        "tokens": g.tokens(), "costMicros": g.cost_micros})
                };
                return print_json(&json!({
                    "persona": persona_json(&a.persona),
                    "totalRequests": a.total.requests,
                    "successRate": a.success_rate(),
                    "totalTokens": a.total.tokens(),
                    "totalCostMicros": a.total.cost_micros,
                    "topModels": a.top_models.iter().map(|g| group(g, g.key.clone())).collect::<Vec<_>>(),
                    "topUsers": a.top_users.iter().map(|g| group(g, user_label(&g.key))).collect::<Vec<_>>(),
                    "daily": a.daily.iter().map(|g| group(g, g.key.clone())).collect::<Vec<_>>(),
                    "ratings": {"count": a.ratings.count, "average": a.ratings.average,
                        "positive": a.ratings.positive, "negative": a.ratings.negative},
                }));
            }
            println!("Persona Analytics: {} ({})", a.persona.name, a.persona.id);
            println!("Total Requests: {}", a.total.requests);
            println!("Success Rate: {:.1}%", a.success_rate() * 100.0);
            println!("Total Tokens: {}", a.total.tokens());
            println!("Total Cost: ${}", usd(a.total.cost_micros));
            println!("\nTop Models:");
            for g in &a.top_models {
                println!("- {}: {} requests", g.key, g.requests);
            }
            println!("\nTop Users:");
            for g in &a.top_users {
                println!("- {}: {} requests", user_label(&g.key), g.requests);
            }
            println!("\nDaily Usage (Last 7 Days):");
            for g in a.daily.iter().rev() {
                println!(
                    "- {}: {} requests, {} tokens, ${}",
                    g.key.get(..10).unwrap_or(&g.key),
                    g.requests,
                    g.tokens(),
                    usd(g.cost_micros)
                );
            }
            match a.ratings.average {
                Some(avg) => println!(
                    "\nRatings: {} (average {avg:.2}, {} positive, {} negative)",
                    a.ratings.count, a.ratings.positive, a.ratings.negative
                ),
                None => println!("\nRatings: none yet"),
            }
            Ok(())
        }
    }
}

//! Names for the ids usage is grouped by (users, Keygate keys, projects, provider keys,
//! personas), looked up in one query per kind. Id 0 means "none": a key without a user, a
//! request without a persona, an environment fallback key.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::{persona, project, provider_key, user, virtual_key};
use crate::error::DomainError;
use crate::ledger::query::{Group, GroupBy};

fn ids(groups: &[Group]) -> Vec<i32> {
    groups
        .iter()
        .filter_map(|g| g.key.parse::<i32>().ok())
        .filter(|id| *id != 0)
        .collect()
}

fn none_label(group_by: GroupBy) -> &'static str {
    match group_by {
        GroupBy::User => "(no user)",
        GroupBy::ProviderKey => "(environment key)",
        GroupBy::Persona => "(no persona)",
        _ => "(none)",
    }
}

/// Display names by group key, for groups keyed by id; other groupings name themselves.
pub async fn labels(
    db: &DatabaseConnection,
    org_id: i32,
    group_by: GroupBy,
    groups: &[Group],
) -> Result<HashMap<String, String>, DomainError> {
    let wanted = ids(groups);
    let mut out: HashMap<String, String> = HashMap::new();
    match group_by {
        GroupBy::User => {
            for u in user::Entity::find()
                .filter(user::Column::OrgId.eq(org_id))
                .filter(user::Column::Id.is_in(wanted))
                .all(db)
                .await?
            {
                out.insert(u.id.to_string(), u.email);
            }
        }
        GroupBy::Key => {
            for k in virtual_key::Entity::find()
                .filter(virtual_key::Column::OrgId.eq(org_id))
                .filter(virtual_key::Column::Id.is_in(wanted))
                .all(db)
                .await?
            {
                out.insert(k.id.to_string(), k.name);
            }
        }
        GroupBy::Project => {
            for p in project::Entity::find()
                .filter(project::Column::OrgId.eq(org_id))
                .filter(project::Column::Id.is_in(wanted))
                .all(db)
                .await?
            {
                out.insert(p.id.to_string(), p.name);
            }
        }
        GroupBy::ProviderKey => {
            for k in provider_key::Entity::find()
                .filter(provider_key::Column::OrgId.eq(org_id))
                .filter(provider_key::Column::Id.is_in(wanted))
                .all(db)
                .await?
            {
                out.insert(k.id.to_string(), k.name);
            }
        }
        GroupBy::Persona => {
            for p in persona::Entity::find()
                .filter(persona::Column::OrgId.eq(org_id))
                .filter(persona::Column::Id.is_in(wanted))
                .all(db)
                .await?
            {
                out.insert(p.id.to_string(), p.name);
            }
        }
        _ => {}
    }
    if group_by.is_id() {
        for g in groups {
            let fallback = if g.key == "0" {
                none_label(group_by).to_owned()
            } else {
                format!("#{} (deleted)", g.key)
            };
            out.entry(g.key.clone()).or_insert(fallback);
        }
    }
    Ok(out)
}

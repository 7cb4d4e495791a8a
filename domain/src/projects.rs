//! Projects inside an organization. Admins manage them; nothing here deletes a project —
//! deactivating archives it and keeps everything it owns for the audit trail.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::auth::Admin;
use crate::entities::project;
use crate::error::DomainError;
use crate::types::parse_text;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

fn parse_name(raw: &str) -> Result<String, DomainError> {
    parse_text(
        raw,
        "name",
        MAX_NAME_CHARS,
        Some("Enter a project name."),
        "Project names",
    )
}

fn parse_description(raw: &str) -> Result<String, DomainError> {
    parse_text(
        raw,
        "description",
        MAX_DESCRIPTION_CHARS,
        None,
        "Descriptions",
    )
}

fn conflict_on_duplicate(err: sea_orm::DbErr) -> DomainError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("A project with this name already exists.".into())
        }
        _ => err.into(),
    }
}

/// Which projects to list.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    pub active: Option<bool>,
}

pub async fn list(
    db: &DatabaseConnection,
    admin: &Admin,
    filter: &ProjectFilter,
) -> Result<Vec<project::Model>, DomainError> {
    let mut condition = Condition::all().add(project::Column::OrgId.eq(admin.user().org_id));
    if let Some(active) = filter.active {
        condition = condition.add(project::Column::Active.eq(active));
    }
    let mut projects = project::Entity::find()
        .filter(condition)
        .order_by_asc(project::Column::Name)
        .all(db)
        .await?;
    // Filtered here so matching is the same (Unicode, case-insensitive) on SQLite and PostgreSQL.
    if let Some(needle) = filter
        .name_contains
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let needle = needle.to_lowercase();
        projects.retain(|p| p.name.to_lowercase().contains(&needle));
    }
    Ok(projects)
}

/// A project of the admin's organization; other organizations' projects look absent.
pub async fn get(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
) -> Result<project::Model, DomainError> {
    project::Entity::find_by_id(id)
        .filter(project::Column::OrgId.eq(admin.user().org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

pub async fn create(
    db: &DatabaseConnection,
    admin: &Admin,
    name: &str,
    description: &str,
) -> Result<project::Model, DomainError> {
    let now = chrono::Utc::now();
    project::ActiveModel {
        org_id: Set(admin.user().org_id),
        name: Set(parse_name(name)?),
        description: Set(parse_description(description)?),
        active: Set(true),
        storage_used_bytes: Set(0),
        balance_strategy: Set("least_used".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on_duplicate)
}

/// Changes the name and/or description; `None` leaves a field as it is.
pub async fn update(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<project::Model, DomainError> {
    let current = get(db, admin, id).await?;
    let mut active: project::ActiveModel = current.into();
    if let Some(name) = name {
        active.name = Set(parse_name(name)?);
    }
    if let Some(description) = description {
        active.description = Set(parse_description(description)?);
    }
    active.updated_at = Set(chrono::Utc::now());
    active.update(db).await.map_err(conflict_on_duplicate)
}

/// Sets how the proxy balances requests among the project's keys for one provider:
/// `least_used` (default) or `weighted` (smooth weighted round-robin by key weight).
pub async fn set_balance_strategy(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    strategy: &str,
) -> Result<project::Model, DomainError> {
    let strategy = crate::gateway::health::Strategy::from_id(strategy.trim()).ok_or_else(|| {
        DomainError::validation(
            "balance_strategy",
            "Choose least_used or weighted as the balancing strategy.",
        )
    })?;
    let current = get(db, admin, id).await?;
    if current.balance_strategy == strategy.id() {
        return Ok(current);
    }
    let mut active: project::ActiveModel = current.into();
    active.balance_strategy = Set(strategy.id().to_owned());
    active.updated_at = Set(chrono::Utc::now());
    Ok(active.update(db).await?)
}

/// Activates or deactivates (archives) a project.
pub async fn set_active(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    is_active: bool,
) -> Result<project::Model, DomainError> {
    let current = get(db, admin, id).await?;
    if current.active == is_active {
        return Ok(current);
    }
    let mut active: project::ActiveModel = current.into();
    active.active = Set(is_active);
    active.updated_at = Set(chrono::Utc::now());
    Ok(active.update(db).await?)
}

/// Project names of an organization by id, for labelling things that belong to projects.
pub async fn names(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<std::collections::HashMap<i32, String>, DomainError> {
    Ok(project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

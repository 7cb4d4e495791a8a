//! A project's model routes (and the organization's custom provider slugs), cached like keys.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::routing::Target;
use crate::auth::Admin;
use crate::entities::{custom_provider, model_route};
use crate::error::DomainError;
use crate::providers::ProviderKind;
use crate::virtual_keys::cache::FRESH_FOR;
use crate::virtual_keys::input::parse_models;

/// What routing needs for one project.
#[derive(Debug, Default)]
pub struct ProjectRouting {
    pub routes: Vec<model_route::Model>,
    pub custom_slugs: Vec<String>,
}

#[derive(Default)]
pub struct RouteCache {
    entries: RwLock<HashMap<i32, (Instant, Arc<ProjectRouting>)>>,
}

impl std::fmt::Debug for RouteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RouteCache")
    }
}

impl RouteCache {
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        org_id: i32,
        project_id: i32,
    ) -> Result<Arc<ProjectRouting>, DomainError> {
        if let Some((_, found)) = self
            .entries
            .read()
            .ok()
            .and_then(|map| map.get(&project_id).cloned())
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        {
            return Ok(found);
        }
        let routes = model_route::Entity::find()
            .filter(model_route::Column::ProjectId.eq(project_id))
            .order_by_asc(model_route::Column::Position)
            .all(db)
            .await?;
        let custom_slugs = custom_provider::Entity::find()
            .filter(custom_provider::Column::OrgId.eq(org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.slug)
            .collect();
        let loaded = Arc::new(ProjectRouting {
            routes,
            custom_slugs,
        });
        if let Ok(mut map) = self.entries.write() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(project_id, (Instant::now(), loaded.clone()));
        }
        Ok(loaded)
    }

    pub fn forget_all(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

/// A new route as an admin enters it.
#[derive(Clone, Debug, Default)]
pub struct NewRoute {
    pub pattern: String,
    pub provider: String,
    pub target_model: Option<String>,
}

pub async fn list(
    db: &DatabaseConnection,
    admin: &Admin,
    project_id: i32,
) -> Result<Vec<model_route::Model>, DomainError> {
    crate::projects::get(db, admin, project_id).await?;
    Ok(model_route::Entity::find()
        .filter(model_route::Column::ProjectId.eq(project_id))
        .order_by_asc(model_route::Column::Position)
        .order_by_asc(model_route::Column::Id)
        .all(db)
        .await?)
}

/// Adds a route after the project's existing ones.
pub async fn add(
    db: &DatabaseConnection,
    admin: &Admin,
    project_id: i32,
    input: NewRoute,
) -> Result<model_route::Model, DomainError> {
    let project = crate::projects::get(db, admin, project_id).await?;
    let pattern = parse_models(std::slice::from_ref(&input.pattern))
        .map_err(|e| match e {
            DomainError::Validation { message, .. } => DomainError::validation("pattern", message),
            other => other,
        })?
        .pop()
        .ok_or_else(|| DomainError::validation("pattern", "Enter a model pattern."))?;
    let provider = match Target::parse(&input.provider) {
        Target::Builtin(ProviderKind::Aws) => {
            return Err(DomainError::validation(
                "provider",
                "The proxy does not serve AWS keys yet.",
            ));
        }
        Target::Builtin(p) => p.id().to_owned(),
        Target::Custom(slug) => {
            custom_provider::Entity::find()
                .filter(custom_provider::Column::OrgId.eq(project.org_id))
                .filter(custom_provider::Column::Slug.eq(slug.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    DomainError::validation("provider", format!("Unknown provider {slug:?}."))
                })?;
            slug
        }
    };
    let target_model = match input.target_model.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(model) if model.len() <= 200 && !model.chars().any(char::is_control) => {
            Some(model.to_owned())
        }
        Some(_) => {
            return Err(DomainError::validation(
                "target_model",
                "Model names are at most 200 characters.",
            ));
        }
    };
    let position = list(db, admin, project_id)
        .await?
        .iter()
        .map(|r| r.position)
        .max()
        .map_or(0, |p| p + 1);
    Ok(model_route::ActiveModel {
        org_id: Set(project.org_id),
        project_id: Set(project_id),
        pattern: Set(pattern),
        provider: Set(provider),
        target_model: Set(target_model),
        position: Set(position),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn delete(
    db: &DatabaseConnection,
    admin: &Admin,
    project_id: i32,
    route_id: i32,
) -> Result<(), DomainError> {
    crate::projects::get(db, admin, project_id).await?;
    let result = model_route::Entity::delete_many()
        .filter(model_route::Column::Id.eq(route_id))
        .filter(model_route::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    Ok(())
}

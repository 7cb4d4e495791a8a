//! Personas: named system prompts an organization keeps in one place, organization-wide or
//! restricted to one user. Admins manage them; every user lists the ones they may use. The
//! proxy applies one when a request names it (`X-Keygate-Persona`) or its Keygate key has a
//! default.

pub mod analytics;
pub mod inject;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};

use crate::auth::{Admin, SessionUser};
use crate::entities::{persona, user, virtual_key};
use crate::error::DomainError;
use crate::types::parse_text;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_CONTENT_CHARS: usize = 20_000;

/// A new persona.
#[derive(Clone, Debug, Default)]
pub struct NewPersona {
    pub name: String,
    pub description: String,
    pub content: String,
    /// Restricts the persona to this user of the organization.
    pub user_id: Option<i32>,
}

/// Changes to a persona; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PersonaChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub content: Option<String>,
    /// `Some(None)` makes the persona organization-wide.
    pub user_id: Option<Option<i32>>,
}

fn parse_name(raw: &str) -> Result<String, DomainError> {
    parse_text(
        raw,
        "name",
        MAX_NAME_CHARS,
        Some("Enter a persona name."),
        "Persona names",
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

fn parse_content(raw: &str) -> Result<String, DomainError> {
    parse_text(
        raw,
        "content",
        MAX_CONTENT_CHARS,
        Some("Enter the persona's system prompt."),
        "System prompts",
    )
}

fn conflict_on_duplicate(err: sea_orm::DbErr) -> DomainError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(
            "A persona with this name already exists in this organization.".into(),
        ),
        _ => err.into(),
    }
}

async fn check_user(
    db: &DatabaseConnection,
    org_id: i32,
    user_id: Option<i32>,
) -> Result<(), DomainError> {
    let Some(id) = user_id else {
        return Ok(());
    };
    let found = user::Entity::find_by_id(id).one(db).await?;
    match found {
        Some(u) if u.org_id == org_id => Ok(()),
        _ => Err(DomainError::validation(
            "user_id",
            format!("There is no user {id} in this organization."),
        )),
    }
}

pub async fn create(
    db: &DatabaseConnection,
    admin: &Admin,
    new: NewPersona,
) -> Result<persona::Model, DomainError> {
    let org_id = admin.user().org_id;
    let name = parse_name(&new.name)?;
    let description = parse_description(&new.description)?;
    let content = parse_content(&new.content)?;
    check_user(db, org_id, new.user_id).await?;
    let now = Utc::now();
    persona::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(new.user_id),
        name: Set(name),
        description: Set(description),
        content: Set(content),
        active: Set(true),
        created_by: Set(Some(admin.user().id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on_duplicate)
}

/// The personas `viewer` may see: all of the organization's for admins, else the
/// organization-wide ones and the viewer's own.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &SessionUser,
) -> Result<Vec<persona::Model>, DomainError> {
    let mut condition = Condition::all().add(persona::Column::OrgId.eq(viewer.org_id));
    if Admin::new(viewer.clone()).is_err() {
        condition = condition.add(
            Condition::any()
                .add(persona::Column::UserId.is_null())
                .add(persona::Column::UserId.eq(viewer.id)),
        );
    }
    Ok(persona::Entity::find()
        .filter(condition)
        .order_by_asc(persona::Column::Name)
        .all(db)
        .await?)
}

/// One persona `viewer` may see.
pub async fn get(
    db: &DatabaseConnection,
    viewer: &SessionUser,
    id: i32,
) -> Result<persona::Model, DomainError> {
    let found = persona::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|p| p.org_id == viewer.org_id)
        .ok_or(DomainError::NotFound)?;
    let visible = found.user_id.is_none()
        || found.user_id == Some(viewer.id)
        || Admin::new(viewer.clone()).is_ok();
    if visible {
        Ok(found)
    } else {
        Err(DomainError::NotFound)
    }
}

pub async fn update(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    changes: PersonaChanges,
) -> Result<persona::Model, DomainError> {
    let found = get(db, admin.user(), id).await?;
    let mut active = found.into_active_model();
    if let Some(name) = changes.name {
        active.name = Set(parse_name(&name)?);
    }
    if let Some(description) = changes.description {
        active.description = Set(parse_description(&description)?);
    }
    if let Some(content) = changes.content {
        active.content = Set(parse_content(&content)?);
    }
    if let Some(user_id) = changes.user_id {
        check_user(db, admin.user().org_id, user_id).await?;
        active.user_id = Set(user_id);
    }
    active.updated_at = Set(Utc::now());
    active.update(db).await.map_err(conflict_on_duplicate)
}

pub async fn set_active(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    is_active: bool,
) -> Result<persona::Model, DomainError> {
    let found = get(db, admin.user(), id).await?;
    let mut active = found.into_active_model();
    active.active = Set(is_active);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes a persona; Keygate keys that used it as their default lose the default. Its usage
/// rows keep the id (analytics of a deleted persona stay in the rollups).
pub async fn delete(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
) -> Result<persona::Model, DomainError> {
    let found = get(db, admin.user(), id).await?;
    virtual_key::Entity::update_many()
        .col_expr(
            virtual_key::Column::PersonaId,
            sea_orm::sea_query::Expr::value(Option::<i32>::None),
        )
        .filter(virtual_key::Column::PersonaId.eq(id))
        .exec(db)
        .await?;
    persona::Entity::delete_by_id(id).exec(db).await?;
    Ok(found)
}

/// Why the proxy refuses a persona.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No persona with this id or name in the caller's organization (404).
    Unknown,
    /// Restricted to another user (403).
    OtherUser,
    /// Deactivated (403).
    Inactive,
}

impl Refusal {
    pub fn message(&self, reference: &str) -> String {
        match self {
            Refusal::Unknown => format!("There is no persona {reference:?} in this organization."),
            Refusal::OtherUser => {
                format!("Persona {reference:?} is restricted to another user.")
            }
            Refusal::Inactive => format!("Persona {reference:?} is deactivated."),
        }
    }
}

/// The persona a proxied request asked for (by id or exact name), if the caller may use it.
pub async fn for_request(
    db: &DatabaseConnection,
    org_id: i32,
    user_id: Option<i32>,
    reference: &str,
) -> Result<Result<persona::Model, Refusal>, DomainError> {
    let reference = reference.trim();
    let by_id = match reference.parse::<i32>() {
        Ok(id) => persona::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|p| p.org_id == org_id),
        Err(_) => None,
    };
    let found = match by_id {
        Some(found) => Some(found),
        None => {
            persona::Entity::find()
                .filter(persona::Column::OrgId.eq(org_id))
                .filter(persona::Column::Name.eq(reference))
                .one(db)
                .await?
        }
    };
    Ok(match found {
        None => Err(Refusal::Unknown),
        Some(p) if p.user_id.is_some() && p.user_id != user_id => Err(Refusal::OtherUser),
        Some(p) if !p.active => Err(Refusal::Inactive),
        Some(p) => Ok(p),
    })
}

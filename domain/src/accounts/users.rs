//! User management inside one organization, and a user's own password.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use secrecy::SecretString;

use crate::auth::{Admin, SessionUser};
use crate::entities::user;
use crate::error::DomainError;
use crate::password::{PasswordHasher, validate_new_password};
use crate::types::{Email, Role, parse_display_name};

/// Raw form input for a new user.
pub struct NewUser {
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub password: SecretString,
    pub external_id: Option<String>,
}

pub async fn list(db: &DatabaseConnection, admin: &Admin) -> Result<Vec<user::Model>, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(admin.user().org_id))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?)
}

/// Only owners may grant or take away the owner role.
fn check_can_assign(admin: &Admin, role: Role) -> Result<(), DomainError> {
    if role == Role::Owner && admin.user().role != Role::Owner {
        return Err(DomainError::Forbidden(
            "Only an owner can make someone an owner.".into(),
        ));
    }
    Ok(())
}

fn parse_external_id(raw: Option<String>) -> Result<Option<String>, DomainError> {
    let Some(raw) = raw else { return Ok(None) };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.len() > 200 {
        return Err(DomainError::validation(
            "external_id",
            "External ids are at most 200 characters.",
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

pub async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    admin: &Admin,
    input: NewUser,
) -> Result<user::Model, DomainError> {
    let display_name = parse_display_name(&input.display_name)?;
    let email = Email::parse(&input.email)?;
    let role = Role::parse(&input.role)?;
    check_can_assign(admin, role)?;
    let external_id = parse_external_id(input.external_id)?;
    validate_new_password(&input.password, "password")?;
    if super::find_by_email(db, &email).await?.is_some() {
        return Err(DomainError::Conflict(
            "A user with this email already exists.".into(),
        ));
    }
    let password_hash = hasher.hash(input.password).await?;
    let now = chrono::Utc::now();
    user::ActiveModel {
        org_id: Set(admin.user().org_id),
        email: Set(email.as_str().to_owned()),
        display_name: Set(display_name),
        role: Set(role.as_str().to_owned()),
        external_id: Set(external_id),
        password_hash: Set(password_hash),
        session_epoch: Set(0),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("A user with this email or external id already exists.".into())
        }
        _ => e.into(),
    })
}

/// Loads a user of the admin's organization (other organizations' users look absent).
async fn find_in_org(
    db: &DatabaseConnection,
    admin: &Admin,
    user_id: i32,
) -> Result<user::Model, DomainError> {
    user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(admin.user().org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

async fn active_owner_count(db: &DatabaseConnection, org_id: i32) -> Result<u64, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Role.eq(Role::Owner.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .count(db)
        .await?)
}

/// Guards shared by role changes and disabling: nobody edits their own access, admins cannot
/// touch owners, and an organization always keeps an active owner.
async fn check_can_modify(
    db: &DatabaseConnection,
    admin: &Admin,
    target: &user::Model,
) -> Result<(), DomainError> {
    if target.id == admin.user().id {
        return Err(DomainError::Forbidden(
            "You cannot change your own role or status.".into(),
        ));
    }
    let target_role = Role::parse(&target.role)?;
    check_can_assign(admin, target_role)?;
    if target_role == Role::Owner
        && !target.disabled
        && active_owner_count(db, target.org_id).await? <= 1
    {
        return Err(DomainError::Conflict(
            "An organization needs at least one active owner.".into(),
        ));
    }
    Ok(())
}

/// Changes a user's role. A role change is sensitive: it is written to the audit log before
/// it happens, and refused when the log cannot be written.
pub async fn set_role(
    db: &DatabaseConnection,
    admin: &Admin,
    user_id: i32,
    role: &str,
    client: &crate::audit::ClientInfo,
) -> Result<user::Model, DomainError> {
    use crate::audit::{self, Actor, Entry};
    let role = Role::parse(role)?;
    let target = find_in_org(db, admin, user_id).await?;
    if target.role == role.as_str() {
        return Ok(target);
    }
    check_can_modify(db, admin, &target).await?;
    check_can_assign(admin, role)?;
    let entry = Entry::new(
        Some(admin.user().org_id),
        Actor::user(admin.user()),
        "user.role_change",
    )
    .target("user", target.id, target.email.clone())
    .client(client)
    .detail(serde_json::json!({ "from": target.role, "to": role.as_str() }));
    audit::append(db, entry).await?;
    let mut active: user::ActiveModel = target.into();
    active.role = Set(role.as_str().to_owned());
    active.updated_at = Set(chrono::Utc::now());
    Ok(active.update(db).await?)
}

/// Disabling ends the user's sessions: `get_user` refuses disabled users.
pub async fn set_disabled(
    db: &DatabaseConnection,
    admin: &Admin,
    user_id: i32,
    disabled: bool,
) -> Result<user::Model, DomainError> {
    let target = find_in_org(db, admin, user_id).await?;
    if target.disabled == disabled {
        return Ok(target);
    }
    check_can_modify(db, admin, &target).await?;
    let mut active: user::ActiveModel = target.into();
    active.disabled = Set(disabled);
    active.updated_at = Set(chrono::Utc::now());
    let updated = active.update(db).await?;
    if disabled {
        crate::session_store::delete_user_sessions(db, user_id, None).await?;
    }
    Ok(updated)
}

/// Changes the caller's own password after checking the current one. The new hash changes the
/// session auth hash, which ends every other session of the user.
pub async fn change_password(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    me: &SessionUser,
    current: SecretString,
    new: SecretString,
) -> Result<user::Model, DomainError> {
    let model = user::Entity::find_by_id(me.id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !hasher
        .verify(current, Some(model.password_hash.clone()))
        .await?
    {
        return Err(DomainError::validation(
            "current_password",
            "The current password is not correct.",
        ));
    }
    validate_new_password(&new, "new_password")?;
    let password_hash = hasher.hash(new).await?;
    let mut active: user::ActiveModel = model.into();
    active.password_hash = Set(password_hash);
    active.updated_at = Set(chrono::Utc::now());
    Ok(active.update(db).await?)
}

/// Ends every session of the user by moving their session epoch on.
pub async fn bump_session_epoch(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<user::Model, DomainError> {
    let model = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let epoch = model.session_epoch.wrapping_add(1);
    let mut active: user::ActiveModel = model.into();
    active.session_epoch = Set(epoch);
    active.updated_at = Set(chrono::Utc::now());
    let updated = active.update(db).await?;
    crate::session_store::delete_user_sessions(db, user_id, None).await?;
    Ok(updated)
}

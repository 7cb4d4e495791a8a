//! Organization settings.

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::auth::{Admin, SessionUser};
use crate::entities::organization;
use crate::error::DomainError;
use crate::types::parse_org_name;

pub async fn get(
    db: &DatabaseConnection,
    user: &SessionUser,
) -> Result<organization::Model, DomainError> {
    organization::Entity::find_by_id(user.org_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

pub async fn rename(
    db: &DatabaseConnection,
    admin: &Admin,
    name: &str,
) -> Result<organization::Model, DomainError> {
    let name = parse_org_name(name)?;
    let org = get(db, admin.user()).await?;
    let mut active: organization::ActiveModel = org.into();
    active.name = Set(name);
    Ok(active.update(db).await?)
}

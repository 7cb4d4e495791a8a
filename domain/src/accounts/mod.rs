//! Organizations, users and sign-in.

pub mod login;
pub mod org;
pub mod setup;
pub mod users;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::user;
use crate::error::DomainError;
use crate::types::Email;

/// Finds a user by normalised e-mail.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

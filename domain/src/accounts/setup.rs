//! First run: the first organization and its owner.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QuerySelect, Set, TransactionTrait,
};
use secrecy::SecretString;

use crate::entities::{organization, user, vault_meta};
use crate::error::DomainError;
use crate::password::{PasswordHasher, validate_new_password};
use crate::types::{Email, Role, parse_display_name, parse_org_name};

/// Raw form input for a new organization and its owner.
pub struct NewOrganization {
    pub org_name: String,
    pub owner_name: String,
    pub owner_email: String,
    pub password: SecretString,
}

/// True while no user exists: the one-time setup link is live.
pub async fn is_needed(db: &DatabaseConnection) -> Result<bool, DomainError> {
    Ok(user::Entity::find().count(db).await? == 0)
}

/// Creates an organization and its owner. With `only_if_empty`, refuses (409) once any user
/// exists — that is the first-run path; the CLI may add organizations later.
pub async fn create_organization(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    input: NewOrganization,
    only_if_empty: bool,
) -> Result<user::Model, DomainError> {
    let org_name = parse_org_name(&input.org_name)?;
    let owner_name = parse_display_name(&input.owner_name)?;
    let email = Email::parse(&input.owner_email)?;
    validate_new_password(&input.password, "password")?;
    let password_hash = hasher.hash(input.password).await?;

    let txn = db.begin().await?;
    if only_if_empty && txn.get_database_backend() == DbBackend::Postgres {
        // Replicas may race to finish setup: serialise on the vault's one row so the count
        // below cannot be stale. (SQLite already allows one writer at a time.)
        vault_meta::Entity::find_by_id(1)
            .lock_exclusive()
            .one(&txn)
            .await?;
    }
    if only_if_empty && user::Entity::find().count(&txn).await? > 0 {
        return Err(DomainError::Conflict("Keygate is already set up.".into()));
    }
    if super::find_by_email(&txn, &email).await?.is_some() {
        return Err(DomainError::Conflict(
            "A user with this email already exists.".into(),
        ));
    }
    let now = chrono::Utc::now();
    let org = organization::ActiveModel {
        name: Set(org_name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let owner = user::ActiveModel {
        org_id: Set(org.id),
        email: Set(email.as_str().to_owned()),
        display_name: Set(owner_name),
        role: Set(Role::Owner.as_str().to_owned()),
        external_id: Set(None),
        password_hash: Set(password_hash),
        session_epoch: Set(0),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(owner)
}

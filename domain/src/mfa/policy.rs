//! The organization setting "Require two-factor authentication". When it is on, a signed-in
//! member without a second factor may only set one up: pages send them to enrolment and
//! server functions refuse with `MfaSetupRequired`. Admin tokens and Keygate keys are for
//! programs and are not affected.

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::audit::{self, ClientInfo};
use crate::auth::{Admin, SessionUser};
use crate::entities::organization;
use crate::error::DomainError;

/// Whether the organization requires two-factor sign-in.
pub async fn org_requires(db: &DatabaseConnection, org_id: i32) -> Result<bool, DomainError> {
    Ok(organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .is_some_and(|org| org.require_mfa))
}

/// True when `user` must set up two-factor authentication before doing anything else.
pub async fn setup_required(
    db: &DatabaseConnection,
    user: &SessionUser,
) -> Result<bool, DomainError> {
    Ok(org_requires(db, user.org_id).await? && !super::store::is_enabled(db, user.id).await?)
}

/// Refuses with `MfaSetupRequired` when [`setup_required`].
pub async fn ensure_set_up(db: &DatabaseConnection, user: &SessionUser) -> Result<(), DomainError> {
    if setup_required(db, user).await? {
        Err(DomainError::MfaSetupRequired)
    } else {
        Ok(())
    }
}

/// Turns the requirement on or off. An admin turning it on must use two-factor sign-in
/// themselves first, so the setting cannot lock its author out of the settings.
pub async fn set_required(
    db: &DatabaseConnection,
    admin: &Admin,
    required: bool,
    client: &ClientInfo,
) -> Result<organization::Model, DomainError> {
    let user = admin.user();
    if required && !super::store::is_enabled(db, user.id).await? {
        return Err(DomainError::Conflict(
            "Turn on two-factor authentication for your own account first (Account page).".into(),
        ));
    }
    let org = crate::accounts::org::get(db, user).await?;
    let previous = org.require_mfa;
    let mut active: organization::ActiveModel = org.into();
    active.require_mfa = Set(required);
    let updated = active.update(db).await?;
    if previous != required {
        let entry = audit::Entry::new(
            Some(user.org_id),
            audit::Actor::user(user),
            "org.require_mfa",
        )
        .target("organization", updated.id, updated.name.clone())
        .detail(serde_json::json!({ "required": required }))
        .client(client);
        audit::record(db, entry).await;
    }
    Ok(updated)
}

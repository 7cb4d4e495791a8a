//! A key's history: created, secret rotated, revealed, tested, (de)activated, deleted.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{can_view, get};
use crate::auth::SessionUser;
use crate::entities::{provider_key, provider_key_event};
use crate::error::DomainError;

pub async fn record(
    db: &impl ConnectionTrait,
    key: &provider_key::Model,
    actor: Option<i32>,
    action: &str,
    detail: &str,
) -> Result<(), DomainError> {
    provider_key_event::ActiveModel {
        key_id: Set(key.id),
        org_id: Set(key.org_id),
        actor_user_id: Set(actor),
        action: Set(action.to_owned()),
        detail: Set(detail.to_owned()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The history of a key the caller can see, newest first.
pub async fn history(
    db: &DatabaseConnection,
    user: &SessionUser,
    key_id: i32,
) -> Result<Vec<provider_key_event::Model>, DomainError> {
    let key = get(db, user, key_id).await?;
    debug_assert!(can_view(user, &key));
    Ok(provider_key_event::Entity::find()
        .filter(provider_key_event::Column::KeyId.eq(key.id))
        .order_by_desc(provider_key_event::Column::Id)
        .all(db)
        .await?)
}

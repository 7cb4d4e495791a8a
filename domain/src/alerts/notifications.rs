//! The bell: a user's in-app notifications, unread count, and marking them read.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::notification;
use crate::error::DomainError;

pub async fn list(
    db: &DatabaseConnection,
    user_id: i32,
    limit: u64,
) -> Result<Vec<notification::Model>, DomainError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?)
}

pub async fn unread(db: &DatabaseConnection, user_id: i32) -> Result<u64, DomainError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one notification (or, with `None`, all of them) read.
pub async fn mark_read(
    db: &DatabaseConnection,
    user_id: i32,
    id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(id) = id {
        update = update.filter(notification::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

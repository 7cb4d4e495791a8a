//! The project's record of files uploaded through `/v1/files`. Upstream file ids are only
//! reachable through the project that uploaded them (and, for files stored with a personal
//! key, only by that user), and every stored byte counts towards the project's
//! `storage_used_bytes` until the file is deleted.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};

use crate::entities::{project, proxy_file};
use crate::error::DomainError;

/// A file just stored upstream.
#[derive(Clone, Debug)]
pub struct NewFile {
    pub file_id: String,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    pub provider: String,
    pub provider_key_id: Option<i32>,
    pub personal: bool,
    pub filename: String,
    pub purpose: String,
    pub bytes: i64,
}

async fn add_storage(
    db: &impl ConnectionTrait,
    project_id: i32,
    delta: i64,
) -> Result<(), DomainError> {
    // Scoped: ExprTrait's `max`/`add` would shadow the integer methods elsewhere.
    use sea_orm::sea_query::ExprTrait as _;
    project::Entity::update_many()
        .col_expr(
            project::Column::StorageUsedBytes,
            Expr::col(project::Column::StorageUsedBytes).add(delta),
        )
        .filter(project::Column::Id.eq(project_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records an uploaded file and adds its bytes to the project's storage, atomically.
pub async fn record_upload(
    db: &DatabaseConnection,
    file: NewFile,
) -> Result<proxy_file::Model, DomainError> {
    let bytes = file.bytes.max(0);
    let txn = db.begin().await?;
    let stored = proxy_file::ActiveModel {
        file_id: Set(file.file_id),
        org_id: Set(file.org_id),
        project_id: Set(file.project_id),
        virtual_key_id: Set(file.virtual_key_id),
        user_id: Set(file.user_id),
        provider: Set(file.provider),
        provider_key_id: Set(file.provider_key_id),
        personal: Set(file.personal),
        filename: Set(file.filename),
        purpose: Set(file.purpose),
        bytes: Set(bytes),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    add_storage(&txn, stored.project_id, bytes).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Files of the project the caller may see (shared ones, and their own personal ones),
/// newest first, optionally of one purpose.
pub async fn list(
    db: &DatabaseConnection,
    project_id: i32,
    user_id: Option<i32>,
    purpose: Option<&str>,
) -> Result<Vec<proxy_file::Model>, DomainError> {
    let mut visible = Condition::any().add(proxy_file::Column::Personal.eq(false));
    if let Some(user_id) = user_id {
        visible = visible.add(proxy_file::Column::UserId.eq(user_id));
    }
    let mut query = proxy_file::Entity::find()
        .filter(proxy_file::Column::ProjectId.eq(project_id))
        .filter(visible)
        .order_by_desc(proxy_file::Column::CreatedAt)
        .order_by_desc(proxy_file::Column::Id);
    if let Some(purpose) = purpose {
        query = query.filter(proxy_file::Column::Purpose.eq(purpose));
    }
    Ok(query.all(db).await?)
}

/// One file, if the caller may see it.
pub async fn find(
    db: &DatabaseConnection,
    project_id: i32,
    user_id: Option<i32>,
    file_id: &str,
) -> Result<Option<proxy_file::Model>, DomainError> {
    let found = proxy_file::Entity::find()
        .filter(proxy_file::Column::ProjectId.eq(project_id))
        .filter(proxy_file::Column::FileId.eq(file_id))
        .one(db)
        .await?;
    Ok(found.filter(|f| !f.personal || (f.user_id.is_some() && f.user_id == user_id)))
}

/// Forgets a deleted file and gives its bytes back to the project, atomically. Returns false
/// when the record was already gone (a concurrent delete), so bytes are subtracted once.
pub async fn forget(
    db: &DatabaseConnection,
    file: &proxy_file::Model,
) -> Result<bool, DomainError> {
    let txn = db.begin().await?;
    let deleted = proxy_file::Entity::delete_many()
        .filter(proxy_file::Column::Id.eq(file.id))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 1 {
        add_storage(&txn, file.project_id, -file.bytes).await?;
    }
    txn.commit().await?;
    Ok(deleted == 1)
}

//! A tower-sessions store on SeaORM, so sessions live in Keygate's own database (SQLite or
//! PostgreSQL) and survive restarts and are shared by replicas.
//!
//! Rows are keyed by SHA-256 of the session id: the cookie value never sits in the database.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::entities::session;
use crate::error::DomainError;

/// Where axum-login keeps its data inside the session record.
pub const AUTH_DATA_KEY: &str = "axum-login.data";

#[derive(Clone, Debug)]
pub struct SeaOrmSessionStore {
    db: DatabaseConnection,
}

impl SeaOrmSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

pub fn hash_id(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend_err(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

/// The signed-in user's id, if axum-login stored one in this record.
fn user_id_of(record: &Record) -> Option<i32> {
    record
        .data
        .get(AUTH_DATA_KEY)?
        .get("user_id")?
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
}

fn to_active(record: &Record) -> Result<session::ActiveModel, session_store::Error> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(session::ActiveModel {
        id_hash: Set(hash_id(&record.id)),
        user_id: Set(user_id_of(record)),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[async_trait]
impl SessionStore for SeaOrmSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; still, never overwrite another session on a collision.
        loop {
            let exists = session::Entity::find_by_id(hash_id(&record.id))
                .one(&self.db)
                .await
                .map_err(backend_err)?
                .is_some();
            if !exists {
                break;
            }
            record.id = Id::default();
        }
        session::Entity::insert(to_active(record)?)
            .exec(&self.db)
            .await
            .map_err(backend_err)?;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(to_active(record)?)
            .on_conflict(
                OnConflict::column(session::Column::IdHash)
                    .update_columns([
                        session::Column::UserId,
                        session::Column::Data,
                        session::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend_err)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(hash_id(id))
            .filter(session::Column::ExpiresAt.gt(now_unix()))
            .one(&self.db)
            .await
            .map_err(backend_err)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(hash_id(id))
            .exec(&self.db)
            .await
            .map_err(backend_err)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SeaOrmSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now_unix()))
            .exec(&self.db)
            .await
            .map_err(backend_err)?;
        Ok(())
    }
}

/// Ends a user's sessions, except `keep` (the caller's own, when it should survive).
pub async fn delete_user_sessions(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: Option<&Id>,
) -> Result<u64, DomainError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::IdHash.ne(hash_id(keep)));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Number of live sessions a user has (for the account page and tests).
pub async fn count_user_sessions(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<u64, DomainError> {
    use sea_orm::PaginatorTrait;
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now_unix()))
        .count(db)
        .await?)
}

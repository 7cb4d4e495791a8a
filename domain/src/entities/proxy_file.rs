use sea_orm::entity::prelude::*;

/// A file uploaded through `/v1/files`, owned by a project and stored with one provider key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proxy_files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The provider's file id (e.g. `file-abc`).
    pub file_id: String,
    pub org_id: i32,
    pub project_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
    /// A built-in provider id or a custom provider's slug.
    pub provider: String,
    /// `None`: stored with the environment fallback key.
    pub provider_key_id: Option<i32>,
    /// Stored with the uploader's personal key, so only that user may see it.
    pub personal: bool,
    pub filename: String,
    pub purpose: String,
    pub bytes: i64,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

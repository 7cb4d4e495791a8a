use sea_orm::entity::prelude::*;

/// A program's token. Only its SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    /// `admin` or `service`.
    pub kind: String,
    pub name: String,
    /// Hex SHA-256 of the whole token.
    pub token_hash: String,
    /// `kg_admin_…abcd`: enough to recognise a token.
    pub hint: String,
    /// Service tokens may be bound to one project (the credential broker's fallback keys).
    pub project_id: Option<i32>,
    /// The admin who created it; the token acts with their rights and stops working when
    /// they lose them.
    pub created_by: i32,
    pub created_at: ChronoDateTimeUtc,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    pub expires_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    /// What an admin token may do: `read_only`, `keys` or `admin`.
    pub scope: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// One audit entry. `hash` = SHA-256 over `prev_hash` and the entry's fields, so editing or
/// deleting an entry breaks the chain at that point.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub actor_user_id: Option<i32>,
    /// Who acted, as shown: an e-mail, `key:12`, `token:kg_admin_…abcd`, `system`, `cli`.
    pub actor: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    /// success | failure | denied
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// JSON object with action-specific details (never a secret).
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// One rotation (or rotation attempt, or "rotation due" notice) of a key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_rotations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    /// virtual | provider
    pub key_kind: String,
    pub key_id: i32,
    /// manual | schedule
    pub trigger: String,
    pub actor_user_id: Option<i32>,
    /// success | failed | due
    pub outcome: String,
    pub detail: String,
    pub grace_until: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// Whether an application calling with an organization JWT may create users on first
    /// sight of an unknown `X-User-ID`.
    pub auto_create_users: bool,
    /// Audit entries older than this many days may be pruned (the chain keeps verifying
    /// from the oldest kept entry).
    pub audit_retention_days: i32,
    /// Members must sign in with a second factor; those without one are sent to enrol.
    pub require_mfa: bool,
    /// JSON array of CIDR blocks the admin console may be reached from; NULL = anywhere.
    pub admin_allowed_ips: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user::Entity")]
    Users,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

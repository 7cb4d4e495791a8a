use sea_orm::entity::prelude::*;

/// An alert rule: what to watch (`kind` + JSON `params`) and where to send it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub name: String,
    pub kind: String,
    pub params: String,
    pub in_app: bool,
    /// JSON array of webhook ids.
    pub webhooks: String,
    /// JSON array of e-mail addresses (sent when SMTP is configured).
    pub email_to: String,
    pub enabled: bool,
    pub created_by: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A provider key that the provider itself refused (401/403) is quarantined: marked invalid,
//! so the proxy stops choosing it and the key pages show why, until someone edits or
//! re-verifies it.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::provider_key;
use crate::provider_keys::events::record;

pub const QUARANTINE_DETAIL: &str = "Quarantined by the proxy: the provider refused this key";

pub async fn quarantine(db: &DatabaseConnection, key_id: i32, status: u16) {
    let detail = format!("{QUARANTINE_DETAIL} (HTTP {status}).");
    let result = provider_key::Entity::update_many()
        .col_expr(provider_key::Column::VerifyStatus, Expr::value("invalid"))
        .col_expr(provider_key::Column::VerifiedAt, Expr::value(Utc::now()))
        .col_expr(
            provider_key::Column::VerifyDetail,
            Expr::value(detail.clone()),
        )
        .filter(provider_key::Column::Id.eq(key_id))
        .exec(db)
        .await;
    if let Err(e) = result {
        tracing::error!(key_id, error = %e, "cannot quarantine a provider key");
        return;
    }
    if let Ok(Some(key)) = provider_key::Entity::find_by_id(key_id).one(db).await
        && let Err(e) = record(db, &key, None, "quarantined", &detail).await
    {
        tracing::warn!(key_id, error = %e, "cannot record a quarantine event");
    }
}

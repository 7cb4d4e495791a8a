//! Master-key rotation support for TOTP secrets: the vault rotation counts `user_mfa` rows per
//! keyring version (a version still used is never retired) and re-wraps them like provider
//! secrets, one conditional UPDATE per row.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::store::{record_name, secret_context};
use crate::entities::user_mfa;
use crate::vault::VaultError;
use crate::vault::envelope::SealedSecret;
use crate::vault::keyring::Keyring;

fn storage(err: impl std::fmt::Display) -> VaultError {
    VaultError::Storage(err.to_string())
}

/// TOTP secrets sealed under a version other than `version`.
pub async fn rows_not_on(db: &DatabaseConnection, version: i32) -> Result<u64, VaultError> {
    user_mfa::Entity::find()
        .filter(user_mfa::Column::KeyVersion.ne(version))
        .count(db)
        .await
        .map_err(storage)
}

/// How many TOTP secrets each version seals.
pub async fn counts(db: &DatabaseConnection) -> Result<BTreeMap<i32, u64>, VaultError> {
    let rows: Vec<(i32, i64)> = user_mfa::Entity::find()
        .select_only()
        .column(user_mfa::Column::KeyVersion)
        .column_as(user_mfa::Column::Id.count(), "rows")
        .group_by(user_mfa::Column::KeyVersion)
        .into_tuple()
        .all(db)
        .await
        .map_err(storage)?;
    Ok(rows
        .into_iter()
        .map(|(version, n)| (version, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Re-wraps up to `budget` TOTP secrets not on the ring's current version. Returns how many
/// rows it looked at (0: nothing left) and how many it re-wrapped.
pub async fn batch(
    db: &DatabaseConnection,
    ring: &Keyring,
    budget: u64,
) -> Result<(u64, u64), VaultError> {
    let target = ring.current_version();
    let rows = user_mfa::Entity::find()
        .filter(user_mfa::Column::KeyVersion.ne(target))
        .order_by_asc(user_mfa::Column::Id)
        .limit(budget)
        .all(db)
        .await
        .map_err(storage)?;
    let mut rewrapped = 0;
    for row in &rows {
        let sealed = SealedSecret {
            key_version: row.key_version,
            wrapped_key: row.wrapped_key.clone(),
            ciphertext: row.ciphertext.clone(),
        };
        let record = record_name(row.user_id);
        let fresh = ring.rewrap(&secret_context(row.org_id, &record), &sealed)?;
        let result = user_mfa::Entity::update_many()
            .col_expr(user_mfa::Column::KeyVersion, Expr::value(fresh.key_version))
            .col_expr(user_mfa::Column::WrappedKey, Expr::value(fresh.wrapped_key))
            .filter(user_mfa::Column::Id.eq(row.id))
            .filter(user_mfa::Column::KeyVersion.eq(sealed.key_version))
            .filter(user_mfa::Column::WrappedKey.eq(sealed.wrapped_key))
            .exec(db)
            .await
            .map_err(storage)?;
        rewrapped += u64::from(result.rows_affected == 1);
    }
    Ok((rows.len() as u64, rewrapped))
}

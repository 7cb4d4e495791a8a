//! Master-key rotation support for what rotation seals besides provider keys' current
//! secrets: the previous secrets kept for a grace period, and pending key deliveries. The
//! vault rotation counts these rows per keyring version (a version still used is never
//! retired) and re-wraps them like the current secrets, one conditional UPDATE per row.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::delivery;
use crate::entities::{key_delivery, provider_key};
use crate::provider_keys::secret_context;
use crate::vault::VaultError;
use crate::vault::envelope::SealedSecret;
use crate::vault::keyring::Keyring;

fn storage(err: impl std::fmt::Display) -> VaultError {
    VaultError::Storage(err.to_string())
}

/// Rows (previous secrets and deliveries) sealed under a version other than `version`.
pub async fn rows_not_on(db: &DatabaseConnection, version: i32) -> Result<u64, VaultError> {
    let previous = provider_key::Entity::find()
        .filter(provider_key::Column::PreviousKeyVersion.is_not_null())
        .filter(provider_key::Column::PreviousKeyVersion.ne(version))
        .count(db)
        .await
        .map_err(storage)?;
    let deliveries = key_delivery::Entity::find()
        .filter(key_delivery::Column::KeyVersion.ne(version))
        .count(db)
        .await
        .map_err(storage)?;
    Ok(previous + deliveries)
}

/// How many such rows each version seals.
pub async fn counts(db: &DatabaseConnection) -> Result<BTreeMap<i32, u64>, VaultError> {
    let previous: Vec<(Option<i32>, i64)> = provider_key::Entity::find()
        .select_only()
        .column(provider_key::Column::PreviousKeyVersion)
        .column_as(provider_key::Column::Id.count(), "rows")
        .filter(provider_key::Column::PreviousKeyVersion.is_not_null())
        .group_by(provider_key::Column::PreviousKeyVersion)
        .into_tuple()
        .all(db)
        .await
        .map_err(storage)?;
    let deliveries: Vec<(i32, i64)> = key_delivery::Entity::find()
        .select_only()
        .column(key_delivery::Column::KeyVersion)
        .column_as(key_delivery::Column::Id.count(), "rows")
        .group_by(key_delivery::Column::KeyVersion)
        .into_tuple()
        .all(db)
        .await
        .map_err(storage)?;
    let mut out = BTreeMap::new();
    let rows = previous
        .into_iter()
        .filter_map(|(v, n)| Some((v?, n)))
        .chain(deliveries);
    for (version, n) in rows {
        *out.entry(version).or_default() += u64::try_from(n).unwrap_or(0);
    }
    Ok(out)
}

/// Re-wraps up to `budget` rows not on the ring's current version. Returns how many rows it
/// looked at (0: nothing left) and how many it re-wrapped (a row changed meanwhile is
/// skipped; the next batch sees its new state).
pub async fn batch(
    db: &DatabaseConnection,
    ring: &Keyring,
    budget: u64,
) -> Result<(u64, u64), VaultError> {
    let target = ring.current_version();
    let mut seen = 0;
    let mut rewrapped = 0;
    let keys = provider_key::Entity::find()
        .filter(provider_key::Column::PreviousKeyVersion.is_not_null())
        .filter(provider_key::Column::PreviousKeyVersion.ne(target))
        .order_by_asc(provider_key::Column::Id)
        .limit(budget)
        .all(db)
        .await
        .map_err(storage)?;
    for row in keys {
        seen += 1;
        rewrapped += u64::from(previous_secret(db, ring, &row).await?);
    }
    if seen >= budget {
        return Ok((seen, rewrapped));
    }
    let deliveries = key_delivery::Entity::find()
        .filter(key_delivery::Column::KeyVersion.ne(target))
        .order_by_asc(key_delivery::Column::Id)
        .limit(budget - seen)
        .all(db)
        .await
        .map_err(storage)?;
    for row in deliveries {
        seen += 1;
        rewrapped += u64::from(delivery_row(db, ring, &row).await?);
    }
    Ok((seen, rewrapped))
}

async fn previous_secret(
    db: &DatabaseConnection,
    ring: &Keyring,
    row: &provider_key::Model,
) -> Result<bool, VaultError> {
    let (Some(version), Some(wrapped_key), Some(ciphertext)) = (
        row.previous_key_version,
        row.previous_wrapped_key.clone(),
        row.previous_ciphertext.clone(),
    ) else {
        return Ok(false);
    };
    let sealed = SealedSecret {
        key_version: version,
        wrapped_key,
        ciphertext,
    };
    let record = format!("provider_keys:{}", row.uid);
    let rewrapped = ring.rewrap(&secret_context(row.org_id, &record), &sealed)?;
    let result = provider_key::Entity::update_many()
        .col_expr(
            provider_key::Column::PreviousKeyVersion,
            Expr::value(Some(rewrapped.key_version)),
        )
        .col_expr(
            provider_key::Column::PreviousWrappedKey,
            Expr::value(Some(rewrapped.wrapped_key)),
        )
        .filter(provider_key::Column::Id.eq(row.id))
        .filter(provider_key::Column::PreviousKeyVersion.eq(version))
        .filter(provider_key::Column::PreviousWrappedKey.eq(sealed.wrapped_key))
        .exec(db)
        .await
        .map_err(storage)?;
    Ok(result.rows_affected == 1)
}

async fn delivery_row(
    db: &DatabaseConnection,
    ring: &Keyring,
    row: &key_delivery::Model,
) -> Result<bool, VaultError> {
    let sealed = SealedSecret {
        key_version: row.key_version,
        wrapped_key: row.wrapped_key.clone(),
        ciphertext: row.ciphertext.clone(),
    };
    let record = delivery::record_name(&row.uid);
    let rewrapped = ring.rewrap(&delivery::secret_context(row.org_id, &record), &sealed)?;
    let result = key_delivery::Entity::update_many()
        .col_expr(
            key_delivery::Column::KeyVersion,
            Expr::value(rewrapped.key_version),
        )
        .col_expr(
            key_delivery::Column::WrappedKey,
            Expr::value(rewrapped.wrapped_key),
        )
        .filter(key_delivery::Column::Id.eq(row.id))
        .filter(key_delivery::Column::KeyVersion.eq(row.key_version))
        .filter(key_delivery::Column::WrappedKey.eq(sealed.wrapped_key))
        .exec(db)
        .await
        .map_err(storage)?;
    Ok(result.rows_affected == 1)
}

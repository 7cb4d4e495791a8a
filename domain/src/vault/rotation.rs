//! Online master-key rotation: add a keyring version, then re-wrap every data key under it in
//! small batches while servers keep serving.
//!
//! Safe to kill at any point: a row is re-wrapped in one conditional UPDATE (same id, same old
//! version, same old wrapped key), so it is always either fully old or fully new, and the old
//! version stays loadable until no row uses it. Running `rotate` again resumes: a new version
//! is only added when every row already uses the newest one.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::envelope::SealedSecret;
use super::keyring::Keyring;
use super::{MasterKey, VaultError};
use crate::entities::{provider_key, vault_key};
use crate::provider_keys::secret_context;

fn storage(err: impl std::fmt::Display) -> VaultError {
    VaultError::Storage(err.to_string())
}

/// One keyring version and how many sealed rows use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionStatus {
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub retired_at: Option<chrono::DateTime<chrono::Utc>>,
    pub rows: u64,
    pub current: bool,
}

/// What a rotation run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// The version everything is being moved to.
    pub target_version: i32,
    /// True when this run added `target_version` (false: it resumed an earlier run).
    pub added_version: bool,
    pub rewrapped: u64,
    /// Rows still on older versions (non-zero only when stopped by `max_rows`).
    pub remaining: u64,
    pub retired: Vec<i32>,
}

/// Sealed rows not on `version`: current secrets, plus what key rotation seals (previous
/// secrets in their grace period, pending key deliveries) and users' TOTP secrets.
async fn rows_not_on(db: &DatabaseConnection, version: i32) -> Result<u64, VaultError> {
    let current = provider_key::Entity::find()
        .filter(provider_key::Column::KeyVersion.is_not_null())
        .filter(provider_key::Column::KeyVersion.ne(version))
        .count(db)
        .await
        .map_err(storage)?;
    Ok(current
        + crate::rotation::rewrap::rows_not_on(db, version).await?
        + crate::mfa::rewrap::rows_not_on(db, version).await?)
}

/// Versions with their row counts, newest last.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<VersionStatus>, VaultError> {
    let versions = vault_key::Entity::find()
        .order_by_asc(vault_key::Column::Version)
        .all(db)
        .await
        .map_err(storage)?;
    let counts: Vec<(Option<i32>, i64)> = provider_key::Entity::find()
        .select_only()
        .column(provider_key::Column::KeyVersion)
        .column_as(provider_key::Column::Id.count(), "rows")
        .filter(provider_key::Column::KeyVersion.is_not_null())
        .group_by(provider_key::Column::KeyVersion)
        .into_tuple()
        .all(db)
        .await
        .map_err(storage)?;
    let mut counts: BTreeMap<i32, u64> = counts
        .into_iter()
        .filter_map(|(v, n)| Some((v?, u64::try_from(n).unwrap_or(0))))
        .collect();
    let sealed_elsewhere = crate::rotation::rewrap::counts(db)
        .await?
        .into_iter()
        .chain(crate::mfa::rewrap::counts(db).await?);
    for (version, rows) in sealed_elsewhere {
        *counts.entry(version).or_default() += rows;
    }
    let newest = versions
        .iter()
        .filter(|v| v.retired_at.is_none())
        .map(|v| v.version)
        .max();
    Ok(versions
        .into_iter()
        .map(|v| VersionStatus {
            version: v.version,
            created_at: v.created_at,
            retired_at: v.retired_at,
            rows: counts.get(&v.version).copied().unwrap_or(0),
            current: Some(v.version) == newest,
        })
        .collect())
}

/// Rotates (or resumes a rotation): re-wraps rows in batches of `batch_size`, stopping after
/// `max_rows` rows when given (used by tests to stop half-way, like a kill would), then retires
/// versions nothing uses any more.
pub async fn rotate(
    db: &DatabaseConnection,
    root: &MasterKey,
    batch_size: u64,
    max_rows: Option<u64>,
) -> Result<RotationReport, VaultError> {
    let mut ring = Keyring::load_or_init(db, root).await?;
    let mut report = RotationReport::default();
    if rows_not_on(db, ring.current_version()).await? == 0 {
        ring = ring.add_version(db, root).await?;
        report.added_version = true;
    }
    report.target_version = ring.current_version();
    let batch_size = batch_size.max(1);
    loop {
        let budget = match max_rows {
            Some(max) if report.rewrapped >= max => break,
            Some(max) => batch_size.min(max - report.rewrapped),
            None => batch_size,
        };
        let batch = provider_key::Entity::find()
            .filter(provider_key::Column::KeyVersion.is_not_null())
            .filter(provider_key::Column::KeyVersion.ne(report.target_version))
            .order_by_asc(provider_key::Column::Id)
            .limit(budget)
            .all(db)
            .await
            .map_err(storage)?;
        if batch.is_empty() {
            // Then what key rotation sealed (previous secrets and pending deliveries), then
            // the users' TOTP secrets.
            let (mut seen, mut rewrapped) =
                crate::rotation::rewrap::batch(db, &ring, budget).await?;
            if seen == 0 {
                (seen, rewrapped) = crate::mfa::rewrap::batch(db, &ring, budget).await?;
            }
            if seen == 0 {
                break;
            }
            report.rewrapped += rewrapped;
            continue;
        }
        for row in batch {
            if rewrap_row(db, &ring, &row).await? {
                report.rewrapped += 1;
            }
        }
    }
    report.remaining = rows_not_on(db, report.target_version).await?;
    if report.remaining == 0 {
        report.retired = retire_unused(db, report.target_version).await?;
    }
    Ok(report)
}

/// Re-wraps one row; false when the row changed underneath (a server rotated its secret or
/// deleted it meanwhile) — the next batch sees the new state.
async fn rewrap_row(
    db: &DatabaseConnection,
    ring: &Keyring,
    row: &provider_key::Model,
) -> Result<bool, VaultError> {
    let (Some(version), Some(wrapped_key), Some(ciphertext)) = (
        row.key_version,
        row.wrapped_key.clone(),
        row.ciphertext.clone(),
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
            provider_key::Column::KeyVersion,
            Expr::value(rewrapped.key_version),
        )
        .col_expr(
            provider_key::Column::WrappedKey,
            Expr::value(rewrapped.wrapped_key),
        )
        .filter(provider_key::Column::Id.eq(row.id))
        .filter(provider_key::Column::KeyVersion.eq(version))
        .filter(provider_key::Column::WrappedKey.eq(sealed.wrapped_key))
        .exec(db)
        .await
        .map_err(storage)?;
    Ok(result.rows_affected == 1)
}

/// Marks older versions with no rows as retired and destroys their sealed key material.
async fn retire_unused(db: &DatabaseConnection, current: i32) -> Result<Vec<i32>, VaultError> {
    let in_use = status(db).await?;
    let mut retired = Vec::new();
    for version in in_use {
        if version.version < current && version.retired_at.is_none() && version.rows == 0 {
            vault_key::Entity::update_many()
                .col_expr(
                    vault_key::Column::RetiredAt,
                    Expr::value(chrono::Utc::now()),
                )
                .col_expr(vault_key::Column::SealedKey, Expr::value(String::new()))
                .filter(vault_key::Column::Version.eq(version.version))
                .exec(db)
                .await
                .map_err(storage)?;
            retired.push(version.version);
        }
    }
    Ok(retired)
}

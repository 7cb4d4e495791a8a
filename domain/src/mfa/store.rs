//! The rows behind two-factor authentication: the sealed TOTP secret (`user_mfa`, one per
//! user, pending until the first code is confirmed) and the recovery code hashes.
//!
//! Codes are checked with conditional UPDATEs, so two requests racing with the same TOTP code
//! or recovery code cannot both succeed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use secrecy::{ExposeSecret as _, SecretString};

use super::recovery;
use super::totp::{Refusal, TotpSecret};
use crate::entities::{mfa_recovery_code, user_mfa};
use crate::error::DomainError;
use crate::vault::envelope::{SealedSecret, SecretContext};
use crate::vault::live::LiveKeyring;

/// The vault purpose for TOTP secrets (part of every ciphertext's AAD).
pub const PURPOSE: &str = "mfa_totp";

/// The AAD context of a user's TOTP secret; `record` is `user_mfa:<user id>`.
pub fn secret_context(org_id: i32, record: &str) -> SecretContext<'_> {
    SecretContext {
        purpose: PURPOSE,
        org_id,
        record,
        field: "totp_secret",
    }
}

pub(crate) fn record_name(user_id: i32) -> String {
    format!("user_mfa:{user_id}")
}

/// How a second factor was proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Totp,
    RecoveryCode,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
        }
    }
}

/// A user's two-factor state, for the account page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: u64,
}

/// What the user needs to add Keygate to an authenticator app. Every field carries the
/// secret, so none is ever printed.
pub struct Enrolment {
    /// Base32, for typing in by hand.
    pub secret: SecretString,
    pub otpauth_url: SecretString,
    /// `data:image/png;base64,…`.
    pub qr_data_url: SecretString,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

fn wrong_code(refusal: Refusal) -> DomainError {
    DomainError::validation(
        "code",
        match refusal {
            Refusal::Wrong => {
                "That code is not right. Enter the current code from your authenticator app."
            }
            Refusal::Replayed => "That code was already used. Wait for the next code and enter it.",
        },
    )
}

async fn row(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<user_mfa::Model>, DomainError> {
    Ok(user_mfa::Entity::find()
        .filter(user_mfa::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The enabled factor of a user, if any.
pub(crate) async fn enabled_row(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<user_mfa::Model>, DomainError> {
    Ok(row(db, user_id).await?.filter(|r| r.enabled_at.is_some()))
}

/// Whether the user signs in with a second factor.
pub async fn is_enabled(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, DomainError> {
    Ok(enabled_row(db, user_id).await?.is_some())
}

pub async fn status(db: &DatabaseConnection, user_id: i32) -> Result<Status, DomainError> {
    let Some(row) = enabled_row(db, user_id).await? else {
        return Ok(Status::default());
    };
    Ok(Status {
        enabled: true,
        enabled_at: row.enabled_at,
        recovery_codes_left: unused_codes(db, user_id).await?,
    })
}

async fn unused_codes(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, DomainError> {
    Ok(mfa_recovery_code::Entity::find()
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .filter(mfa_recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

fn sealed_of(row: &user_mfa::Model) -> SealedSecret {
    SealedSecret {
        key_version: row.key_version,
        wrapped_key: row.wrapped_key.clone(),
        ciphertext: row.ciphertext.clone(),
    }
}

async fn open(
    db: &DatabaseConnection,
    keyring: &LiveKeyring,
    row: &user_mfa::Model,
) -> Result<TotpSecret, DomainError> {
    let record = record_name(row.user_id);
    let plaintext = keyring
        .open(db, &secret_context(row.org_id, &record), &sealed_of(row))
        .await
        .map_err(|e| DomainError::internal("opening a TOTP secret", e))?;
    TotpSecret::from_bytes(plaintext.expose_secret())
}

/// Starts (or restarts) enrolment: a fresh secret, sealed and stored as pending. Refused when
/// two-factor authentication is already on (turn it off first).
pub async fn begin(
    db: &DatabaseConnection,
    keyring: &LiveKeyring,
    user_id: i32,
    org_id: i32,
    account: &str,
    now: DateTime<Utc>,
) -> Result<Enrolment, DomainError> {
    if is_enabled(db, user_id).await? {
        return Err(DomainError::Conflict(
            "Two-factor authentication is already on.".into(),
        ));
    }
    let secret = TotpSecret::generate();
    let record = record_name(user_id);
    let sealed = keyring
        .seal(db, &secret_context(org_id, &record), secret.expose_bytes())
        .await
        .map_err(|e| DomainError::internal("sealing a TOTP secret", e))?;
    let enrolment = Enrolment {
        secret: secret.base32()?,
        otpauth_url: secret.otpauth_url(account)?,
        qr_data_url: secret.qr_data_url(account)?,
    };
    let txn = db.begin().await?;
    user_mfa::Entity::delete_many()
        .filter(user_mfa::Column::UserId.eq(user_id))
        .filter(user_mfa::Column::EnabledAt.is_null())
        .exec(&txn)
        .await?;
    user_mfa::ActiveModel {
        user_id: Set(user_id),
        org_id: Set(org_id),
        key_version: Set(sealed.key_version),
        wrapped_key: Set(sealed.wrapped_key),
        ciphertext: Set(sealed.ciphertext),
        created_at: Set(now),
        enabled_at: Set(None),
        last_step: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(enrolment)
}

/// Replaces the user's recovery codes with fresh ones, returned in clear this once.
async fn replace_codes(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<SecretString>, DomainError> {
    mfa_recovery_code::Entity::delete_many()
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let codes = recovery::generate();
    let rows = recovery::hashes(&codes)
        .into_iter()
        .map(|hash| mfa_recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(hash),
            created_at: Set(now),
            used_at: Set(None),
            ..Default::default()
        });
    mfa_recovery_code::Entity::insert_many(rows)
        .exec(db)
        .await?;
    Ok(codes)
}

/// Finishes enrolment with the first code from the app: the factor is enabled and the ten
/// recovery codes are returned (shown once).
pub async fn confirm(
    db: &DatabaseConnection,
    keyring: &LiveKeyring,
    user_id: i32,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SecretString>, DomainError> {
    let pending = row(db, user_id).await?;
    let Some(pending) = pending.filter(|r| r.enabled_at.is_none()) else {
        return Err(DomainError::Conflict(
            "There is no set-up in progress. Start again with “Enable two-factor authentication”."
                .into(),
        ));
    };
    let secret = open(db, keyring, &pending).await?;
    let step = secret.verify(code, unix(now), None).map_err(wrong_code)?;
    let txn = db.begin().await?;
    let enabled = user_mfa::Entity::update_many()
        .col_expr(user_mfa::Column::EnabledAt, Expr::value(Some(now)))
        .col_expr(
            user_mfa::Column::LastStep,
            Expr::value(Some(step_i64(step))),
        )
        .filter(user_mfa::Column::Id.eq(pending.id))
        .filter(user_mfa::Column::EnabledAt.is_null())
        .exec(&txn)
        .await?;
    if enabled.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "Two-factor authentication changed meanwhile. Reload the page.".into(),
        ));
    }
    let codes = replace_codes(&txn, user_id, now).await?;
    txn.commit().await?;
    Ok(codes)
}

/// Checks a second-factor code of a user with two-factor authentication on: a TOTP code (its
/// step then becomes the last one used) or, when `allow_recovery`, an unused recovery code
/// (then used up). A wrong code is a validation error on the `code` field.
pub async fn check_code(
    db: &DatabaseConnection,
    keyring: &LiveKeyring,
    user_id: i32,
    code: &str,
    allow_recovery: bool,
    now: DateTime<Utc>,
) -> Result<Method, DomainError> {
    let Some(row) = enabled_row(db, user_id).await? else {
        return Err(DomainError::Conflict(
            "Two-factor authentication is not on.".into(),
        ));
    };
    if allow_recovery && recovery::looks_like(code) {
        return use_recovery_code(db, user_id, code, now).await;
    }
    let secret = open(db, keyring, &row).await?;
    let step = step_i64(
        secret
            .verify(code, unix(now), row.last_step)
            .map_err(wrong_code)?,
    );
    let advanced = user_mfa::Entity::update_many()
        .col_expr(user_mfa::Column::LastStep, Expr::value(Some(step)))
        .filter(user_mfa::Column::Id.eq(row.id))
        .filter(
            Condition::any()
                .add(user_mfa::Column::LastStep.is_null())
                .add(user_mfa::Column::LastStep.lt(step)),
        )
        .exec(db)
        .await?;
    if advanced.rows_affected != 1 {
        // Another request accepted this step (or a later one) first.
        return Err(wrong_code(Refusal::Replayed));
    }
    Ok(Method::Totp)
}

async fn use_recovery_code(
    db: &DatabaseConnection,
    user_id: i32,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Method, DomainError> {
    let refused = || {
        DomainError::validation(
            "code",
            "That recovery code is not right or was already used.",
        )
    };
    let hash = recovery::hash(code).ok_or_else(refused)?;
    let found = mfa_recovery_code::Entity::find()
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .filter(mfa_recovery_code::Column::CodeHash.eq(hash))
        .filter(mfa_recovery_code::Column::UsedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let used = mfa_recovery_code::Entity::update_many()
        .col_expr(mfa_recovery_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(mfa_recovery_code::Column::Id.eq(found.id))
        .filter(mfa_recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Err(refused());
    }
    Ok(Method::RecoveryCode)
}

/// New recovery codes (the old ones stop working), returned in clear this once.
pub async fn regenerate_codes(
    db: &DatabaseConnection,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<SecretString>, DomainError> {
    let txn = db.begin().await?;
    let codes = replace_codes(&txn, user_id, now).await?;
    txn.commit().await?;
    Ok(codes)
}

/// Turns two-factor authentication off: the secret and the recovery codes are deleted.
pub async fn remove(db: &DatabaseConnection, user_id: i32) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    user_mfa::Entity::delete_many()
        .filter(user_mfa::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    mfa_recovery_code::Entity::delete_many()
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

fn unix(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

fn step_i64(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

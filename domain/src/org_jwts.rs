//! Organization JWTs (seed 002): an application holding one calls the proxy as any of the
//! organization's users by sending `Authorization: Bearer <jwt>` and `X-User-ID: <external
//! id>`. Tokens are HS256, signed with a key derived from the master key for this purpose
//! only; each carries a `jti` recorded here, so tokens can be listed and revoked (a revoked
//! `jti` is refused until the token would have expired anyway).

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::entities::{org_jwt, organization, project, user};
use crate::error::DomainError;
use crate::password::PasswordHasher;
use crate::vault::MasterKey;

/// The HKDF purpose of the signing key: no other use of the master key shares it.
const PURPOSE: &[u8] = b"keygate/org-jwt/hs256/v1";
const ISSUER: &str = "keygate";
pub const MAX_DAYS: u32 = 3650;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The organization id.
    sub: String,
    org_name: String,
    iat: i64,
    exp: i64,
    jti: String,
    iss: String,
}

fn signing_secret(master: &MasterKey) -> Result<zeroize::Zeroizing<[u8; 32]>, DomainError> {
    master
        .derive_secret(PURPOSE)
        .map_err(|e| DomainError::internal("jwt key", e))
}

/// What `mint` needs.
#[derive(Clone, Debug)]
pub struct NewJwt {
    pub org_id: i32,
    /// Shown in the token's `org_name` claim (default: the organization's name).
    pub org_name: Option<String>,
    pub days: u32,
    /// The project whose provider keys serve the application's users (default: the
    /// organization's oldest active project).
    pub project_id: Option<i32>,
    pub name: String,
    pub created_by: Option<i32>,
}

/// Mints a token; returns its record and the token itself (shown once).
pub async fn mint(
    db: &DatabaseConnection,
    master: &MasterKey,
    new: NewJwt,
) -> Result<(org_jwt::Model, SecretString), DomainError> {
    if new.days == 0 || new.days > MAX_DAYS {
        return Err(DomainError::validation(
            "days",
            format!("A token lives 1 to {MAX_DAYS} days."),
        ));
    }
    let org = organization::Entity::find_by_id(new.org_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::validation("org_id", "No such organization."))?;
    let projects = project::Entity::find()
        .filter(project::Column::OrgId.eq(org.id))
        .filter(project::Column::Active.eq(true))
        .order_by_asc(project::Column::Id)
        .all(db)
        .await?;
    let project_id = match new.project_id {
        Some(id) => projects
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.id)
            .ok_or_else(|| {
                DomainError::validation("project_id", "No such active project in the organization.")
            })?,
        None => projects.first().map(|p| p.id).ok_or_else(|| {
            DomainError::validation(
                "project_id",
                "The organization has no active project to serve its users from.",
            )
        })?,
    };
    let now = Utc::now();
    let expires_at = now + TimeDelta::days(i64::from(new.days));
    let jti = uuid::Uuid::new_v4().simple().to_string();
    let claims = Claims {
        sub: org.id.to_string(),
        org_name: new.org_name.unwrap_or_else(|| org.name.clone()),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        jti: jti.clone(),
        iss: ISSUER.into(),
    };
    let secret = signing_secret(master)?;
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_ref()),
    )
    .map_err(|e| DomainError::internal("jwt encode", e))?;
    let row = org_jwt::ActiveModel {
        jti: Set(jti),
        org_id: Set(org.id),
        project_id: Set(project_id),
        name: Set(new.name.chars().take(100).collect()),
        created_by: Set(new.created_by),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((row, SecretString::from(token)))
}

pub async fn list(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<Vec<org_jwt::Model>, DomainError> {
    Ok(org_jwt::Entity::find()
        .filter(org_jwt::Column::OrgId.eq(org_id))
        .order_by_desc(org_jwt::Column::Id)
        .all(db)
        .await?)
}

pub async fn revoke(
    db: &DatabaseConnection,
    org_id: i32,
    id: i32,
) -> Result<org_jwt::Model, DomainError> {
    let found = org_jwt::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|t| t.org_id == org_id)
        .ok_or(DomainError::NotFound)?;
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut active = found.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// Why a JWT is refused (all 401 except `UnknownUser`, which is 403).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtRefusal {
    Invalid,
    Expired,
    Revoked,
    MissingUser,
    UnknownUser,
    UserDisabled,
}

impl JwtRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            JwtRefusal::Invalid => "Invalid organization token.",
            JwtRefusal::Expired => "This organization token has expired.",
            JwtRefusal::Revoked => "This organization token has been revoked.",
            JwtRefusal::MissingUser => "Send the application user's id in X-User-ID.",
            JwtRefusal::UnknownUser => {
                "Unknown X-User-ID, and this organization does not create users automatically."
            }
            JwtRefusal::UserDisabled => "This user is disabled.",
        }
    }
}

/// A verified application call: the organization, the project serving it, and the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtCaller {
    pub org_id: i32,
    pub project_id: i32,
    pub user_id: i32,
    pub jti: String,
}

/// True when `token` looks like a JWT (three base64url parts), not a Keygate key.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.matches('.').count() == 2
}

fn decode(master: &MasterKey, token: &str, now: DateTime<Utc>) -> Result<Claims, JwtRefusal> {
    let secret = signing_secret(master).map_err(|_| JwtRefusal::Invalid)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    // Expiry is checked below against `now`, so tests can move the clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_ref()),
        &validation,
    )
    .map_err(|_| JwtRefusal::Invalid)?;
    if data.claims.exp <= now.timestamp() {
        return Err(JwtRefusal::Expired);
    }
    Ok(data.claims)
}

/// Checks a token and finds (or, when the organization allows it, creates) the user named
/// by `external_id`.
pub async fn authenticate(
    db: &DatabaseConnection,
    master: &MasterKey,
    hasher: &PasswordHasher,
    token: &str,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<JwtCaller, JwtRefusal>, DomainError> {
    let claims = match decode(master, token, now) {
        Ok(c) => c,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(row) = org_jwt::Entity::find()
        .filter(org_jwt::Column::Jti.eq(claims.jti.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Err(JwtRefusal::Invalid));
    };
    if row.org_id.to_string() != claims.sub {
        return Ok(Err(JwtRefusal::Invalid));
    }
    if row.revoked_at.is_some() {
        return Ok(Err(JwtRefusal::Revoked));
    }
    let Some(external_id) = external_id
        .map(str::trim)
        .filter(|e| !e.is_empty() && e.len() <= 200)
    else {
        return Ok(Err(JwtRefusal::MissingUser));
    };
    let found = user::Entity::find()
        .filter(user::Column::OrgId.eq(row.org_id))
        .filter(user::Column::ExternalId.eq(external_id))
        .order_by_asc(user::Column::Id)
        .one(db)
        .await?;
    let user = match found {
        Some(u) if u.disabled => return Ok(Err(JwtRefusal::UserDisabled)),
        Some(u) => u,
        None => {
            let org = organization::Entity::find_by_id(row.org_id).one(db).await?;
            if !org.is_some_and(|o| o.auto_create_users) {
                return Ok(Err(JwtRefusal::UnknownUser));
            }
            create_external_user(db, hasher, row.org_id, external_id).await?
        }
    };
    org_jwt::Entity::update_many()
        .col_expr(
            org_jwt::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(org_jwt::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(Ok(JwtCaller {
        org_id: row.org_id,
        project_id: row.project_id,
        user_id: user.id,
        jti: row.jti,
    }))
}

/// A member created on first sight of an application's user. They cannot sign in (their
/// password is random and never shown) until an admin sets one.
async fn create_external_user(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    org_id: i32,
    external_id: &str,
) -> Result<user::Model, DomainError> {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{org_id}:{external_id}").as_bytes());
    let tag: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let random = uuid::Uuid::new_v4().to_string() + &uuid::Uuid::new_v4().to_string();
    let password_hash = hasher.hash(SecretString::from(random)).await?;
    let now = Utc::now();
    let created = user::ActiveModel {
        org_id: Set(org_id),
        email: Set(format!("ext-{tag}@users.keygate.invalid")),
        display_name: Set(external_id.chars().take(100).collect()),
        role: Set("member".into()),
        external_id: Set(Some(external_id.to_owned())),
        password_hash: Set(password_hash),
        session_epoch: Set(0),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match created {
        Ok(u) => Ok(u),
        // Two first requests raced: the other one created the user.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            user::Entity::find()
                .filter(user::Column::OrgId.eq(org_id))
                .filter(user::Column::ExternalId.eq(external_id))
                .one(db)
                .await?
                .ok_or(DomainError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

/// Lets (or stops) an organization's applications create users for unknown `X-User-ID`s.
pub async fn set_auto_create_users(
    db: &DatabaseConnection,
    org_id: i32,
    allowed: bool,
) -> Result<(), DomainError> {
    let changed = organization::Entity::update_many()
        .col_expr(
            organization::Column::AutoCreateUsers,
            sea_orm::sea_query::Expr::value(allowed),
        )
        .filter(organization::Column::Id.eq(org_id))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "1".into(),
            org_name: "Acme".into(),
            iat: 0,
            exp,
            jti: "j".into(),
            iss: ISSUER.into(),
        }
    }

    fn sign(master: &MasterKey, c: &Claims) -> String {
        let secret = signing_secret(master).unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            c,
            &EncodingKey::from_secret(secret.as_ref()),
        )
        .unwrap()
    }

    #[test]
    fn tokens_verify_only_with_the_same_master_key_and_before_expiry() {
        let master = MasterKey::generate();
        let now = Utc::now();
        let token = sign(&master, &claims(now.timestamp() + 60));
        assert!(looks_like_jwt(&token));
        assert!(decode(&master, &token, now).is_ok());
        assert_eq!(
            decode(&master, &token, now + TimeDelta::seconds(61)).err(),
            Some(JwtRefusal::Expired)
        );
        let other = MasterKey::generate();
        assert_eq!(decode(&other, &token, now).err(), Some(JwtRefusal::Invalid));
        // A changed signature fails.
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            decode(&master, &tampered, now).err(),
            Some(JwtRefusal::Invalid)
        );
    }
}

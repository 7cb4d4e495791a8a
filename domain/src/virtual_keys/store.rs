//! Generating, listing and revoking Keygate keys. Admins manage them for projects of their
//! organization; the proxy authenticates them through [`super::cache`].

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use secrecy::{ExposeSecret as _, SecretString};

use super::format;
use super::input::{parse_expires_in, parse_models};
use crate::auth::Admin;
use crate::entities::{user, virtual_key};
use crate::error::DomainError;
use crate::ip_access::IpAllowlist;
use crate::types::parse_text;

/// What an admin asks for.
#[derive(Clone, Debug, Default)]
pub struct NewVirtualKey {
    pub project_id: i32,
    pub name: String,
    /// `24h`, `30d`, `never`… (see [`parse_expires_in`]).
    pub expires_in: Option<String>,
    pub user_id: Option<i32>,
    pub models: Vec<String>,
    /// The persona applied when a request names none.
    pub persona_id: Option<i32>,
    /// IP addresses / CIDR blocks the key may be used from; empty = anywhere.
    pub allowed_ips: Vec<String>,
}

/// A key's state as users see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    pub fn of(key: &virtual_key::Model, now: DateTime<Utc>) -> Self {
        if key.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if key.expires_at.is_some_and(|at| at <= now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
        }
    }
}

/// The allowed-model patterns stored on a key.
pub fn models_of(key: &virtual_key::Model) -> Vec<String> {
    serde_json::from_str(&key.models).unwrap_or_default()
}

/// Generates a key; the secret is returned once and never stored.
pub async fn create(
    db: &DatabaseConnection,
    admin: &Admin,
    input: NewVirtualKey,
) -> Result<(virtual_key::Model, SecretString), DomainError> {
    let project = crate::projects::get(db, admin, input.project_id)
        .await
        .map_err(|_| DomainError::validation("project_id", "Choose a project."))?;
    if !project.active {
        return Err(DomainError::validation(
            "project_id",
            "Cannot generate tokens for inactive project",
        ));
    }
    let name = parse_text(
        &input.name,
        "name",
        100,
        Some("Enter a token name."),
        "Token names",
    )?;
    let expires_in = parse_expires_in(input.expires_in.as_deref().unwrap_or("never"))?;
    let models = parse_models(&input.models)?;
    let allowed_ips = parse_allowed_ips(&input.allowed_ips)?;
    if let Some(user_id) = input.user_id {
        user::Entity::find_by_id(user_id)
            .filter(user::Column::OrgId.eq(admin.user().org_id))
            .one(db)
            .await?
            .ok_or_else(|| DomainError::validation("user_id", "No such user."))?;
    }
    if let Some(persona_id) = input.persona_id {
        let persona = crate::personas::get(db, admin.user(), persona_id)
            .await
            .map_err(|_| DomainError::validation("persona_id", "No such persona."))?;
        if persona.user_id.is_some() && persona.user_id != input.user_id {
            return Err(DomainError::validation(
                "persona_id",
                "This persona is restricted to another user than the key's.",
            ));
        }
    }
    let now = Utc::now();
    let expires_at = match expires_in {
        Some(d) => Some(
            now + chrono::Duration::from_std(d)
                .map_err(|_| DomainError::validation("expires_in", "Expiry too far away."))?,
        ),
        None => None,
    };
    let secret = format::generate();
    let key = secret.expose_secret();
    let model = virtual_key::ActiveModel {
        org_id: Set(admin.user().org_id),
        project_id: Set(project.id),
        user_id: Set(input.user_id),
        name: Set(name),
        key_hash: Set(format::digest(key)),
        prefix: Set(format::display_prefix(key)),
        last_four: Set(format::last_four(key)),
        models: Set(serde_json::to_string(&models).unwrap_or_else(|_| "[]".into())),
        persona_id: Set(input.persona_id),
        created_by: Set(admin.user().id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        allowed_ips: Set(allowed_ips.to_stored()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// The networks stored on a key (empty = anywhere).
pub fn allowed_ips_of(key: &virtual_key::Model) -> Vec<String> {
    IpAllowlist::from_stored(key.allowed_ips.as_deref()).entries()
}

fn parse_allowed_ips(entries: &[String]) -> Result<IpAllowlist, DomainError> {
    IpAllowlist::parse(entries).map_err(|e| DomainError::validation("allowed_ips", e.to_string()))
}

/// Replaces a key's IP allowlist (empty = anywhere). Takes effect on every replica within the
/// key cache's freshness window, at once on this one after `KeyCache::forget_all`.
pub async fn set_allowed_ips(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    entries: &[String],
) -> Result<virtual_key::Model, DomainError> {
    let list = parse_allowed_ips(entries)?;
    let key = get(db, admin, id).await?;
    let mut active: virtual_key::ActiveModel = key.into();
    active.allowed_ips = Set(list.to_stored());
    Ok(active.update(db).await?)
}

/// Keys of the organization, newest first; optionally one project's only.
pub async fn list(
    db: &DatabaseConnection,
    admin: &Admin,
    project_id: Option<i32>,
) -> Result<Vec<virtual_key::Model>, DomainError> {
    let mut query =
        virtual_key::Entity::find().filter(virtual_key::Column::OrgId.eq(admin.user().org_id));
    if let Some(project_id) = project_id {
        crate::projects::get(db, admin, project_id).await?;
        query = query.filter(virtual_key::Column::ProjectId.eq(project_id));
    }
    Ok(query.order_by_desc(virtual_key::Column::Id).all(db).await?)
}

pub async fn get(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
) -> Result<virtual_key::Model, DomainError> {
    virtual_key::Entity::find_by_id(id)
        .filter(virtual_key::Column::OrgId.eq(admin.user().org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

/// Revokes one key (idempotent).
pub async fn revoke(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
) -> Result<virtual_key::Model, DomainError> {
    let key = get(db, admin, id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut row: virtual_key::ActiveModel = key.into();
    row.revoked_at = Set(Some(Utc::now()));
    Ok(row.update(db).await?)
}

/// Revokes every live key of a project; returns how many were revoked.
pub async fn revoke_all(
    db: &DatabaseConnection,
    admin: &Admin,
    project_id: i32,
) -> Result<u64, DomainError> {
    crate::projects::get(db, admin, project_id).await?;
    let result = virtual_key::Entity::update_many()
        .col_expr(
            virtual_key::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(virtual_key::Column::ProjectId.eq(project_id))
        .filter(virtual_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Token counts for a project page: total, active, created in the last 7 days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyCounts {
    pub total: u64,
    pub active: u64,
    pub recent: u64,
}

pub fn counts(keys: &[virtual_key::Model], now: DateTime<Utc>) -> KeyCounts {
    let week_ago = now - chrono::Duration::days(7);
    KeyCounts {
        total: keys.len() as u64,
        active: keys
            .iter()
            .filter(|k| KeyStatus::of(k, now) == KeyStatus::Active)
            .count() as u64,
        recent: keys.iter().filter(|k| k.created_at >= week_ago).count() as u64,
    }
}

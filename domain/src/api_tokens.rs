//! Tokens for programs. `kg_admin_…` tokens call the admin REST API with the rights of the
//! admin who created them (and stop working when that admin loses them); `kg_svc_…` tokens
//! let a server-side app fetch credentials from the broker. Tokens are shown once; only their
//! SHA-256 is stored, so a stolen database holds no usable token.

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};

use crate::auth::{Admin, SessionUser};
use crate::entities::{api_token, project, user};
use crate::error::DomainError;

const RANDOM_CHARS: usize = 40;
/// Skip the `last_used_at` write when the previous one is this recent (one write per minute,
/// not one per request).
const LAST_USED_GRANULARITY_SECS: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Admin,
    Service,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Admin => "admin",
            TokenKind::Service => "service",
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Admin => "kg_admin_",
            TokenKind::Service => "kg_svc_",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim() {
            "admin" => Ok(TokenKind::Admin),
            "service" => Ok(TokenKind::Service),
            _ => Err(DomainError::validation(
                "kind",
                "Token kind must be admin or service.",
            )),
        }
    }

    /// The kind a presented token claims by its prefix.
    pub fn of_token(token: &str) -> Option<Self> {
        [TokenKind::Admin, TokenKind::Service]
            .into_iter()
            .find(|k| token.starts_with(k.prefix()))
    }
}

/// What an admin token may do. Service tokens only reach the broker and carry `Admin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    /// Reads only (GET/HEAD).
    ReadOnly,
    /// Reads, and managing provider keys and Keygate keys (create, update, verify, rotate,
    /// revoke, delete).
    Keys,
    /// Everything its admin may do.
    Admin,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::ReadOnly, TokenScope::Keys, TokenScope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::ReadOnly => "read_only",
            TokenScope::Keys => "keys",
            TokenScope::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw || (raw == "read-only" && *s == TokenScope::ReadOnly))
            .ok_or_else(|| {
                DomainError::validation("scope", "Scope must be read_only, keys or admin.")
            })
    }

    /// A stored scope (unknown values are treated as the narrowest).
    pub fn of(token: &api_token::Model) -> Self {
        Self::parse(&token.scope).unwrap_or(TokenScope::ReadOnly)
    }

    /// Whether a REST request (`method`, path under `/api`) is within the scope.
    pub fn allows(self, method: &str, path: &str) -> bool {
        if matches!(method, "GET" | "HEAD") {
            return true;
        }
        match self {
            TokenScope::Admin => true,
            TokenScope::ReadOnly => false,
            TokenScope::Keys => {
                let path = path.trim_start_matches("/api");
                path.starts_with("/admin/api-keys")
                    || path.starts_with("/admin/virtual-keys")
                    || (path.starts_with("/admin/projects/")
                        && path.ends_with("/revoke-all-tokens"))
            }
        }
    }
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn generate(kind: TokenKind) -> SecretString {
    let random: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(RANDOM_CHARS)
        .map(char::from)
        .collect();
    SecretString::from(format!("{}{random}", kind.prefix()))
}

fn hint(kind: TokenKind, token: &str) -> String {
    let tail: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}…{tail}", kind.prefix())
}

/// What a new token needs.
#[derive(Debug)]
pub struct NewToken {
    pub kind: TokenKind,
    /// Admin tokens only; service tokens are stored with `Admin` (the broker is their scope).
    pub scope: TokenScope,
    pub name: String,
    pub project_id: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates a token; the secret is returned once and never stored.
pub async fn create(
    db: &DatabaseConnection,
    admin: &Admin,
    input: NewToken,
) -> Result<(api_token::Model, SecretString), DomainError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::validation(
            "name",
            "Enter a token name (at most 100 characters).",
        ));
    }
    if let Some(at) = input.expires_at
        && at <= Utc::now()
    {
        return Err(DomainError::validation(
            "expires_at",
            "The expiry must be in the future.",
        ));
    }
    if let Some(project_id) = input.project_id {
        project::Entity::find_by_id(project_id)
            .filter(project::Column::OrgId.eq(admin.user().org_id))
            .one(db)
            .await?
            .ok_or_else(|| DomainError::validation("project_id", "Choose a project."))?;
    }
    let token = generate(input.kind);
    let model = api_token::ActiveModel {
        org_id: Set(admin.user().org_id),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(name.to_owned()),
        token_hash: Set(digest(token.expose_secret())),
        hint: Set(hint(input.kind, token.expose_secret())),
        project_id: Set(input.project_id),
        created_by: Set(admin.user().id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        scope: Set(match input.kind {
            TokenKind::Admin => input.scope.as_str().to_owned(),
            TokenKind::Service => TokenScope::Admin.as_str().to_owned(),
        }),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, token))
}

/// The organization's tokens, newest first (revoked ones included, marked).
pub async fn list(
    db: &DatabaseConnection,
    admin: &Admin,
) -> Result<Vec<api_token::Model>, DomainError> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::OrgId.eq(admin.user().org_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes one of the organization's tokens; with `kind`, only a token of that kind (so a
/// mistyped id never revokes a token of another kind).
pub async fn revoke(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    kind: Option<&str>,
) -> Result<api_token::Model, DomainError> {
    let token = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::OrgId.eq(admin.user().org_id))
        .one(db)
        .await?
        .filter(|t| kind.is_none_or(|k| t.kind == k))
        .ok_or(DomainError::NotFound)?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut row: api_token::ActiveModel = token.into();
    row.revoked_at = Set(Some(Utc::now()));
    Ok(row.update(db).await?)
}

/// Why a presented token is refused. All of these answer 401 alike.
fn refused() -> DomainError {
    DomainError::Forbidden("invalid token".into())
}

/// Finds the live token of `kind` matching `presented`, and the user it acts as.
pub async fn authenticate(
    db: &DatabaseConnection,
    kind: TokenKind,
    presented: &str,
) -> Result<(api_token::Model, SessionUser), DomainError> {
    if TokenKind::of_token(presented) != Some(kind)
        || presented.len() != kind.prefix().len() + RANDOM_CHARS
        || !presented
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(refused());
    }
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(digest(presented)))
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let now = Utc::now();
    if token.kind != kind.as_str()
        || token.revoked_at.is_some()
        || token.expires_at.is_some_and(|at| at <= now)
    {
        return Err(refused());
    }
    let creator = user::Entity::find_by_id(token.created_by)
        .one(db)
        .await?
        .filter(|u| !u.disabled && u.org_id == token.org_id)
        .ok_or_else(refused)?;
    let acting = SessionUser::from_model(&creator)?;
    if !acting.role.is_admin() {
        return Err(refused());
    }
    if token
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= LAST_USED_GRANULARITY_SECS)
    {
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok((token, acting))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_limit_what_a_token_may_change() {
        for scope in TokenScope::ALL {
            assert!(scope.allows("GET", "/api/admin/projects"));
            assert_eq!(TokenScope::parse(scope.as_str()).ok(), Some(scope));
        }
        assert!(!TokenScope::ReadOnly.allows("POST", "/api/admin/api-keys"));
        assert!(TokenScope::Keys.allows("POST", "/api/admin/api-keys"));
        assert!(TokenScope::Keys.allows("PUT", "/api/admin/api-keys/4/rotate"));
        assert!(TokenScope::Keys.allows("POST", "/api/admin/virtual-keys/4/revoke"));
        assert!(TokenScope::Keys.allows("POST", "/api/admin/projects/2/revoke-all-tokens"));
        assert!(!TokenScope::Keys.allows("PUT", "/api/admin/limits/key/1"));
        assert!(!TokenScope::Keys.allows("POST", "/api/admin/projects"));
        assert!(TokenScope::Admin.allows("DELETE", "/api/admin/projects/1"));
        assert!(TokenScope::parse("root").is_err());
    }

    #[test]
    fn tokens_have_their_kind_prefix_and_enough_randomness() {
        let a = generate(TokenKind::Admin);
        let b = generate(TokenKind::Admin);
        assert!(a.expose_secret().starts_with("kg_admin_"));
        assert_eq!(a.expose_secret().len(), "kg_admin_".len() + RANDOM_CHARS);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(
            TokenKind::of_token(generate(TokenKind::Service).expose_secret()),
            Some(TokenKind::Service)
        );
        assert_eq!(TokenKind::of_token("sk-proxy-abc"), None);
        let shown = hint(TokenKind::Admin, a.expose_secret());
        assert!(shown.starts_with("kg_admin_…") && shown.chars().count() == 14);
    }
}

//! The signed-in user as sessions see it, and the axum-login backend.

use sea_orm::{DatabaseConnection, EntityTrait};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::accounts;
use crate::entities::user;
use crate::error::DomainError;
use crate::password::PasswordHasher;
use crate::types::{Permission, Role};

/// A signed-in user. `auth_hash` changes when the password or session epoch changes, which
/// makes axum-login drop every other session of that user on its next request.
#[derive(Clone)]
pub struct SessionUser {
    pub id: i32,
    pub org_id: i32,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    auth_hash: Vec<u8>,
}

impl std::fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionUser")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl SessionUser {
    pub fn from_model(model: &user::Model) -> Result<Self, DomainError> {
        let mut digest = Sha256::new();
        digest.update(model.password_hash.as_bytes());
        digest.update(model.session_epoch.to_le_bytes());
        Ok(Self {
            id: model.id,
            org_id: model.org_id,
            email: model.email.clone(),
            display_name: model.display_name.clone(),
            role: Role::parse(&model.role)?,
            auth_hash: digest.finalize().to_vec(),
        })
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.role.has(permission)
    }
}

impl axum_login::AuthUser for SessionUser {
    type Id = i32;

    fn id(&self) -> i32 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

/// A user proven to hold an admin role. Admin-only domain functions take this, so a missing
/// role check does not compile.
#[derive(Clone, Debug)]
pub struct Admin(SessionUser);

impl Admin {
    pub fn new(user: SessionUser) -> Result<Self, DomainError> {
        if user.role.is_admin() {
            Ok(Self(user))
        } else {
            Err(DomainError::Forbidden(
                "You need an admin role to do this.".into(),
            ))
        }
    }

    pub fn user(&self) -> &SessionUser {
        &self.0
    }
}

/// What a sign-in needs.
pub struct Credentials {
    pub email: String,
    pub password: SecretString,
    pub ip: Option<std::net::IpAddr>,
}

#[derive(Clone, Debug)]
pub struct Backend {
    db: DatabaseConnection,
    hasher: PasswordHasher,
}

impl Backend {
    pub fn new(db: DatabaseConnection, hasher: PasswordHasher) -> Self {
        Self { db, hasher }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("authentication backend: {0}")]
pub struct BackendError(String);

impl axum_login::AuthnBackend for Backend {
    type User = SessionUser;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<SessionUser>, BackendError> {
        match accounts::login::authenticate(&self.db, &self.hasher, &creds).await {
            Ok(user) => Ok(Some(user)),
            Err(DomainError::Internal(e)) => Err(BackendError(e)),
            Err(_) => Ok(None),
        }
    }

    async fn get_user(&self, user_id: &i32) -> Result<Option<SessionUser>, BackendError> {
        let found = user::Entity::find_by_id(*user_id)
            .one(&self.db)
            .await
            .map_err(|e| BackendError(e.to_string()))?;
        match found {
            Some(model) if !model.disabled => SessionUser::from_model(&model)
                .map(Some)
                .map_err(|e| BackendError(e.to_string())),
            _ => Ok(None),
        }
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;

/// Session key holding the Unix time of sign-in, for the absolute session lifetime.
pub const SIGNED_IN_AT_KEY: &str = "keygate.signed_in_at";

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `user` in on `auth`'s session (axum-login cycles the session id) and records when.
pub async fn start_session(auth: &mut AuthSession, user: &SessionUser) -> Result<(), DomainError> {
    auth.login(user)
        .await
        .map_err(|e| DomainError::internal("could not store session", e))?;
    auth.session
        .insert(SIGNED_IN_AT_KEY, unix_now())
        .await
        .map_err(|e| DomainError::internal("could not store session", e))
}

pub async fn end_session(auth: &mut AuthSession) -> Result<(), DomainError> {
    auth.logout()
        .await
        .map(|_| ())
        .map_err(|e| DomainError::internal("could not end session", e))
}

/// True when the session was signed in longer ago than `lifetime` (or carries no sign-in time).
pub async fn past_absolute_lifetime(auth: &AuthSession, lifetime: std::time::Duration) -> bool {
    let signed_in_at: Option<i64> = auth.session.get(SIGNED_IN_AT_KEY).await.ok().flatten();
    match signed_in_at {
        Some(at) => unix_now().saturating_sub(at) > lifetime.as_secs() as i64,
        None => true,
    }
}

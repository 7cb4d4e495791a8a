//! Targets for the objects actions touch, so every surface (REST, UI, CLI) names them the
//! same way. Details hold ids and names only, never a secret or a hint of one.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use super::entry::Entry;
use crate::entities::{api_token, org_jwt, persona, project, provider_key, user, virtual_key};
use crate::error::DomainError;

impl Entry {
    pub fn provider_key(self, key: &provider_key::Model) -> Self {
        self.target("provider_key", key.id, key.name.clone())
            .detail(json!({
                "provider": key.provider,
                "project_id": key.project_id,
                "owner_user_id": key.owner_user_id,
            }))
    }

    /// A provider key check: failed unless the provider accepted the key.
    pub fn provider_key_check(
        self,
        key: &provider_key::Model,
        outcome: &crate::provider_keys::verify::VerifyOutcome,
    ) -> Self {
        use crate::provider_keys::verify::VerifyStatus;
        let entry = self.provider_key(key);
        let mut detail = entry.detail.clone().unwrap_or_default();
        detail["status"] = outcome.status.as_str().into();
        let result = match outcome.status {
            VerifyStatus::Valid => super::Outcome::Success,
            _ => super::Outcome::Failure,
        };
        entry.outcome(result).detail(detail)
    }

    pub fn virtual_key(self, key: &virtual_key::Model) -> Self {
        self.target("virtual_key", key.id, key.name.clone())
            .detail(json!({ "project_id": key.project_id, "user_id": key.user_id }))
    }

    pub fn project(self, project: &project::Model) -> Self {
        self.target("project", project.id, project.name.clone())
    }

    pub fn persona(self, persona: &persona::Model) -> Self {
        self.target("persona", persona.id, persona.name.clone())
            .detail(json!({ "user_id": persona.user_id }))
    }

    pub fn user(self, user: &user::Model) -> Self {
        self.target("user", user.id, user.email.clone())
    }

    pub fn api_token(self, token: &api_token::Model) -> Self {
        self.target("api_token", token.id, token.name.clone())
            .detail(json!({ "kind": token.kind, "project_id": token.project_id }))
    }

    pub fn org_jwt(self, jwt: &org_jwt::Model) -> Self {
        self.target("org_jwt", jwt.id, jwt.name.clone())
            .detail(json!({ "project_id": jwt.project_id, "expires_at": jwt.expires_at }))
    }
}

/// The name of an organization's token, org JWT or Keygate key, for an entry written before
/// the object is touched (empty when there is no such object).
pub async fn name_of(
    db: &impl ConnectionTrait,
    kind: &str,
    org_id: i32,
    id: i32,
) -> Result<String, DomainError> {
    let name = match kind {
        "api_token" => api_token::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|t| t.org_id == org_id)
            .map(|t| t.name),
        "org_jwt" => org_jwt::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|t| t.org_id == org_id)
            .map(|t| t.name),
        "virtual_key" => virtual_key::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|k| k.org_id == org_id)
            .map(|k| k.name),
        _ => None,
    };
    Ok(name.unwrap_or_default())
}

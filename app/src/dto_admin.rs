//! Organization JWTs as the Settings page sees them: the list (never the token), the token
//! minted just now (shown once), and the "create users for unknown X-User-IDs" setting. Kept
//! apart from `dto.rs` so that file stays about keys, projects and accounts. Never entities.

use serde::{Deserialize, Serialize};

/// A minted organization JWT, without the token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgJwtDto {
    pub id: i32,
    pub name: String,
    pub project_id: i32,
    /// The project's name (`Project #id` if it is gone).
    pub project_name: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

/// The token just minted: its record and the token itself, this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrgJwtDto {
    pub jwt: OrgJwtDto,
    pub token: String,
}

#[cfg(feature = "ssr")]
mod from_domain {
    use super::*;
    use domain::entities::org_jwt;

    impl OrgJwtDto {
        /// `t` as listed at `now`, with its project's name.
        pub fn new(
            t: &org_jwt::Model,
            project_name: String,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Self {
            let status = if t.revoked_at.is_some() {
                "revoked"
            } else if t.expires_at <= now {
                "expired"
            } else {
                "active"
            };
            OrgJwtDto {
                id: t.id,
                name: t.name.clone(),
                project_id: t.project_id,
                project_name,
                status: status.to_owned(),
                created_at: t.created_at.to_rfc3339(),
                expires_at: t.expires_at.to_rfc3339(),
                last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
            }
        }
    }
}

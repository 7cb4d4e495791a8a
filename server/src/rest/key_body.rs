//! How provider keys look over REST: masked, never the secret (except the explicit reveal).

use domain::entities::provider_key;
use domain::provider_keys::verify::{VerifyDetails, VerifyOutcome, stored_details};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationBody {
    /// `never`, `valid`, `invalid` or `unreachable`.
    pub status: String,
    pub checked_at: Option<String>,
    pub details: Option<VerifyDetails>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyBody {
    pub id: i32,
    pub provider: String,
    pub name: String,
    pub description: String,
    /// The masked secret, e.g. `sk-…abcd`.
    pub key: String,
    /// `project` or `personal`.
    pub scope: &'static str,
    pub project_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    /// For `custom` keys: the organization's provider they belong to.
    pub custom_provider_id: Option<i32>,
    /// The provider-side organization id (sent as `OpenAI-Organization`).
    pub organization_id: Option<String>,
    pub base_url: Option<String>,
    pub region: Option<String>,
    pub rotation_schedule: Option<String>,
    /// When the rotation schedule next falls due.
    pub next_rotation_at: Option<String>,
    /// Set when the schedule fell due and nobody rotated the key yet.
    pub rotation_overdue_since: Option<String>,
    /// After a rotation: until when the previous secret is the proxy's fallback.
    pub previous_secret_until: Option<String>,
    pub active: bool,
    pub expired: bool,
    pub weight: i32,
    pub expires_at: Option<String>,
    pub created_by: i32,
    pub created_at: String,
    pub updated_at: String,
    pub last_used: Option<String>,
    pub verification: VerificationBody,
}

impl From<&provider_key::Model> for KeyBody {
    fn from(k: &provider_key::Model) -> Self {
        let now = chrono::Utc::now();
        Self {
            id: k.id,
            provider: k.provider.clone(),
            name: k.name.clone(),
            description: k.description.clone(),
            key: k.secret_hint.clone(),
            scope: if k.owner_user_id.is_some() {
                "personal"
            } else {
                "project"
            },
            project_id: k.project_id,
            owner_user_id: k.owner_user_id,
            custom_provider_id: k.custom_provider_id,
            organization_id: k.provider_org_id.clone(),
            base_url: k.base_url.clone(),
            region: k.region.clone(),
            rotation_schedule: k.rotation_schedule.clone(),
            next_rotation_at: k.next_rotation_at.map(|t| t.to_rfc3339()),
            rotation_overdue_since: k
                .next_rotation_at
                .filter(|at| k.rotation_schedule.is_some() && *at <= now)
                .map(|t| t.to_rfc3339()),
            previous_secret_until: k
                .previous_expires_at
                .filter(|at| *at > now)
                .map(|t| t.to_rfc3339()),
            active: k.active,
            expired: k.expires_at.is_some_and(|at| at <= now),
            weight: k.weight,
            expires_at: k.expires_at.map(|t| t.to_rfc3339()),
            created_by: k.created_by,
            created_at: k.created_at.to_rfc3339(),
            updated_at: k.updated_at.to_rfc3339(),
            last_used: k.last_used_at.map(|t| t.to_rfc3339()),
            verification: VerificationBody {
                status: k.verify_status.clone(),
                checked_at: k.verified_at.map(|t| t.to_rfc3339()),
                details: stored_details(k),
            },
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyList {
    pub keys: Vec<KeyBody>,
    pub total: usize,
}

impl KeyList {
    pub fn new(keys: &[provider_key::Model]) -> Self {
        Self {
            keys: keys.iter().map(KeyBody::from).collect(),
            total: keys.len(),
        }
    }
}

/// Seed 004's verify answer: `{"valid": bool, "details": {…}}`, plus the status word.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyBody {
    pub valid: bool,
    pub status: &'static str,
    pub checked_at: String,
    pub details: VerifyDetails,
}

impl From<VerifyOutcome> for VerifyBody {
    fn from(o: VerifyOutcome) -> Self {
        Self {
            valid: o.status == domain::provider_keys::verify::VerifyStatus::Valid,
            status: o.status.as_str(),
            checked_at: o.checked_at.to_rfc3339(),
            details: o.details,
        }
    }
}

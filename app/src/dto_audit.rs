//! The audit log as the browser and REST clients see it: entries, a page of them, the
//! chain's verification and the retention setting. Never entities.

use serde::{Deserialize, Serialize};

/// Outcomes an entry can have: (value, label).
pub const OUTCOMES: [(&str, &str); 3] = [
    ("success", "Success"),
    ("failure", "Failure"),
    ("denied", "Denied"),
];

/// The audit page's filters, as typed (empty: any). Dates are `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilters {
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
    pub from: String,
    pub to: String,
}

impl AuditFilters {
    /// The filters as (REST query parameter, value) pairs.
    pub fn pairs(&self) -> [(&'static str, &str); 7] {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("targetKind", &self.target_kind),
            ("targetId", &self.target_id),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ]
    }
}

/// One audit entry. `createdAt` is RFC 3339 (UTC, microseconds); `detail` is a JSON object
/// as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = AuditEntry))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryDto {
    pub id: i64,
    pub created_at: String,
    pub org_id: Option<i32>,
    /// Who acted: an e-mail, `key:12`, `token:3`, `system` or `cli`.
    pub actor: String,
    pub actor_user_id: Option<i32>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntryDto {
    /// The target as one short text: `provider_key 4 (OpenAI prod)`.
    pub fn target_text(&self) -> String {
        match (&self.target_kind, &self.target_id, &self.target_label) {
            (Some(kind), Some(id), Some(label)) if !label.is_empty() => {
                format!("{kind} {id} ({label})")
            }
            (Some(kind), Some(id), _) => format!("{kind} {id}"),
            _ => String::new(),
        }
    }

    /// `2026-01-02 03:04:05` from the RFC 3339 time (UTC).
    pub fn time_text(&self) -> String {
        self.created_at
            .get(..19)
            .map(|t| t.replace('T', " "))
            .unwrap_or_else(|| self.created_at.clone())
    }
}

/// A page of entries, newest first; `nextBefore` is the cursor for older ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = AuditPage))]
#[serde(rename_all = "camelCase")]
pub struct AuditPageDto {
    pub entries: Vec<AuditEntryDto>,
    pub next_before: Option<i64>,
}

/// The result of walking the hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = AuditVerification))]
#[serde(rename_all = "camelCase")]
pub struct AuditVerificationDto {
    pub entries: u64,
    pub ok: bool,
    /// The first entry that does not verify.
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
}

impl AuditVerificationDto {
    /// "Chain verified: N entries" or "Chain broken at entry N".
    pub fn summary(&self) -> String {
        if self.ok {
            format!("Chain verified: {} entries", self.entries)
        } else {
            match self.first_broken {
                Some(id) => format!("Chain broken at entry {id}"),
                None => "Chain broken".to_owned(),
            }
        }
    }
}

/// How long entries are kept, in days (1–3650).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = AuditRetention))]
pub struct AuditRetentionDto {
    pub days: i32,
}

#[cfg(feature = "ssr")]
impl From<&domain::entities::audit_log::Model> for AuditEntryDto {
    fn from(e: &domain::entities::audit_log::Model) -> Self {
        Self {
            id: e.id,
            created_at: domain::audit::chain::time_text(&e.created_at),
            org_id: e.org_id,
            actor: e.actor.clone(),
            actor_user_id: e.actor_user_id,
            action: e.action.clone(),
            target_kind: e.target_kind.clone(),
            target_id: e.target_id.clone(),
            target_label: e.target_label.clone(),
            outcome: e.outcome.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            detail: e.detail.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<domain::audit::AuditPage> for AuditPageDto {
    fn from(page: domain::audit::AuditPage) -> Self {
        Self {
            entries: page.entries.iter().map(AuditEntryDto::from).collect(),
            next_before: page.next_before,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<domain::audit::Verification> for AuditVerificationDto {
    fn from(v: domain::audit::Verification) -> Self {
        Self {
            entries: v.entries,
            ok: v.ok,
            first_broken: v.first_broken,
            reason: v.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_well() {
        let mut v = AuditVerificationDto {
            entries: 3,
            ok: true,
            first_broken: None,
            reason: None,
        };
        assert_eq!(v.summary(), "Chain verified: 3 entries");
        v.ok = false;
        v.first_broken = Some(2);
        assert_eq!(v.summary(), "Chain broken at entry 2");
    }
}

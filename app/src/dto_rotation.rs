//! What the rotation pages exchange with the server: a key's schedule and history, a
//! rotation's result, and rotated keys waiting for their owner. Secrets appear only in
//! [`RotatedDto::new_key`] (Keygate keys) and [`RevealedDeliveryDto::key`], each shown once.

use serde::{Deserialize, Serialize};

/// One entry of a key's rotation history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationDto {
    pub id: i32,
    /// `manual` or `schedule`.
    pub trigger: String,
    /// `success`, `failed` or `due`.
    pub outcome: String,
    /// Who rotated it (e-mail), when a person did.
    pub actor: Option<String>,
    pub detail: String,
    /// RFC 3339: until when the replaced key or secret stayed usable.
    pub grace_until: Option<String>,
    pub created_at: String,
}

/// A key's rotation settings and history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationStateDto {
    pub schedule: Option<String>,
    /// RFC 3339.
    pub next_rotation_at: Option<String>,
    /// Provider keys: the schedule fell due then and nobody rotated the key since.
    pub overdue_since: Option<String>,
    /// After a rotation: until when the previous key or secret still works.
    pub previous_until: Option<String>,
    /// Whether the viewer may rotate the key and change its schedule.
    pub can_rotate: bool,
    pub history: Vec<RotationDto>,
}

/// A rotation's result. For provider keys both keys are masked; for Keygate keys `new_key`
/// is the new key itself, shown this once (`Debug` leaves it out).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedDto {
    pub old_key: String,
    pub new_key: String,
    /// RFC 3339: when the old key or secret stops working.
    pub expires_at: String,
}

/// A rotated Keygate key waiting for its owner (never the key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryDto {
    pub id: i32,
    pub key_id: i32,
    pub key_name: String,
    /// The new key's `sk-proxy-AbCd…wxyz`.
    pub hint: String,
    pub created_at: String,
}

/// A revealed delivery: the new key, this once (`Debug` leaves it out).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedDeliveryDto {
    pub delivery: DeliveryDto,
    pub key: String,
}

impl std::fmt::Debug for RotatedDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatedDto")
            .field("old_key", &self.old_key)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RevealedDeliveryDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedDeliveryDto")
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

/// A Keygate key that acts as the viewer (they may rotate it themselves).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnKeygateKeyDto {
    pub id: i32,
    pub name: String,
    pub hint: String,
    /// `active`, `revoked` or `expired`.
    pub status: String,
    pub expires_at: Option<String>,
    pub next_rotation_at: Option<String>,
}

#[cfg(feature = "ssr")]
mod from_domain {
    use super::*;

    impl RotationDto {
        pub fn new(r: &domain::entities::key_rotation::Model, actor: Option<String>) -> Self {
            Self {
                id: r.id,
                trigger: r.trigger.clone(),
                outcome: r.outcome.clone(),
                actor,
                detail: r.detail.clone(),
                grace_until: r.grace_until.map(|t| t.to_rfc3339()),
                created_at: r.created_at.to_rfc3339(),
            }
        }
    }

    impl From<domain::rotation::delivery::Pending> for DeliveryDto {
        fn from(p: domain::rotation::delivery::Pending) -> Self {
            Self {
                id: p.id,
                key_id: p.key_id,
                key_name: p.key_name,
                hint: p.hint,
                created_at: p.created_at.to_rfc3339(),
            }
        }
    }

    impl OwnKeygateKeyDto {
        pub fn new(
            k: &domain::entities::virtual_key::Model,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Self {
            Self {
                id: k.id,
                name: k.name.clone(),
                hint: format!("{}…{}", k.prefix, k.last_four),
                status: domain::virtual_keys::KeyStatus::of(k, now)
                    .as_str()
                    .to_owned(),
                expires_at: k.expires_at.map(|t| t.to_rfc3339()),
                next_rotation_at: k.next_rotation_at.map(|t| t.to_rfc3339()),
            }
        }
    }
}

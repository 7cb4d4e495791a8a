//! The hash chain: how an entry's hash is computed from its predecessor's hash and its own
//! stored fields.
//!
//! hash = hex(SHA-256(canonical)), where `canonical` is the compact JSON array
//! `["keygate-audit-v1", prev_hash, id, org_id, created_at, actor_user_id, actor, action,
//! target_kind, target_id, target_label, outcome, ip, user_agent, detail]` — JSON strings are
//! escaped and absent values are `null`, so the encoding is unambiguous. `created_at` is
//! RFC 3339 in UTC with exactly six fractional digits; entries are stored truncated to
//! microseconds, which SQLite and PostgreSQL both keep exactly.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sha2::{Digest, Sha256};

use crate::entities::audit_log;

/// The `prev_hash` of the very first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Tag of the encoding, hashed first so a future format cannot collide with this one.
const VERSION: &str = "keygate-audit-v1";

/// `at` truncated to what both databases store exactly.
pub fn storable_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// The canonical timestamp text that is hashed.
pub fn time_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The hash `row` should carry, given its stored fields (its own `hash` is ignored).
pub fn entry_hash(row: &audit_log::Model) -> String {
    let canonical = serde_json::json!([
        VERSION,
        row.prev_hash,
        row.id,
        row.org_id,
        time_text(&row.created_at),
        row.actor_user_id,
        row.actor,
        row.action,
        row.target_kind,
        row.target_id,
        row.target_label,
        row.outcome,
        row.ip,
        row.user_agent,
        row.detail,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> audit_log::Model {
        audit_log::Model {
            id: 7,
            org_id: Some(1),
            created_at: DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_user_id: Some(3),
            actor: "ada@example.com".into(),
            action: "provider_key.reveal".into(),
            target_kind: Some("provider_key".into()),
            target_id: Some("12".into()),
            target_label: Some("OpenAI prod".into()),
            outcome: "success".into(),
            ip: Some("203.0.113.9".into()),
            user_agent: Some("curl/8".into()),
            detail: Some(r#"{"reason":"rotate"}"#.into()),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn hash_is_stable() {
        // Pinned: changing the encoding would break every stored chain.
        let hash = entry_hash(&sample());
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, entry_hash(&sample()));
        assert_eq!(
            hash,
            "3d652ea2b96da0c385adbf1f80fdeb3e0fdaa022e4a6a51b8b5bc1a8bfea6e34"
        );
    }

    #[test]
    fn every_field_is_covered() {
        let base = entry_hash(&sample());
        let edits: Vec<fn(&mut audit_log::Model)> = vec![
            |r| r.id = 8,
            |r| r.org_id = None,
            |r| r.created_at += chrono::Duration::microseconds(1),
            |r| r.actor_user_id = None,
            |r| r.actor = "eve@example.com".into(),
            |r| r.action = "provider_key.create".into(),
            |r| r.target_kind = None,
            |r| r.target_id = Some("13".into()),
            |r| r.target_label = Some(String::new()),
            |r| r.outcome = "failure".into(),
            |r| r.ip = None,
            |r| r.user_agent = Some("curl/9".into()),
            |r| r.detail = None,
            |r| r.prev_hash = "1".repeat(64),
        ];
        for edit in edits {
            let mut row = sample();
            edit(&mut row);
            assert_ne!(entry_hash(&row), base);
        }
        let mut row = sample();
        row.hash = "f".repeat(64);
        assert_eq!(entry_hash(&row), base, "the stored hash is not an input");
    }

    #[test]
    fn fields_cannot_shift_into_each_other() {
        let mut a = sample();
        a.actor = "a,b".into();
        a.action = "c".into();
        let mut b = sample();
        b.actor = "a".into();
        b.action = "b,c".into();
        assert_ne!(entry_hash(&a), entry_hash(&b));
        let mut c = sample();
        c.target_label = None;
        let mut d = sample();
        d.target_label = Some("null".into());
        assert_ne!(entry_hash(&c), entry_hash(&d));
    }

    #[test]
    fn times_are_truncated_to_microseconds() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_text(&storable_time(at)), "2026-01-02T03:04:05.123456Z");
    }
}

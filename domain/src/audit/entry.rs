//! What an audit entry says: who acted, from where, on what, and how it ended.

use crate::auth::SessionUser;

/// Longest user agent kept, in characters (the column holds 512).
pub const MAX_USER_AGENT: usize = 512;
/// Longest actor or target label kept, in characters (the columns hold 320).
const MAX_LABEL: usize = 320;
/// Longest action kept (the column holds 64).
const MAX_ACTION: usize = 64;
/// Longest target kind (the column holds 32).
const MAX_KIND: usize = 32;
/// Longest target id and IP address (the columns hold 64).
const MAX_ID: usize = 64;

/// Who acted: a signed-in user (`user_id` set, label = e-mail), a Keygate key, a token, the
/// CLI or the system itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub label: String,
}

impl Actor {
    pub fn user(user: &SessionUser) -> Self {
        Self {
            user_id: Some(user.id),
            label: user.email.clone(),
        }
    }

    pub fn system() -> Self {
        Self::anonymous("system")
    }

    pub fn cli() -> Self {
        Self::anonymous("cli")
    }

    /// A Keygate (virtual) key, by id.
    pub fn key(id: i32) -> Self {
        Self::anonymous(&format!("key:{id}"))
    }

    /// Anyone not tied to a user row: an attempted e-mail, `token:…`, `jwt:…`.
    pub fn anonymous(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_owned(),
        }
    }
}

/// Where a request came from, as far as Keygate can tell.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// How the action ended. `Denied` means Keygate refused it (permissions, throttling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// What happened to which object. `kind` names the object type (`user`, `provider_key`,
/// `virtual_key`, `project`, `persona`, `api_token`, `org_jwt`, `vault`, `audit`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: String,
    pub id: String,
    pub label: String,
}

/// One audit entry before it is chained. Build with [`Entry::new`] and the setters; never
/// put a secret (key, password, token, TOTP code) in any field.
#[derive(Clone, Debug)]
pub struct Entry {
    pub org_id: Option<i32>,
    pub actor: Actor,
    pub action: String,
    pub target: Option<Target>,
    pub outcome: Outcome,
    pub client: ClientInfo,
    pub detail: Option<serde_json::Value>,
}

impl Entry {
    /// A successful `action` (dotted, e.g. `provider_key.reveal`) by `actor`.
    pub fn new(org_id: Option<i32>, actor: Actor, action: &str) -> Self {
        Self {
            org_id,
            actor,
            action: action.to_owned(),
            target: None,
            outcome: Outcome::Success,
            client: ClientInfo::default(),
            detail: None,
        }
    }

    pub fn target(mut self, kind: &str, id: impl ToString, label: impl Into<String>) -> Self {
        self.target = Some(Target {
            kind: kind.to_owned(),
            id: id.to_string(),
            label: label.into(),
        });
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn client(mut self, client: &ClientInfo) -> Self {
        self.client = client.clone();
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The entry with every field cut to its column's width.
    pub(super) fn clamped(mut self) -> Self {
        self.actor.label = truncate(&self.actor.label, MAX_LABEL);
        self.action = truncate(&self.action, MAX_ACTION);
        if let Some(t) = self.target.as_mut() {
            t.kind = truncate(&t.kind, MAX_KIND);
            t.id = truncate(&t.id, MAX_ID);
            t.label = truncate(&t.label, MAX_LABEL);
        }
        self.client.ip = self.client.ip.map(|ip| truncate(&ip, MAX_ID));
        self.client.user_agent = self
            .client
            .user_agent
            .map(|ua| truncate(&ua, MAX_USER_AGENT));
        self
    }
}

/// `value` cut to at most `max` characters (never inside a character).
pub fn truncate(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        Some((at, _)) => value[..at].to_owned(),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 2), "hé");
        assert_eq!(truncate("abc", 5), "abc");
    }

    #[test]
    fn outcomes_round_trip() {
        for o in [Outcome::Success, Outcome::Failure, Outcome::Denied] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
    }
}

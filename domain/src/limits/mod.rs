//! Usage limits: budgets (micro-dollars and/or tokens per period) and rate limits (requests
//! and tokens per minute) on a Keygate key, a user, a project or a provider key.
//!
//! Budgets are exact and fail closed: admission reserves a request's worst-case estimate with
//! one conditional update per limit ([`admission`]), the ledger writer settles the actual cost
//! in the same transaction that writes the usage row ([`settle`]), and any database error
//! refuses the request. Rate limits are GCRA cells kept in memory on each server ([`rate`]).

pub mod admission;
pub mod period;
pub mod rate;
pub mod rate_shared;
pub mod settle;
pub mod store;

pub use admission::{Estimate, Exhausted, Hold, Refusal, Reservation};
pub use period::Period;

/// What a limit applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A Keygate key.
    Key,
    User,
    Project,
    ProviderKey,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Key, Scope::User, Scope::Project, Scope::ProviderKey];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Key => "key",
            Scope::User => "user",
            Scope::Project => "project",
            Scope::ProviderKey => "provider_key",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw || (raw == "provider-key" && *s == Scope::ProviderKey))
    }

    /// How a refusal names the scope to the caller.
    pub fn noun(self) -> &'static str {
        match self {
            Scope::Key => "Keygate key",
            Scope::User => "user",
            Scope::Project => "project",
            Scope::ProviderKey => "provider key",
        }
    }
}

/// Whether exceeding a budget refuses requests or only alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforcement {
    Hard,
    Soft,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Hard => "hard",
            Enforcement::Soft => "soft",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "hard" => Some(Enforcement::Hard),
            "soft" => Some(Enforcement::Soft),
            _ => None,
        }
    }
}

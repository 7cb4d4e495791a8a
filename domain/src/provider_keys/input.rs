//! What callers hand in to create, change and list provider keys, and the checks on each
//! field (lengths, formats, ranges) with their user-facing messages.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::error::DomainError;
use crate::providers::{ProviderKind, validate_base_url};
use crate::types::parse_text;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_WEIGHT: i32 = 1000;

/// Whose key a new key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScope {
    /// Shared by a project's programs; admins only.
    Project(i32),
    /// The caller's own key.
    Personal,
}

/// Raw input for a new key. Secrets are checked and trimmed here.
#[derive(Debug)]
pub struct NewKey {
    pub scope: KeyScope,
    pub provider: String,
    pub name: String,
    pub description: String,
    pub key: SecretString,
    /// AWS only.
    pub secret_access_key: Option<SecretString>,
    /// AWS only (default `us-east-1`).
    pub region: Option<String>,
    pub provider_org_id: Option<String>,
    pub base_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub weight: Option<i32>,
    pub rotation_schedule: Option<String>,
}

/// Changes to a key; `None` keeps a field. A blank `key` keeps the secret; for optional text
/// fields an empty string clears them.
#[derive(Debug, Default)]
pub struct KeyChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub key: Option<SecretString>,
    pub secret_access_key: Option<SecretString>,
    pub region: Option<String>,
    pub provider_org_id: Option<String>,
    pub base_url: Option<String>,
    /// `Some(None)` removes the expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub weight: Option<i32>,
    pub rotation_schedule: Option<String>,
    pub active: Option<bool>,
}

/// Which keys a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeFilter {
    Project,
    Personal,
}

#[derive(Clone, Debug, Default)]
pub struct KeyFilter {
    pub provider: Option<ProviderKind>,
    pub active: Option<bool>,
    pub scope: Option<ScopeFilter>,
    pub project_id: Option<i32>,
    /// Only the caller's own personal keys (the "My keys" page), whatever the caller's role.
    pub mine_only: bool,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
}

pub(super) fn parse_name(raw: &str) -> Result<String, DomainError> {
    parse_text(
        raw,
        "name",
        MAX_NAME_CHARS,
        Some("Enter a name for the key."),
        "Key names",
    )
}

pub(super) fn parse_description(raw: &str) -> Result<String, DomainError> {
    parse_text(
        raw,
        "description",
        MAX_DESCRIPTION_CHARS,
        None,
        "Descriptions",
    )
}

/// A short single-token text (organization id, region, schedule); empty means none.
pub(super) fn parse_token(
    raw: Option<&str>,
    field: &'static str,
    label: &str,
    max: usize,
    allow_spaces: bool,
) -> Result<Option<String>, DomainError> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max
        || value.chars().any(char::is_control)
        || (!allow_spaces && value.chars().any(char::is_whitespace))
    {
        return Err(DomainError::validation(
            field,
            format!("{label} must be at most {max} characters without spaces."),
        ));
    }
    Ok(Some(value.to_owned()))
}

pub(super) fn parse_region(raw: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(region) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let valid = region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(DomainError::validation(
            "region",
            "Enter an AWS region like us-east-1.",
        ));
    }
    Ok(Some(region.to_owned()))
}

pub(super) fn parse_weight(raw: Option<i32>) -> Result<i32, DomainError> {
    match raw {
        None => Ok(1),
        Some(w) if (1..=MAX_WEIGHT).contains(&w) => Ok(w),
        Some(_) => Err(DomainError::validation(
            "weight",
            format!("Weight must be between 1 and {MAX_WEIGHT}."),
        )),
    }
}

pub(super) fn parse_expiry(
    at: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    match at {
        Some(at) if at <= Utc::now() => Err(DomainError::validation(
            "expires_at",
            "The expiry must be in the future.",
        )),
        other => Ok(other),
    }
}

pub(super) fn parse_base_url(
    raw: Option<&str>,
    allow_private: bool,
) -> Result<Option<String>, DomainError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(raw) => Ok(Some(
            validate_base_url(raw, allow_private)?
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        )),
    }
}

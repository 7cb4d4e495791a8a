//! Parsed inputs and small value types: once constructed, they are valid.

use std::fmt;

use crate::error::DomainError;

/// A normalised (trimmed, lower-cased) e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim().to_lowercase();
        let invalid = || DomainError::validation("email", "Enter a valid email address.");
        if email.is_empty() || email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') || !domain.contains('.') {
            return Err(invalid());
        }
        if domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user's role inside their organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

/// Permissions derived from roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create and revoke project tokens and manage users: held by admins and owners.
    ManageProjectTokens,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim() {
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err(DomainError::validation(
                "role",
                "Role must be owner, admin or member.",
            )),
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::Owner)
    }

    pub fn has(self, permission: Permission) -> bool {
        match permission {
            Permission::ManageProjectTokens => self.is_admin(),
        }
    }
}

/// Trimmed free text of at most `max` characters. `required` holds the message for an empty
/// value (`None`: empty is fine); `plural` names the thing in the length message, e.g.
/// "Project names".
pub fn parse_text(
    raw: &str,
    field: &'static str,
    max: usize,
    required: Option<&str>,
    plural: &str,
) -> Result<String, DomainError> {
    let text = raw.trim();
    if let Some(message) = required
        && text.is_empty()
    {
        return Err(DomainError::validation(field, message));
    }
    if text.chars().count() > max {
        return Err(DomainError::validation(
            field,
            format!("{plural} are at most {max} characters."),
        ));
    }
    Ok(text.to_owned())
}

/// A display name: 1–100 characters after trimming.
pub fn parse_display_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::validation("display_name", "Enter a name."));
    }
    if name.chars().count() > 100 {
        return Err(DomainError::validation(
            "display_name",
            "Names are at most 100 characters.",
        ));
    }
    Ok(name.to_owned())
}

/// An organization name: 1–100 characters after trimming.
pub fn parse_org_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::validation(
            "org_name",
            "Enter an organization name.",
        ));
    }
    if name.chars().count() > 100 {
        return Err(DomainError::validation(
            "org_name",
            "Organization names are at most 100 characters.",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        let email = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a@b@c.com",
            "a b@c.com",
            "a@nodot",
            "a@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn roles_round_trip_and_grant_permissions() {
        for role in [Role::Member, Role::Admin, Role::Owner] {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("root").is_err());
        assert!(!Role::Member.has(Permission::ManageProjectTokens));
        assert!(Role::Admin.has(Permission::ManageProjectTokens));
        assert!(Role::Owner.has(Permission::ManageProjectTokens));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_display_name("  Ada ").unwrap(), "Ada");
        assert!(parse_display_name("   ").is_err());
        assert!(parse_display_name(&"x".repeat(101)).is_err());
        assert!(parse_org_name("").is_err());
    }
}

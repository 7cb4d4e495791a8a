//! Checking what an admin asks for when generating a Keygate key.

use std::time::Duration;

use crate::error::DomainError;

/// At most this many model patterns per key.
pub const MAX_MODEL_PATTERNS: usize = 50;

/// `1h`, `24h`, `7d`, `30d`, `90d`, `365d`, … or `never` (also empty). `None` = never expires.
/// From one hour to ten years.
pub fn parse_expires_in(raw: &str) -> Result<Option<Duration>, DomainError> {
    let invalid = || {
        DomainError::validation(
            "expires_in",
            "Choose an expiry between 1h and 3650d (like 24h, 30d) or never.",
        )
    };
    let raw = raw.trim().to_ascii_lowercase();
    if raw.is_empty() || raw == "never" {
        return Ok(None);
    }
    let (number, unit_secs) = if let Some(n) = raw.strip_suffix('h') {
        (n, 3600)
    } else if let Some(n) = raw.strip_suffix('d') {
        (n, 86_400)
    } else {
        return Err(invalid());
    };
    let count: u64 = number.parse().map_err(|_| invalid())?;
    let secs = count.checked_mul(unit_secs).ok_or_else(invalid)?;
    if !(3600..=3650 * 86_400).contains(&secs) {
        return Err(invalid());
    }
    Ok(Some(Duration::from_secs(secs)))
}

/// Model patterns: a model id, optionally with `*` wildcards (`gpt-4o*`, `*mini`, `claude-*`).
pub fn parse_models(raw: &[String]) -> Result<Vec<String>, DomainError> {
    let mut patterns = Vec::new();
    for item in raw {
        let pattern = item.trim();
        if pattern.is_empty() {
            continue;
        }
        let well_formed = pattern.len() <= 100
            && pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:/*@".contains(c));
        if !well_formed {
            return Err(DomainError::validation(
                "models",
                format!(
                    "{pattern:?} is not a model pattern (letters, digits, - _ . : / @ and * only)."
                ),
            ));
        }
        if !patterns.iter().any(|p| p == pattern) {
            patterns.push(pattern.to_owned());
        }
    }
    if patterns.len() > MAX_MODEL_PATTERNS {
        return Err(DomainError::validation(
            "models",
            format!("At most {MAX_MODEL_PATTERNS} model patterns."),
        ));
    }
    Ok(patterns)
}

/// Glob match with `*` for any run of characters, case-insensitive.
pub fn pattern_matches(pattern: &str, model: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let model = model.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == model;
    }
    let mut rest = model.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

/// Empty = every model.
pub fn model_allowed(patterns: &[String], model: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| pattern_matches(p, model))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn expiry_durations() {
        assert_eq!(parse_expires_in("never").unwrap(), None);
        assert_eq!(parse_expires_in("").unwrap(), None);
        assert_eq!(
            parse_expires_in("1h").unwrap(),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            parse_expires_in(" 30D ").unwrap(),
            Some(Duration::from_secs(30 * 86_400))
        );
        for bad in [
            "0h",
            "30m",
            "3651d",
            "-1d",
            "d",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_expires_in(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn model_patterns() {
        let patterns = parse_models(&[
            " gpt-4o* ".into(),
            "".into(),
            "claude-*".into(),
            "gpt-4o*".into(),
        ])
        .unwrap();
        assert_eq!(patterns, vec!["gpt-4o*", "claude-*"]);
        assert!(parse_models(&["gpt 4".into()]).is_err());
        assert!(model_allowed(&patterns, "gpt-4o-mini"));
        assert!(model_allowed(&patterns, "CLAUDE-sonnet-4-5"));
        assert!(!model_allowed(&patterns, "gpt-4.1"));
        assert!(model_allowed(&[], "anything"));
        assert!(pattern_matches("*mini", "gpt-4o-mini"));
        assert!(pattern_matches("gpt-*-mini", "gpt-4o-mini"));
        assert!(!pattern_matches("gpt-*-mini", "gpt-4o"));
        assert!(pattern_matches("groq/*", "groq/llama-3.3-70b"));
        assert!(!pattern_matches("gpt-4o", "gpt-4o-mini"));
    }
}

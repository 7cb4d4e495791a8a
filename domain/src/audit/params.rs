//! The log's filters as text (REST query parameters, form fields), checked and turned into an
//! [`AuditFilter`].

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::entry::Outcome;
use super::query::AuditFilter;
use crate::error::DomainError;

/// Filters and paging as sent. Dates are `YYYY-MM-DD` (UTC; `to` includes that whole day) or
/// RFC 3339 times.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditQuery {
    /// Part of the actor (an e-mail, `key:12`, `cli`), any case.
    pub actor: Option<String>,
    /// An action (`provider_key.reveal`), or a prefix ending in `*` (`provider_key.*`).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: Option<String>,
    /// From this date or time (inclusive).
    pub from: Option<String>,
    /// Up to this date (inclusive) or time (exclusive).
    pub to: Option<String>,
    /// Cursor: only entries with a smaller id (the previous page's `nextBefore`).
    pub before: Option<i64>,
    /// Entries per page, 1–500 (default 100).
    pub limit: Option<u64>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A date (`YYYY-MM-DD`, midnight UTC; `end_of_day` moves it to the next midnight) or an
/// RFC 3339 time.
fn parse_time(
    raw: &str,
    field: &'static str,
    end_of_day: bool,
) -> Result<DateTime<Utc>, DomainError> {
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let start = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        if let Some(start) = start {
            return Ok(if end_of_day {
                start + Duration::days(1)
            } else {
                start
            });
        }
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| DomainError::validation(field, "Use a date (YYYY-MM-DD) or an RFC 3339 time."))
}

impl AuditQuery {
    /// The filter for `org_id`'s viewers.
    pub fn filter(&self, org_id: Option<i32>) -> Result<AuditFilter, DomainError> {
        let outcome = match given(&self.outcome) {
            None => None,
            Some(raw) => Some(Outcome::parse(raw).ok_or_else(|| {
                DomainError::validation("outcome", "Outcome must be success, failure or denied.")
            })?),
        };
        let from = given(&self.from)
            .map(|raw| parse_time(raw, "from", false))
            .transpose()?;
        let to = given(&self.to)
            .map(|raw| parse_time(raw, "to", true))
            .transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(DomainError::validation(
                "to",
                "The end must come after the start.",
            ));
        }
        Ok(AuditFilter {
            org_id,
            actor: given(&self.actor).map(str::to_owned),
            action: given(&self.action).map(str::to_owned),
            target_kind: given(&self.target_kind).map(str::to_owned),
            target_id: given(&self.target_id).map(str::to_owned),
            outcome,
            from,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_cover_whole_days() {
        let q = AuditQuery {
            from: Some("2026-01-02".into()),
            to: Some("2026-01-02".into()),
            outcome: Some("denied".into()),
            actor: Some("  ".into()),
            ..AuditQuery::default()
        };
        let f = q.filter(Some(1)).unwrap();
        assert_eq!(f.to.unwrap() - f.from.unwrap(), Duration::days(1));
        assert_eq!(f.outcome, Some(Outcome::Denied));
        assert_eq!(f.actor, None);
    }

    #[test]
    fn bad_values_name_their_field() {
        let q = AuditQuery {
            outcome: Some("maybe".into()),
            ..AuditQuery::default()
        };
        assert!(matches!(
            q.filter(None),
            Err(DomainError::Validation {
                field: Some("outcome"),
                ..
            })
        ));
        let q = AuditQuery {
            from: Some("yesterday".into()),
            ..AuditQuery::default()
        };
        assert!(q.filter(None).is_err());
    }
}

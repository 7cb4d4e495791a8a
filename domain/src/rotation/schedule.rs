//! Rotation schedules: a five-field cron expression (UTC, minute granularity; `@daily`,
//! `@weekly`, `@monthly` and the other nicknames work too) or `every N days`.
//!
//! Schedules are checked when set, with messages meant for people, and stored normalised.
//! Rotations closer together than [`MIN_INTERVAL`] are refused: every rotation writes history,
//! and for Keygate keys hands the owner a new key.

use chrono::{DateTime, Duration, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::error::DomainError;

/// The field name validation errors carry.
pub const FIELD: &str = "schedule";
/// Longest schedule text (the columns hold 100).
pub const MAX_LEN: usize = 100;
/// `every N days` allows N up to this (ten years).
pub const MAX_DAYS: u32 = 3650;
/// Consecutive rotations must be at least this far apart.
pub const MIN_INTERVAL: Duration = Duration::hours(1);
/// How many upcoming cron occurrences are checked against [`MIN_INTERVAL`].
const CHECKED_OCCURRENCES: usize = 48;

/// A parsed schedule.
#[derive(Clone, Debug)]
pub enum Schedule {
    EveryDays(u32),
    /// The expression as typed (spaces collapsed) and its parsed form.
    Cron(String, Box<Cron>),
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::validation(FIELD, message)
}

const HELP: &str = "Use a cron expression such as `0 3 1 * *` (UTC) or `every 30 days`.";

/// `every N days` (also `every day`, `every 1 day`), any case and spacing.
fn parse_every(text: &str) -> Option<Result<u32, DomainError>> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if words.first() != Some(&"every") {
        return None;
    }
    let days = match words.as_slice() {
        ["every", "day"] => Ok(1),
        ["every", n, "day" | "days"] => match n.parse::<u32>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(n),
            _ => Err(invalid(format!(
                "`every N days` needs a whole number of days from 1 to {MAX_DAYS}."
            ))),
        },
        _ => Err(invalid(format!(
            "Write `every N days`, for example `every 30 days`. {HELP}"
        ))),
    };
    Some(days)
}

fn parse_cron(text: &str) -> Result<Cron, DomainError> {
    let fields = text.split_whitespace().count();
    if !text.starts_with('@') && fields != 5 {
        return Err(invalid(format!(
            "A cron expression has five fields (minute hour day-of-month month day-of-week); \
             this one has {fields}. {HELP}"
        )));
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| invalid(format!("Not a valid cron expression ({e}). {HELP}")))
}

impl Schedule {
    /// Checks a schedule typed by a person.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(invalid(format!("Enter a schedule. {HELP}")));
        }
        if text.chars().count() > MAX_LEN || text.chars().any(char::is_control) {
            return Err(invalid(format!(
                "A schedule is at most {MAX_LEN} characters. {HELP}"
            )));
        }
        let schedule = match parse_every(&text) {
            Some(days) => Schedule::EveryDays(days?),
            None => Schedule::Cron(text.clone(), Box::new(parse_cron(&text)?)),
        };
        schedule.check_spacing()?;
        Ok(schedule)
    }

    /// The stored form: `every N days`, or the cron expression with single spaces.
    pub fn text(&self) -> String {
        match self {
            Schedule::EveryDays(1) => "every 1 day".to_owned(),
            Schedule::EveryDays(n) => format!("every {n} days"),
            Schedule::Cron(text, _) => text.clone(),
        }
    }

    /// When the next rotation falls due after one at (or a schedule set at) `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::EveryDays(n) => after.checked_add_signed(Duration::days(i64::from(*n))),
            Schedule::Cron(_, cron) => cron.find_next_occurrence(&after, false).ok(),
        }
    }

    fn check_spacing(&self) -> Result<(), DomainError> {
        let Schedule::Cron(_, cron) = self else {
            return Ok(());
        };
        let start = Utc::now();
        let mut previous: Option<DateTime<Utc>> = None;
        let mut any = false;
        for at in cron.iter_after(start).take(CHECKED_OCCURRENCES) {
            any = true;
            if let Some(previous) = previous
                && at - previous < MIN_INTERVAL
            {
                return Err(invalid(
                    "Rotations must be at least an hour apart; this schedule rotates more often.",
                ));
            }
            previous = Some(at);
        }
        if !any {
            return Err(invalid(format!(
                "This cron expression never falls due. {HELP}"
            )));
        }
        Ok(())
    }
}

/// Parses an optional schedule: `None`, empty or blank clears it.
pub fn parse_optional(raw: Option<&str>) -> Result<Option<Schedule>, DomainError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => Schedule::parse(text).map(Some),
    }
}

/// `err` about the schedule, reported on `field` instead (forms name it differently).
pub fn for_field(err: DomainError, field: &'static str) -> DomainError {
    match err {
        DomainError::Validation { message, .. } => DomainError::validation(field, message),
        other => other,
    }
}

/// The next due time of a stored schedule after `after`; `None` when there is no schedule or
/// it no longer parses (schedules are checked when set, so this is only a safety net).
pub fn next_due(stored: Option<&str>, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = parse_optional(stored).ok().flatten()?;
    schedule.next_after(after)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use chrono::TimeZone as _;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn message(err: DomainError) -> String {
        match err {
            DomainError::Validation { field, message } => {
                assert_eq!(field, Some(FIELD));
                message
            }
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn every_n_days_parses_and_counts_from_the_anchor() {
        for (raw, days) in [
            ("every 30 days", 30),
            ("  Every   7 DAYS ", 7),
            ("every day", 1),
            ("every 1 day", 1),
            ("every 3650 days", 3650),
        ] {
            let schedule = Schedule::parse(raw).unwrap();
            assert!(
                matches!(schedule, Schedule::EveryDays(n) if n == days),
                "{raw}"
            );
            assert_eq!(
                schedule.next_after(at(2026, 1, 1, 12, 0)),
                Some(at(2026, 1, 1, 12, 0) + Duration::days(i64::from(days)))
            );
        }
        assert_eq!(
            Schedule::parse("every 30 days").unwrap().text(),
            "every 30 days"
        );
        assert_eq!(Schedule::parse("EVERY DAY").unwrap().text(), "every 1 day");
    }

    #[test]
    fn bad_day_counts_are_explained() {
        for raw in [
            "every 0 days",
            "every -3 days",
            "every 3651 days",
            "every x days",
        ] {
            let text = message(Schedule::parse(raw).unwrap_err());
            assert!(text.contains("whole number of days"), "{raw}: {text}");
        }
        let text = message(Schedule::parse("every fortnight").unwrap_err());
        assert!(text.contains("every N days"), "{text}");
    }

    #[test]
    fn cron_expressions_give_the_next_utc_occurrence() {
        let monthly = Schedule::parse("0 3 1 * *").unwrap();
        assert_eq!(monthly.text(), "0 3 1 * *");
        assert_eq!(
            monthly.next_after(at(2026, 1, 15, 10, 0)),
            Some(at(2026, 2, 1, 3, 0))
        );
        // Strictly after: a rotation at the due time schedules the next one.
        assert_eq!(
            monthly.next_after(at(2026, 2, 1, 3, 0)),
            Some(at(2026, 3, 1, 3, 0))
        );
        let weekly = Schedule::parse("30 2 * * MON").unwrap();
        // 2026-01-01 is a Thursday; the next Monday is the 5th.
        assert_eq!(
            weekly.next_after(at(2026, 1, 1, 0, 0)),
            Some(at(2026, 1, 5, 2, 30))
        );
        let daily = Schedule::parse("@daily").unwrap();
        assert_eq!(
            daily.next_after(at(2026, 1, 1, 0, 0)),
            Some(at(2026, 1, 2, 0, 0))
        );
        assert_eq!(
            Schedule::parse(" 0  3   1 * * ").unwrap().text(),
            "0 3 1 * *"
        );
    }

    #[test]
    fn bad_cron_expressions_are_explained() {
        let text = message(Schedule::parse("0 3 * *").unwrap_err());
        assert!(text.contains("five fields"), "{text}");
        let text = message(Schedule::parse("0 0 3 * * *").unwrap_err());
        assert!(text.contains("five fields"), "{text}");
        let text = message(Schedule::parse("61 3 * * *").unwrap_err());
        assert!(text.contains("Not a valid cron expression"), "{text}");
        let text = message(Schedule::parse("").unwrap_err());
        assert!(text.contains("Enter a schedule"), "{text}");
        let text = message(Schedule::parse(&"1".repeat(101)).unwrap_err());
        assert!(text.contains("at most 100"), "{text}");
    }

    #[test]
    fn schedules_more_often_than_hourly_are_refused() {
        for raw in ["* * * * *", "*/30 * * * *", "0,1 3 * * *"] {
            let text = message(Schedule::parse(raw).unwrap_err());
            assert!(text.contains("an hour apart"), "{raw}: {text}");
        }
        assert!(Schedule::parse("0 * * * *").is_ok());
    }

    #[test]
    fn optional_and_stored_schedules() {
        assert!(parse_optional(None).unwrap().is_none());
        assert!(parse_optional(Some("  ")).unwrap().is_none());
        assert!(parse_optional(Some("every 2 days")).unwrap().is_some());
        let from = at(2026, 3, 1, 0, 0);
        assert_eq!(
            next_due(Some("every 2 days"), from),
            Some(at(2026, 3, 3, 0, 0))
        );
        assert_eq!(next_due(None, from), None);
        assert_eq!(next_due(Some("nonsense"), from), None);
    }
}

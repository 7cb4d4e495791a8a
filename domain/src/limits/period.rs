//! Budget periods: when the current one started and when it resets. All boundaries are UTC
//! midnights (weeks start on Monday), so every replica computes the same period for an instant.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone as _, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    /// The budget never resets: a lifetime allowance.
    Never,
}

impl Period {
    pub const ALL: [Period; 4] = [
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Never => "never",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw.trim())
    }

    /// The start of the period that contains `now`. `Never` starts at the Unix epoch, so a
    /// lifetime budget is never rolled over.
    pub fn start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.date_naive();
        let day = match self {
            Period::Daily => today,
            Period::Weekly => {
                today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
            }
            Period::Monthly => today.with_day(1).unwrap_or(today),
            Period::Never => return DateTime::<Utc>::UNIX_EPOCH,
        };
        midnight(day)
    }

    /// When the period that started at `start` ends (`None` for `Never`).
    pub fn reset_at(self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let day = start.date_naive();
        let next = match self {
            Period::Daily => day.succ_opt()?,
            Period::Weekly => day + Duration::days(7),
            Period::Monthly => {
                let (year, month) = if day.month() == 12 {
                    (day.year() + 1, 1)
                } else {
                    (day.year(), day.month() + 1)
                };
                NaiveDate::from_ymd_opt(year, month, 1)?
            }
            Period::Never => return None,
        };
        Some(midnight(next))
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn daily_period_is_the_utc_day() {
        let now = at("2026-11-26T15:04:05Z");
        assert_eq!(Period::Daily.start(now), at("2026-11-26T00:00:00Z"));
        assert_eq!(
            Period::Daily.reset_at(Period::Daily.start(now)),
            Some(at("2026-11-27T00:00:00Z"))
        );
    }

    #[test]
    fn weekly_period_starts_on_monday() {
        // 2026-11-26 is a Thursday.
        let now = at("2026-11-26T15:04:05Z");
        assert_eq!(Period::Weekly.start(now), at("2026-11-23T00:00:00Z"));
        assert_eq!(
            Period::Weekly.reset_at(at("2026-11-23T00:00:00Z")),
            Some(at("2026-11-30T00:00:00Z"))
        );
        let monday = at("2026-11-23T00:00:00Z");
        assert_eq!(Period::Weekly.start(monday), monday);
    }

    #[test]
    fn monthly_period_rolls_over_the_year() {
        let now = at("2026-12-31T23:59:59Z");
        assert_eq!(Period::Monthly.start(now), at("2026-12-01T00:00:00Z"));
        assert_eq!(
            Period::Monthly.reset_at(Period::Monthly.start(now)),
            Some(at("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn never_does_not_reset() {
        let now = at("2026-11-26T15:04:05Z");
        assert_eq!(Period::Never.start(now), DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(Period::Never.reset_at(Period::Never.start(now)), None);
    }

    #[test]
    fn periods_parse_from_their_names() {
        for p in Period::ALL {
            assert_eq!(Period::parse(p.as_str()), Some(p));
        }
        assert_eq!(Period::parse("hourly"), None);
    }
}

//! Where this month's cost is heading: the cost so far plus the recent daily run-rate over
//! the days left. The run-rate is the average of the last (up to) seven complete days, so a
//! single busy hour does not swing it, and a key that started mid-week is not diluted by
//! days before it existed.

use chrono::{DateTime, Datelike as _, DurationRound as _, NaiveDate, TimeDelta, Utc};

/// How many complete days the run-rate averages.
pub const TREND_DAYS: i64 = 7;

/// The first instant of the month after `now`'s (UTC).
pub fn next_month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let (year, month) = if now.month() == 12 {
        (now.year() + 1, 1)
    } else {
        (now.year(), now.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(now)
}

/// The first instant of `now`'s month (UTC).
pub fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(now)
}

/// Projected cost (micro-dollars) at the end of `now`'s month.
///
/// * `month_so_far` — cost from the start of the month until `now`.
/// * `daily` — cost of each complete day before today, oldest first (any number; the last
///   [`TREND_DAYS`] are used, and leading days with no cost at all are skipped as "before
///   the first use").
pub fn projected_month_cost(now: DateTime<Utc>, month_so_far: i64, daily: &[i64]) -> i64 {
    let recent: Vec<i64> = daily
        .iter()
        .rev()
        .take(TREND_DAYS as usize)
        .rev()
        .copied()
        .skip_while(|c| *c == 0)
        .collect();
    let today = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now);
    let today_so_far_share =
        (now - today).num_seconds() as f64 / TimeDelta::days(1).num_seconds() as f64;
    let run_rate = if recent.is_empty() {
        // No complete day yet: extrapolate from what today has cost so far.
        if today_so_far_share > 0.0 && month_so_far > 0 {
            // `month_so_far` is today's cost only when there is no earlier day.
            month_so_far as f64 / today_so_far_share.max(1.0 / 24.0)
        } else {
            0.0
        }
    } else {
        recent.iter().sum::<i64>() as f64 / recent.len() as f64
    };
    let remaining_days = (next_month_start(now) - now).num_seconds() as f64
        / TimeDelta::days(1).num_seconds() as f64;
    let projected = month_so_far as f64 + run_rate * remaining_days;
    if projected.is_finite() {
        projected.round() as i64
    } else {
        month_so_far
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn month_bounds() {
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap();
        assert_eq!(
            next_month_start(now),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            month_start(now),
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn steady_spend_projects_linearly() {
        // 26 November at midnight: 25 days at $1/day so far, 5 days left at the same rate.
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let daily = vec![1_000_000; 25];
        assert_eq!(projected_month_cost(now, 25_000_000, &daily), 30_000_000);
    }

    #[test]
    fn uses_the_last_seven_days_only() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
        // 13 quiet days at $0.10 then 7 days at $2: the trend is $2/day for 10 days.
        let mut daily = vec![100_000; 13];
        daily.extend(vec![2_000_000; 7]);
        let so_far: i64 = daily.iter().sum();
        assert_eq!(
            projected_month_cost(now, so_far, &daily),
            so_far + 10 * 2_000_000
        );
    }

    #[test]
    fn days_before_first_use_do_not_dilute() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let daily = vec![0, 0, 0, 0, 0, 3_000_000, 3_000_000];
        assert_eq!(
            projected_month_cost(now, 6_000_000, &daily),
            6_000_000 + 5 * 3_000_000
        );
    }

    #[test]
    fn nothing_spent_projects_nothing() {
        let now = Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap();
        assert_eq!(projected_month_cost(now, 0, &[0; 9]), 0);
        assert_eq!(projected_month_cost(now, 0, &[]), 0);
    }

    #[test]
    fn first_day_extrapolates_from_today() {
        // Noon on the 1st, $1 so far: $2/day for the remaining 29.5 days.
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        assert_eq!(
            projected_month_cost(now, 1_000_000, &[]),
            1_000_000 + 59_000_000
        );
    }
}

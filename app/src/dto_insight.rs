//! Usage insight and personas as the browser sees them: a dashboard's sums, time series and
//! breakdowns, this month's cost and its projection, personas and their analytics — plus the
//! number formatting those pages share. Kept apart from `dto.rs` so that file stays about
//! keys, projects and accounts. Never entities.

use serde::{Deserialize, Serialize};

/// The ranges the usage page offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageRange {
    /// The last 24 hours, by hour.
    Day,
    /// The last 7 days (UTC, including today), by day.
    Week,
    /// The last 30 days (UTC, including today), by day.
    Month,
    /// From one date to another, both included (`YYYY-MM-DD`, UTC), by day.
    Custom { from: String, to: String },
}

impl UsageRange {
    /// What the server function is sent: `24h`, `7d`, `30d` or `custom`.
    pub fn as_str(&self) -> &'static str {
        match self {
            UsageRange::Day => "24h",
            UsageRange::Week => "7d",
            UsageRange::Month => "30d",
            UsageRange::Custom { .. } => "custom",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            UsageRange::Day => "24 h",
            UsageRange::Week => "7 d",
            UsageRange::Month => "30 d",
            UsageRange::Custom { .. } => "Custom",
        }
    }

    /// The custom dates, if any.
    pub fn dates(&self) -> (Option<String>, Option<String>) {
        match self {
            UsageRange::Custom { from, to } => (Some(from.clone()), Some(to.clone())),
            _ => (None, None),
        }
    }
}

/// Sums for one group of usage: a model, user, Keygate key, provider, or a time bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageGroupDto {
    /// The model or provider, an id (`0`: none), or a bucket start (RFC 3339).
    pub key: String,
    /// What to show for `key` (an e-mail, a key's name, a provider's name…).
    pub label: String,
    pub requests: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// Micro-dollars.
    pub cost_micros: i64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

impl UsageGroupDto {
    pub fn tokens(&self) -> i64 {
        self.prompt_tokens + self.completion_tokens
    }

    /// Errors as a share of requests (0 without requests).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }
}

/// Everything the usage page's metrics show for one scope and range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageDashboardDto {
    /// True when the viewer sees the organization (admins); false: only their own usage.
    pub organization: bool,
    /// The range read, aligned to whole hours or days (RFC 3339; `to` exclusive).
    pub from: String,
    pub to: String,
    /// `hour` or `day`: the buckets of `series`.
    pub granularity: String,
    /// The range as people read it, e.g. `2026-11-20 – 2026-11-26 (UTC)` (last day
    /// included) or `2026-11-25 08:00 – 2026-11-26 09:00 (UTC)`.
    pub range_label: String,
    /// The query string of the CSV export for this scope and range, without `groupBy`.
    pub export_query: String,
    pub total: UsageGroupDto,
    /// One point per bucket, oldest first, empty buckets included.
    pub series: Vec<UsageGroupDto>,
    pub models: Vec<UsageGroupDto>,
    /// Empty for members.
    pub users: Vec<UsageGroupDto>,
    pub keys: Vec<UsageGroupDto>,
    pub providers: Vec<UsageGroupDto>,
}

/// This month's cost so far and where it is heading (UTC calendar month).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostTrackingDto {
    /// e.g. `November 2026`.
    pub month: String,
    pub current_micros: i64,
    pub projected_micros: i64,
}

/// A persona as listed and edited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaDto {
    pub id: i32,
    pub name: String,
    pub description: String,
    /// The system prompt.
    pub content: String,
    /// The one user it is restricted to (`None`: organization-wide).
    pub user_id: Option<i32>,
    pub user_email: Option<String>,
    pub active: bool,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

impl PersonaDto {
    /// "Organization-wide" or the e-mail of the user it is restricted to.
    pub fn scope(&self) -> String {
        match (self.user_id, &self.user_email) {
            (None, _) => "Organization-wide".to_owned(),
            (Some(_), Some(email)) => email.clone(),
            (Some(id), None) => format!("User #{id}"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RatingSummaryDto {
    pub count: i64,
    /// Mean score 1–5.
    pub average: Option<f64>,
    /// Scores of 4–5.
    pub positive: i64,
    /// Scores of 1–2.
    pub negative: i64,
}

/// A persona's usage: all-time totals, top models and users, the last 7 days, ratings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonaAnalyticsDto {
    pub persona: PersonaDto,
    pub total: UsageGroupDto,
    /// Successful requests as a share of all (1 without requests).
    pub success_rate: f64,
    pub top_models: Vec<UsageGroupDto>,
    /// Empty for members.
    pub top_users: Vec<UsageGroupDto>,
    /// The last seven days (UTC), oldest first, including today.
    pub daily: Vec<UsageGroupDto>,
    pub ratings: RatingSummaryDto,
}

/// A usage report for a month (by day) or a day (by hour), for the organization (admins) or
/// the viewer's own usage (members), with the previous period to compare against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportDto {
    /// True when the report covers the whole organization (admins).
    pub organization: bool,
    pub org_name: String,
    /// `2026-11` or `2026-11-25`: what the links send back.
    pub period: String,
    /// True for a month, false for a day.
    pub is_month: bool,
    /// `November 2026` or `2026-11-25 (UTC)`.
    pub title: String,
    /// The period before, as `period` reads (`2026-10`, `2026-11-24`).
    pub previous_period: String,
    /// `hour` or `day`: the buckets of `trend`.
    pub granularity: String,
    pub total: UsageGroupDto,
    pub previous_total: UsageGroupDto,
    /// Change of cost and requests against the previous period, in percent (`None` when the
    /// previous period had none).
    pub cost_change_percent: Option<f64>,
    pub requests_change_percent: Option<f64>,
    /// Days of the month or hours of the day, oldest first, empty buckets included.
    pub trend: Vec<UsageGroupDto>,
    pub by_project: Vec<UsageGroupDto>,
    pub by_model: Vec<UsageGroupDto>,
    pub by_provider: Vec<UsageGroupDto>,
    pub by_user: Vec<UsageGroupDto>,
    /// The running month's cost projected to its end (micro-dollars); `None` otherwise.
    pub projected_cost_micros: Option<i64>,
    /// RFC 3339.
    pub generated_at: String,
}

/// One model's ratings (the usage page's "Ratings by model").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelRatingDto {
    pub model: String,
    pub ratings: RatingSummaryDto,
}

/// The change from `previous` to `current` in percent (`None` without a previous value).
pub fn change_percent(current: i64, previous: i64) -> Option<f64> {
    (previous > 0).then(|| (current - previous) as f64 * 100.0 / previous as f64)
}

/// A change in percent as a report shows it: `+12.5%`, `-3.0%`, `±0.0%`, or `—`.
pub fn format_change(change: Option<f64>) -> String {
    match change {
        None => "—".to_owned(),
        Some(c) if c.abs() < 0.05 => "±0.0%".to_owned(),
        Some(c) => format!("{c:+.1}%"),
    }
}

/// `1234567` → `1,234,567`.
pub fn format_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Micro-dollars for tiles and tables: two decimals from one cent up, four below, and
/// `<$0.0001` for a non-zero amount smaller than that.
pub fn format_usd(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    if m == 0 {
        "$0.00".to_owned()
    } else if m >= 10_000 {
        let cents = (m + 5_000) / 10_000;
        format!(
            "{sign}${}.{:02}",
            format_count(cents as i64 / 100),
            cents % 100
        )
    } else if m >= 100 {
        let tenths_of_cents = (m + 50) / 100;
        format!("{sign}$0.{tenths_of_cents:04}")
    } else {
        format!("{sign}<$0.0001")
    }
}

/// Milliseconds, or `—` when there were no requests.
pub fn format_ms(ms: Option<f64>) -> String {
    match ms {
        Some(ms) if ms >= 10_000.0 => format!("{:.1} s", ms / 1_000.0),
        Some(ms) => format!("{ms:.0} ms"),
        None => "—".to_owned(),
    }
}

/// A share (0–1) as a percentage with one decimal.
pub fn format_percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A bucket start (RFC 3339) as a tooltip shows it: `2026-11-25 14:00` for hours,
/// `2026-11-25` for days.
pub fn bucket_label(key: &str, granularity: &str) -> String {
    if granularity == "hour" {
        key.get(..16).unwrap_or(key).replace('T', " ")
    } else {
        key.get(..10).unwrap_or(key).to_owned()
    }
}

/// A bucket start as an axis tick shows it: `14:00` for hours, `11-25` for days.
pub fn bucket_tick(key: &str, granularity: &str) -> String {
    if granularity == "hour" {
        key.get(11..16).unwrap_or(key).to_owned()
    } else {
        key.get(5..10).unwrap_or(key).to_owned()
    }
}

/// An RFC 3339 time as `2026-11-25 14:00`.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// Percent-encodes a query-string value (everything but unreserved characters).
pub fn encode_query_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(feature = "ssr")]
mod from_domain {
    use super::*;
    use domain::entities::persona;
    use domain::ledger::query::Group;

    impl UsageGroupDto {
        pub fn new(g: &Group, label: String) -> Self {
            UsageGroupDto {
                key: g.key.clone(),
                label,
                requests: g.requests,
                errors: g.errors,
                prompt_tokens: g.prompt_tokens,
                completion_tokens: g.completion_tokens,
                cost_micros: g.cost_micros,
                p50_ms: g.p50_ms(),
                p95_ms: g.p95_ms(),
            }
        }
    }

    impl From<&Group> for UsageGroupDto {
        fn from(g: &Group) -> Self {
            UsageGroupDto::new(g, g.key.clone())
        }
    }

    impl From<&persona::Model> for PersonaDto {
        fn from(p: &persona::Model) -> Self {
            PersonaDto {
                id: p.id,
                name: p.name.clone(),
                description: p.description.clone(),
                content: p.content.clone(),
                user_id: p.user_id,
                user_email: None,
                active: p.active,
                created_at: p.created_at.to_rfc3339(),
                updated_at: p.updated_at.to_rfc3339(),
            }
        }
    }

    impl From<&domain::ratings::RatingSummary> for RatingSummaryDto {
        fn from(r: &domain::ratings::RatingSummary) -> Self {
            RatingSummaryDto {
                count: r.count,
                average: r.average,
                positive: r.positive,
                negative: r.negative,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_with_two_to_four_decimals() {
        assert_eq!(format_usd(0), "$0.00");
        assert_eq!(format_usd(6), "<$0.0001");
        assert_eq!(format_usd(5_850), "$0.0059");
        assert_eq!(format_usd(10_000), "$0.01");
        assert_eq!(format_usd(1_234_567), "$1.23");
        assert_eq!(format_usd(1_234_500_000), "$1,234.50");
        assert_eq!(format_usd(-2_500_000), "-$2.50");
    }

    #[test]
    fn counts_and_buckets() {
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(12), "12");
        assert_eq!(
            bucket_label("2026-11-25T14:00:00Z", "hour"),
            "2026-11-25 14:00"
        );
        assert_eq!(bucket_label("2026-11-25T00:00:00Z", "day"), "2026-11-25");
        assert_eq!(bucket_tick("2026-11-25T14:00:00Z", "hour"), "14:00");
        assert_eq!(bucket_tick("2026-11-25T00:00:00Z", "day"), "11-25");
        assert_eq!(format_ms(Some(250.4)), "250 ms");
        assert_eq!(format_ms(None), "—");
        assert_eq!(format_percent(0.125), "12.5%");
    }

    #[test]
    fn changes_read_with_a_sign() {
        assert_eq!(change_percent(12, 10), Some(20.0));
        assert_eq!(change_percent(5, 0), None);
        assert_eq!(format_change(Some(20.0)), "+20.0%");
        assert_eq!(format_change(Some(-12.345)), "-12.3%");
        assert_eq!(format_change(Some(0.01)), "±0.0%");
        assert_eq!(format_change(None), "—");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("2026-11-25T14:00:00+00:00"),
            "2026-11-25T14%3A00%3A00%2B00%3A00"
        );
    }
}

//! Budgets and rate limits as the browser sees them (the Limits page), plus the dollar-amount
//! parsing and formatting its form and table share. Never entities.

use serde::{Deserialize, Serialize};

/// What a limit can apply to: (value sent, label).
pub const SCOPES: [(&str, &str); 4] = [
    ("key", "Keygate key"),
    ("user", "User"),
    ("project", "Project"),
    ("provider_key", "Provider key"),
];

/// Budget periods: (value sent, label). The form's default comes first.
pub const PERIODS: [(&str, &str); 4] = [
    ("monthly", "Monthly"),
    ("weekly", "Weekly"),
    ("daily", "Daily"),
    ("never", "Never resets"),
];

/// Whether an exhausted budget refuses requests: (value sent, label).
pub const ENFORCEMENTS: [(&str, &str); 2] = [
    ("hard", "Hard: refuse requests"),
    ("soft", "Soft: alert only"),
];

/// The label of a scope value (`key` → `Keygate key`), or the value itself.
pub fn scope_label(scope: &str) -> &str {
    SCOPES
        .iter()
        .find(|(value, _)| *value == scope)
        .map_or(scope, |(_, label)| *label)
}

/// A scope value as a noun inside a sentence (`key` → `Keygate key`, `user` → `user`).
pub fn scope_noun(scope: &str) -> String {
    match scope {
        "key" => "Keygate key".to_owned(),
        other => scope_label(other).to_lowercase(),
    }
}

/// The label of a period value (`monthly` → `Monthly`), or the value itself.
pub fn period_label(period: &str) -> &str {
    PERIODS
        .iter()
        .find(|(value, _)| *value == period)
        .map_or(period, |(_, label)| *label)
}

/// Something a limit can be set on: a Keygate key, user, project or provider key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitTargetDto {
    pub id: i32,
    /// What the target select shows, e.g. `CI bot — Checkout` or `OpenAI prod (OpenAI)`.
    pub label: String,
}

/// The targets an admin may choose, per scope: the organization's active Keygate keys, its
/// users, its projects and its provider keys (not deleted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitTargetsDto {
    pub keys: Vec<LimitTargetDto>,
    pub users: Vec<LimitTargetDto>,
    pub projects: Vec<LimitTargetDto>,
    pub provider_keys: Vec<LimitTargetDto>,
}

impl LimitTargetsDto {
    /// The targets of one scope (`key`, `user`, `project`, `provider_key`).
    pub fn for_scope(&self, scope: &str) -> &[LimitTargetDto] {
        match scope {
            "key" => &self.keys,
            "user" => &self.users,
            "project" => &self.projects,
            "provider_key" => &self.provider_keys,
            _ => &[],
        }
    }
}

/// One limit with where it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitDto {
    pub id: i32,
    /// `key`, `user`, `project` or `provider_key`.
    pub scope: String,
    pub scope_id: i32,
    /// The target's name (a key's or project's name, a user's e-mail).
    pub target: String,
    /// More about the target: a key's project, a provider key's provider.
    pub target_detail: Option<String>,
    /// `daily`, `weekly`, `monthly` or `never`.
    pub period: String,
    /// Dollar budget in micro-dollars.
    pub limit_micros: Option<i64>,
    /// Token budget (input + output).
    pub limit_tokens: Option<i64>,
    /// `hard` or `soft`.
    pub enforcement: String,
    pub rpm: Option<i32>,
    pub tpm: Option<i32>,
    /// Settled in the current period.
    pub spent_micros: i64,
    pub spent_tokens: i64,
    /// Held by requests in flight (their worst case).
    pub reserved_micros: i64,
    pub reserved_tokens: i64,
    /// RFC 3339; `None` when the period is `never`.
    pub reset_at: Option<String>,
    /// A hard budget with nothing left: requests are refused until it resets.
    pub exhausted: bool,
    /// RFC 3339.
    pub updated_at: String,
}

impl LimitDto {
    /// `Resets 2026-12-01 00:00 UTC` or `Never resets`.
    pub fn reset_text(&self) -> String {
        match &self.reset_at {
            Some(at) => format!(
                "Resets {} UTC",
                at.get(..16).unwrap_or(at).replace('T', " ")
            ),
            None => "Never resets".to_owned(),
        }
    }

    /// The rate limits, one part each (`60 req/min`, `10,000 tokens/min`).
    pub fn rate_parts(&self) -> Vec<String> {
        use crate::dto_insight::format_count;
        [
            self.rpm
                .map(|n| format!("{} req/min", format_count(i64::from(n)))),
            self.tpm
                .map(|n| format!("{} tokens/min", format_count(i64::from(n)))),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The rate limits as one line (`60 req/min · 10,000 tokens/min`), or `None`.
    pub fn rates_text(&self) -> Option<String> {
        let parts = self.rate_parts();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    pub fn has_budget(&self) -> bool {
        self.limit_micros.is_some() || self.limit_tokens.is_some()
    }
}

/// `used` as a share of `limit` (0 for a limit of 0 or less); may exceed 1.
pub fn share(used: i64, limit: i64) -> f64 {
    if limit <= 0 {
        0.0
    } else {
        used.max(0) as f64 / limit as f64
    }
}

/// Micro-dollars as the form shows them: at least two decimals, at most six, no trailing
/// zeros beyond two (`12_500_000` → `12.50`, `1_234_567` → `1.234567`).
pub fn dollars_text(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let mut fraction = format!("{:06}", m % 1_000_000);
    while fraction.len() > 2 && fraction.ends_with('0') {
        fraction.pop();
    }
    format!("{sign}{}.{fraction}", m / 1_000_000)
}

/// Why a dollar amount could not be read.
pub const DOLLARS_FORMAT: &str = "Enter an amount in dollars, like 12.50.";

/// A dollar amount typed in the form (`12.50`, `$12.5`, `.75`, `3`) as micro-dollars, rounded
/// to the nearest micro-dollar like the REST API's `limitUsd`. Blank is `None`. Amounts too
/// large for micro-dollars saturate, so the range check reports them.
pub fn parse_dollars(raw: &str) -> Result<Option<i64>, &'static str> {
    let text = raw.trim();
    let text = text.strip_prefix('$').unwrap_or(text).trim_start();
    if text.is_empty() {
        return if raw.trim().is_empty() {
            Ok(None)
        } else {
            Err(DOLLARS_FORMAT)
        };
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(DOLLARS_FORMAT);
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return Ok(Some(i64::MAX));
    }
    let dollars: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| DOLLARS_FORMAT)?
    };
    let mut micros_part: i64 = 0;
    for (i, b) in fraction.bytes().take(6).enumerate() {
        micros_part += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    if fraction.as_bytes().get(6).is_some_and(|b| *b >= b'5') {
        micros_part += 1;
    }
    Ok(Some(dollars * 1_000_000 + micros_part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_amounts_parse_to_micro_dollars() {
        assert_eq!(parse_dollars(""), Ok(None));
        assert_eq!(parse_dollars("   "), Ok(None));
        assert_eq!(parse_dollars("12.50"), Ok(Some(12_500_000)));
        assert_eq!(parse_dollars(" $12.5 "), Ok(Some(12_500_000)));
        assert_eq!(parse_dollars("3"), Ok(Some(3_000_000)));
        assert_eq!(parse_dollars("3."), Ok(Some(3_000_000)));
        assert_eq!(parse_dollars(".75"), Ok(Some(750_000)));
        assert_eq!(parse_dollars("0.000001"), Ok(Some(1)));
        assert_eq!(parse_dollars("0.0000005"), Ok(Some(1)));
        assert_eq!(parse_dollars("0.0000004"), Ok(Some(0)));
        assert_eq!(parse_dollars("1.9999996"), Ok(Some(2_000_000)));
        assert_eq!(parse_dollars("0"), Ok(Some(0)));
        assert_eq!(parse_dollars("99999999999999999999"), Ok(Some(i64::MAX)));
        for bad in ["-1", "abc", "1,5", "1.2.3", ".", "$", "1e3", "+2"] {
            assert_eq!(parse_dollars(bad), Err(DOLLARS_FORMAT), "{bad}");
        }
    }

    #[test]
    fn dollar_amounts_show_two_to_six_decimals() {
        assert_eq!(dollars_text(12_500_000), "12.50");
        assert_eq!(dollars_text(1_000_000), "1.00");
        assert_eq!(dollars_text(1_234_567), "1.234567");
        assert_eq!(dollars_text(10), "0.00001");
        for micros in [1, 750_000, 12_345_678_900] {
            assert_eq!(parse_dollars(&dollars_text(micros)), Ok(Some(micros)));
        }
    }

    #[test]
    fn limits_describe_their_reset_and_rates() {
        let limit = LimitDto {
            id: 1,
            scope: "key".into(),
            scope_id: 2,
            target: "CI bot".into(),
            target_detail: None,
            period: "monthly".into(),
            limit_micros: None,
            limit_tokens: Some(100),
            enforcement: "hard".into(),
            rpm: Some(60),
            tpm: Some(12_000),
            spent_micros: 0,
            spent_tokens: 50,
            reserved_micros: 0,
            reserved_tokens: 0,
            reset_at: Some("2026-12-01T00:00:00+00:00".into()),
            exhausted: false,
            updated_at: "2026-11-26T10:00:00+00:00".into(),
        };
        assert_eq!(limit.reset_text(), "Resets 2026-12-01 00:00 UTC");
        assert_eq!(
            limit.rates_text().as_deref(),
            Some("60 req/min · 12,000 tokens/min")
        );
        let never = LimitDto {
            reset_at: None,
            rpm: None,
            tpm: None,
            ..limit
        };
        assert_eq!(never.reset_text(), "Never resets");
        assert_eq!(never.rates_text(), None);
        assert_eq!(share(50, 100), 0.5);
        assert_eq!(share(5, 0), 0.0);
        assert_eq!(scope_label("provider_key"), "Provider key");
        assert_eq!(scope_noun("key"), "Keygate key");
        assert_eq!(scope_noun("provider_key"), "provider key");
        assert_eq!(period_label("never"), "Never resets");
    }
}

//! Hourly and daily sums of usage, added per batch with one upsert, so dashboards and the
//! project pages read a handful of rows instead of scanning the ledger.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::latency::{BUCKETS, Histogram, bucket_of};
use super::record::UsageRecord;
use crate::entities::usage_rollup;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct BucketKey {
    granularity: &'static str,
    bucket_start: DateTime<Utc>,
    org_id: i32,
    project_id: i32,
    virtual_key_id: i32,
    user_id: i32,
    provider_key_id: i32,
    provider: String,
    model: String,
    persona_id: i32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    requests: i64,
    errors: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    cached_tokens: i64,
    cost_micros: i64,
    total_ms: i64,
    latency: Histogram,
}

fn start_of(at: DateTime<Utc>, granularity: &str) -> DateTime<Utc> {
    let step = if granularity == "day" {
        TimeDelta::days(1)
    } else {
        TimeDelta::hours(1)
    };
    at.duration_trunc(step).unwrap_or(at)
}

fn aggregate(records: &[UsageRecord]) -> HashMap<BucketKey, Sums> {
    let mut sums: HashMap<BucketKey, Sums> = HashMap::new();
    for r in records {
        for granularity in ["hour", "day"] {
            let key = BucketKey {
                granularity,
                bucket_start: start_of(r.created_at, granularity),
                org_id: r.org_id,
                project_id: r.project_id,
                virtual_key_id: r.virtual_key_id,
                user_id: r.user_id.unwrap_or(0),
                provider_key_id: r.provider_key_id.unwrap_or(0),
                provider: r.provider.clone(),
                model: r.model.chars().take(200).collect(),
                persona_id: r.persona_id.unwrap_or(0),
            };
            let s = sums.entry(key).or_default();
            s.requests += 1;
            s.errors += i64::from(r.outcome.is_error());
            s.prompt_tokens += i64::from(r.usage.prompt_tokens.unwrap_or(0));
            s.completion_tokens += i64::from(r.usage.completion_tokens.unwrap_or(0));
            s.cached_tokens += i64::from(r.usage.cached_tokens.unwrap_or(0));
            s.cost_micros = s.cost_micros.saturating_add(r.cost_micros);
            s.total_ms += i64::from(r.total_ms);
            s.latency[bucket_of(r.total_ms)] += 1;
        }
    }
    sums
}

/// Columns a conflicting upsert adds to instead of replacing.
const SUMMED: [&str; 7] = [
    "requests",
    "errors",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_micros",
    "total_ms",
];

fn latency_column(i: usize) -> String {
    format!("lat_{i}")
}

fn active(k: BucketKey, s: Sums) -> usage_rollup::ActiveModel {
    let l = s.latency;
    usage_rollup::ActiveModel {
        granularity: Set(k.granularity.to_owned()),
        bucket_start: Set(k.bucket_start),
        org_id: Set(k.org_id),
        project_id: Set(k.project_id),
        virtual_key_id: Set(k.virtual_key_id),
        user_id: Set(k.user_id),
        provider_key_id: Set(k.provider_key_id),
        provider: Set(k.provider),
        model: Set(k.model),
        persona_id: Set(k.persona_id),
        requests: Set(s.requests),
        errors: Set(s.errors),
        prompt_tokens: Set(s.prompt_tokens),
        completion_tokens: Set(s.completion_tokens),
        cached_tokens: Set(s.cached_tokens),
        cost_micros: Set(s.cost_micros),
        total_ms: Set(s.total_ms),
        lat_0: Set(l[0]),
        lat_1: Set(l[1]),
        lat_2: Set(l[2]),
        lat_3: Set(l[3]),
        lat_4: Set(l[4]),
        lat_5: Set(l[5]),
        lat_6: Set(l[6]),
        lat_7: Set(l[7]),
        lat_8: Set(l[8]),
        lat_9: Set(l[9]),
        lat_10: Set(l[10]),
        lat_11: Set(l[11]),
        ..Default::default()
    }
}

/// Adds the batch's sums to the rollup rows (creating them as needed).
pub async fn add(db: &impl ConnectionTrait, records: &[UsageRecord]) -> Result<(), sea_orm::DbErr> {
    let sums = aggregate(records);
    if sums.is_empty() {
        return Ok(());
    }
    let rows: Vec<usage_rollup::ActiveModel> =
        sums.into_iter().map(|(k, s)| active(k, s)).collect();
    let mut on_conflict = OnConflict::columns([
        usage_rollup::Column::Granularity,
        usage_rollup::Column::BucketStart,
        usage_rollup::Column::ProjectId,
        usage_rollup::Column::VirtualKeyId,
        usage_rollup::Column::UserId,
        usage_rollup::Column::ProviderKeyId,
        usage_rollup::Column::Model,
        usage_rollup::Column::PersonaId,
    ]);
    let latency: Vec<String> = (0..BUCKETS).map(latency_column).collect();
    for name in SUMMED
        .iter()
        .copied()
        .chain(latency.iter().map(String::as_str))
    {
        on_conflict.value(
            Alias::new(name),
            Expr::cust(format!("usage_rollups.{name} + excluded.{name}")),
        );
    }
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in rows.chunks(200) {
        usage_rollup::Entity::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use chrono::TimeZone as _;

    use super::*;
    use crate::gateway::usage::Usage;
    use crate::ledger::Outcome;

    fn record(at: DateTime<Utc>, model: &str, outcome: Outcome) -> UsageRecord {
        UsageRecord {
            request_id: uuid::Uuid::new_v4().to_string(),
            org_id: 1,
            project_id: 2,
            virtual_key_id: 3,
            user_id: None,
            provider_key_id: Some(4),
            provider: "openai".into(),
            model: model.into(),
            endpoint: "chat/completions",
            stream: false,
            usage: Usage {
                prompt_tokens: Some(10),
                completion_tokens: Some(5),
                cached_tokens: Some(1),
                reasoning_tokens: None,
            },
            cost_micros: 7,
            price_version: "builtin".into(),
            unpriced: false,
            first_byte_ms: Some(1),
            total_ms: 3,
            upstream_status: Some(200),
            outcome,
            error_type: None,
            estimated: false,
            persona_id: None,
            response_id: None,
            created_at: at,
            holds: Vec::new(),
        }
    }

    #[test]
    fn batches_sum_per_hour_and_day() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 10, 30, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 11, 25, 11, 5, 0).unwrap();
        let sums = aggregate(&[
            record(t, "gpt-4o", Outcome::Success),
            record(t, "gpt-4o", Outcome::UpstreamError),
            record(later, "gpt-4o", Outcome::Success),
        ]);
        let day: Vec<_> = sums
            .iter()
            .filter(|(k, _)| k.granularity == "day")
            .collect();
        assert_eq!(day.len(), 1);
        let (key, s) = day[0];
        assert_eq!(
            key.bucket_start,
            Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()
        );
        assert_eq!(s.requests, 3);
        assert_eq!(s.errors, 1);
        assert_eq!(s.prompt_tokens, 30);
        assert_eq!(s.cost_micros, 21);
        let hours = sums.iter().filter(|(k, _)| k.granularity == "hour").count();
        assert_eq!(hours, 2);
    }
}

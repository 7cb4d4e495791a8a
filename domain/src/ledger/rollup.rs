//! Hourly and daily sums of usage, added per batch with one upsert, so dashboards and the
//! project pages read a handful of rows instead of scanning the ledger.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

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
            };
            let s = sums.entry(key).or_default();
            s.requests += 1;
            s.errors += i64::from(r.outcome.is_error());
            s.prompt_tokens += i64::from(r.usage.prompt_tokens.unwrap_or(0));
            s.completion_tokens += i64::from(r.usage.completion_tokens.unwrap_or(0));
            s.cached_tokens += i64::from(r.usage.cached_tokens.unwrap_or(0));
            s.cost_micros = s.cost_micros.saturating_add(r.cost_micros);
            s.total_ms += i64::from(r.total_ms);
        }
    }
    sums
}

const SUMMED: [usage_rollup::Column; 7] = [
    usage_rollup::Column::Requests,
    usage_rollup::Column::Errors,
    usage_rollup::Column::PromptTokens,
    usage_rollup::Column::CompletionTokens,
    usage_rollup::Column::CachedTokens,
    usage_rollup::Column::CostMicros,
    usage_rollup::Column::TotalMs,
];

fn column_name(column: usage_rollup::Column) -> &'static str {
    match column {
        usage_rollup::Column::Requests => "requests",
        usage_rollup::Column::Errors => "errors",
        usage_rollup::Column::PromptTokens => "prompt_tokens",
        usage_rollup::Column::CompletionTokens => "completion_tokens",
        usage_rollup::Column::CachedTokens => "cached_tokens",
        usage_rollup::Column::CostMicros => "cost_micros",
        _ => "total_ms",
    }
}

/// Adds the batch's sums to the rollup rows (creating them as needed).
pub async fn add(db: &impl ConnectionTrait, records: &[UsageRecord]) -> Result<(), sea_orm::DbErr> {
    let sums = aggregate(records);
    if sums.is_empty() {
        return Ok(());
    }
    let rows: Vec<usage_rollup::ActiveModel> = sums
        .into_iter()
        .map(|(k, s)| usage_rollup::ActiveModel {
            granularity: Set(k.granularity.to_owned()),
            bucket_start: Set(k.bucket_start),
            org_id: Set(k.org_id),
            project_id: Set(k.project_id),
            virtual_key_id: Set(k.virtual_key_id),
            user_id: Set(k.user_id),
            provider_key_id: Set(k.provider_key_id),
            provider: Set(k.provider),
            model: Set(k.model),
            requests: Set(s.requests),
            errors: Set(s.errors),
            prompt_tokens: Set(s.prompt_tokens),
            completion_tokens: Set(s.completion_tokens),
            cached_tokens: Set(s.cached_tokens),
            cost_micros: Set(s.cost_micros),
            total_ms: Set(s.total_ms),
            ..Default::default()
        })
        .collect();
    let mut on_conflict = OnConflict::columns([
        usage_rollup::Column::Granularity,
        usage_rollup::Column::BucketStart,
        usage_rollup::Column::ProjectId,
        usage_rollup::Column::VirtualKeyId,
        usage_rollup::Column::UserId,
        usage_rollup::Column::ProviderKeyId,
        usage_rollup::Column::Model,
    ]);
    for column in SUMMED {
        let name = column_name(column);
        on_conflict.value(
            column,
            Expr::cust(format!("usage_rollups.{name} + excluded.{name}")),
        );
    }
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in rows.chunks(400) {
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
            created_at: at,
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

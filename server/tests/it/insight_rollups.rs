//! The rollups the dashboards read agree with the raw ledger: random ledgers written in
//! random batches, then every grouping and a random filter compared against sums computed
//! straight from the records (a property test over seeded random cases, on both databases).
//! Also `keygate report` against the same data.

use crate::common;

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use common::cli::{json_ok, ok};
use common::{Backend, spawn_app};
use domain::gateway::usage::Usage;
use domain::ledger::latency::{BUCKETS, bucket_of};
use domain::ledger::query::{self, Group, GroupBy, Latency, UsageFilter};
use domain::ledger::{Outcome, UsageRecord, writer};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

const ORG: i32 = 1;

fn random_record(rng: &mut StdRng, start: DateTime<Utc>, i: usize) -> UsageRecord {
    let outcomes = [
        Outcome::Success,
        Outcome::Success,
        Outcome::Success,
        Outcome::UpstreamError,
        Outcome::ClientError,
        Outcome::ClientDisconnected,
    ];
    let models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "llama-3.1-8b"];
    let providers = ["openai", "openai", "anthropic", "groq"];
    let m = rng.random_range(0..models.len());
    UsageRecord {
        request_id: format!("req_{i}_{}", rng.random::<u32>()),
        org_id: ORG,
        project_id: rng.random_range(1..=3),
        virtual_key_id: rng.random_range(1..=5),
        user_id: rng.random_bool(0.7).then(|| rng.random_range(1..=4)),
        provider_key_id: rng.random_bool(0.9).then(|| rng.random_range(1..=3)),
        provider: providers[m].into(),
        model: models[m].into(),
        endpoint: "chat/completions",
        stream: rng.random_bool(0.3),
        usage: Usage {
            prompt_tokens: rng.random_bool(0.95).then(|| rng.random_range(0..5_000)),
            completion_tokens: rng.random_bool(0.95).then(|| rng.random_range(0..2_000)),
            cached_tokens: Some(rng.random_range(0..100)),
            reasoning_tokens: None,
        },
        cost_micros: rng.random_range(0..50_000),
        price_version: "builtin".into(),
        unpriced: false,
        first_byte_ms: Some(rng.random_range(1..500)),
        total_ms: rng.random_range(1..70_000),
        upstream_status: Some(200),
        outcome: outcomes[rng.random_range(0..outcomes.len())],
        error_type: None,
        estimated: false,
        persona_id: rng.random_bool(0.4).then(|| rng.random_range(1..=2)),
        response_id: None,
        created_at: start + TimeDelta::seconds(rng.random_range(0..3 * 86_400)),
        holds: Vec::new(),
    }
}

fn key_of(r: &UsageRecord, group_by: GroupBy) -> String {
    match group_by {
        GroupBy::Total => String::new(),
        GroupBy::Model => r.model.clone(),
        GroupBy::Provider => r.provider.clone(),
        GroupBy::User => r.user_id.unwrap_or(0).to_string(),
        GroupBy::Key => r.virtual_key_id.to_string(),
        GroupBy::Project => r.project_id.to_string(),
        GroupBy::ProviderKey => r.provider_key_id.unwrap_or(0).to_string(),
        GroupBy::Persona => r.persona_id.unwrap_or(0).to_string(),
        GroupBy::Day | GroupBy::Hour => unreachable!(),
    }
}

fn matches(r: &UsageRecord, f: &UsageFilter) -> bool {
    r.created_at >= f.from
        && r.created_at < f.to
        && f.project_id.is_none_or(|v| v == r.project_id)
        && f.user_id.is_none_or(|v| Some(v) == r.user_id)
        && f.virtual_key_id.is_none_or(|v| v == r.virtual_key_id)
        && f.persona_id.is_none_or(|v| v == r.persona_id.unwrap_or(0))
        && f.model.as_ref().is_none_or(|v| *v == r.model)
}

fn expected(records: &[UsageRecord], f: &UsageFilter, group_by: GroupBy) -> HashMap<String, Group> {
    let mut out: HashMap<String, Group> = HashMap::new();
    for r in records.iter().filter(|r| matches(r, f)) {
        let g = out.entry(key_of(r, group_by)).or_default();
        g.key = key_of(r, group_by);
        g.requests += 1;
        g.errors += i64::from(r.outcome.is_error());
        g.prompt_tokens += i64::from(r.usage.prompt_tokens.unwrap_or(0));
        g.completion_tokens += i64::from(r.usage.completion_tokens.unwrap_or(0));
        g.cost_micros += r.cost_micros;
        g.latency[bucket_of(r.total_ms)] += 1;
    }
    out
}

async fn rollups_equal_raw_aggregates(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = &app.state.db;
    let start = Utc.with_ymd_and_hms(2026, 10, 30, 0, 0, 0).unwrap();
    let mut rng = StdRng::seed_from_u64(0x5eed_2026);
    let mut all: Vec<UsageRecord> = Vec::new();
    for case in 0..6 {
        // Add a random batch of records, written in random chunk sizes.
        let n = rng.random_range(20..200);
        let fresh: Vec<UsageRecord> = (0..n)
            .map(|i| random_record(&mut rng, start, all.len() + i))
            .collect();
        let mut rest = fresh.as_slice();
        while !rest.is_empty() {
            let take = rng.random_range(1..=rest.len().min(60));
            writer::write(db, &rest[..take]).await.unwrap();
            rest = &rest[take..];
        }
        all.extend(fresh);

        // Day-aligned (day rollups) and hour-aligned (hour rollups) ranges.
        let day_from = start + TimeDelta::days(rng.random_range(0..2));
        let hour_from = start + TimeDelta::hours(rng.random_range(0..48));
        let ranges = [
            (day_from, day_from + TimeDelta::days(rng.random_range(1..3))),
            (
                hour_from,
                hour_from + TimeDelta::hours(rng.random_range(1..30)),
            ),
        ];
        for (from, to) in ranges {
            let mut filter = UsageFilter::new(ORG, from, to);
            match case % 4 {
                0 => {}
                1 => filter.project_id = Some(rng.random_range(1..=3)),
                2 => filter.user_id = Some(rng.random_range(1..=4)),
                _ => filter.persona_id = Some(rng.random_range(1..=2)),
            }
            for group_by in [
                GroupBy::Total,
                GroupBy::Model,
                GroupBy::Provider,
                GroupBy::User,
                GroupBy::Key,
                GroupBy::Project,
                GroupBy::ProviderKey,
                GroupBy::Persona,
            ] {
                let got = query::grouped_with(db, &filter, group_by, Latency::Included)
                    .await
                    .unwrap();
                // Without latency the sums are the same and the histogram is empty.
                let plain = query::grouped(db, &filter, group_by).await.unwrap();
                assert!(plain.iter().all(|g| g.latency == [0; BUCKETS]));
                assert_eq!(
                    plain.iter().map(|g| g.requests).sum::<i64>(),
                    got.iter().map(|g| g.requests).sum::<i64>()
                );
                let want = expected(&all, &filter, group_by);
                let got: HashMap<String, Group> = got
                    .into_iter()
                    .filter(|g| g.requests > 0 || group_by != GroupBy::Total)
                    .map(|g| (g.key.clone(), g))
                    .collect();
                assert_eq!(
                    got, want,
                    "case {case} {group_by:?} {from}..{to} {filter:?}"
                );
            }
            // One read for several breakdowns gives what one query per breakdown gives.
            let dims = [
                GroupBy::Project,
                GroupBy::Model,
                GroupBy::Provider,
                GroupBy::User,
            ];
            let mut split = query::breakdowns(db, &filter, &dims).await.unwrap();
            for dim in dims {
                let want = query::grouped(db, &filter, dim).await.unwrap();
                assert_eq!(split.remove(&dim).unwrap(), want, "case {case} {dim:?}");
            }
            // The time series sums to the total, one point per bucket.
            let series = query::series(db, &filter, GroupBy::Hour).await.unwrap();
            assert_eq!(series.len() as i64, (to - from).num_hours());
            let total: i64 = series.iter().map(|g| g.requests).sum();
            let want: i64 = expected(&all, &filter, GroupBy::Total)
                .values()
                .map(|g| g.requests)
                .sum();
            assert_eq!(total, want, "case {case} series");
        }
    }

    // `keygate report` over the same ledger: November's days only.
    let november = UsageFilter::new(
        ORG,
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    );
    let want = &expected(&all, &november, GroupBy::Total)[""];
    let owner = app.create_owner("owner@acme.test").await;
    assert_eq!(owner.org_id, ORG);
    let report = json_ok(&app, &["report", "--month", "2026-11", "--json"], "");
    assert_eq!(report["total"]["requests"], want.requests);
    assert_eq!(report["total"]["costMicros"], want.cost_micros);
    assert_eq!(report["trend"].as_array().unwrap().len(), 30);
    let october_want = expected(
        &all,
        &UsageFilter::new(ORG, start, start + TimeDelta::days(2)),
        GroupBy::Total,
    )[""]
        .requests;
    assert_eq!(report["previous"]["requests"], october_want);
    let csv = ok(&app, &["report", "--month", "2026-11", "--csv"], "");
    assert!(csv.starts_with("section,key,label,requests,"), "{csv}");
    assert!(
        csv.contains(&format!("total,2026-11,Acme,{},", want.requests)),
        "{csv}"
    );
    let text = ok(&app, &["report", "--day", "2026-11-01"], "");
    assert!(text.contains("Usage report 2026-11-01"), "{text}");
    app.finish().await;
}

on_both_databases!(rollups_equal_raw_aggregates);

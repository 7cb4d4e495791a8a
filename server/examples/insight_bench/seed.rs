//! Seeding the synthetic organization's ledger through the real ledger writer.

use std::time::Instant;

use chrono::{DurationRound as _, TimeDelta, Utc};
use domain::gateway::usage::Usage;
use domain::ledger::{Outcome, UsageRecord, writer};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sea_orm::{ConnectionTrait as _, DatabaseConnection, EntityTrait, PaginatorTrait};

pub const ORG_ID: i32 = 1;
const MODELS: [(&str, &str); 12] = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4.1"),
    ("openai", "o3-mini"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("groq", "llama-3.1-8b-instant"),
    ("groq", "llama-3.3-70b-versatile"),
    ("google", "gemini-2.5-flash"),
    ("google", "gemini-2.5-pro"),
    ("xai", "grok-4"),
    ("openrouter", "mistral-large"),
];
const PERSONAS: i32 = 6;
/// Records handed to the writer per transaction.
const BATCH: usize = 5_000;

pub struct Shape {
    pub rows: usize,
    pub projects: i32,
    pub keys: i32,
    pub users: i32,
    pub days: i64,
}

pub struct Seeded {
    pub events: u64,
    pub rollups: u64,
    pub seconds: f64,
}

fn record(rng: &mut StdRng, shape: &Shape, i: usize, at: chrono::DateTime<Utc>) -> UsageRecord {
    let key = rng.random_range(1..=shape.keys);
    // Each key: one project, maybe one user, two usual models and a usual persona.
    let project = 1 + (key - 1) % shape.projects;
    let user = (key % 10 < 7).then_some(1 + (key * 7) % shape.users);
    let usual = (key as usize * 5) % MODELS.len();
    let model = if rng.random_bool(0.8) {
        usual
    } else {
        (usual + 1) % MODELS.len()
    };
    let (provider, name) = MODELS[model];
    let persona = (key % 3 == 0).then_some(1 + key % PERSONAS);
    let prompt = rng.random_range(50..4_000);
    let completion = rng.random_range(10..1_500);
    let failed = rng.random_bool(0.02);
    UsageRecord {
        request_id: format!("bench_{i}"),
        org_id: ORG_ID,
        project_id: project,
        virtual_key_id: key,
        user_id: user,
        provider_key_id: Some(1 + (model as i32 % 3) + 3 * (model as i32 / 4)),
        provider: provider.into(),
        model: name.into(),
        endpoint: "chat/completions",
        stream: rng.random_bool(0.5),
        usage: Usage {
            prompt_tokens: Some(prompt),
            completion_tokens: Some(if failed { 0 } else { completion }),
            cached_tokens: Some(0),
            reasoning_tokens: None,
        },
        cost_micros: i64::from(prompt) + 4 * i64::from(completion),
        price_version: "builtin-2026-11".into(),
        unpriced: false,
        first_byte_ms: Some(rng.random_range(80..900)),
        total_ms: rng.random_range(150..12_000),
        upstream_status: Some(if failed { 500 } else { 200 }),
        outcome: if failed {
            Outcome::UpstreamError
        } else {
            Outcome::Success
        },
        error_type: None,
        estimated: false,
        persona_id: persona,
        response_id: None,
        created_at: at,
        holds: Vec::new(),
    }
}

/// Writes `shape.rows` records (skipped when the database already holds them) spread evenly
/// over the last `shape.days` days, oldest first.
pub async fn seed(db: &DatabaseConnection, shape: &Shape) -> Seeded {
    let started = Instant::now();
    let org = domain::entities::organization::Entity::find_by_id(ORG_ID)
        .one(db)
        .await
        .unwrap_or(None);
    if org.is_none() {
        use sea_orm::{ActiveModelTrait as _, Set};
        domain::entities::organization::ActiveModel {
            id: Set(ORG_ID),
            name: Set("Bench".into()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap_or_else(|e| panic!("cannot create the organization: {e}"));
    }
    let existing = domain::entities::usage_event::Entity::find()
        .count(db)
        .await
        .unwrap_or(0);
    if existing < shape.rows as u64 {
        let end = Utc::now()
            .duration_trunc(TimeDelta::hours(1))
            .unwrap_or_else(|_| Utc::now());
        let start = end - TimeDelta::days(shape.days);
        let span_ms = (end - start).num_milliseconds() as f64;
        let mut rng = StdRng::seed_from_u64(42);
        let mut batch = Vec::with_capacity(BATCH);
        for i in existing as usize..shape.rows {
            let offset = span_ms * i as f64 / shape.rows as f64;
            let at = start + TimeDelta::milliseconds(offset as i64);
            batch.push(record(&mut rng, shape, i, at));
            if batch.len() == BATCH {
                write(db, &batch).await;
                batch.clear();
                if i % 500_000 < BATCH {
                    eprintln!(
                        "seeded {} rows in {:.0} s",
                        i + 1,
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
        write(db, &batch).await;
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // What autovacuum does on a normal server (this machine's PostgreSQL runs with
        // autovacuum off): reclaim the rollups' dead row versions left by the upserts, and
        // refresh the planner's statistics.
        for sql in ["VACUUM ANALYZE usage_rollups", "ANALYZE usage_events"] {
            if let Err(e) = db.execute_unprepared(sql).await {
                panic!("{sql}: {e}");
            }
        }
    }
    let events = domain::entities::usage_event::Entity::find()
        .count(db)
        .await
        .unwrap_or(0);
    let rollups = domain::entities::usage_rollup::Entity::find()
        .count(db)
        .await
        .unwrap_or(0);
    Seeded {
        events,
        rollups,
        seconds: started.elapsed().as_secs_f64(),
    }
}

async fn write(db: &DatabaseConnection, batch: &[UsageRecord]) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = writer::write(db, batch).await {
        panic!("seeding failed: {e}");
    }
}

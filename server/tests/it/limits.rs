//! Budgets and rate limits on the proxy: the concurrent budget race, settlement to the actual
//! use, period reset, refusal shapes, provider-key budgets, fail-closed behaviour with the
//! database unavailable, rate-limit headers and 429s, and the REST API's validation.

use crate::common;

use std::time::Duration;

use common::gateway::Gateway;
use common::{Backend, PASSWORD, json_of};
use domain::entities::usage_limit;
use domain::gateway::estimate;
use domain::gateway::usage::WireFormat;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";
const ANTHROPIC_KEY: &str = "sk-ant-api03-VALID-anthropic-0001";

/// Tokens the fake provider reports for every chat answer (11 in, 7 out).
const CHAT_TOKENS: i64 = 18;

fn chat(model: &str, max_tokens: u32) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": max_tokens,
    })
}

/// What admission reserves for `chat(model, max_tokens)`.
fn estimated_tokens(model: &str, max_tokens: u32) -> i64 {
    let body = chat(model, max_tokens);
    i64::from(estimate::prompt_tokens(
        WireFormat::ChatCompletions,
        model,
        &body,
    )) + i64::from(max_tokens)
}

async fn set_limit(gw: &Gateway, scope: &str, id: i64, body: Value) -> Value {
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/limits/{scope}/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{body}");
    json_of(res).await
}

async fn limit_row(gw: &Gateway, id: i64) -> usage_limit::Model {
    gw.app.state.gateway.ledger.flush().await;
    usage_limit::Entity::find_by_id(i32::try_from(id).unwrap())
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn error_code(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    let body = json_of(res).await;
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn budget_race_admits_exactly_what_fits(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    // The slow model holds every admitted request for 2 s, so all 100 race for the budget
    // while the first reservations are still open.
    let model = "gpt-4o-slow";
    let per_request = estimated_tokens(model, 100);
    let limit = set_limit(
        &gw,
        "key",
        key_id,
        json!({"period": "monthly", "limitTokens": per_request * 10 + per_request / 2}),
    )
    .await;
    let calls = (0..100).map(|_| gw.call(&key, "/v1/chat/completions", chat(model, 100)));
    let responses = futures_util::future::join_all(calls).await;
    let mut admitted = 0;
    let mut refused = 0;
    for res in responses {
        match res.status() {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let (_, code, message) = error_code(res).await;
                assert_eq!(code, "budget_exceeded");
                assert!(message.contains("Budget exhausted"), "{message}");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((admitted, refused), (10, 90));
    assert_eq!(gw.fake.requests_to("/chat/completions").len(), 10);
    // Settled: the actual tokens are spent and nothing stays reserved.
    let row = limit_row(&gw, limit["id"].as_i64().unwrap()).await;
    assert_eq!(row.spent_tokens, 10 * CHAT_TOKENS);
    assert_eq!(row.reserved_tokens, 0);
    gw.finish().await;
}

async fn reservations_settle_and_periods_reset(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    let limit = set_limit(
        &gw,
        "project",
        gw.project,
        json!({"period": "daily", "limitTokens": 1000}),
    )
    .await;
    let limit_id = limit["id"].as_i64().unwrap();
    let tomorrow = chrono::Utc::now().date_naive().succ_opt().unwrap();
    assert!(
        limit["usage"]["resetAt"]
            .as_str()
            .unwrap()
            .starts_with(&tomorrow.to_string())
    );

    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 200))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = limit_row(&gw, limit_id).await;
    assert_eq!((row.spent_tokens, row.reserved_tokens), (CHAT_TOKENS, 0));

    // Used up: refused, in the OpenAI shape, naming the project budget.
    let mut active: usage_limit::ActiveModel = row.into();
    active.spent_tokens = Set(1000);
    let row = active.update(&gw.app.state.db).await.unwrap();
    let (status, code, message) = error_code(
        gw.call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code, "budget_exceeded");
    assert!(message.contains("daily project"), "{message}");
    assert!(message.contains(&tomorrow.to_string()), "{message}");

    // The stored period ended yesterday: the next request starts a fresh one.
    let mut active: usage_limit::ActiveModel = row.into();
    active.period_start = Set(chrono::Utc::now() - chrono::Duration::days(1));
    active.update(&gw.app.state.db).await.unwrap();
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = limit_row(&gw, limit_id).await;
    assert_eq!(row.spent_tokens, CHAT_TOKENS);
    assert_eq!(
        row.period_start.date_naive(),
        chrono::Utc::now().date_naive()
    );

    // A soft budget never refuses.
    set_limit(
        &gw,
        "key",
        key_id,
        json!({"limitTokens": 1, "enforcement": "soft"}),
    )
    .await;
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    gw.finish().await;
}

async fn dollar_budgets_refuse_in_the_anthropic_shape(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("anthropic", ANTHROPIC_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    // $0.000001: less than any priced request's worst case.
    set_limit(&gw, "project", gw.project, json!({"limitMicros": 1})).await;
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &key)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": "Hi"}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = json_of(res).await;
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Budget exhausted"),
        "{body}"
    );
    assert!(gw.fake.requests_to("/messages").is_empty());
    gw.finish().await;
}

async fn provider_key_budgets_take_the_key_out_of_rotation(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let provider_key = gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    set_limit(
        &gw,
        "provider_key",
        provider_key,
        json!({"limitTokens": CHAT_TOKENS}),
    )
    .await;
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    gw.app.state.gateway.ledger.flush().await;
    let (status, code, _) = error_code(
        gw.call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "budget_exceeded")
    );
    assert_eq!(gw.fake.requests_to("/chat/completions").len(), 1);
    // Seed 004's key usage reports the budget: current, limit, unit and reset time.
    let usage = json_of(
        gw.owner
            .get(
                gw.app
                    .url(&format!("/api/admin/api-keys/{provider_key}/usage")),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(usage["usage"]["current"], CHAT_TOKENS);
    assert_eq!(usage["usage"]["limit"], CHAT_TOKENS);
    assert_eq!(usage["usage"]["unit"], "tokens");
    assert!(usage["usage"]["resetAt"].is_string());
    gw.finish().await;
}

/// Makes the test's database refuse every connection (PostgreSQL) or hold its write lock
/// (SQLite); returns a guard that undoes it.
enum Outage {
    Postgres(String),
    Sqlite(sea_orm::DatabaseConnection),
}

async fn take_database_down(gw: &Gateway) -> Outage {
    match gw.app.database.pg_name() {
        Some(name) => {
            let admin = sea_orm::Database::connect(&common::pg_admin_url())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!(
                    "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ))
                .await
                .unwrap();
            Outage::Postgres(name.to_owned())
        }
        None => {
            let path = gw.app.dir.path().join("keygate.db");
            let url = format!("sqlite://{}?mode=rw", path.display());
            let mut options = sea_orm::ConnectOptions::new(url);
            options.max_connections(1).min_connections(1);
            let locker = sea_orm::Database::connect(options).await.unwrap();
            locker.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
            Outage::Sqlite(locker)
        }
    }
}

async fn bring_database_back(outage: Outage) {
    match outage {
        Outage::Postgres(name) => {
            let admin = sea_orm::Database::connect(&common::pg_admin_url())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .await
                .unwrap();
        }
        Outage::Sqlite(locker) => {
            locker.execute_unprepared("ROLLBACK").await.unwrap();
            locker.close().await.unwrap();
        }
    }
}

async fn budgets_fail_closed_when_the_database_is_unavailable(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    set_limit(&gw, "key", key_id, json!({"limitTokens": 1_000_000})).await;
    // Warm the key and route caches, so only the limit check needs the database.
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    gw.app.state.gateway.ledger.flush().await;

    let outage = take_database_down(&gw).await;
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    let (status, code, _) = error_code(res).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        code == "limits_unavailable" || code == "invalid_api_key",
        "{code}"
    );
    // Never forwarded unbilled.
    assert_eq!(gw.fake.requests_to("/chat/completions").len(), 1);

    bring_database_back(outage).await;
    // It recovers by itself: the target is within 5 s of the database returning.
    let returned = std::time::Instant::now();
    loop {
        let res = gw
            .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
            .await;
        if res.status() == StatusCode::OK {
            break;
        }
        assert!(
            returned.elapsed() < Duration::from_secs(5),
            "the proxy did not recover within 5 s of the database returning"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "{backend:?}: proxy serving again {} ms after the database returned",
        returned.elapsed().as_millis()
    );
    gw.finish().await;
}

async fn rate_limits_answer_headers_and_429s(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    set_limit(&gw, "key", key_id, json!({"rpm": 3})).await;
    for remaining in ["2", "1", "0"] {
        let res = gw
            .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        assert_eq!(h["x-ratelimit-limit-requests"], "3");
        assert_eq!(h["x-ratelimit-remaining-requests"], remaining);
        assert!(h.contains_key("x-ratelimit-reset-requests"));
    }
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(res.headers()["x-ratelimit-remaining-requests"], "0");
    let (_, code, _) = error_code(res).await;
    assert_eq!(code, "requests_rate_limit_exceeded");
    assert_eq!(gw.fake.requests_to("/chat/completions").len(), 3);

    // Tokens per minute on the project: a request larger than the whole minute is refused.
    let (_, other_key) = gw.mint(json!({"name": "second"})).await;
    set_limit(&gw, "project", gw.project, json!({"tpm": 500})).await;
    let res = gw
        .call(&other_key, "/v1/chat/completions", chat("gpt-4o", 200))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-ratelimit-limit-tokens"], "500");
    let remaining: i64 = res.headers()["x-ratelimit-remaining-tokens"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(remaining, 500 - estimated_tokens("gpt-4o", 200));
    let (status, code, message) = error_code(
        gw.call(&other_key, "/v1/chat/completions", chat("gpt-4o", 900))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code, "tokens_rate_limit_exceeded");
    assert!(message.contains("more tokens"), "{message}");
    gw.finish().await;
}

async fn the_limits_api_validates_and_is_for_admins(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let (key_id, _) = gw.mint(json!({})).await;
    let put = |path: String, body: Value| {
        let client = gw.owner.clone();
        let url = gw.app.url(&path);
        async move { client.put(url).json(&body).send().await.unwrap() }
    };
    let res = put(format!("/api/admin/limits/key/{key_id}"), json!({})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put(
        format!("/api/admin/limits/key/{key_id}"),
        json!({"limitUsd": 5, "period": "hourly"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put(
        format!("/api/admin/limits/key/{key_id}"),
        json!({"limitUsd": -1}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put("/api/admin/limits/galaxy/1".into(), json!({"rpm": 1})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = put("/api/admin/limits/key/999999".into(), json!({"rpm": 1})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let saved = json_of(
        put(
            format!("/api/admin/limits/key/{key_id}"),
            json!({"limitUsd": 12.5, "period": "weekly", "rpm": 60}),
        )
        .await,
    )
    .await;
    assert_eq!(saved["limitMicros"], 12_500_000);
    assert_eq!(saved["limitUsd"], "12.500000");
    assert_eq!(saved["enforcement"], "hard");
    let listed = json_of(
        gw.owner
            .get(gw.app.url("/api/admin/limits"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["total"], 1);

    // Another organization cannot see or set it; a member gets 403.
    let stranger = gw.app.other_org_owner("stranger@other.test").await;
    let res = stranger
        .put(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .json(&json!({"rpm": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    gw.app
        .create_user(&gw.owner, "Mia", "mia@acme.test", "member", PASSWORD)
        .await;
    let member = gw.app.signed_in("mia@acme.test", PASSWORD).await;
    let res = member
        .get(gw.app.url("/api/admin/limits"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = gw
        .owner
        .delete(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = gw
        .owner
        .delete(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    gw.finish().await;
}

async fn the_cli_sets_lists_and_removes_limits(backend: Backend) {
    use common::cli::{fails, json_ok, ok};
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    let id = key_id.to_string();
    let saved = json_ok(
        &gw.app,
        &[
            "limit", "set", "key", &id, "--usd", "0.000001", "--rpm", "5", "--json",
        ],
        "",
    );
    assert_eq!(saved["limitMicros"], 1);
    assert_eq!(saved["rpm"], 5);
    // The running server sees the new limit at once: the budget is too small for a request.
    let (status, code, _) = error_code(
        gw.call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "budget_exceeded")
    );
    let listed = json_ok(&gw.app, &["limit", "list", "--json"], "");
    assert_eq!(listed["total"], 1);
    let table = ok(&gw.app, &["limit", "list"], "");
    assert!(table.contains("$0.000000 / $0.000001"), "{table}");
    assert!(
        fails(&gw.app, &["limit", "set", "galaxy", "1", "--rpm", "1"], "")
            .contains("unknown scope")
    );
    assert!(
        fails(&gw.app, &["limit", "set", "key", &id, "--usd", "ten"], "").contains("not an amount")
    );
    assert!(
        fails(&gw.app, &["limit", "set", "key", "99999", "--rpm", "1"], "")
            .contains("no Keygate key")
    );
    ok(&gw.app, &["limit", "remove", "key", &id], "");
    let res = gw
        .call(&key, "/v1/chat/completions", chat("gpt-4o", 10))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    gw.finish().await;
}

on_both_databases!(
    the_cli_sets_lists_and_removes_limits,
    budget_race_admits_exactly_what_fits,
    reservations_settle_and_periods_reset,
    dollar_budgets_refuse_in_the_anthropic_shape,
    provider_key_budgets_take_the_key_out_of_rotation,
    budgets_fail_closed_when_the_database_is_unavailable,
    rate_limits_answer_headers_and_429s,
    the_limits_api_validates_and_is_for_admins,
);

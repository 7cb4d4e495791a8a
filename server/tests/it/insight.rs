//! Usage insight and personas over real HTTP against the fake provider: personas applied in
//! all three API shapes and refused when they may not be used, usage grouped and exported
//! from the rollups, members limited to their own usage, ratings only by the requester, a
//! provider key's period usage, persona analytics and the live change feed.

use crate::common;

use std::time::Duration;

use common::gateway::Gateway;
use common::{Backend, PASSWORD, json_of};
use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";
const ANTHROPIC_KEY: &str = "sk-ant-VALID-anthropic-0001";

async fn create_persona(gw: &Gateway, body: Value) -> i64 {
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/personas"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{body}");
    json_of(res).await["id"].as_i64().unwrap()
}

async fn call_with_persona(
    gw: &Gateway,
    key: &str,
    path: &str,
    persona: &str,
    body: Value,
) -> reqwest::Response {
    let mut req = gw
        .app
        .client()
        .post(gw.app.url(path))
        .bearer_auth(key)
        .json(&body);
    if !persona.is_empty() {
        req = req.header("x-keygate-persona", persona);
    }
    req.send().await.unwrap()
}

async fn personas_apply_in_every_shape_and_are_refused_when_not_allowed(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    gw.add_key("anthropic", ANTHROPIC_KEY).await;
    let support = create_persona(
        &gw,
        json!({"name": "Support", "description": "Help desk", "content": "You are Support."}),
    )
    .await;
    let (_, key) = gw.mint(json!({})).await;

    // Chat: a leading system message, the caller's own system message kept after it.
    let res = call_with_persona(
        &gw,
        &key,
        "/v1/chat/completions",
        "Support",
        json!({"model": "gpt-4o-mini", "messages": [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "hi"}
        ]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen = &gw.fake.requests_to("/v1/chat/completions")[0];
    assert_eq!(
        seen.body["messages"][0],
        json!({"role": "system", "content": "You are Support."})
    );
    assert_eq!(seen.body["messages"][1]["content"], "Answer in French.");

    // Responses, by id: `instructions` prefixed.
    let res = call_with_persona(
        &gw,
        &key,
        "/v1/responses",
        &support.to_string(),
        json!({"model": "gpt-4o-mini", "input": "hi", "instructions": "Be brief."}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen = &gw.fake.requests_to("/v1/responses")[0];
    assert_eq!(seen.body["instructions"], "You are Support.\n\nBe brief.");

    // Messages: `system` set.
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &key)
        .header("x-keygate-persona", "Support")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let seen = &gw.fake.requests_to("/v1/messages")[0];
    assert_eq!(seen.body["system"], "You are Support.");

    let rows = gw.ledger().await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.persona_id.map(i64::from) == Some(support))
    );
    assert_eq!(rows[0].response_id.as_deref(), Some("chatcmpl-fake1"));

    // Unknown → 404; deactivated → 403; embeddings with a named persona → 400.
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let res = call_with_persona(&gw, &key, "/v1/chat/completions", "Nobody", body.clone()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_of(res).await["error"]["code"], "persona_not_found");
    let res = gw
        .owner
        .post(
            gw.app
                .url(&format!("/api/admin/personas/{support}/deactivate")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = call_with_persona(&gw, &key, "/v1/chat/completions", "Support", body.clone()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let error = json_of(res).await;
    assert_eq!(error["error"]["code"], "persona_forbidden");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deactivated")
    );
    let res = call_with_persona(
        &gw,
        &key,
        "/v1/embeddings",
        "Support",
        json!({"model": "text-embedding-3-small", "input": "x"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A persona restricted to Bob: Bob's key may use it (also as its default), another's not.
    let res = gw
        .app
        .create_user(&gw.owner, "Bob", "bob@acme.test", "member", PASSWORD)
        .await;
    assert!(res.status().is_success());
    let bob = gw.app.user_id("bob@acme.test").await;
    let private = create_persona(
        &gw,
        json!({"name": "Bob only", "content": "You are Bob's.", "userId": bob}),
    )
    .await;
    let res = call_with_persona(&gw, &key, "/v1/chat/completions", "Bob only", body.clone()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        json_of(res).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another user")
    );
    let (_, bobs_key) = gw.mint(json!({"userId": bob, "personaId": private})).await;
    let res = gw
        .call(&bobs_key, "/v1/chat/completions", body.clone())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen = gw.fake.requests_to("/v1/chat/completions");
    assert_eq!(
        seen.last().unwrap().body["messages"][0]["content"],
        "You are Bob's."
    );
    // A default persona cannot be minted onto another user's key.
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/virtual-keys"))
        .json(&json!({"projectId": gw.project, "name": "x", "personaId": private}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    gw.finish().await;
}

async fn persona_rest_crud_and_analytics(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let id = create_persona(&gw, json!({"name": "Tech", "content": "You are Tech."})).await;
    // Duplicate names conflict; empty content is a validation error.
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/personas"))
        .json(&json!({"name": "Tech", "content": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = gw
        .owner
        .post(gw.app.url("/api/admin/personas"))
        .json(&json!({"name": "Empty", "content": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/personas/{id}")))
        .json(&json!({"name": "Advanced Tech", "description": "Hard cases"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let updated = json_of(res).await;
    assert_eq!(updated["name"], "Advanced Tech");
    assert_eq!(updated["content"], "You are Tech.");

    let (_, key) = gw.mint(json!({})).await;
    for _ in 0..3 {
        let res = call_with_persona(
            &gw,
            &key,
            "/v1/chat/completions",
            "Advanced Tech",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    gw.ledger().await;
    let res = gw
        .owner
        .get(gw.app.url(&format!("/api/admin/personas/{id}/analytics")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let a = json_of(res).await;
    assert_eq!(a["totalRequests"], 3);
    assert_eq!(a["successRate"], 1.0);
    assert_eq!(a["totalTokens"], 3 * 18);
    assert_eq!(a["topModels"][0]["key"], "gpt-4o-mini");
    assert_eq!(a["topModels"][0]["requests"], 3);
    assert_eq!(a["daily"].as_array().unwrap().len(), 7);
    assert_eq!(a["daily"][6]["requests"], 3, "today is the last day");

    let res = gw
        .owner
        .delete(gw.app.url(&format!("/api/admin/personas/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = gw
        .owner
        .get(gw.app.url(&format!("/api/admin/personas/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    gw.finish().await;
}

async fn usage_is_grouped_exported_and_scoped(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let provider_key = gw.add_key("openai", OPENAI_KEY).await;
    let res = gw
        .app
        .create_user(&gw.owner, "Mia", "mia@acme.test", "member", PASSWORD)
        .await;
    assert!(res.status().is_success());
    let mia = gw.app.user_id("mia@acme.test").await;
    let (_, team_key) = gw.mint(json!({"name": "team"})).await;
    let (_, mias_key) = gw.mint(json!({"name": "mia", "userId": mia})).await;
    let chat =
        |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
    for _ in 0..3 {
        assert_eq!(
            gw.call(&team_key, "/v1/chat/completions", chat("gpt-4o-mini"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        gw.call(&mias_key, "/v1/chat/completions", chat("gpt-4o"))
            .await
            .status(),
        StatusCode::OK
    );
    let rows = gw.ledger().await;
    assert_eq!(rows.len(), 4);
    let ledger_cost: i64 = rows.iter().map(|r| r.cost_micros).sum();

    let get = |client: &reqwest::Client, path: &str| {
        let req = client.get(gw.app.url(path));
        async move { req.send().await.unwrap() }
    };
    let res = get(&gw.owner, "/api/usage?groupBy=model").await;
    assert_eq!(res.status(), StatusCode::OK);
    let by_model = json_of(res).await;
    assert_eq!(by_model["granularity"], "day");
    assert_eq!(by_model["total"]["requests"], 4);
    assert_eq!(by_model["total"]["costMicros"], ledger_cost);
    let groups = by_model["groups"].as_array().unwrap();
    let requests_of = |model: &str| {
        groups
            .iter()
            .find(|g| g["key"] == model)
            .map(|g| g["requests"].as_i64().unwrap())
    };
    assert_eq!(requests_of("gpt-4o-mini"), Some(3));
    assert_eq!(requests_of("gpt-4o"), Some(1));
    assert!(by_model["total"]["p50Ms"].as_f64().is_some());

    let res = get(&gw.owner, "/api/usage?groupBy=user").await;
    let by_user = json_of(res).await;
    let labels: Vec<&str> = by_user["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"mia@acme.test"), "{labels:?}");
    assert!(labels.contains(&"(no user)"), "{labels:?}");

    // 24 hourly points ending with the current hour.
    let now = chrono::Utc::now();
    let from = (now - chrono::TimeDelta::hours(23)).to_rfc3339();
    let res = get(
        &gw.owner,
        &format!(
            "/api/usage?groupBy=hour&from={}&to={}",
            urlencoding(&from),
            urlencoding(&now.to_rfc3339())
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let hourly = json_of(res).await;
    let points = hourly["groups"].as_array().unwrap();
    assert_eq!(points.len(), 24, "{hourly}");
    assert_eq!(points.last().unwrap()["requests"], 4);

    // Bad input is a 400 with a reason.
    let res = get(&gw.owner, "/api/usage?groupBy=colour").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = get(&gw.owner, "/api/usage?from=2026-11-20&to=2026-11-10").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A member sees only their own usage and cannot ask for another's.
    let member = gw.app.signed_in("mia@acme.test", PASSWORD).await;
    let res = get(&member, "/api/usage?groupBy=model").await;
    assert_eq!(res.status(), StatusCode::OK);
    let own = json_of(res).await;
    assert_eq!(own["total"]["requests"], 1);
    assert_eq!(own["groups"][0]["key"], "gpt-4o");
    let owner_id = 1;
    let res = get(&member, &format!("/api/usage?userId={owner_id}")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // CSV: the raw ledger (header + one line per row) and a breakdown.
    let res = get(&gw.owner, "/api/usage/export.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("request_id,created_at,"));
    assert!(lines.iter().skip(1).all(|l| l.contains(",openai,")));
    let res = get(&member, "/api/usage/export.csv").await;
    assert_eq!(res.text().await.unwrap().lines().count(), 2);
    let res = get(&gw.owner, "/api/usage/export.csv?groupBy=model").await;
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("model,label,requests,"), "{csv}");
    assert_eq!(csv.lines().count(), 3);

    // The month's report as CSV: the total line carries every request (the member: theirs).
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let res = get(&gw.owner, &format!("/api/usage/report.csv?period={month}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("section,key,label,"), "{csv}");
    assert!(csv.contains(&format!("total,{month},Acme,4,")), "{csv}");
    let res = get(&member, &format!("/api/usage/report.csv?period={month}")).await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(&format!("total,{month},Acme,1,"))
    );
    let res = get(&gw.owner, "/api/usage/report.csv?period=last-week").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A provider key's period usage (seed 004 shape).
    let res = get(
        &gw.owner,
        &format!("/api/admin/api-keys/{provider_key}/usage"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let usage = json_of(res).await;
    assert_eq!(usage["usage"]["current"], 4 * 18);
    assert_eq!(usage["usage"]["limit"], Value::Null);
    assert!(
        usage["usage"]["resetAt"]
            .as_str()
            .unwrap()
            .contains("-01T00:00:00")
    );
    assert_eq!(usage["history"]["daily"].as_array().unwrap().len(), 30);
    assert_eq!(usage["history"]["monthly"].as_array().unwrap().len(), 12);
    assert_eq!(usage["costs"]["currentMicros"], ledger_cost);
    assert!(usage["costs"]["projectedMicros"].as_i64().unwrap() >= ledger_cost);

    // The caller's own stats by service.
    let res = get(&member, "/api/api-keys/stats").await;
    let stats = json_of(res).await;
    let openai = stats["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "openai")
        .cloned()
        .unwrap();
    assert_eq!(openai["requestsThisMonth"], 1);
    gw.finish().await;
}

fn urlencoding(raw: &str) -> String {
    raw.replace('+', "%2B").replace(':', "%3A")
}

async fn ratings_are_accepted_only_from_the_requester(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let persona = create_persona(&gw, json!({"name": "Rated", "content": "You are rated."})).await;
    let (_, key) = gw.mint(json!({})).await;
    let (_, other) = gw.mint(json!({"name": "other"})).await;
    let res = call_with_persona(
        &gw,
        &key,
        "/v1/responses",
        "Rated",
        json!({"model": "gpt-4o-mini", "input": "hi"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = json_of(res).await["id"].as_str().unwrap().to_owned();

    // Straight away (the ledger may not have written the row yet).
    let res = gw
        .call(
            &key,
            &format!("/v1/responses/{id}/rating"),
            json!({"thumbs": "up", "comment": "good"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rating = json_of(res).await;
    assert_eq!(rating["score"], 5);
    assert_eq!(rating["personaId"], persona);
    // Re-rating replaces the score.
    let res = gw
        .call(
            &key,
            &format!("/v1/responses/{id}/rating"),
            json!({"score": 2}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Another key cannot rate it; bad scores and unknown ids are refused.
    let res = gw
        .call(
            &other,
            &format!("/v1/responses/{id}/rating"),
            json!({"score": 5}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = gw
        .call(
            &key,
            &format!("/v1/responses/{id}/rating"),
            json!({"score": 9}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = gw
        .call(
            &key,
            "/v1/chat/completions/chatcmpl-nope/rating",
            json!({"score": 3}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = gw
        .owner
        .get(
            gw.app
                .url(&format!("/api/admin/personas/{persona}/analytics")),
        )
        .send()
        .await
        .unwrap();
    let a = json_of(res).await;
    assert_eq!(a["ratings"]["count"], 1);
    assert_eq!(a["ratings"]["average"], 2.0);
    assert_eq!(a["ratings"]["negative"], 1);
    gw.finish().await;
}

async fn open_dashboards_hear_of_new_usage_within_a_second(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw
        .owner
        .get(gw.app.url("/api/usage/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut events = res.bytes_stream();
    let started = std::time::Instant::now();
    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut seen = String::new();
    let heard = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(chunk) = events.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains("event: usage") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(heard, Ok(true), "no usage event within 1 s: {seen:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // Without a session the feed is refused.
    let res = gw
        .app
        .client()
        .get(gw.app.url("/api/usage/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    gw.finish().await;
}

on_both_databases!(
    personas_apply_in_every_shape_and_are_refused_when_not_allowed,
    persona_rest_crud_and_analytics,
    usage_is_grouped_exported_and_scoped,
    ratings_are_accepted_only_from_the_requester,
    open_dashboards_hear_of_new_usage_within_a_second,
);

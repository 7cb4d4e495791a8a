//! The `/v1` proxy over real HTTP against the fake provider: every endpoint, streaming and
//! not, with usage recorded exactly once and exactly right.

use crate::common;

use common::Backend;
use common::gateway::{Gateway, sse_data};
use domain::gateway::pricing::{builtin_price, cost_micros};
use domain::gateway::usage::Usage;
use reqwest::StatusCode;
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";
const ANTHROPIC_KEY: &str = "sk-ant-VALID-anthropic-0001";

fn expected_cost(provider: &str, model: &str, usage: Usage) -> i64 {
    cost_micros(&builtin_price(provider, model).unwrap(), &usage)
}

async fn chat_completions_are_proxied_and_metered_exactly(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let provider_key = gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    assert!(key.starts_with("sk-proxy-") && key.len() >= 9 + 32 + 6);

    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}),
        )
        .await;
    let status = res.status();
    if status != StatusCode::OK {
        panic!("{status}: {}", res.text().await.unwrap());
    }
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake");
    // The provider got the stored key, never the Keygate key.
    let seen = gw.fake.requests_to("/v1/chat/completions");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].credential, OPENAI_KEY);
    assert!(
        seen.iter()
            .all(|r| !r.headers.iter().any(|(_, v)| v.contains("sk-proxy-")))
    );

    let rows = gw.ledger().await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.request_id, request_id);
    assert_eq!(row.virtual_key_id as i64, key_id);
    assert_eq!(row.provider_key_id.map(i64::from), Some(provider_key));
    assert_eq!(
        (row.provider.as_str(), row.model.as_str()),
        ("openai", "gpt-4o-mini")
    );
    assert_eq!(row.endpoint, "chat/completions");
    assert_eq!(
        (row.prompt_tokens, row.completion_tokens, row.cached_tokens),
        (Some(11), Some(7), Some(3))
    );
    let usage = Usage {
        prompt_tokens: Some(11),
        completion_tokens: Some(7),
        cached_tokens: Some(3),
        reasoning_tokens: Some(0),
    };
    assert_eq!(
        row.cost_micros,
        expected_cost("openai", "gpt-4o-mini", usage)
    );
    assert!(row.cost_micros > 0);
    assert!(!row.unpriced && !row.estimated && !row.stream);
    assert_eq!(row.outcome, "success");
    assert_eq!(row.upstream_status, Some(200));

    // Streaming: chunks pass through, and the usage chunk Keygate asked for is removed
    // because this client did not ask for it — yet the row has exact usage.
    let res = gw
        .call(&key, "/v1/chat/completions", json!({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = res.text().await.unwrap();
    let events = sse_data(&text);
    assert_eq!(events.last().unwrap(), "[DONE]");
    let deltas: String = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(deltas, "Hello from fake");
    assert!(
        events.iter().all(|e| !e.contains("\"choices\":[]")),
        "the usage-only chunk must not reach a client that did not ask for it"
    );
    let upstream = gw.fake.requests_to("/v1/chat/completions");
    assert_eq!(upstream[1].body["stream_options"]["include_usage"], true);

    // A client that asks for usage gets it.
    let res = gw
        .call(&key, "/v1/chat/completions", json!({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}))
        .await;
    let text = res.text().await.unwrap();
    assert!(
        sse_data(&text)
            .iter()
            .any(|e| e.contains("\"choices\":[]") && e.contains("\"prompt_tokens\":11"))
    );

    let rows = gw.ledger().await;
    assert_eq!(rows.len(), 3);
    for row in &rows[1..] {
        assert!(row.stream);
        assert_eq!(row.outcome, "success");
        assert_eq!(
            (row.prompt_tokens, row.completion_tokens),
            (Some(11), Some(7))
        );
        assert!(!row.estimated);
        assert!(row.first_byte_ms.is_some());
    }
    // Request ids are unique.
    let mut ids: Vec<_> = rows.iter().map(|r| r.request_id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);

    // The project's usage (from rollups) moved, and the key's last use was recorded.
    let usage = common::json_of(
        gw.owner
            .get(
                gw.app
                    .url(&format!("/api/admin/projects/{}/usage", gw.project)),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(usage["today"]["requests"], 3);
    assert_eq!(usage["today"]["promptTokens"], 33);
    assert_eq!(usage["month"]["completionTokens"], 21);
    assert_eq!(usage["virtualKeys"][0]["virtualKeyId"], key_id);
    let listed = common::json_of(
        gw.owner
            .get(
                gw.app
                    .url(&format!("/api/admin/virtual-keys?projectId={}", gw.project)),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(listed["virtualKeys"][0]["lastUsedAt"].is_string());
    gw.finish().await;
}

async fn every_openai_endpoint_is_metered(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let cases = [
        (
            "/v1/embeddings",
            json!({"model":"text-embedding-3-small","input":"hello"}),
            "embeddings",
            (5, 0),
        ),
        (
            "/v1/completions",
            json!({"model":"gpt-3.5-turbo-instruct","prompt":"Say hi"}),
            "completions",
            (4, 6),
        ),
        (
            "/v1/responses",
            json!({"model":"gpt-4o-mini","input":"hi"}),
            "responses",
            (12, 8),
        ),
        (
            "/v1/responses",
            json!({"model":"gpt-4o-mini","input":"hi","stream":true}),
            "responses",
            (12, 8),
        ),
        (
            "/v1/completions",
            json!({"model":"gpt-3.5-turbo-instruct","prompt":"Say hi","stream":true}),
            "completions",
            (4, 6),
        ),
    ];
    for (path, body, _, _) in &cases {
        let res = gw.call(&key, path, body.clone()).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let _ = res.bytes().await.unwrap();
    }
    let rows = gw.ledger().await;
    assert_eq!(rows.len(), cases.len());
    for (row, (path, _, endpoint, (prompt, completion))) in rows.iter().zip(&cases) {
        assert_eq!(row.endpoint, *endpoint, "{path}");
        assert_eq!(row.prompt_tokens, Some(*prompt), "{path}");
        assert_eq!(row.completion_tokens.unwrap_or(0), *completion, "{path}");
        assert_eq!(row.outcome, "success", "{path}");
        assert!(!row.estimated, "{path}");
    }
    // Models: what this key may use (an OpenAI key exists; no Anthropic key).
    let models: Value = gw
        .app
        .client()
        .get(gw.app.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"gpt-4o-mini"), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("claude")), "{ids:?}");
    // Health needs no key.
    for path in ["/v1/health", "/v1/responses/health"] {
        let res = gw.app.client().get(gw.app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    gw.finish().await;
}

async fn anthropic_messages_speak_anthropic(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("anthropic", ANTHROPIC_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let client = gw.app.client();
    let body = json!({"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]});
    let res = client
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &key)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["content"][0]["text"], "Hello from fake");
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let res = client
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&streamed)
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(text.contains("event: message_start"));
    assert!(text.contains("event: message_stop"));
    let res = client
        .post(gw.app.url("/v1/messages/count_tokens"))
        .header("x-api-key", &key)
        .json(&json!({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["input_tokens"], 13);
    let seen = gw.fake.requests_to("/anthropic/v1/messages");
    assert!(seen.iter().all(|r| r.credential == ANTHROPIC_KEY));

    let rows = gw.ledger().await;
    assert_eq!(rows.len(), 3);
    for row in &rows[..2] {
        // Anthropic's input excludes cache reads: 13 + 2.
        assert_eq!(
            (row.prompt_tokens, row.completion_tokens, row.cached_tokens),
            (Some(15), Some(9), Some(2))
        );
        assert_eq!(row.provider, "anthropic");
        assert!(!row.estimated);
        assert!(row.cost_micros > 0);
    }

    // Errors come in Anthropic's shape on Anthropic routes.
    let res = client
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", "sk-proxy-not-a-real-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let error: Value = res.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "authentication_error");
    // …and in OpenAI's shape on OpenAI routes.
    let res = gw
        .call(
            "sk-proxy-not-a-real-key",
            "/v1/chat/completions",
            json!({"model":"gpt-4o"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let error: Value = res.json().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_api_key");
    // The Messages API only serves Anthropic models.
    let res = client
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&json!({"model":"gpt-4o","max_tokens":5,"messages":[]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    gw.finish().await;
}

async fn routes_rename_and_redirect_models(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("groq", "gsk_VALID-groq-key-0001").await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw
        .owner
        .post(
            gw.app
                .url(&format!("/api/admin/projects/{}/routes", gw.project)),
        )
        .json(&json!({"pattern":"fast","provider":"groq","targetModel":"llama-3.1-8b-instant"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    for model in ["fast", "groq/llama-3.3-70b-versatile"] {
        let res = gw
            .call(
                &key,
                "/v1/chat/completions",
                json!({"model":model,"messages":[]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{model}");
    }
    let seen = gw.fake.requests_to("/v1/chat/completions");
    assert_eq!(seen[0].body["model"], "llama-3.1-8b-instant");
    assert_eq!(seen[1].body["model"], "llama-3.3-70b-versatile");
    assert!(
        seen.iter()
            .all(|r| r.credential == "gsk_VALID-groq-key-0001")
    );
    let rows = gw.ledger().await;
    assert_eq!(rows[0].provider, "groq");
    assert_eq!(rows[0].model, "llama-3.1-8b-instant");
    // An unknown model has no route.
    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model":"mystery-model","messages":[]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "model_not_found"
    );
    gw.finish().await;
}

async fn client_headers_cannot_change_the_upstream_credentials(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("openai-organization", "org-evil")
        .header("x-goog-api-key", "AIza-evil")
        .header("host", "evil.example")
        .json(&json!({"model":"gpt-4o-mini","messages":[]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let seen = &gw.fake.requests_to("/v1/chat/completions")[0];
    assert_eq!(seen.credential, OPENAI_KEY);
    assert!(
        !seen.headers.iter().any(|(_, v)| v.contains("evil")),
        "{:?}",
        seen.headers
    );
    gw.finish().await;
}

on_both_databases!(
    chat_completions_are_proxied_and_metered_exactly,
    every_openai_endpoint_is_metered,
    anthropic_messages_speak_anthropic,
    routes_rename_and_redirect_models,
    client_headers_cannot_change_the_upstream_credentials,
);

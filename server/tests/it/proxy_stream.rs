//! Streams that do not finish: cut by the provider, or abandoned by the client. Usage is
//! still recorded once, counted from what was delivered and flagged "estimated".

use crate::common;

use std::time::Duration;

use common::Backend;
use common::gateway::Gateway;
use domain::gateway::estimate::count_tokens;
use futures::StreamExt as _;
use reqwest::StatusCode;
use serde_json::json;

async fn a_stream_cut_by_the_provider_is_recorded_as_estimated(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    gw.add_key("anthropic", "sk-ant-VALID-anthropic-01").await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model":"cut-stream","stream":true,"messages":[{"role":"user","content":"hi"}]}),
        )
        .await;
    // `cut-stream` has no default route; route it to OpenAI first.
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = gw
        .owner
        .post(
            gw.app
                .url(&format!("/api/admin/projects/{}/routes", gw.project)),
        )
        .json(&json!({"pattern":"cut-stream","provider":"openai"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model":"cut-stream","stream":true,"messages":[{"role":"user","content":"hi"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The client sees the delivered chunks and then an error (the cut), never a clean end.
    let mut body = res.bytes_stream();
    let mut received = String::new();
    let mut failed = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received.push_str(&String::from_utf8_lossy(&bytes)),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "a cut stream must not look complete: {received}");
    assert!(!received.contains("[DONE]"));

    // Anthropic: message_start reported input tokens, then the stream was cut.
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&json!({"model":"claude-cut-stream","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}))
        .send()
        .await
        .unwrap();
    let _ = res.bytes().await;

    let rows = gw.ledger().await;
    let rows: Vec<_> = rows.iter().filter(|r| r.outcome != "success").collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let openai = rows[0];
    assert_eq!(openai.outcome, "upstream_cut");
    assert!(openai.estimated);
    assert_eq!(
        openai.completion_tokens,
        Some(i64::from(count_tokens("cut-stream", "Hello from")))
    );
    assert!(openai.prompt_tokens.unwrap() > 0);
    let anthropic = rows[1];
    assert_eq!(anthropic.outcome, "upstream_cut");
    assert_eq!(
        anthropic.prompt_tokens,
        Some(15),
        "message_start's input tokens are kept"
    );
    assert_eq!(
        anthropic.completion_tokens,
        Some(i64::from(count_tokens("claude-cut-stream", "Hello from")))
    );
    assert!(anthropic.estimated);
    gw.finish().await;
}

async fn a_client_that_walks_away_mid_stream_is_still_billed_once(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", "sk-proj-VALID-openai-0001").await;
    let (_, key) = gw.mint(json!({})).await;
    let res = gw
        .call(&key, "/v1/chat/completions", json!({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(body); // the client goes away after the first chunk
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = gw.ledger().await;
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome, "client_disconnected");
    assert!(rows[0].estimated);
    assert!(rows[0].prompt_tokens.unwrap() > 0);
    // Nothing more is written later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gw.ledger().await.len(), 1);
    gw.finish().await;
}

on_both_databases!(
    a_stream_cut_by_the_provider_is_recorded_as_estimated,
    a_client_that_walks_away_mid_stream_is_still_billed_once,
);

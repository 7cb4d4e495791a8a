//! A minimal, fast OpenAI-compatible provider for benchmarks (`bench/proxy-bench.sh`).
//!
//!   cargo run --release -p server --example fake_upstream -- [--addr 127.0.0.1:0] [--threads 1]
//!
//! `POST /v1/chat/completions` with any `Authorization: Bearer …` answers a fixed
//! `chat.completion` with usage (prompt 11, completion 7). With `"stream": true` it answers
//! server-sent events instead: a role chunk, three content chunks, then (when
//! `stream_options.include_usage` is set) a usage chunk with `"choices": []`, then
//! `data: [DONE]`. To hold a stream open, name a model containing `hold-<N>s` (for example
//! `gpt-4o-mini-hold-30s`, which Keygate routes to OpenAI unchanged) or add `?hold=<N>` to the
//! URL: the first chunk goes out at once, the rest N seconds later.
//!
//! Prints `fake_upstream listening on http://<addr>` on stdout once it accepts connections,
//! and stops on SIGINT/SIGTERM.

// A benchmark tool: printing its address is its interface.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "A fast fake OpenAI chat-completions provider for benchmarks")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

const COMPLETION: &str = r#"{"id":"chatcmpl-fake000000000000000000000001","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the fake provider.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18},"system_fingerprint":"fp_fake"}"#;

const CHUNK_HEAD: &str = r#"{"id":"chatcmpl-fake000000000000000000000002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_fake","choices":"#;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fake_upstream: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args.addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake_upstream: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr) -> Result<(), String> {
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/health", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    // Small SSE chunks must not wait for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("fake_upstream listening on http://{local}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("server error: {e}"))
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

fn openai_error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "message": message, "type": "invalid_request_error" } });
    (status, axum::Json(body)).into_response()
}

/// Seconds to hold a stream open: `?hold=N`, else `hold-Ns` in the model name.
fn hold_seconds(query: &std::collections::HashMap<String, String>, model: &str) -> u64 {
    if let Some(n) = query.get("hold").and_then(|v| v.parse().ok()) {
        return n;
    }
    model
        .find("hold-")
        .map(|at| &model[at + "hold-".len()..])
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with('s')
                .then(|| digits.parse().ok())
                .flatten()
        })
        .unwrap_or(0)
}

async fn chat(
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| !key.trim().is_empty());
    if !authorized {
        return openai_error(StatusCode::UNAUTHORIZED, "Missing bearer key.");
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return openai_error(StatusCode::BAD_REQUEST, "The body is not JSON.");
    };
    if !request
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            COMPLETION,
        )
            .into_response();
    }
    let model = request.get("model").and_then(Value::as_str).unwrap_or("");
    let include_usage = request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    stream_response(hold_seconds(&query, model), include_usage)
}

fn event(choices: &str, usage: Option<&str>) -> Bytes {
    let usage = usage.map_or_else(String::new, |u| format!(r#","usage":{u}"#));
    Bytes::from(format!("data: {CHUNK_HEAD}{choices}{usage}}}\n\n"))
}

fn stream_response(hold: u64, include_usage: bool) -> Response {
    let delta = |content: &str| {
        format!(
            r#"[{{"index":0,"delta":{{"content":"{content}"}},"logprobs":null,"finish_reason":null}}]"#
        )
    };
    let mut events = vec![
        event(
            r#"[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]"#,
            None,
        ),
        event(&delta("Hello"), None),
        event(&delta(" from the"), None),
        event(&delta(" fake provider."), None),
        event(
            r#"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]"#,
            None,
        ),
    ];
    if include_usage {
        events.push(event(
            "[]",
            Some(r#"{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}"#),
        ));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));

    // The first event goes out with the headers; the rest after the hold.
    let hold = Duration::from_secs(hold);
    let stream = futures::stream::unfold(
        (events.into_iter(), 0_usize),
        move |(mut rest, sent)| async move {
            if sent == 1 && !hold.is_zero() {
                tokio::time::sleep(hold).await;
            }
            let next = rest.next()?;
            Some((Ok::<_, std::convert::Infallible>(next), (rest, sent + 1)))
        },
    );
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

//! Hostile input on the proxy and the REST API: oversized and deeply nested bodies, invalid
//! UTF-8 and huge headers. Each gets a clear 4xx or a closed connection — never a 500, a hang
//! or a crash — and the server keeps serving.

use crate::common;

use common::Backend;
use common::gateway::Gateway;
use reqwest::StatusCode;
use serde_json::json;

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_and_headers_get_clear_refusals() {
    let gw = Gateway::start_with(Backend::Sqlite, |c| c.proxy_max_body_bytes = 1024 * 1024).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (_, key) = gw.mint(json!({})).await;
    let client = gw.app.client();
    let chat = gw.app.url("/v1/chat/completions");
    let post = |body: Vec<u8>| {
        client
            .post(&chat)
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // Larger than KEYGATE_PROXY_MAX_BODY_BYTES: 413 in the OpenAI shape.
    let res = post(vec![b' '; 2 * 1024 * 1024]).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than")
    );

    // 100,000 nested arrays: refused as invalid JSON, no stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let res = post(deep.into_bytes()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let mut nested = String::from("{\"model\":\"gpt-4o-mini\",\"messages\":");
    nested.push_str(&"[".repeat(5_000));
    nested.push_str(&"]".repeat(5_000));
    nested.push('}');
    assert_eq!(
        post(nested.into_bytes()).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );

    // Invalid UTF-8.
    let res = post(vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = gw
        .app
        .client()
        .post(gw.app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(vec![0xc3, 0x28, 0xa0, 0xa1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"]["code"].is_string());

    // A 1 MiB header: refused (431) or the connection closed, never served.
    match client
        .get(gw.app.url("/v1/models"))
        .bearer_auth(&key)
        .header("x-padding", "a".repeat(1024 * 1024))
        .send()
        .await
    {
        Ok(res) => assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        Err(e) => assert!(e.is_request() || e.is_connect() || e.is_body(), "{e}"),
    }
    assert!(
        gw.fake.requests().is_empty(),
        "nothing hostile was forwarded"
    );

    // Still serving normally.
    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    gw.finish().await;
}

/// A client that sends half its headers and then nothing is disconnected by the header-read
/// timeout instead of holding a connection forever; others are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_disconnected() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let app = common::spawn_app_with(Backend::Sqlite, |c| {
        c.header_read_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    socket
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = Instant::now();
    let res = app
        .client()
        .get(app.url("/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "others are served meanwhile");
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf)).await;
    let waited = started.elapsed();
    let n = read
        .expect("the server kept a half-sent request open")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
    eprintln!(
        "slowloris connection closed after {} ms (timeout 2 s)",
        waited.as_millis()
    );
    assert!(waited < Duration::from_secs(4), "{waited:?}");
    app.finish().await;
}

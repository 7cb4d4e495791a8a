//! The SSRF corpus: every way of writing an internal address that Keygate has heard of, as a
//! base URL on a key, a custom provider or a webhook. None may be saved, none may be reached:
//! loopback listeners on the corpus's port count 0 connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// `{port}` is replaced by the counting listeners' port.
const CORPUS: &[&str] = &[
    // Cloud metadata, in every notation browsers and `url` accept.
    "https://169.254.169.254/latest/meta-data/",
    "https://2852039166/",
    "https://0xA9FEA9FE/",
    "https://0251.0376.0251.0376/",
    "https://0xa9.0xfe.0xa9.0xfe/",
    "https://169.254.43518/",
    "https://[::ffff:169.254.169.254]/",
    "https://[fd00:ec2::254]/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://METADATA.GOOGLE.INTERNAL./",
    // Loopback.
    "https://localhost:{port}/",
    "https://LocalHost.:{port}/",
    "https://api.localhost:{port}/",
    "https://127.0.0.1:{port}/",
    "https://127.1:{port}/",
    "https://2130706433:{port}/",
    "https://0x7f000001:{port}/",
    "https://017700000001:{port}/",
    "https://0x7f.1:{port}/",
    "https://127.255.255.254:{port}/",
    "https://[::1]:{port}/",
    "https://[0:0:0:0:0:0:0:1]:{port}/",
    "https://[::ffff:127.0.0.1]:{port}/",
    "https://[::ffff:7f00:1]:{port}/",
    "https://[::127.0.0.1]:{port}/",
    "https://[64:ff9b::127.0.0.1]:{port}/",
    "https://0.0.0.0:{port}/",
    "https://0:{port}/",
    "https://[::]:{port}/",
    // Private, shared and link-local ranges.
    "https://10.0.0.1/",
    "https://10.255.255.255/",
    "https://172.16.0.1/",
    "https://172.31.255.254/",
    "https://192.168.0.1/",
    "https://100.64.0.1/",
    "https://169.254.0.1/",
    "https://[fc00::1]/",
    "https://[fd12:3456::1]/",
    "https://[fe80::1]/",
    "https://[ff02::1]/",
    "https://255.255.255.255/",
    "https://224.0.0.1/",
    // Credentials, other schemes, and plain http.
    "https://user:pass@api.openai.com/",
    "http://api.openai.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/",
    "ftp://127.0.0.1:{port}/",
];

async fn counting_listener(addr: &str) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn no_internal_address_can_be_saved_or_reached() {
    let (port, on_v4) = counting_listener("127.0.0.1:0").await;
    // The same port on IPv6 loopback when the machine has it.
    let on_v6 = match tokio::net::TcpListener::bind(("::1", port)).await {
        Ok(listener) => {
            let accepted = Arc::new(AtomicUsize::new(0));
            let counter = accepted.clone();
            tokio::spawn(async move {
                while listener.accept().await.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            Some(accepted)
        }
        Err(_) => None,
    };
    let upstreams = Upstreams::new(HashMap::new(), false).unwrap();
    let mut saved = Vec::new();
    for template in CORPUS {
        let url = template.replace("{port}", &port.to_string());
        if validate_base_url(&url, false).is_ok() {
            saved.push(url.clone());
        }
        let endpoints = [
            upstreams.endpoint(ProviderKind::Custom, Some(&url)),
            upstreams.proxy_custom_endpoint(&url),
            upstreams.webhook_endpoint(&url),
        ];
        // Refused before any connection; were one to slip through, it is sent, and the
        // listeners below would count it.
        for endpoint in endpoints.into_iter().flatten() {
            saved.push(url.clone());
            let _ = endpoint.client.get(endpoint.base.clone()).send().await;
        }
    }
    // Names that resolve to loopback are refused by the guarded client's resolver.
    for name in ["localhost", "ip6-localhost"] {
        let _ = upstreams
            .guarded
            .get(format!("https://{name}:{port}/"))
            .send()
            .await;
    }
    assert_eq!(saved, Vec::<String>::new(), "accepted internal URLs");
    let connections = on_v4.load(Ordering::SeqCst) + on_v6.map_or(0, |c| c.load(Ordering::SeqCst));
    assert_eq!(connections, 0, "outbound connections to loopback");
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_not_followed() {
    // An operator-trusted upstream (as from KEYGATE_OPENAI_BASE_URL) answers with a redirect
    // to a second loopback listener: Keygate must not follow it.
    let (target_port, reached) = counting_listener("127.0.0.1:0").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{target_port}/latest/meta-data/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    let mut overrides = HashMap::new();
    overrides.insert(
        ProviderKind::OpenAi,
        url::Url::parse(&format!("http://127.0.0.1:{port}/v1")).unwrap(),
    );
    let upstreams = Upstreams::new(overrides, false).unwrap();
    let endpoint = upstreams
        .proxy_endpoint(ProviderKind::OpenAi, None)
        .unwrap();
    let res = endpoint
        .client
        .get(endpoint.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

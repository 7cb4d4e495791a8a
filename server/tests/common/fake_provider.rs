//! A local fake AI provider for tests: answers like OpenAI (`/v1/models`), Anthropic
//! (`/anthropic/v1/models`), Gemini (`/google/v1beta/models`) and AWS STS (`/aws/`).
//!
//! A key is accepted when it contains `VALID`; otherwise the answer is 401 with a body that
//! echoes the key, as some real providers do, so tests can prove Keygate never passes
//! upstream error text on.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::providers::ProviderKind;

#[derive(Clone, Default)]
pub struct Seen {
    /// Every credential the fake was sent, in order.
    pub credentials: Arc<Mutex<Vec<String>>>,
}

pub struct FakeProvider {
    pub base: String,
    pub seen: Seen,
}

/// `None` when the credential is accepted, else the 401 answer.
fn judge(seen: &Seen, credential: Option<&str>) -> Option<Response> {
    let credential = credential.unwrap_or_default().to_owned();
    seen.credentials.lock().unwrap().push(credential.clone());
    if credential.contains("VALID") {
        None
    } else {
        Some(
            (
                StatusCode::UNAUTHORIZED,
                format!(r#"{{"error":{{"message":"Incorrect API key provided: {credential}"}}}}"#),
            )
                .into_response(),
        )
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl FakeProvider {
    pub async fn start() -> Self {
        let seen = Seen::default();
        let openai = {
            let seen = seen.clone();
            move |headers: HeaderMap| async move {
                let bearer =
                    header(&headers, "authorization").map(|v| v.trim_start_matches("Bearer "));
                match judge(&seen, bearer) {
                    None => (
                        [
                            ("openai-organization", "org-fake"),
                            ("x-ratelimit-limit-requests", "500"),
                            ("x-ratelimit-limit-tokens", "30000"),
                        ],
                        r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model"}]}"#,
                    )
                        .into_response(),
                    Some(r) => r,
                }
            }
        };
        let anthropic = {
            let seen = seen.clone();
            move |headers: HeaderMap| async move {
                if header(&headers, "anthropic-version").is_none() {
                    return (StatusCode::BAD_REQUEST, "missing anthropic-version").into_response();
                }
                match judge(&seen, header(&headers, "x-api-key")) {
                    None => (
                        [("anthropic-ratelimit-requests-limit", "50")],
                        r#"{"data":[{"id":"claude-sonnet-4-5","type":"model"}]}"#,
                    )
                        .into_response(),
                    Some(r) => r,
                }
            }
        };
        let google = {
            let seen = seen.clone();
            move |headers: HeaderMap| async move {
                match judge(&seen, header(&headers, "x-goog-api-key")) {
                    None => r#"{"models":[{"name":"models/gemini-2.0-flash"}]}"#.into_response(),
                    Some(r) => r,
                }
            }
        };
        let aws = {
            let seen = seen.clone();
            move |headers: HeaderMap, body: String| async move {
                let auth = header(&headers, "authorization").unwrap_or_default();
                let well_formed = auth.starts_with("AWS4-HMAC-SHA256 Credential=")
                    && auth.contains("/sts/aws4_request")
                    && auth.contains("SignedHeaders=content-type;host;x-amz-date")
                    && header(&headers, "x-amz-date").is_some()
                    && body.contains("Action=GetCallerIdentity");
                if !well_formed {
                    return (StatusCode::BAD_REQUEST, "bad signature").into_response();
                }
                match judge(&seen, Some(auth)) {
                    None => "<GetCallerIdentityResponse><GetCallerIdentityResult>\
                               <Arn>arn:aws:iam::123456789012:user/fake</Arn>\
                               <Account>123456789012</Account>\
                               </GetCallerIdentityResult></GetCallerIdentityResponse>"
                        .into_response(),
                    Some(r) => r,
                }
            }
        };
        // A custom provider: the key in `x-custom-key`, in `?key=`, or as a bearer token.
        let custom = {
            let seen = seen.clone();
            move |headers: HeaderMap,
                  axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>| async move {
                let credential = header(&headers, "x-custom-key")
                    .map(str::to_owned)
                    .or_else(|| query.get("key").cloned())
                    .or_else(|| {
                        header(&headers, "authorization")
                            .map(|v| v.trim_start_matches("Bearer ").to_owned())
                    });
                if let Some(version) = query.get("api-version") {
                    seen.credentials
                        .lock()
                        .unwrap()
                        .push(format!("api-version={version}"));
                }
                match judge(&seen, credential.as_deref()) {
                    None => r#"{"data":[{"id":"custom-model"}]}"#.into_response(),
                    Some(r) => r,
                }
            }
        };
        let app = Router::new()
            .route("/custom/models", get(custom))
            .route("/v1/models", get(openai))
            .route("/anthropic/v1/models", get(anthropic))
            .route("/google/v1beta/models", get(google))
            .route("/aws/", post(aws));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, seen }
    }

    /// Base URL overrides pointing every built-in provider at this fake.
    pub fn overrides(&self) -> HashMap<ProviderKind, url::Url> {
        let mut map = HashMap::new();
        for (provider, path) in [
            (ProviderKind::OpenAi, "/v1"),
            (ProviderKind::Groq, "/v1"),
            (ProviderKind::Xai, "/v1"),
            (ProviderKind::OpenRouter, "/v1"),
            (ProviderKind::Anthropic, "/anthropic"),
            (ProviderKind::Google, "/google"),
            (ProviderKind::Aws, "/aws"),
        ] {
            map.insert(
                provider,
                url::Url::parse(&format!("{}{path}", self.base)).unwrap(),
            );
        }
        map
    }

    pub fn credentials_seen(&self) -> Vec<String> {
        self.seen.credentials.lock().unwrap().clone()
    }
}

/// A base URL where nothing listens (connection refused).
pub async fn unreachable_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

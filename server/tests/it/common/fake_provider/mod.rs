//! A local fake AI provider for tests: answers like OpenAI (`/v1/…`), Anthropic
//! (`/anthropic/v1/…`), Gemini (`/google/v1beta/models`, and its OpenAI-compatible
//! `/google/v1beta/openai/…`), AWS STS (`/aws/`) and a custom provider (`/custom/models`).
//!
//! A key is accepted when it contains `VALID`; otherwise the answer is 401 with a body that
//! echoes the key, as some real providers do, so tests can prove Keygate never passes
//! upstream error text on. Checked before that, a key containing `RATELIMIT` gets a 429
//! (`retry-after: 7`), `BROKEN` a 500 and `FORBIDDEN` a 403, each with a body that echoes
//! the key.
//!
//! Anthropic's generation routes (`/anthropic/v1/messages`, `…/count_tokens`) need an
//! `anthropic-version` header and take the key from `x-api-key` or, as Anthropic's Python
//! SDK 2.x sends it, `Authorization: Bearer`; their errors use Anthropic's error shape.
//!
//! The model named in a JSON body drives more (matched anywhere in the name, so a routable
//! name such as `gpt-4o-slow` or `claude-cut-stream` works): `slow` waits 2 s before the
//! first byte, `cut-stream` ends a stream after two content events with a broken connection
//! (no `[DONE]`, no final usage; a non-streaming answer is normal), `stall` (chat streams)
//! sends two events and then nothing with the connection left open, `truncate-body`
//! (non-streaming chat) breaks off mid-JSON, and `error-500` gets a 500 whatever the key.
//!
//! Every request is recorded ([`FakeProvider::requests`]) with its path, credential, JSON
//! body and headers; every credential also goes to [`FakeProvider::credentials_seen`].
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a panic is a failure

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::providers::ProviderKind;
use futures::StreamExt as _;
use serde_json::{Value, json};

mod anthropic;
mod files;
mod openai;

use anthropic::{anthropic_count_tokens, anthropic_messages};
use files::{Files, files_content, files_delete, files_get, files_list, files_upload};
use openai::{chat_completions, completions, embeddings, responses};

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// The request path, without the query string (e.g. `/v1/chat/completions`).
    pub path: String,
    /// The credential the route reads (bearer token, `x-api-key`, …); empty when none.
    pub credential: String,
    /// The JSON body; `Null` when the body is empty or not JSON (e.g. a multipart upload).
    pub body: Value,
    /// Every request header, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
pub struct Seen {
    /// Every credential the fake was sent, in order.
    pub credentials: Arc<Mutex<Vec<String>>>,
    /// Every request the fake received, in order.
    pub requests: Arc<Mutex<Vec<SeenRequest>>>,
    /// Keys the provider no longer accepts ([`FakeProvider::refuse`]), whatever they contain.
    pub refused: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct Fake {
    seen: Seen,
    files: Arc<Mutex<Files>>,
}

pub struct FakeProvider {
    pub base: String,
    pub seen: Seen,
    files: Arc<Mutex<Files>>,
}

const CREATED: i64 = 1_700_000_000;
const TEXT: &str = "Hello from fake";
const PIECES: [&str; 3] = ["Hello", " from", " fake"];
const CHUNK_GAP: Duration = Duration::from_millis(20);
const SLOW_DELAY: Duration = Duration::from_secs(2);

/// Whose error shape an answer uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    OpenAi,
    Anthropic,
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error_response(
    flavor: Flavor,
    status: StatusCode,
    kind: &str,
    code: Value,
    message: String,
) -> Response {
    let body = match flavor {
        Flavor::OpenAi => json!({"error": {"message": message, "type": kind, "code": code}}),
        Flavor::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
    };
    let mut response = json_response(status, body);
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("7"));
    }
    response
}

/// The answer for a credential: `None` when accepted. `legacy_401` keeps the original
/// (pre-proxy) 401 body of the `models` routes.
fn verdict(credential: &str, flavor: Flavor, legacy_401: bool) -> Option<Response> {
    let anthropic = flavor == Flavor::Anthropic;
    if credential.contains("RATELIMIT") {
        return Some(error_response(
            flavor,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            json!("rate_limit_exceeded"),
            format!("Rate limit reached for key {credential}"),
        ));
    }
    if credential.contains("BROKEN") {
        return Some(error_response(
            flavor,
            StatusCode::INTERNAL_SERVER_ERROR,
            if anthropic {
                "api_error"
            } else {
                "server_error"
            },
            Value::Null,
            format!("The server had an error while processing the request for key {credential}"),
        ));
    }
    if credential.contains("FORBIDDEN") {
        return Some(error_response(
            flavor,
            StatusCode::FORBIDDEN,
            "permission_error",
            json!("forbidden"),
            format!("Key {credential} does not have permission to use this resource"),
        ));
    }
    if credential.contains("VALID") {
        return None;
    }
    if legacy_401 {
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                format!(r#"{{"error":{{"message":"Incorrect API key provided: {credential}"}}}}"#),
            )
                .into_response(),
        );
    }
    Some(if anthropic {
        error_response(
            flavor,
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            Value::Null,
            format!("invalid x-api-key: {credential}"),
        )
    } else {
        error_response(
            flavor,
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            json!("invalid_api_key"),
            format!("Incorrect API key provided: {credential}"),
        )
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    header(headers, "authorization").map(|v| v.trim_start_matches("Bearer "))
}

/// Records a request (path, credential, JSON body, headers) in `seen.requests`.
fn record(seen: &Seen, path: &str, credential: &str, headers: &HeaderMap, body: &[u8]) -> Value {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let headers = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    seen.requests.lock().unwrap().push(SeenRequest {
        path: path.to_owned(),
        credential: credential.to_owned(),
        body: body.clone(),
        headers,
    });
    body
}

/// The original routes' check: records the request and credential, then judges the key.
fn judge(
    seen: &Seen,
    path: &str,
    headers: &HeaderMap,
    credential: Option<&str>,
    flavor: Flavor,
) -> Option<Response> {
    let credential = credential.unwrap_or_default().to_owned();
    record(seen, path, &credential, headers, &[]);
    seen.credentials.lock().unwrap().push(credential.clone());
    if seen.refused.lock().unwrap().contains(&credential) {
        return verdict("", flavor, true);
    }
    verdict(&credential, flavor, true)
}

/// A request to one of the proxied (generation) routes, already recorded.
struct Incoming {
    body: Value,
}

impl Incoming {
    fn model(&self) -> String {
        self.body["model"].as_str().unwrap_or_default().to_owned()
    }
    fn streaming(&self) -> bool {
        self.body["stream"].as_bool() == Some(true)
    }
    fn include_usage(&self) -> bool {
        self.body["stream_options"]["include_usage"].as_bool() == Some(true)
    }
    fn cut(&self) -> bool {
        self.model().contains("cut-stream")
    }
}

/// Records the request, then applies the model- and key-driven behaviours. `Err` is the
/// answer when the request is refused.
async fn admit(
    fake: &Fake,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    flavor: Flavor,
) -> Result<Incoming, Response> {
    // Anthropic takes `x-api-key`, and also a bearer token: its Python SDK 2.x sends the
    // API key as `Authorization: Bearer` (1.x sent `x-api-key`).
    let credential = match flavor {
        Flavor::OpenAi => bearer(headers),
        Flavor::Anthropic => header(headers, "x-api-key").or_else(|| bearer(headers)),
    }
    .unwrap_or_default()
    .to_owned();
    let body = record(&fake.seen, path, &credential, headers, body);
    fake.seen
        .credentials
        .lock()
        .unwrap()
        .push(credential.clone());
    let incoming = Incoming { body };
    let model = incoming.model();
    if model.contains("slow") {
        tokio::time::sleep(SLOW_DELAY).await;
    }
    if flavor == Flavor::Anthropic && header(headers, "anthropic-version").is_none() {
        return Err(error_response(
            flavor,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Value::Null,
            "anthropic-version: header is required".into(),
        ));
    }
    if model.contains("error-500") {
        return Err(error_response(
            flavor,
            StatusCode::INTERNAL_SERVER_ERROR,
            if flavor == Flavor::Anthropic {
                "api_error"
            } else {
                "server_error"
            },
            Value::Null,
            "Internal server error".into(),
        ));
    }
    let refused = fake.seen.refused.lock().unwrap().contains(&credential);
    match verdict(if refused { "" } else { &credential }, flavor, false) {
        Some(refused) => Err(refused),
        None => Ok(incoming),
    }
}

/// An SSE answer: `events` (already framed) sent ~20 ms apart; when `cut`, the body then
/// fails, so the connection drops without a proper end.
fn sse(events: Vec<String>, cut: bool) -> Response {
    let mut items: Vec<Result<Bytes, std::io::Error>> =
        events.into_iter().map(|e| Ok(Bytes::from(e))).collect();
    if cut {
        items.push(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake provider cut the stream",
        )));
    }
    let stream = futures::stream::iter(items).then(|item| async move {
        tokio::time::sleep(CHUNK_GAP).await;
        item
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// An SSE answer whose first events arrive and then nothing, ever (the connection stays
/// open): only the proxy's idle timeout ends it.
fn sse_stalled(events: Vec<String>) -> Response {
    let first = futures::stream::iter(
        events
            .into_iter()
            .take(2)
            .map(|e| Ok::<Bytes, std::io::Error>(Bytes::from(e))),
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(first.chain(futures::stream::pending())))
        .unwrap()
}

/// A JSON answer that breaks off after its first bytes (the connection drops mid-body).
fn truncated_json() -> Response {
    let items: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"id\": \"chatcmpl-fake1\", \"choi")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake provider cut the body",
        )),
    ];
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures::stream::iter(items)))
        .unwrap()
}

fn data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

fn event(value: &Value) -> String {
    format!(
        "event: {}\ndata: {value}\n\n",
        value["type"].as_str().unwrap_or_default()
    )
}

/// Any other path: recorded (credential from a bearer token or `x-api-key`), then a 404 in
/// OpenAI's shape.
async fn unknown_path(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let credential = bearer(&headers)
        .or_else(|| header(&headers, "x-api-key"))
        .unwrap_or_default();
    record(&fake.seen, uri.path(), credential, &headers, &body);
    error_response(
        Flavor::OpenAi,
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        json!("unknown_url"),
        format!("Unknown request URL: {method} {}", uri.path()),
    )
}

/// The OpenAI-compatible generation and file routes under `prefix`.
fn openai_routes(router: Router<Fake>, prefix: &str) -> Router<Fake> {
    router
        .route(
            &format!("{prefix}/chat/completions"),
            post(chat_completions),
        )
        .route(&format!("{prefix}/completions"), post(completions))
        .route(&format!("{prefix}/embeddings"), post(embeddings))
        .route(&format!("{prefix}/responses"), post(responses))
        .route(
            &format!("{prefix}/files"),
            post(files_upload).get(files_list),
        )
        .route(
            &format!("{prefix}/files/{{id}}"),
            get(files_get).delete(files_delete),
        )
        .route(
            &format!("{prefix}/files/{{id}}/content"),
            get(files_content),
        )
}

impl FakeProvider {
    pub async fn start() -> Self {
        let seen = Seen::default();
        let files = Arc::new(Mutex::new(Files::default()));
        let openai = {
            let seen = seen.clone();
            move |OriginalUri(uri): OriginalUri, headers: HeaderMap| async move {
                match judge(
                    &seen,
                    uri.path(),
                    &headers,
                    bearer(&headers),
                    Flavor::OpenAi,
                ) {
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
            move |OriginalUri(uri): OriginalUri, headers: HeaderMap| async move {
                if header(&headers, "anthropic-version").is_none() {
                    let key = header(&headers, "x-api-key").unwrap_or_default();
                    record(&seen, uri.path(), key, &headers, &[]);
                    return (StatusCode::BAD_REQUEST, "missing anthropic-version").into_response();
                }
                let key = header(&headers, "x-api-key");
                match judge(&seen, uri.path(), &headers, key, Flavor::Anthropic) {
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
            move |OriginalUri(uri): OriginalUri, headers: HeaderMap| async move {
                let key = header(&headers, "x-goog-api-key");
                match judge(&seen, uri.path(), &headers, key, Flavor::OpenAi) {
                    None => r#"{"models":[{"name":"models/gemini-2.0-flash"}]}"#.into_response(),
                    Some(r) => r,
                }
            }
        };
        let aws = {
            let seen = seen.clone();
            move |OriginalUri(uri): OriginalUri, headers: HeaderMap, body: String| async move {
                let auth = header(&headers, "authorization").unwrap_or_default();
                let well_formed = auth.starts_with("AWS4-HMAC-SHA256 Credential=")
                    && auth.contains("/sts/aws4_request")
                    && auth.contains("SignedHeaders=content-type;host;x-amz-date")
                    && header(&headers, "x-amz-date").is_some()
                    && body.contains("Action=GetCallerIdentity");
                if !well_formed {
                    record(&seen, uri.path(), auth, &headers, &[]);
                    return (StatusCode::BAD_REQUEST, "bad signature").into_response();
                }
                match judge(&seen, uri.path(), &headers, Some(auth), Flavor::OpenAi) {
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
            move |OriginalUri(uri): OriginalUri,
                  headers: HeaderMap,
                  axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>| async move {
                let credential = header(&headers, "x-custom-key")
                    .map(str::to_owned)
                    .or_else(|| query.get("key").cloned())
                    .or_else(|| bearer(&headers).map(str::to_owned));
                if let Some(version) = query.get("api-version") {
                    seen.credentials
                        .lock()
                        .unwrap()
                        .push(format!("api-version={version}"));
                }
                match judge(&seen, uri.path(), &headers, credential.as_deref(), Flavor::OpenAi) {
                    None => r#"{"data":[{"id":"custom-model"}]}"#.into_response(),
                    Some(r) => r,
                }
            }
        };
        let router = Router::new()
            .route("/custom/models", get(custom))
            .route("/v1/models", get(openai.clone()))
            .route("/google/v1beta/openai/models", get(openai))
            .route("/anthropic/v1/models", get(anthropic))
            .route("/anthropic/v1/messages", post(anthropic_messages))
            .route(
                "/anthropic/v1/messages/count_tokens",
                post(anthropic_count_tokens),
            )
            .route("/google/v1beta/models", get(google))
            .route("/aws/", post(aws));
        let router = openai_routes(router, "/v1");
        let router = openai_routes(router, "/google/v1beta/openai");
        let app = router.fallback(unknown_path).with_state(Fake {
            seen: seen.clone(),
            files: files.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, seen, files }
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

    /// From now on the provider refuses `key` with a 401 (a key revoked at the provider).
    pub fn refuse(&self, key: &str) {
        self.seen.refused.lock().unwrap().push(key.to_owned());
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen.requests.lock().unwrap().clone()
    }

    /// The requests whose path ends with `path_suffix` (e.g. `"/chat/completions"`).
    pub fn requests_to(&self, path_suffix: &str) -> Vec<SeenRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with(path_suffix))
            .collect()
    }

    /// Forgets the recorded requests and credentials (uploaded files stay).
    pub fn clear(&self) {
        self.seen.requests.lock().unwrap().clear();
        self.seen.credentials.lock().unwrap().clear();
    }

    /// The content of an uploaded file, by id.
    pub fn file_content(&self, id: &str) -> Option<Vec<u8>> {
        let files = self.files.lock().unwrap();
        files
            .stored
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.content.clone())
    }
}

/// A base URL where nothing listens (connection refused).
pub async fn unreachable_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

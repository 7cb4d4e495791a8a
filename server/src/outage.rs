//! When the database is unreachable, layers below the pages (the session store first) fail
//! with a bare 500. This turns such an answer into a clear 503 — an HTML page that retries
//! by itself for a browser, the REST error shape or a server function's error otherwise —
//! once a ping confirms the database is the cause.

use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::error::Unavailability;

use crate::rest::error::ApiError;

/// Seconds a browser waits before trying again.
const RETRY_SECS: u64 = 5;

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>Keygate is unavailable</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem}</style>
</head><body><main role="alert"><h1>Keygate cannot reach its database</h1>
<p>Nothing was changed. This page tries again every 5 seconds; if it keeps showing, ask an operator to check the database.</p>
</main></body></html>"#;

fn is_bare_failure(response: &Response) -> bool {
    response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.body().size_hint().exact() == Some(0)
}

async fn database_unreachable(state: &AppState) -> bool {
    !matches!(
        tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await,
        Ok(Ok(()))
    )
}

/// The middleware.
pub async fn explain_database_outage(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if !is_bare_failure(&response) || !database_unreachable(&state).await {
        return response;
    }
    let message = Unavailability::Unreachable.message();
    let mut explained = if path.starts_with("/rpc/") {
        let error = app::error::AppError::Unavailable(message.to_owned());
        let mut response = (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&error).unwrap_or_default(),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&path) {
            response.headers_mut().insert("serverfnerror", value);
        }
        response
    } else if wants_html {
        let mut response = Response::new(Body::from(PAGE));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    } else {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message).into_response()
    };
    explained
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_SECS));
    explained
}

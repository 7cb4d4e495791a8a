//! While the disk under an embedded database is short of space (see
//! `domain::storage`), every request that may write is refused up front with a 503 in the
//! caller's format — the proxy's error shape, a server function's error, or the REST API's —
//! and reads go on being served.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::error::Unavailability;

use crate::proxy::error::{Dialect, ProxyError};
use crate::rest::error::ApiError;

fn may_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware.
pub async fn refuse_writes_when_full(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.storage.is_full() || !may_write(request.method()) {
        return next.run(request).await;
    }
    let message = Unavailability::StorageFull.message();
    let path = request.uri().path();
    if path.starts_with("/v1/") {
        let dialect = if path.starts_with("/v1/messages") {
            Dialect::Anthropic
        } else {
            Dialect::OpenAi
        };
        return ProxyError::new(StatusCode::SERVICE_UNAVAILABLE, dialect, message)
            .code("storage_full")
            .into_response();
    }
    if path.starts_with("/rpc/") {
        // A server function's error, as the browser's client decodes it.
        let error = app::error::AppError::Unavailable(message.to_owned());
        let body = serde_json::to_string(&error).unwrap_or_default();
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
        if let Ok(value) = HeaderValue::from_str(path) {
            response.headers_mut().insert("serverfnerror", value);
        }
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return response;
    }
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message).into_response()
}

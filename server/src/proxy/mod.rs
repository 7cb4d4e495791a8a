//! The `/v1` proxy: OpenAI- and Anthropic-compatible endpoints in front of the providers.
//!
//! Mounted outside the session, CSRF and page layers (programs call it, not browsers), with
//! its own body limit. Each request: authenticate the Keygate key (cached) → route the model →
//! pick provider keys → forward with failover → meter usage into the ledger.

mod admission;
mod auth;
pub(crate) mod error;
mod failover;
mod files;
mod forward;
mod meta;
mod models;
mod persona;
mod ratings;
mod stream;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use domain::AppState;
use domain::gateway::adapter::Api;

pub use error::{Dialect, ProxyError};

pub fn router(state: AppState) -> Router {
    let max_body = state.gateway.limits.max_body_bytes;
    let max_file = state.gateway.limits.max_file_bytes;
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/responses/health", get(health))
        .route("/v1/models", get(models::list))
        .route(
            "/v1/chat/completions",
            post(|s, h, c, b| forward::handle(Api::ChatCompletions, s, h, c, b)),
        )
        .route(
            "/v1/completions",
            post(|s, h, c, b| forward::handle(Api::Completions, s, h, c, b)),
        )
        .route(
            "/v1/embeddings",
            post(|s, h, c, b| forward::handle(Api::Embeddings, s, h, c, b)),
        )
        .route(
            "/v1/responses",
            post(|s, h, c, b| forward::handle(Api::Responses, s, h, c, b)),
        )
        .route(
            "/v1/messages",
            post(|s, h, c, b| forward::handle(Api::Messages, s, h, c, b)),
        )
        .route(
            "/v1/messages/count_tokens",
            post(|s, h, c, b| forward::handle(Api::CountTokens, s, h, c, b)),
        )
        .route("/v1/responses/{id}/rating", post(ratings::openai))
        .route("/v1/chat/completions/{id}/rating", post(ratings::openai))
        .route("/v1/messages/{id}/rating", post(ratings::anthropic))
        .layer(DefaultBodyLimit::max(max_body))
        .route(
            "/v1/files",
            post(files::upload)
                .layer(DefaultBodyLimit::max(max_file))
                .get(files::list),
        )
        .route("/v1/files/{id}", get(files::retrieve).delete(files::delete))
        .route("/v1/files/{id}/content", get(files::content))
        .route("/v1/{*rest}", axum::routing::any(not_found))
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> ProxyError {
    let dialect = if uri.path().starts_with("/v1/messages") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    };
    ProxyError::new(
        axum::http::StatusCode::NOT_FOUND,
        dialect,
        format!("Keygate does not serve {}.", uri.path()),
    )
    .code("unknown_url")
}

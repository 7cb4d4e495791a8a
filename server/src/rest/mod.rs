//! The REST API for programs under `/api`. Every error is JSON
//! `{"error":{"code":"…","message":"…"}}` with a fitting status.

pub mod auth;
pub mod error;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use domain::AppState;

use error::ApiError;

pub fn router<S>() -> Router<S>
where
    AppState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

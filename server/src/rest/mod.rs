//! The REST API for programs under `/api`. Every error is JSON
//! `{"error":{"code":"…","message":"…"}}` with a fitting status.

pub mod auth;
pub mod error;
pub mod projects;

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
        .route(
            "/admin/projects",
            get(projects::list).post(projects::create),
        )
        .route(
            "/admin/projects/{id}",
            get(projects::get)
                .put(projects::update)
                .delete(projects::delete),
        )
        .route("/admin/projects/{id}/activate", post(projects::activate))
        .route(
            "/admin/projects/{id}/deactivate",
            post(projects::deactivate),
        )
        // Requests are small JSON documents; refuse anything larger before parsing it.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

//! The REST API for programs under `/api`. Every error is JSON
//! `{"error":{"code":"…","message":"…"}}` with a fitting status.

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod broker;
pub mod client;
pub mod deliveries;
pub mod error;
pub mod ip_allowlist;
pub mod key_body;
pub mod limits;
pub mod mfa;
pub mod my_keys;
pub mod openapi;
pub mod personas;
pub mod projects;
pub mod providers;
pub mod rotation;
pub mod routes;
pub mod usage;
pub mod virtual_keys;

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
        .route("/openapi.json", get(openapi::document))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/mfa", post(mfa::verify))
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
        .route(
            "/admin/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            "/admin/api-keys/{id}",
            get(api_keys::get)
                .put(api_keys::update)
                .delete(api_keys::delete),
        )
        .route("/admin/api-keys/{id}/verify", post(api_keys::verify))
        .route(
            "/admin/api-keys/{id}/rotate",
            axum::routing::put(rotation::rotate_provider_key),
        )
        .route(
            "/admin/api-keys/{id}/rotations",
            get(rotation::provider_key_rotations),
        )
        .route(
            "/admin/api-keys/{id}/rotation-schedule",
            axum::routing::put(rotation::provider_key_schedule),
        )
        .route(
            "/admin/virtual-keys/{id}/rotate",
            post(rotation::rotate_virtual_key),
        )
        .route(
            "/admin/virtual-keys/{id}/rotations",
            get(rotation::virtual_key_rotations),
        )
        .route(
            "/admin/virtual-keys/{id}/rotation-schedule",
            axum::routing::put(rotation::virtual_key_schedule),
        )
        .route("/virtual-keys/{id}/rotate", post(deliveries::rotate_own))
        .route("/deliveries", get(deliveries::list))
        .route("/deliveries/{id}/reveal", post(deliveries::reveal))
        .route("/admin/api-keys/{id}/usage", get(usage::key))
        .route("/usage", get(usage::usage))
        .route(
            "/admin/alerts/rules",
            get(alerts::list_rules).post(alerts::create_rule),
        )
        .route(
            "/admin/alerts/rules/{id}",
            axum::routing::put(alerts::update_rule).delete(alerts::delete_rule),
        )
        .route("/admin/alerts/events", get(alerts::list_events))
        .route("/admin/alerts/evaluate", post(alerts::evaluate))
        .route(
            "/admin/alerts/email-deliveries",
            get(alerts::email_deliveries),
        )
        .route(
            "/admin/webhooks",
            get(alerts::list_webhooks).post(alerts::create_webhook),
        )
        .route(
            "/admin/webhooks/{id}",
            axum::routing::delete(alerts::delete_webhook),
        )
        .route("/admin/webhooks/{id}/secret", get(alerts::webhook_secret))
        .route("/admin/webhooks/{id}/deliveries", get(alerts::deliveries))
        .route("/admin/webhooks/{id}/test", post(alerts::test_webhook))
        .route("/notifications", get(alerts::my_notifications))
        .route("/notifications/read", post(alerts::mark_read))
        .route("/admin/limits", get(limits::list))
        .route(
            "/admin/limits/{scope}/{id}",
            get(limits::get).put(limits::set).delete(limits::remove),
        )
        .route(
            "/admin/personas",
            get(personas::list).post(personas::create),
        )
        .route(
            "/admin/personas/{id}",
            get(personas::get)
                .put(personas::update)
                .delete(personas::delete),
        )
        .route("/admin/personas/{id}/activate", post(personas::activate))
        .route(
            "/admin/personas/{id}/deactivate",
            post(personas::deactivate),
        )
        .route("/admin/personas/{id}/analytics", get(personas::analytics))
        .route("/usage/export.csv", get(usage::export_csv))
        .route("/usage/report.csv", get(usage::report_csv))
        .route("/usage/events", get(usage::events))
        .route(
            "/admin/virtual-keys",
            get(virtual_keys::list).post(virtual_keys::create),
        )
        .route(
            "/admin/virtual-keys/{id}/revoke",
            post(virtual_keys::revoke),
        )
        .route(
            "/admin/virtual-keys/{id}/allowed-ips",
            axum::routing::put(virtual_keys::set_allowed_ips),
        )
        .route(
            "/admin/projects/{id}/revoke-all-tokens",
            post(virtual_keys::revoke_all),
        )
        .route(
            "/admin/projects/{id}/routes",
            get(routes::list).post(routes::create),
        )
        .route(
            "/admin/projects/{id}/routes/{route_id}",
            axum::routing::delete(routes::delete),
        )
        .route("/admin/projects/{id}/usage", get(routes::usage))
        .route("/admin/prices", get(routes::prices).put(routes::set_price))
        .route(
            "/admin/prices/{id}",
            axum::routing::delete(routes::delete_price),
        )
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit/verify", get(audit::verify))
        .route("/admin/audit/export.csv", get(audit::export_csv))
        .route(
            "/admin/ip-allowlist",
            get(ip_allowlist::get).put(ip_allowlist::set),
        )
        .route(
            "/admin/audit/retention",
            get(audit::get_retention).put(audit::set_retention),
        )
        .route("/broker/credentials", post(broker::credentials))
        .route("/providers", get(providers::catalog))
        .route("/admin/providers", post(providers::create))
        .route(
            "/admin/providers/{id}",
            get(providers::get)
                .put(providers::update)
                .delete(providers::delete),
        )
        .route("/api-keys", get(my_keys::list).post(my_keys::create))
        .route("/api-keys/stats", get(my_keys::stats))
        .route("/api-keys/test", post(my_keys::test))
        .route(
            "/api-keys/{id}",
            get(my_keys::get)
                .put(my_keys::update)
                .delete(my_keys::delete),
        )
        // Requests are small JSON documents; refuse anything larger before parsing it.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

//! The OpenAPI document for the REST API, served at `/api/openapi.json`.

use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::{
    alerts, api_keys, audit, auth, broker, deliveries, error, ip_allowlist, key_body, limits, mfa,
    my_keys, personas, projects, providers, rotation, routes, usage, virtual_keys,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keygate REST API",
        description = "Keygate keeps an organization's AI provider keys sealed and hands out \
                       revocable Keygate keys. Errors are always \
                       `{\"error\":{\"code\":\"…\",\"message\":\"…\"}}`; unknown fields are \
                       rejected; bodies are at most 64 KiB."
    ),
    paths(
        auth::login, auth::logout, auth::me, mfa::verify,
        projects::list, projects::create, projects::get, projects::update,
        projects::activate, projects::deactivate, projects::delete,
        api_keys::list, api_keys::create, api_keys::get, api_keys::update, api_keys::delete,
        api_keys::verify,
        my_keys::list, my_keys::create, my_keys::get, my_keys::update, my_keys::delete,
        my_keys::test, my_keys::stats,
        broker::credentials,
        providers::catalog, providers::create, providers::get, providers::update,
        providers::delete,
        virtual_keys::create, virtual_keys::list, virtual_keys::revoke, virtual_keys::set_allowed_ips, virtual_keys::revoke_all,
        routes::list, routes::create, routes::delete, routes::usage, routes::prices,
        routes::set_price, routes::delete_price,
        usage::usage, usage::export_csv, usage::report_csv, usage::events, usage::key,
        personas::list, personas::create, personas::get, personas::update, personas::activate,
        personas::deactivate, personas::delete, personas::analytics,
        rotation::rotate_provider_key, rotation::provider_key_rotations,
        rotation::provider_key_schedule, rotation::rotate_virtual_key,
        rotation::virtual_key_rotations, rotation::virtual_key_schedule,
        deliveries::rotate_own, deliveries::list, deliveries::reveal,
        limits::list, limits::get, limits::set, limits::remove,
        alerts::list_rules, alerts::create_rule, alerts::update_rule, alerts::delete_rule,
        alerts::list_events, alerts::evaluate, alerts::email_deliveries, alerts::list_webhooks, alerts::create_webhook,
        alerts::webhook_secret, alerts::delete_webhook, alerts::deliveries, alerts::test_webhook,
        alerts::my_notifications, alerts::mark_read,
        audit::list, audit::verify, audit::export_csv, audit::get_retention,
        audit::set_retention,
        ip_allowlist::get, ip_allowlist::set,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, key_body::KeyBody)),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "keygate_session",
                "The session cookie set by POST /api/auth/login.",
            ))),
        );
        components.add_security_scheme(
            "adminToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A `kg_admin_…` token from Settings or `keygate token create`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "serviceToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A `kg_svc_…` service token (credential broker only)."))
                    .build(),
            ),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

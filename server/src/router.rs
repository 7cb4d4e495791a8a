//! The axum application: one place that lists every layer, outermost first.
//!
//! trace → security headers (+ CSP nonce) → cross-site refusal → session + auth
//!       → absolute session lifetime → routes (`/api` REST, Leptos pages, `/rpc` server fns)

use axum::Router;
use axum::extract::FromRef;
use axum::middleware::{from_fn, from_fn_with_state};
use axum_login::AuthManagerLayerBuilder;
use domain::AppState;
use domain::auth::Backend;
use domain::session_store::SeaOrmSessionStore;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;

/// The cookie carrying the session id.
pub const SESSION_COOKIE: &str = "keygate_session";

#[derive(Clone)]
pub struct RouterState {
    leptos: LeptosOptions,
    app: AppState,
}

impl FromRef<RouterState> for LeptosOptions {
    fn from_ref(state: &RouterState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<RouterState> for AppState {
    fn from_ref(state: &RouterState) -> Self {
        state.app.clone()
    }
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("keygate")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

pub fn build(config: &Config, state: AppState) -> Router {
    let leptos = leptos_options(config);
    let idle =
        time::Duration::try_from(state.sessions.idle_timeout).unwrap_or(time::Duration::hours(8));
    let sessions = SessionManagerLayer::new(SeaOrmSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.served_over_https())
        .with_expiry(Expiry::OnInactivity(idle));
    let auth = AuthManagerLayerBuilder::new(
        Backend::new(state.db.clone(), state.hasher.clone()),
        sessions,
    )
    .build();

    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    let provide_state = move || provide_context(context_state.clone());
    let shell_options = leptos.clone();
    let lifetime = state.sessions.absolute_lifetime;
    let hsts = config.served_over_https();

    let proxy = crate::proxy::router(state.clone());
    let storage_state = state.clone();
    let outage_state = state.clone();
    let metrics = crate::metrics::router(config, state.clone());
    let app = Router::new()
        .nest("/api", crate::rest::router())
        .leptos_routes_with_context(
            &RouterState {
                leptos: leptos.clone(),
                app: state.clone(),
            },
            routes,
            provide_state.clone(),
            move || app::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            RouterState,
            _,
        >(provide_state, app::shell))
        .with_state(RouterState { leptos, app: state })
        .layer(from_fn_with_state(
            lifetime,
            crate::security::enforce_session_lifetime,
        ))
        .layer(auth)
        .layer(from_fn(crate::security::refuse_cross_site))
        .layer(from_fn(move |req, next| {
            crate::security::security_headers(hsts, req, next)
        }))
        .layer(from_fn_with_state(
            outage_state,
            crate::outage::explain_database_outage,
        ))
        .layer(TraceLayer::new_for_http());
    // The proxy is for programs: no sessions, cookies or page headers on its hot path.
    // Both learn the client's address from the outermost layer.
    let trusted = std::sync::Arc::new(config.trusted_proxies.clone());
    proxy
        .merge(metrics)
        .merge(app)
        .layer(from_fn_with_state(
            storage_state,
            crate::storage_guard::refuse_writes_when_full,
        ))
        .layer(from_fn(move |req, next| {
            crate::client_addr::resolve(trusted.clone(), req, next)
        }))
}

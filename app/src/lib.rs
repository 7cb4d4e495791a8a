//! Keygate's Leptos application: pages, components and server functions.
//! Compiled twice: with `ssr` into the server, with `hydrate` into the browser's WASM.

#![recursion_limit = "512"] // deeply nested view types in release (non-erased) builds

pub mod api;
pub mod components;
pub mod dto;
pub mod dto_access;
pub mod dto_admin;
pub mod dto_alerts;
pub mod dto_audit;
pub mod dto_insight;
pub mod dto_limits;
pub mod dto_mfa;
pub mod dto_rotation;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::layout::AppLayout;
use crate::components::toast::{ToastRegion, provide_toasts};
use crate::pages::{
    account::AccountPage,
    alerts::AlertsPage,
    audit::AuditPage,
    dashboard::DashboardPage,
    keys::{MyKeysPage, OrgKeysPage},
    limits::RateLimits,
    login::LoginPage,
    not_found::NotFoundPage,
    personas::{PersonaDetailPage, PersonasPage},
    project_detail::ProjectDetailPage,
    projects::ProjectsPage,
    reports::{ReportPrintPage, ReportsPage},
    settings::SettingsPage,
    setup::SetupPage,
    usage::UsagePage,
    users::UsersPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_toasts();
    view! {
        <Stylesheet id="leptos" href="/pkg/keygate.css" />
        <Title formatter=|text: String| {
            if text.is_empty() { "Keygate".to_owned() } else { format!("{text} · Keygate") }
        } />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                // Outside the layout: no navigation, for printing. Still signed-in only.
                <Route path=path!("/reports/print") view=ReportPrintPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=AppLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=DashboardPage />
                    <Route path=path!("keys") view=MyKeysPage />
                    <Route path=path!("org-keys") view=OrgKeysPage />
                    <Route path=path!("projects") view=ProjectsPage />
                    <Route path=path!("projects/:id") view=ProjectDetailPage />
                    <Route path=path!("usage") view=UsagePage />
                    <Route path=path!("personas") view=PersonasPage />
                    <Route path=path!("personas/:id") view=PersonaDetailPage />
                    <Route path=path!("reports") view=ReportsPage />
                    <Route path=path!("audit") view=AuditPage />
                    <Route path=path!("users") view=UsersPage />
                    <Route path=path!("limits") view=RateLimits />
                    <Route path=path!("alerts") view=AlertsPage />
                    <Route path=path!("settings") view=SettingsPage />
                    <Route path=path!("account") view=AccountPage />
                </ParentRoute>
            </Routes>
        </Router>
        <ToastRegion />
    }
}

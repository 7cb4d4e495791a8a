pub mod account;
pub mod alerts;
pub mod audit;
pub mod dashboard;
pub mod keys;
pub mod limits;
pub mod login;
pub mod not_found;
pub mod personas;
pub mod project_detail;
pub mod projects;
pub mod reports;
pub mod settings;
pub mod setup;
pub mod usage;
pub mod users;

use leptos::prelude::*;

use crate::components::layout::PageHeader;

/// Shown to a member who opens an admin page; the server refuses the data anyway.
#[component]
pub fn NotAllowed() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    // The refusal goes to the audit log (once per showing, from the browser).
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        let path = location.pathname.get_untracked();
        leptos::task::spawn_local(async move {
            let _ = crate::api::audit::audit_page_denied(path).await;
        });
    });
    view! {
        <PageHeader title="Not allowed" />
        <div class="content">
            <div class="forbidden">
                <p>"You need an admin role to view this page."</p>
            </div>
        </div>
    }
}

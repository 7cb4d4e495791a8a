pub mod account;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod placeholders;
pub mod settings;
pub mod setup;
pub mod users;

use leptos::prelude::*;

/// Shown to a member who opens an admin page; the server refuses the data anyway.
#[component]
pub fn NotAllowed() -> impl IntoView {
    view! {
        <div class="content">
            <div class="forbidden">
                <h1>"Not allowed"</h1>
                <p>"You need an admin role to view this page."</p>
            </div>
        </div>
    }
}

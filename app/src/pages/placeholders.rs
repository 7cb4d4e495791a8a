//! Pages whose capabilities arrive in later releases; each says what it will hold.

use leptos::prelude::*;

use crate::components::layout::PageHeader;

#[component]
fn Empty(title: &'static str, heading: &'static str, body: &'static str) -> impl IntoView {
    view! {
        <PageHeader title />
        <div class="content">
            <div class="empty-state">
                <h2>{heading}</h2>
                <p class="muted">{body}</p>
            </div>
        </div>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Empty title="Audit" heading="No audit events yet"
            body="A tamper-evident trail of who did what to which key, from where, will be shown here." />
    }
}

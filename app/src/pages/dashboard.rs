use leptos::prelude::*;

use crate::components::layout::{PageHeader, use_me};
use crate::components::rotation::DeliveriesCard;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let me = use_me();
    view! {
        <PageHeader title="Dashboard" />
        <div class="content stack">
            <p>"Welcome, " {me.display_name.clone()} "."</p>
            <DeliveriesCard />
            <div class="empty-state">
                <h2>"No traffic yet"</h2>
                <p class="muted">
                    "Spend today, requests per minute, error rates and the keys closest to their budgets will appear here once programs call providers through Keygate."
                </p>
            </div>
        </div>
    }
}

//! The rule form's "Budget" select.
//!
//! Its options are fetched in the browser after hydration, not streamed with the page:
//! a list resolved inside `Suspend` within `<select>` sometimes reached the browser in a
//! different shape than the one hydration expected ("expected a marker node"), which
//! broke the whole page. Rendering only "Any budget" on the server and filling the rest
//! afterwards makes server and client markup identical every time.

use leptos::prelude::*;

use crate::api::alerts::alerts_limits;
use crate::dto_alerts::AlertLimitDto;

#[component]
pub(super) fn BudgetField(value: RwSignal<String>) -> impl IntoView {
    let budgets = RwSignal::new(Vec::<AlertLimitDto>::new());
    let failed = RwSignal::new(false);
    // Effects run in the browser only, once the page has hydrated.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match alerts_limits().await {
                Ok(list) => budgets.set(list),
                Err(_) => failed.set(true),
            }
        });
    });
    // One closure for every option: a static option beside a dynamic list inside
    // <select> does not hydrate.
    let options = move || {
        let list = budgets.get();
        view! {
            <option value="" prop:selected=move || value.get().is_empty()>"Any budget"</option>
            {list.into_iter().map(|l| {
                let id = l.id.to_string();
                let mine = id.clone();
                view! {
                    <option value=id prop:selected=move || value.get() == mine>{l.label}</option>
                }
            }).collect_view()}
        }
    };
    view! {
        <div class="field">
            <label for="field-limit_id">"Budget"</label>
            <select id="field-limit_id" name="limit_id"
                on:change=move |ev| value.set(event_target_value(&ev))>
                {options}
            </select>
            {move || failed.get().then(|| view! {
                <p class="field-error">"Budgets could not be loaded; reload the page to pick one."</p>
            })}
        </div>
    }
}

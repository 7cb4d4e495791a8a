//! The table of recent alerts: what fired, and when it resolved.

use leptos::prelude::*;

use crate::dto_alerts::AlertEventDto;
use crate::dto_insight::short_time;

#[component]
pub(super) fn EventTable(list: Vec<AlertEventDto>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No alerts yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-labelledby="events-heading">
                <thead><tr>
                    <th scope="col">"State"</th>
                    <th scope="col">"Rule"</th>
                    <th scope="col">"Alert"</th>
                    <th scope="col">"Fired"</th>
                    <th scope="col">"Resolved"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|e| {
                        let badge = if e.state == "firing" {
                            view! { <span class="badge badge-danger">"Firing"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-active">"Resolved"</span> }.into_any()
                        };
                        view! {
                            <tr class="alert-event">
                                <td>{badge}</td>
                                <td>{e.rule_name}</td>
                                <td>{e.message}</td>
                                <td class="nowrap">{short_time(&e.fired_at)}</td>
                                <td class="nowrap">{e.resolved_at.as_deref().map(short_time).unwrap_or_else(|| "—".to_owned())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

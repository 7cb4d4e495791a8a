//! One webhook's delivery log: each attempt's status and last response.

use leptos::prelude::*;

use crate::dto_alerts::DeliveryDto;
use crate::dto_insight::short_time;

#[component]
pub(super) fn DeliveryTable(list: Vec<DeliveryDto>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-labelledby="deliveries-heading">
                <thead><tr>
                    <th scope="col">"Event"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Attempts"</th>
                    <th scope="col">"Last response"</th>
                    <th scope="col">"Time"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|d| {
                        let badge = match d.status.as_str() {
                            "delivered" => "badge badge-active",
                            "failed" => "badge badge-danger",
                            _ => "badge badge-warning",
                        };
                        let last = match (d.last_status, d.last_error) {
                            (Some(code), Some(err)) => format!("HTTP {code}: {err}"),
                            (Some(code), None) => format!("HTTP {code}"),
                            (None, Some(err)) => err,
                            (None, None) => "—".to_owned(),
                        };
                        view! {
                            <tr>
                                <td class="mono small">{d.event}</td>
                                <td><span class=badge>{d.status}</span></td>
                                <td class="num">{d.attempts}</td>
                                <td class="small">{last}</td>
                                <td class="nowrap">{short_time(&d.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

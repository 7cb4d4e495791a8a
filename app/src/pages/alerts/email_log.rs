//! The latest alert e-mails: to whom, whether they went out, and the SMTP server's last
//! answer (or why nothing was sent, e.g. SMTP not configured). Refreshed after "Evaluate now".

use leptos::prelude::*;

use crate::api::alerts::alerts_email_log;
use crate::dto_alerts::EmailDeliveryDto;
use crate::dto_insight::short_time;

#[component]
pub(super) fn EmailLogCard(changed: RwSignal<u32>) -> impl IntoView {
    let log = Resource::new(move || changed.get(), |_| alerts_email_log());
    view! {
        <section class="card" aria-labelledby="email-log-heading">
            <h2 id="email-log-heading">"Recent e-mails"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading e-mails…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No alert e-mails yet."</p> }.into_any(),
                        Ok(list) => view! { <EmailTable list /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EmailTable(list: Vec<EmailDeliveryDto>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-labelledby="email-log-heading">
                <thead><tr>
                    <th scope="col">"Subject"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Attempts"</th>
                    <th scope="col">"Last answer"</th>
                    <th scope="col">"Time"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|d| {
                        let badge = match d.status.as_str() {
                            "delivered" => "badge badge-active",
                            "failed" => "badge badge-danger",
                            _ => "badge badge-warning",
                        };
                        view! {
                            <tr>
                                <td>{d.subject}</td>
                                <td class="small">{d.recipients.join(", ")}</td>
                                <td><span class=badge>{d.status}</span></td>
                                <td class="num">{d.attempts}</td>
                                <td class="small">{d.last_error.unwrap_or_else(|| "—".to_owned())}</td>
                                <td class="nowrap">{short_time(&d.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

//! Webhooks: the add form, the table with its test button, and the delivery log
//! of the webhook picked in the table.

use leptos::prelude::*;

use super::deliveries::DeliveryTable;
use super::fields::AlertInput;
use crate::api::alerts::{
    AlertsWebhookCreate, AlertsWebhookDelete, AlertsWebhookTest, alerts_deliveries, alerts_webhooks,
};
use crate::components::confirm::ConfirmButton;
use crate::components::copy::SecretOnce;
use crate::components::form::{FormError, last_error};
use crate::components::toast::use_toasts;
use crate::dto_alerts::WebhookDto;
use crate::dto_insight::short_time;

/// Webhooks: the add form (with the secret shown once), the table, test and delivery log.
/// Owns the webhooks resource: keep it at the top of the page.
#[component]
pub(super) fn WebhooksCard(hooks_changed: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let create = ServerAction::<AlertsWebhookCreate>::new();
    let remove = ServerAction::<AlertsWebhookDelete>::new();
    let test = ServerAction::<AlertsWebhookTest>::new();
    let hooks = Resource::new(move || hooks_changed.get(), |_| alerts_webhooks());
    let error = last_error(create.value());
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    // The webhook whose delivery log is open, and a counter to reload it.
    let log_of = RwSignal::new(None::<(i32, String)>);
    let log_changed = RwSignal::new(0_u32);
    let log = Resource::new(
        move || (log_of.get().map(|(id, _)| id), log_changed.get()),
        |(id, _)| async move {
            match id {
                Some(id) => alerts_deliveries(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            hooks_changed.update(|n| *n += 1);
            name.set(String::new());
            url.set(String::new());
            toasts.success(format!("Webhook added: {}", created.webhook.name));
        }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(gone)) => {
            hooks_changed.update(|n| *n += 1);
            log_of.set(None);
            toasts.success(format!("Webhook deleted: {gone}"));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match test.value().get() {
        Some(Ok(delivery)) => {
            log_changed.update(|n| *n += 1);
            let outcome = match delivery.status.as_str() {
                "delivered" => "delivered".to_owned(),
                other => format!(
                    "{other}{}",
                    delivery
                        .last_error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            };
            if delivery.status == "delivered" {
                toasts.success(format!("Test message {outcome}"));
            } else {
                toasts.error(format!("Test message {outcome}"));
            }
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <section class="card" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            <p class="muted">"Keygate POSTs alerts as JSON, signed with HMAC-SHA256 in the X-Keygate-Signature header using the webhook's signing secret. Failed deliveries are retried."</p>
            {move || create.value().get().and_then(|r| r.ok()).map(|created| view! {
                <SecretOnce id="webhook-secret" region="New webhook signing secret"
                    label="Signing secret (shown once: copy it now)" secret=created.secret />
            })}
            <form class="form" aria-label="Add a webhook"
                on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(AlertsWebhookCreate {
                        webhook_name: name.get_untracked(),
                        url: url.get_untracked(),
                    });
                }>
                <FormError error />
                <div class="form-inline">
                    <AlertInput label="Webhook name" name="webhook_name" value=name inputmode="text" error />
                    <AlertInput label="URL" name="url" value=url inputmode="url" hint="https://…" error />
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Add webhook"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading webhooks…"</p> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Ok(list) => view! { <WebhookTable list remove test log_of /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || log_of.get().map(|(_, name)| view! {
                <div class="delivery-log">
                    <h3 id="deliveries-heading">"Deliveries to " {name}</h3>
                    <Transition fallback=|| view! { <p class="muted">"Loading deliveries…"</p> }>
                        {move || Suspend::new(async move {
                            match log.await {
                                Ok(Some(list)) if list.is_empty() => view! { <p class="muted">"Nothing sent yet."</p> }.into_any(),
                                Ok(Some(list)) => view! { <DeliveryTable list /> }.into_any(),
                                Ok(None) => ().into_any(),
                                Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
            })}
        </section>
    }
}

#[component]
fn WebhookTable(
    list: Vec<WebhookDto>,
    remove: ServerAction<AlertsWebhookDelete>,
    test: ServerAction<AlertsWebhookTest>,
    log_of: RwSignal<Option<(i32, String)>>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No webhooks yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-labelledby="webhooks-heading">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"URL"</th>
                    <th scope="col">"Added"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|w| {
                        let id = w.id;
                        let name = w.name.clone();
                        let question = format!("Delete the webhook {}? Rules stop sending to it.", w.name);
                        view! {
                            <tr>
                                <td>{w.name.clone()}</td>
                                <td class="mono small">{w.url}</td>
                                <td class="nowrap">{short_time(&w.created_at)}</td>
                                <td class="actions">
                                    <button type="button" class="btn btn-sm" disabled=move || test.pending().get()
                                        on:click=move |_| {
                                            test.dispatch(AlertsWebhookTest { id });
                                            log_of.set(Some((id, name.clone())));
                                        }>"Send test"</button>
                                    <button type="button" class="btn btn-sm"
                                        on:click={
                                            let name = w.name.clone();
                                            move |_| log_of.set(Some((id, name.clone())))
                                        }>"Deliveries"</button>
                                    <ConfirmButton label="Delete".to_owned() question confirm_label="Delete".to_owned()
                                        on_confirm=move |_| { remove.dispatch(AlertsWebhookDelete { id }); } />
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

//! Key rotation in the app: a key's rotation panel (schedule editor with the next due time,
//! Rotate action, history), the overdue badge, rotated keys waiting for their owner, and the
//! Keygate keys that act as the viewer.
//!
//! `RotationPanel` is opened from a key list row, so it loads its data with a
//! `LocalResource` (browser only, never part of the server render). `DeliveriesCard` and
//! `OwnKeygateKeys` own page-level resources: put them at the top level of a page's view.
//! Every input id carries the key's kind and id, so several panels can be open on one page.

use leptos::html::Dialog;
use leptos::prelude::*;

use crate::api::rotation::{
    DeliveriesReveal, RotationRotateProvider, RotationRotateVirtual, RotationSchedule,
    deliveries_list, own_keygate_keys, rotation_state,
};
use crate::components::copy::copy_to_clipboard;
use crate::components::form::{FormError, last_error};
use crate::components::toast::use_toasts;
use crate::dto_rotation::{RotationDto, RotationStateDto};

/// `2026-01-01T03:00:00+00:00` → `2026-01-01 03:00 UTC`.
pub fn utc_time(rfc3339: &str) -> String {
    format!(
        "{} UTC",
        rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
    )
}

/// "Rotation overdue since …" for a provider key whose schedule fell due.
#[component]
pub fn OverdueBadge(since: String) -> impl IntoView {
    view! {
        <span class="badge badge-danger rotation-overdue"
            title="The rotation schedule fell due. Create a new key at the provider and rotate this one.">
            {format!("Rotation overdue since {}", utc_time(&since))}
        </span>
    }
}

/// A new Keygate key, shown once, with a Copy button.
#[component]
fn NewKeyOnce(id: String, label: String, secret: String) -> impl IntoView {
    let status = RwSignal::new(None::<&'static str>);
    let input = NodeRef::<leptos::html::Input>::new();
    let select_all = move || {
        if let Some(input) = input.get() {
            input.select();
        }
    };
    let to_copy = secret.clone();
    view! {
        <div class="new-token" role="region" aria-label="New Keygate key">
            <label for=id.clone()>{label}</label>
            <div class="copy-field">
                <input id=id class="mono new-key" readonly=true value=secret spellcheck="false"
                    autocomplete="off" node_ref=input on:focus=move |_| select_all() />
                <button type="button" class="btn" on:click=move |_| {
                    select_all();
                    if !copy_to_clipboard(&to_copy, status) {
                        status.set(Some("Press Ctrl+C (⌘C) to copy the selected text."));
                    }
                }>"Copy"</button>
            </div>
            <p class="muted small" aria-live="polite">{move || status.get()}</p>
        </div>
    }
}

fn open(dialog: NodeRef<Dialog>) {
    if let Some(dialog) = dialog.get() {
        let _ = dialog.show_modal();
    }
}

fn close(dialog: NodeRef<Dialog>) {
    if let Some(dialog) = dialog.get() {
        dialog.close();
    }
}

/// The grace-period input of a rotation dialog.
fn grace_input(id: String) -> impl IntoView + use<> {
    view! {
        <div class="field">
            <label for=id.clone()>"Grace period (hours)"</label>
            <input id=id.clone() name="grace_hours" type="number" min="0" max="720"
                placeholder="24" aria-describedby=format!("{id}-hint") />
            <p class="field-hint" id=format!("{id}-hint")>"How long the old key keeps working: 0 to 720, default 24."</p>
        </div>
    }
}

/// Rotates a Keygate key after confirmation, then shows the new key once.
#[component]
pub fn RotateKeygateKey(
    key_id: i32,
    name: String,
    #[prop(optional, into)] on_rotated: Option<Callback<()>>,
) -> impl IntoView {
    let rotate = ServerAction::<RotationRotateVirtual>::new();
    let error = last_error(rotate.value());
    let dialog = NodeRef::<Dialog>::new();
    let toasts = use_toasts();
    let base = format!("rotate-virtual-{key_id}");
    Effect::new(move |_| {
        if let Some(Ok(_)) = rotate.value().get() {
            close(dialog);
            toasts.success("Key rotated: copy the new key now".to_owned());
            if let Some(done) = on_rotated {
                done.run(());
            }
        }
    });
    let key_field = format!("{base}-new");
    view! {
        <button type="button" class="btn btn-sm" on:click=move |_| open(dialog)>"Rotate"</button>
        <dialog class="confirm-dialog" node_ref=dialog aria-label="Rotate Keygate key">
            <ActionForm action=rotate attr:class="form">
                <p>{format!("Rotate {name}? A new key is issued now; the current key keeps working until the grace period ends, then answers 401.")}</p>
                <FormError error />
                <input type="hidden" name="id" value=key_id.to_string() />
                {grace_input(format!("{base}-grace"))}
                <div class="dialog-actions">
                    <button type="button" class="btn" on:click=move |_| close(dialog)>"Cancel"</button>
                    <button type="submit" class="btn btn-danger" disabled=move || rotate.pending().get()>"Rotate key"</button>
                </div>
            </ActionForm>
        </dialog>
        {move || rotate.value().get().and_then(Result::ok).map(|r| view! {
            <NewKeyOnce id=key_field.clone()
                label=format!("New Keygate key (copy it now; it is not shown again). The old key works until {}.", utc_time(&r.expires_at))
                secret=r.new_key />
        })}
    }
}

/// Rotates a provider key: a dialog takes the new secret (verified with the provider before
/// anything changes) and the grace period.
#[component]
pub fn RotateProviderKey(
    key_id: i32,
    name: String,
    aws: bool,
    #[prop(optional, into)] on_rotated: Option<Callback<()>>,
) -> impl IntoView {
    let rotate = ServerAction::<RotationRotateProvider>::new();
    let error = last_error(rotate.value());
    let dialog = NodeRef::<Dialog>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let toasts = use_toasts();
    let base = format!("rotate-provider-{key_id}");
    Effect::new(move |_| {
        if let Some(Ok(r)) = rotate.value().get() {
            close(dialog);
            if let Some(form) = form.get() {
                form.reset();
            }
            toasts.success(format!(
                "Rotated to {}; {} stays a fallback until {}",
                r.new_key,
                r.old_key,
                utc_time(&r.expires_at)
            ));
            if let Some(done) = on_rotated {
                done.run(());
            }
        }
    });
    let secret_id = format!("{base}-secret");
    let access_id = format!("{base}-access");
    view! {
        <button type="button" class="btn btn-sm" on:click=move |_| open(dialog)>"Rotate…"</button>
        <dialog class="confirm-dialog" node_ref=dialog aria-label="Rotate provider key">
            <ActionForm action=rotate node_ref=form attr:class="form">
                <p>{format!("Rotate {name}: paste the new key you created at the provider. Keygate checks it with the provider first; the old key stays a fallback during the grace period.")}</p>
                <FormError error />
                <input type="hidden" name="id" value=key_id.to_string() />
                <div class="field">
                    <label for=secret_id.clone()>"New secret"</label>
                    <input id=secret_id name="key" type="password" autocomplete="off" spellcheck="false" required=true />
                </div>
                {aws.then(|| view! {
                    <div class="field">
                        <label for=access_id.clone()>"New secret access key"</label>
                        <input id=access_id.clone() name="secret_access_key" type="password" autocomplete="off" required=true />
                    </div>
                })}
                {grace_input(format!("{base}-grace"))}
                <div class="dialog-actions">
                    <button type="button" class="btn" on:click=move |_| close(dialog)>"Cancel"</button>
                    <button type="submit" class="btn btn-danger" disabled=move || rotate.pending().get()>
                        {move || if rotate.pending().get() { "Checking…" } else { "Verify and rotate" }}
                    </button>
                </div>
            </ActionForm>
        </dialog>
    }
}

fn history_row(entry: RotationDto) -> impl IntoView + use<> {
    let who = match (entry.trigger.as_str(), entry.actor) {
        ("schedule", _) => "schedule".to_owned(),
        (_, Some(email)) => email,
        (_, None) => "manual".to_owned(),
    };
    let outcome_class = match entry.outcome.as_str() {
        "success" => "badge badge-active",
        "due" => "badge badge-warning",
        _ => "badge badge-danger",
    };
    view! {
        <tr>
            <td>{utc_time(&entry.created_at)}</td>
            <td>{who}</td>
            <td><span class=outcome_class>{entry.outcome}</span></td>
            <td>{entry.grace_until.as_deref().map(utc_time).unwrap_or_default()}</td>
            <td class="small">{entry.detail}</td>
        </tr>
    }
}

/// Schedule editor, next due time and history of one key.
fn summary(
    kind: &'static str,
    key_id: i32,
    state: RotationStateDto,
    schedule: ServerAction<RotationSchedule>,
) -> impl IntoView + use<> {
    let error = last_error(schedule.value());
    let input_id = format!("rotation-{kind}-{key_id}-schedule");
    let next = state.next_rotation_at.clone();
    let scheduled = state.schedule.is_some();
    view! {
        {state.overdue_since.map(|since| view! { <p><OverdueBadge since /></p> })}
        {state.previous_until.map(|until| view! {
            <p class="muted small previous-until">{format!("The previous key still works until {}.", utc_time(&until))}</p>
        })}
        {state.can_rotate.then(|| view! {
            <ActionForm action=schedule attr:class="form-inline rotation-schedule">
                <input type="hidden" name="kind" value=kind />
                <input type="hidden" name="id" value=key_id.to_string() />
                <div class="field">
                    <label for=input_id.clone()>"Rotation schedule"</label>
                    <input id=input_id.clone() name="schedule" value=state.schedule.clone().unwrap_or_default()
                        placeholder="every 30 days" spellcheck="false" aria-describedby=format!("{input_id}-hint") />
                    <p class="field-hint" id=format!("{input_id}-hint")>
                        {if kind == "provider" {
                            "A cron expression in UTC (0 3 1 * *) or every N days. Keygate cannot create provider keys: when due, the key is marked overdue. Blank removes the schedule."
                        } else {
                            "A cron expression in UTC (0 3 1 * *) or every N days. When due, the key rotates itself and you can reveal the new key once. Blank removes the schedule."
                        }}
                    </p>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-sm" disabled=move || schedule.pending().get()>"Save schedule"</button>
                </div>
            </ActionForm>
            <FormError error />
        })}
        <p class="next-rotation">{match (scheduled, next) {
            (true, Some(at)) => format!("Next rotation: {}", utc_time(&at)),
            _ => "No rotation scheduled.".to_owned(),
        }}</p>
        {if state.history.is_empty() {
            view! { <p class="muted">"Never rotated."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="table rotation-history" aria-label="Rotation history">
                        <thead><tr>
                            <th scope="col">"When"</th><th scope="col">"By"</th><th scope="col">"Outcome"</th>
                            <th scope="col">"Old key usable until"</th><th scope="col">"Detail"</th>
                        </tr></thead>
                        <tbody>{state.history.into_iter().map(history_row).collect_view()}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

/// One key's rotation: Rotate action, schedule editor with the next due time, history.
/// `kind` is `provider` or `virtual`; `provider` names a provider key's provider.
#[component]
pub fn RotationPanel(
    kind: &'static str,
    key_id: i32,
    name: String,
    #[prop(optional)] provider: Option<String>,
    /// Whether to offer the Rotate action (the server checks again).
    can_rotate: bool,
) -> impl IntoView {
    let schedule = ServerAction::<RotationSchedule>::new();
    let rotated = RwSignal::new(0_u32);
    let state = LocalResource::new(move || {
        schedule.version().get();
        rotated.get();
        rotation_state(kind.to_owned(), key_id)
    });
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(s)) = schedule.value().get() {
            toasts.success(match s.schedule {
                Some(_) => "Rotation schedule saved".to_owned(),
                None => "Rotation schedule removed".to_owned(),
            });
        }
    });
    let on_rotated = Callback::new(move |_| rotated.update(|n| *n += 1));
    let action = can_rotate.then(|| {
        if kind == "provider" {
            let aws = provider.as_deref() == Some("aws");
            view! { <RotateProviderKey key_id name=name.clone() aws on_rotated /> }.into_any()
        } else {
            view! { <RotateKeygateKey key_id name=name.clone() on_rotated /> }.into_any()
        }
    });
    view! {
        <div class="rotation-panel stack" role="region" aria-label=format!("Rotation of {name}")>
            <div class="form-actions">{action}</div>
            <Transition fallback=|| view! { <p class="muted">"Loading rotation…"</p> }>
                {move || Suspend::new(async move {
                    match state.await {
                        Ok(s) => summary(kind, key_id, s, schedule).into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// "Your key X was rotated — reveal the new key": rotated keys waiting for the viewer, each
/// revealed once. Renders nothing when there are none.
#[component]
pub fn DeliveriesCard() -> impl IntoView {
    let reveal = ServerAction::<DeliveriesReveal>::new();
    let deliveries = Resource::new(move || reveal.version().get(), |_| deliveries_list());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let items = deliveries.await.unwrap_or_default();
                (!items.is_empty()).then(|| view! {
                    <section class="card delivery-card" role="region" aria-label="Rotated keys">
                        <h2>"Rotated keys"</h2>
                        <ul class="plain-list">
                            {items.into_iter().map(|d| {
                                let id = d.id;
                                view! {
                                    <li>
                                        "Your key "<strong>{d.key_name}</strong>" was rotated on "{utc_time(&d.created_at)}
                                        " — reveal the new key. It is shown once. "
                                        <button type="button" class="btn btn-sm btn-primary"
                                            disabled=move || reveal.pending().get()
                                            on:click=move |_| { reveal.dispatch(DeliveriesReveal { id }); }>"Reveal new key"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
        {move || reveal.value().get().map(|result| match result {
            Ok(r) => view! {
                <section class="card">
                    <NewKeyOnce id=format!("delivered-key-{}", r.delivery.key_id)
                        label=format!("New key for {} (copy it now; it is not shown again)", r.delivery.key_name)
                        secret=r.key />
                </section>
            }.into_any(),
            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
        })}
    }
}

/// The Keygate keys that act as the viewer, each of which they may rotate. Renders nothing
/// when there are none.
#[component]
pub fn OwnKeygateKeys() -> impl IntoView {
    let keys = Resource::new(|| (), |_| own_keygate_keys());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = keys.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="card" aria-labelledby="own-keygate-keys-heading">
                        <h2 id="own-keygate-keys-heading">"Your Keygate keys"</h2>
                        <p class="muted">"Keygate keys that act as you. Rotating one issues a new key; the old one keeps working during the grace period."</p>
                        <ul class="plain-list">
                            {list.into_iter().map(|k| view! {
                                <li>
                                    {k.name.clone()}" "<code class="masked">{k.hint}</code>" "
                                    <span class="muted small">{k.next_rotation_at.as_deref().map(|at| format!("next rotation {}", utc_time(at))).unwrap_or_default()}</span>" "
                                    {(k.status == "active").then(|| view! { <RotateKeygateKey key_id=k.id name=k.name /> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
    }
}

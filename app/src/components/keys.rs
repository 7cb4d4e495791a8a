//! Provider key components (named as in seed 004): `KeyList` with its filters and counts,
//! `KeyListItem`, `KeyActions`, `KeyEditor`, `KeyForm` and `ValidationStatus`.

use leptos::prelude::*;

use crate::api::keys::{
    KeysCreate, KeysDelete, KeysReveal, KeysSetActive, KeysTest, KeysUpdate, keys_list,
};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::mfa_prompt::{MfaPrompt, MfaPromptDialog};
use crate::components::rotation::{OverdueBadge, RotationPanel};
use crate::components::toast::use_toasts;
use crate::dto::{CustomProviderDto, PROVIDERS, ProjectDto, ProviderKeyDto, provider_name};

/// Mirrors the server's format check, for feedback while typing (the server checks again).
pub fn key_format_ok(provider: &str, key: &str) -> bool {
    let key = key.trim();
    let prefixes: &[&str] = match provider {
        "openai" => &["sk-proj-", "sk-"],
        "anthropic" => &["sk-ant-"],
        "google" => &["AIza"],
        "groq" => &["gsk_"],
        "xai" => &["xai-"],
        "openrouter" => &["sk-or-"],
        "aws" => &["AKIA", "ASIA"],
        _ => &[],
    };
    !key.is_empty()
        && !key.chars().any(char::is_whitespace)
        && (prefixes.is_empty()
            || prefixes
                .iter()
                .any(|p| key.starts_with(p) && key.len() > p.len() + 8))
}

fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// Verified / failed / unreachable / never tested, with when.
#[component]
pub fn ValidationStatus(
    status: String,
    checked_at: Option<String>,
    message: Option<String>,
) -> impl IntoView {
    let (class, label) = match status.as_str() {
        "valid" => ("badge badge-active", "Verified"),
        "invalid" => ("badge badge-danger", "Failed"),
        "unreachable" => ("badge badge-warning", "Unreachable"),
        _ => ("badge badge-disabled", "Never tested"),
    };
    let when = checked_at.map(|t| short_time(&t));
    view! {
        <span class="validation-status" title=message.clone().unwrap_or_default()>
            <span class=class>{label}</span>
            {when.map(|w| view! { <span class="muted small">" "{w}</span> })}
        </span>
    }
}

/// How the proxy sees a key: healthy, cooling down (after a 429/5xx) or quarantined (the
/// provider refused it; fixed by editing or re-testing the key).
#[component]
pub fn HealthBadge(health: String) -> impl IntoView {
    let (class, label, title) = match health.as_str() {
        "quarantined" => (
            "badge badge-danger",
            "quarantined",
            "The provider refused this key; the proxy no longer uses it. Edit or test it again.",
        ),
        "cooling_down" => (
            "badge badge-warning",
            "cooling down",
            "The provider asked to slow down or failed; the proxy uses other keys first for a while.",
        ),
        _ => (
            "badge badge-active",
            "healthy",
            "The proxy uses this key normally.",
        ),
    };
    view! { <span class=class title=title>{label}</span> }
}

/// The form that adds a key: to the caller's own keys (`projects` empty) or to a project.
#[component]
pub fn KeyForm(
    create: ServerAction<KeysCreate>,
    projects: Vec<ProjectDto>,
    /// The organization's own providers, offered after the built-in ones.
    #[prop(optional)]
    custom: Vec<CustomProviderDto>,
) -> impl IntoView {
    let personal = projects.is_empty();
    let provider = RwSignal::new("openai".to_owned());
    let typed = RwSignal::new(String::new());
    let error = last_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(key)) = create.value().get() {
            toasts.success(format!("Key {} added", key.name));
            typed.set(String::new());
            if let Some(form) = form.get() {
                form.reset();
            }
            provider.set("openai".into());
        }
    });
    let format_hint = move || {
        PROVIDERS
            .iter()
            .find(|(id, _, _)| *id == provider.get())
            .map(|(_, _, hint)| format!("Format: {hint}"))
            .unwrap_or_default()
    };
    let live_error = move || {
        let key = typed.get();
        (!key.trim().is_empty() && !key_format_ok(&provider.get(), &key))
            .then_some("Invalid API key format")
    };
    let server_key_error = Signal::derive(move || error.get().and_then(|e| e.field_message("key")));
    view! {
        <ActionForm action=create node_ref=form attr:class="form">
            <FormError error />
            <div class="form-inline">
                {if personal {
                    view! { <input type="hidden" name="target" value="personal" /> }.into_any()
                } else {
                    view! {
                        <div class="field">
                            <label for="key-target">"Project"</label>
                            <select id="key-target" name="target" required=true>
                                {projects.into_iter().map(|p| view! {
                                    <option value=p.id.to_string()>{p.name}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    }.into_any()
                }}
                <div class="field">
                    <label for="key-provider">"Provider"</label>
                    <select id="key-provider" name="provider"
                        on:change=move |ev| provider.set(event_target_value(&ev))>
                        {PROVIDERS.iter().map(|(id, name, _)| view! {
                            <option value=*id selected=move || provider.get() == *id>{*name}</option>
                        }).collect_view()}
                        {(!custom.is_empty()).then(|| view! {
                            <optgroup label="Your organization's providers">
                                {custom.into_iter().map(|p| view! {
                                    <option value=p.slug.clone()>{p.name.clone()}</option>
                                }).collect_view()}
                            </optgroup>
                        })}
                    </select>
                </div>
                <Field label="Name" name="name" error />
                <Field label="Description" name="description" optional=true error />
            </div>
            <div class="form-inline">
                <div class="field">
                    <label for="key-secret">"API key"</label>
                    <input id="key-secret" name="key" type="password" autocomplete="off"
                        required=true spellcheck="false"
                        aria-describedby="key-secret-hint key-secret-error"
                        aria-invalid=move || (live_error().is_some() || server_key_error.get().is_some()).then_some("true")
                        on:input=move |ev| typed.set(event_target_value(&ev)) />
                    <p class="field-hint" id="key-secret-hint">{format_hint}</p>
                    <p class="field-error" id="key-secret-error">
                        {move || live_error().map(str::to_owned).or_else(|| server_key_error.get())}
                    </p>
                </div>
                {move || (provider.get() == "aws").then(|| view! {
                    <Field label="Secret access key" name="secret_access_key" kind="password" error />
                    <Field label="Region" name="region" optional=true hint="Default us-east-1" error />
                })}
                <Field label="Base URL" name="base_url" optional=true
                    hint="Only for private deployments or custom providers (https)" error />
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Add key"</button>
            </div>
        </ActionForm>
    }
}

/// Inline editor: name, description, and a secret field that is never pre-filled — left blank
/// it keeps the stored secret.
#[component]
pub fn KeyEditor(
    key: ProviderKeyDto,
    on_done: Callback<()>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let update = ServerAction::<KeysUpdate>::new();
    let error = last_error(update.value());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = update.value().get() {
            toasts.success(format!("Key {} saved", saved.name));
            refresh.update(|n| *n += 1);
            on_done.run(());
        }
    });
    let id = key.id;
    let field_id = move |name: &str| format!("key-{id}-{name}");
    let field_error = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    view! {
        <ActionForm action=update attr:class="form key-editor">
            <FormError error />
            <input type="hidden" name="id" value=id.to_string() />
            <div class="form-inline">
                <div class="field">
                    <label for=field_id("name")>"Key name"</label>
                    <input id=field_id("name") name="name" value=key.name.clone() required=true />
                    <p class="field-error">{move || field_error("name").get()}</p>
                </div>
                <div class="field">
                    <label for=field_id("description")>"Key description"</label>
                    <input id=field_id("description") name="description" value=key.description.clone() />
                </div>
                <div class="field">
                    <label for=field_id("secret")>"New secret"</label>
                    <input id=field_id("secret") name="key" type="password" autocomplete="off"
                        placeholder="Leave blank to keep the current key" />
                    <p class="field-error">{move || field_error("key").get()}</p>
                </div>
            </div>
            <div class="form-actions">
                <button type="button" class="btn" on:click=move |_| on_done.run(())>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>"Save"</button>
            </div>
        </ActionForm>
    }
}

/// Re-enter the password, then see the secret of one's own personal key.
#[component]
fn RevealForm(id: i32, on_done: Callback<()>) -> impl IntoView {
    let reveal = ServerAction::<KeysReveal>::new();
    let error = last_error(reveal.value());
    // With two-factor on, a reveal needs a code verified in the last minutes: ask for one,
    // then submit the form (the password is still in it) again.
    let prompt = MfaPrompt::new();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Err(err)) = reveal.value().get() {
            prompt.handles(&err, move || {
                if let Some(form) = form.get_untracked() {
                    let _ = form.request_submit();
                }
            });
        }
    });
    let password_error =
        Signal::derive(move || error.get().and_then(|e| e.field_message("password")));
    view! {
        {move || match reveal.value().get() {
            Some(Ok(secret)) => view! {
                <div class="revealed">
                    <label for=format!("key-{id}-revealed")>"Revealed key"</label>
                    <input id=format!("key-{id}-revealed") class="mono" readonly=true value=secret />
                    <button type="button" class="btn btn-sm" on:click=move |_| on_done.run(())>"Hide"</button>
                </div>
            }.into_any(),
            _ => ().into_any(),
        }}
        <MfaPromptDialog prompt id=format!("key-{id}-mfa") />
        <Show when=move || !matches!(reveal.value().get(), Some(Ok(_)))>
            <ActionForm action=reveal node_ref=form attr:class="form-inline reveal-form">
                <input type="hidden" name="id" value=id.to_string() />
                <div class="field">
                    <label for=format!("key-{id}-password")>"Your password"</label>
                    <input id=format!("key-{id}-password") name="password" type="password" autocomplete="current-password" required=true />
                    <p class="field-error">{move || password_error.get().or_else(|| error.get().and_then(|e| e.form_message()))}</p>
                </div>
                <div class="form-actions">
                    <button type="button" class="btn" on:click=move |_| on_done.run(())>"Cancel"</button>
                    <button type="submit" class="btn btn-primary">"Reveal"</button>
                </div>
            </ActionForm>
        </Show>
    }
}

/// Shared list-level actions (one set per list).
#[derive(Clone, Copy)]
pub struct KeyListActions {
    pub set_active: ServerAction<KeysSetActive>,
    pub delete: ServerAction<KeysDelete>,
    pub test: ServerAction<KeysTest>,
}

/// Edit, test, activate/deactivate, reveal and delete (with confirmation).
#[component]
pub fn KeyActions(
    key: ProviderKeyDto,
    actions: KeyListActions,
    editing: RwSignal<bool>,
    revealing: RwSignal<bool>,
    /// The rotation panel (Rotate, schedule, history) is open.
    rotating: RwSignal<bool>,
) -> impl IntoView {
    let id = key.id;
    let name = key.name.clone();
    view! {
        {key.can_edit.then(|| view! {
            <button type="button" class="btn btn-sm" on:click=move |_| { revealing.set(false); editing.update(|e| *e = !*e); }>"Edit"</button>
        })}
        <button type="button" class="btn btn-sm" aria-expanded=move || rotating.get().to_string()
            on:click=move |_| rotating.update(|r| *r = !*r)>"Rotation"</button>
        <button type="button" class="btn btn-sm"
            disabled=move || actions.test.pending().get()
            on:click=move |_| { actions.test.dispatch(KeysTest { id }); }>"Test"</button>
        {key.can_reveal.then(|| view! {
            <button type="button" class="btn btn-sm" on:click=move |_| { editing.set(false); revealing.update(|r| *r = !*r); }>"Reveal"</button>
        })}
        {if key.active {
            view! {
                <ConfirmButton
                    label="Deactivate".to_owned()
                    question=format!("Deactivate {name}? Requests stop using it until you activate it again.")
                    confirm_label="Deactivate".to_owned()
                    on_confirm=move |_| { actions.set_active.dispatch(KeysSetActive { id, active: false }); }
                />
            }.into_any()
        } else {
            view! {
                <button type="button" class="btn btn-sm"
                    on:click=move |_| { actions.set_active.dispatch(KeysSetActive { id, active: true }); }>"Activate"</button>
            }.into_any()
        }}
        <ConfirmButton
            label="Delete".to_owned()
            question=format!("Delete {}? The secret is destroyed; its history is kept.", key.name)
            confirm_label="Delete".to_owned()
            class="btn btn-sm btn-danger-outline"
            on_confirm=move |_| { actions.delete.dispatch(KeysDelete { id }); }
        />
    }
}

/// One key: provider, name, masked secret, where it belongs, status and actions.
#[component]
pub fn KeyListItem(
    key: ProviderKeyDto,
    actions: KeyListActions,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let revealing = RwSignal::new(false);
    let rotating = RwSignal::new(false);
    let rotation_key = key.clone();
    let scope = if key.personal {
        "personal".to_owned()
    } else {
        key.project_name.clone().unwrap_or_else(|| "project".into())
    };
    let editor_key = key.clone();
    let id = key.id;
    view! {
        <tr>
            <td>{key.custom_provider_name.clone().unwrap_or_else(|| provider_name(&key.provider).to_owned())}</td>
            <td>{key.name.clone()}<br /><span class="muted small">{key.description.clone()}</span></td>
            <td><code class="masked">{key.masked.clone()}</code></td>
            <td>{scope}</td>
            <td><ValidationStatus status=key.verify_status.clone() checked_at=key.verified_at.clone() message=key.verify_message.clone() /></td>
            <td><HealthBadge health=key.health.clone() /></td>
            <td class="num key-usage">
                <span class="requests-today">{key.usage.today.requests}</span>" / "
                <span class="requests-month">{key.usage.month.requests}</span>
                <br /><span class="muted small">{format!(
                    "{} tokens, {} this month",
                    key.usage.month.prompt_tokens + key.usage.month.completion_tokens,
                    key.usage.month.cost
                )}</span>
            </td>
            <td>{if key.expired {
                view! { <span class="badge badge-warning">"expired"</span> }.into_any()
            } else if key.active {
                view! { <span class="badge badge-active">"active"</span> }.into_any()
            } else {
                view! { <span class="badge badge-disabled">"inactive"</span> }.into_any()
            }}
            {key.rotation_overdue_since.clone().map(|since| view! { <br /><OverdueBadge since /> })}</td>
            <td class="actions"><KeyActions key=key.clone() actions editing revealing rotating /></td>
        </tr>
        <Show when=move || rotating.get()>
            <tr class="detail-row"><td colspan="9">
                <RotationPanel kind="provider" key_id=id name=rotation_key.name.clone()
                    provider=rotation_key.provider.clone() can_rotate=rotation_key.can_edit />
            </td></tr>
        </Show>
        <Show when=move || editing.get()>
            <tr class="detail-row"><td colspan="9">
                <KeyEditor key=editor_key.clone() refresh on_done=Callback::new(move |_| editing.set(false)) />
            </td></tr>
        </Show>
        <Show when=move || revealing.get()>
            <tr class="detail-row"><td colspan="9">
                <RevealForm id on_done=Callback::new(move |_| revealing.set(false)) />
            </td></tr>
        </Show>
    }
}

/// The keys of one view (`mine` or `org`): filters, counts and the table. `refresh` is bumped
/// by whoever changes keys (the add form) so the list reloads.
#[component]
pub fn KeyList(
    view_name: &'static str,
    refresh: RwSignal<u32>,
    /// Only this project's keys (the project page).
    #[prop(optional)]
    project_id: Option<i32>,
) -> impl IntoView {
    let toasts = use_toasts();
    let actions = KeyListActions {
        set_active: ServerAction::<KeysSetActive>::new(),
        delete: ServerAction::<KeysDelete>::new(),
        test: ServerAction::<KeysTest>::new(),
    };
    let provider = RwSignal::new("all".to_owned());
    let status = RwSignal::new("all".to_owned());
    let scope = RwSignal::new("all".to_owned());
    let name = RwSignal::new(String::new());
    let keys = Resource::new(
        move || {
            (
                provider.get(),
                status.get(),
                scope.get(),
                name.get(),
                refresh.get(),
                actions.set_active.version().get(),
                actions.delete.version().get(),
                actions.test.version().get(),
            )
        },
        move |(provider, status, scope, name, ..)| {
            keys_list(
                view_name.to_owned(),
                provider,
                status,
                scope,
                name,
                project_id,
            )
        },
    );
    Effect::new(move |_| match actions.set_active.value().get() {
        Some(Ok(k)) if k.active => toasts.success(format!("{} activated", k.name)),
        Some(Ok(k)) => toasts.success(format!("{} deactivated", k.name)),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match actions.delete.value().get() {
        Some(Ok(_)) => toasts.success("Key deleted".to_owned()),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match actions.test.value().get() {
        Some(Ok(k)) => {
            let message = k.verify_message.clone().unwrap_or_default();
            if k.verify_status == "valid" {
                toasts.success(message);
            } else {
                toasts.error(message);
            }
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    let show_scope = view_name == "org" && project_id.is_none();
    view! {
        <div class="form-inline" role="search">
            <div class="field">
                <label for=format!("{view_name}-filter-name")>"Search keys"</label>
                <input id=format!("{view_name}-filter-name") type="search"
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for=format!("{view_name}-filter-provider")>"Provider filter"</label>
                <select id=format!("{view_name}-filter-provider") on:change=move |ev| provider.set(event_target_value(&ev))>
                    <option value="all">"All providers"</option>
                    {PROVIDERS.iter().map(|(id, label, _)| view! { <option value=*id>{*label}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for=format!("{view_name}-filter-status")>"Status filter"</label>
                <select id=format!("{view_name}-filter-status") on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="all">"All"</option>
                    <option value="active">"Active"</option>
                    <option value="inactive">"Inactive"</option>
                </select>
            </div>
            {show_scope.then(|| view! {
                <div class="field">
                    <label for="org-filter-scope">"Scope filter"</label>
                    <select id="org-filter-scope" on:change=move |ev| scope.set(event_target_value(&ev))>
                        <option value="all">"Project and personal"</option>
                        <option value="project">"Project keys"</option>
                        <option value="personal">"Personal keys"</option>
                    </select>
                </div>
            })}
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
            {move || {
                Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty-state">
                                <h2>"No keys"</h2>
                                <p class="muted">"Add a key below. It is encrypted at once and only ever shown masked."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => {
                            let active = list.iter().filter(|k| k.active && !k.expired).count();
                            let total = list.len();
                            view! {
                                <p class="muted" aria-live="polite">{format!("{total} keys, {active} active")}</p>
                                <div class="table-wrap">
                                    <table class="table">
                                        <thead><tr>
                                            <th scope="col">"Provider"</th><th scope="col">"Name"</th><th scope="col">"Key"</th>
                                            <th scope="col">"Scope"</th><th scope="col">"Test result"</th><th scope="col">"Health"</th><th scope="col" class="num">"Requests today / month"</th><th scope="col">"Status"</th>
                                            <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|key| {
                                                view! { <KeyListItem key actions refresh /> }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

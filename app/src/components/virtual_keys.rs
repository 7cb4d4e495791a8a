//! The project page's "Keygate keys" card (generate, shown once, list, revoke) and its "Usage"
//! card. Each owns its resources: put them at the top level of a page's view, never inside
//! another `Suspense`/`Transition`.

use leptos::prelude::*;

use crate::api::projects::{ProjectsSetActive, projects_get};
use crate::api::users::users_list;
use crate::api::virtual_keys::{
    VirtualKeysCreate, VirtualKeysRevoke, VirtualKeysRevokeAll, VirtualKeysSetAllowedIps,
    project_usage, virtual_keys_list,
};
use crate::components::confirm::ConfirmButton;
use crate::components::copy::SecretOnce;
use crate::components::form::{Field, FormError, last_error};
use crate::components::ip_allowlist::KeyIpAllowlistForm;
use crate::components::rotation::{RotationPanel, utc_time};
use crate::components::toast::use_toasts;
use crate::dto::{UsageTotalsDto, VirtualKeyDto};

/// Expiry choices: (value sent, label).
const EXPIRIES: [(&str, &str); 7] = [
    ("1h", "1 hour"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "1 year"),
    ("never", "Never"),
];

fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// `1234567` → `1,234,567`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The "Generate token" form, or why there is none.
#[component]
fn GenerateForm(
    project_id: i32,
    active: bool,
    users: Vec<(i32, String)>,
    create: ServerAction<VirtualKeysCreate>,
) -> impl IntoView {
    if !active {
        return view! { <p class="muted">"Cannot generate tokens for inactive project"</p> }
            .into_any();
    }
    let error = last_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get()
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    view! {
        <ActionForm action=create node_ref=form attr:class="form" attr:aria-label="Generate token">
            <FormError error />
            <input type="hidden" name="project_id" value=project_id.to_string() />
            <div class="form-inline">
                <Field label="Token name" name="key_name" error />
                <div class="field">
                    <label for="virtual-key-expires">"Expires after"</label>
                    <select id="virtual-key-expires" name="expires_in">
                        {EXPIRIES.iter().map(|(value, label)| view! {
                            <option value=*value selected=*value == "never">{*label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <Field label="Allowed models" name="models" optional=true
                    hint="Optional: patterns separated by commas, like gpt-4o*, claude-*. Empty allows every model."
                    error />
                <Field label="Allowed IPs" name="allowed_ips" optional=true
                    hint="Optional: addresses or CIDR blocks separated by commas, like 203.0.113.0/24. Empty allows every address."
                    error />
                <div class="field">
                    <label for="virtual-key-user">"Acts as user"</label>
                    <select id="virtual-key-user" name="user_id" aria-describedby="virtual-key-user-hint">
                        <option value="">"Nobody (project keys only)"</option>
                        {users.into_iter().map(|(id, label)| view! {
                            <option value=id.to_string()>{label}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-hint" id="virtual-key-user-hint">"Optional: that user's personal provider keys are used first."</p>
                </div>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Generate token"</button>
            </div>
        </ActionForm>
    }
    .into_any()
}

fn status_badge(status: &str) -> AnyView {
    match status {
        "active" => view! { <span class="badge badge-active">"active"</span> }.into_any(),
        "expired" => view! { <span class="badge badge-warning">"expired"</span> }.into_any(),
        other => view! { <span class="badge badge-disabled">{other.to_owned()}</span> }.into_any(),
    }
}

#[component]
fn VirtualKeyTable(
    keys: Vec<VirtualKeyDto>,
    revoke: ServerAction<VirtualKeysRevoke>,
    set_ips: ServerAction<VirtualKeysSetAllowedIps>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Keygate keys">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Status"</th>
                    <th scope="col">"Expires"</th><th scope="col">"Last used"</th>
                    <th scope="col" class="num">"Requests today"</th>
                    <th scope="col" class="num">"Requests this month"</th>
                    <th scope="col" class="num">"Cost and tokens this month"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {keys.into_iter().map(|k| {
                        let id = k.id;
                        let rotating = RwSignal::new(false);
                        let networking = RwSignal::new(false);
                        let current_ips = k.allowed_ips.clone();
                        let panel_name = k.name.clone();
                        let can_rotate = k.status == "active";
                        let details = [
                            (!k.models.is_empty()).then(|| format!("Models: {}", k.models.join(", "))),
                            (!k.allowed_ips.is_empty()).then(|| format!("Only from: {}", k.allowed_ips.join(", "))),
                            k.user_email.clone().map(|email| format!("Acts as {email}")),
                            k.rotation_schedule.as_ref().zip(k.next_rotation_at.as_deref()).map(|(schedule, at)| {
                                format!("Rotates {schedule}; next {}", utc_time(at))
                            }),
                        ];
                        view! {
                            <tr>
                                <td>
                                    {k.name.clone()}
                                    {details.into_iter().flatten().map(|line| view! {
                                        <br /><span class="muted small">{line}</span>
                                    }).collect_view()}
                                </td>
                                <td><code class="masked">{k.hint.clone()}</code></td>
                                <td>{status_badge(&k.status)}</td>
                                <td>{k.expires_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                <td>{k.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                <td class="num requests-today">{grouped(k.today.requests)}</td>
                                <td class="num requests-month">{grouped(k.month.requests)}</td>
                                <td class="num cost-month">{k.month.cost.clone()}<br />
                                    <span class="muted small tokens-month">{format!("{} tokens", grouped(k.month.prompt_tokens + k.month.completion_tokens))}</span></td>
                                <td class="actions">
                                    <button type="button" class="btn btn-sm" aria-expanded=move || rotating.get().to_string()
                                        on:click=move |_| rotating.update(|r| *r = !*r)>"Rotation"</button>
                                    <button type="button" class="btn btn-sm" aria-expanded=move || networking.get().to_string()
                                        on:click=move |_| networking.update(|n| *n = !*n)>"IP allowlist"</button>
                                    {(k.status == "active").then(|| view! {
                                    <ConfirmButton
                                        label="Revoke".to_owned()
                                        question=format!("Revoke {}? Programs using it are refused at once.", k.name)
                                        confirm_label="Revoke".to_owned()
                                        on_confirm=move |_| { revoke.dispatch(VirtualKeysRevoke { id }); }
                                    />
                                })}</td>
                            </tr>
                            <Show when=move || networking.get()>
                                <tr class="detail-row"><td colspan="9">
                                    <KeyIpAllowlistForm key_id=id current=current_ips.clone() action=set_ips />
                                </td></tr>
                            </Show>
                            <Show when=move || rotating.get()>
                                <tr class="detail-row"><td colspan="9">
                                    <RotationPanel kind="virtual" key_id=id name=panel_name.clone() can_rotate />
                                </td></tr>
                            </Show>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Keygate keys of one project: counts, the generate form (key shown once), the list with
/// per-key usage, revoke one or all.
#[component]
pub fn VirtualKeys(
    project_id: i32,
    /// The page's activate/deactivate action: whether the project is active decides whether
    /// keys can be generated, so the form reloads when it runs (and only then, so that other
    /// changes on the page never wipe what is being typed).
    set_active: ServerAction<ProjectsSetActive>,
) -> impl IntoView {
    let toasts = use_toasts();
    let create = ServerAction::<VirtualKeysCreate>::new();
    let revoke = ServerAction::<VirtualKeysRevoke>::new();
    let revoke_all = ServerAction::<VirtualKeysRevokeAll>::new();
    let set_ips = ServerAction::<VirtualKeysSetAllowedIps>::new();
    let keys = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                revoke_all.version().get(),
                set_ips.version().get(),
            )
        },
        move |_| virtual_keys_list(project_id),
    );
    let users = Resource::new(|| (), |_| users_list());
    let active = Resource::new(
        move || set_active.version().get(),
        move |_| async move { projects_get(project_id).await.map(|p| p.active) },
    );
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            toasts.success(format!("Token {} generated", created.key.name));
        }
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(k)) => toasts.success(format!("Token {} revoked", k.name)),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match revoke_all.value().get() {
        Some(Ok(1)) => toasts.success("1 token revoked"),
        Some(Ok(n)) => toasts.success(format!("{n} tokens revoked")),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <section class="card" aria-labelledby="virtual-keys-heading">
            <h2 id="virtual-keys-heading">"Keygate keys"</h2>
            <p class="muted">"Programs send a Keygate key to Keygate's /v1 endpoints (Authorization: Bearer sk-proxy-…) instead of a provider key. A key is shown once; Keygate keeps only its hash."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading Keygate keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) => view! {
                            <div class="stat-row">
                                <div class="stat"><span class="stat-label">"Total"</span>
                                    <span class="stat-value" id="virtual-keys-total">{list.total}</span></div>
                                <div class="stat"><span class="stat-label">"Active"</span>
                                    <span class="stat-value" id="virtual-keys-active">{list.active}</span></div>
                                <div class="stat"><span class="stat-label">"Created in the last 7 days"</span>
                                    <span class="stat-value" id="virtual-keys-recent">{list.recent}</span></div>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || create.value().get().and_then(Result::ok).map(|created| view! {
                <SecretOnce id="new-virtual-key" region="New Keygate key"
                    label="New Keygate key (copy it now; it is not shown again)" secret=created.secret />
            })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let active = active.await;
                    // Without the user list the form still works, just without that choice.
                    let users: Vec<(i32, String)> = users
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|u| !u.disabled)
                        .map(|u| (u.id, format!("{} <{}>", u.display_name, u.email)))
                        .collect();
                    match active {
                        Ok(active) => view! { <GenerateForm project_id active users create /> }.into_any(),
                        Err(_) => ().into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.keys.is_empty() => view! {
                            <p class="muted">"No Keygate keys yet."</p>
                        }.into_any(),
                        Ok(list) => {
                            let any_active = list.active > 0;
                            view! {
                                <VirtualKeyTable keys=list.keys revoke set_ips />
                                {any_active.then(|| view! {
                                    <div class="form-actions">
                                        <ConfirmButton
                                            label="Revoke all tokens".to_owned()
                                            question="Revoke every active Keygate key of this project? Programs using them are refused at once.".to_owned()
                                            confirm_label="Revoke all".to_owned()
                                            class="btn btn-sm btn-danger-outline"
                                            on_confirm=move |_| { revoke_all.dispatch(VirtualKeysRevokeAll { project_id }); }
                                        />
                                    </div>
                                })}
                            }.into_any()
                        }
                        Err(_) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One row of the usage table: `what` today and this month.
fn usage_row(
    label: &'static str,
    id: &'static str,
    today: &UsageTotalsDto,
    month: &UsageTotalsDto,
    value: fn(&UsageTotalsDto) -> String,
) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{label}</th>
            <td class="num" id=format!("usage-today-{id}")>{value(today)}</td>
            <td class="num" id=format!("usage-month-{id}")>{value(month)}</td>
        </tr>
    }
}

/// Today's and this month's (UTC) requests, tokens and cost of a project.
#[component]
pub fn ProjectUsage(project_id: i32) -> impl IntoView {
    let usage = Resource::new(|| (), move |_| project_usage(project_id));
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading usage…"</p> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(u) => view! {
                            <div class="table-wrap">
                                <table class="table usage-table" aria-label="Usage">
                                    <thead><tr>
                                        <th scope="col"><span class="sr-only">"Measure"</span></th>
                                        <th scope="col" class="num">"Today"</th>
                                        <th scope="col" class="num">"This month"</th>
                                    </tr></thead>
                                    <tbody>
                                        {usage_row("Requests", "requests", &u.today, &u.month, |t| grouped(t.requests))}
                                        {usage_row("Failed requests", "errors", &u.today, &u.month, |t| grouped(t.errors))}
                                        {usage_row("Tokens in / out", "tokens", &u.today, &u.month,
                                            |t| format!("{} / {}", grouped(t.prompt_tokens), grouped(t.completion_tokens)))}
                                        {usage_row("Cost", "cost", &u.today, &u.month, |t| t.cost.clone())}
                                    </tbody>
                                </table>
                            </div>
                            <p class="muted small">"Requests through Keygate's proxy; days and months are UTC."</p>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

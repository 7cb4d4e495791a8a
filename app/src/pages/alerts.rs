//! The Alerts page (admins): rules that watch budgets, cost, error rates, expiring keys,
//! overdue rotations and quarantined keys; the alerts they fired; and the webhooks they can
//! send to, with a test button and each webhook's delivery log. The server refuses what a
//! member sends regardless.

use leptos::prelude::*;

use crate::api::alerts::{
    AlertsEvaluate, AlertsRuleDelete, AlertsRuleEnable, AlertsRuleSave, AlertsWebhookCreate,
    AlertsWebhookDelete, AlertsWebhookTest, alerts_deliveries, alerts_events, alerts_limits,
    alerts_rules, alerts_webhooks,
};
use crate::components::bell::provide_bell_refresh;
use crate::components::confirm::ConfirmButton;
use crate::components::copy::SecretOnce;
use crate::components::form::{FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
use crate::dto_alerts::{AlertEventDto, COST_PERIODS, KINDS, RuleDto, WebhookDto, kind_label};
use crate::dto_insight::short_time;
use crate::dto_limits::dollars_text;
use crate::error::AppError;
use crate::pages::NotAllowed;

const ABOUT: &str = "A rule watches something and alerts once when it happens (once per period for budgets and cost), then again when it clears. Rules are evaluated every 30 seconds; alerts go to admins' notification bells and to the webhooks you choose.";

/// What the rule form holds; Edit fills it from a row of the table.
#[derive(Clone, Copy)]
struct RuleForm {
    id: RwSignal<i32>,
    name: RwSignal<String>,
    kind: RwSignal<String>,
    percent: RwSignal<String>,
    limit_id: RwSignal<String>,
    amount: RwSignal<String>,
    period: RwSignal<String>,
    window: RwSignal<String>,
    min_requests: RwSignal<String>,
    days: RwSignal<String>,
    in_app: RwSignal<bool>,
    webhooks: RwSignal<Vec<i32>>,
    enabled: RwSignal<bool>,
}

impl RuleForm {
    fn new() -> Self {
        Self {
            id: RwSignal::new(0),
            name: RwSignal::new(String::new()),
            kind: RwSignal::new(KINDS[0].0.to_owned()),
            percent: RwSignal::new("80".to_owned()),
            limit_id: RwSignal::new(String::new()),
            amount: RwSignal::new(String::new()),
            period: RwSignal::new(COST_PERIODS[0].0.to_owned()),
            window: RwSignal::new("15".to_owned()),
            min_requests: RwSignal::new("20".to_owned()),
            days: RwSignal::new("7".to_owned()),
            in_app: RwSignal::new(true),
            webhooks: RwSignal::new(Vec::new()),
            enabled: RwSignal::new(true),
        }
    }

    fn clear(&self) {
        let fresh = Self::new();
        self.id.set(0);
        self.name.set(String::new());
        self.kind.set(fresh.kind.get_untracked());
        self.percent.set(fresh.percent.get_untracked());
        self.limit_id.set(String::new());
        self.amount.set(String::new());
        self.period.set(fresh.period.get_untracked());
        self.window.set(fresh.window.get_untracked());
        self.min_requests.set(fresh.min_requests.get_untracked());
        self.days.set(fresh.days.get_untracked());
        self.in_app.set(true);
        self.webhooks.set(Vec::new());
        self.enabled.set(true);
    }

    fn fill(&self, rule: &RuleDto) {
        let text = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        self.id.set(rule.id);
        self.name.set(rule.name.clone());
        self.kind.set(rule.kind.clone());
        self.percent.set(text(rule.percent));
        self.limit_id
            .set(rule.limit_id.map(|v| v.to_string()).unwrap_or_default());
        self.amount
            .set(rule.amount_micros.map(dollars_text).unwrap_or_default());
        self.period.set(
            rule.period
                .clone()
                .unwrap_or_else(|| COST_PERIODS[0].0.to_owned()),
        );
        self.window.set(text(rule.window_minutes));
        self.min_requests.set(text(rule.min_requests));
        self.days.set(text(rule.days));
        self.in_app.set(rule.in_app);
        self.webhooks.set(rule.webhook_ids.clone());
        self.enabled.set(rule.enabled);
    }

    fn to_action(self) -> AlertsRuleSave {
        AlertsRuleSave {
            id: self.id.get_untracked(),
            rule_name: self.name.get_untracked(),
            kind: self.kind.get_untracked(),
            percent: self.percent.get_untracked(),
            limit_id: self.limit_id.get_untracked(),
            amount_usd: self.amount.get_untracked(),
            period: self.period.get_untracked(),
            window_minutes: self.window.get_untracked(),
            min_requests: self.min_requests.get_untracked(),
            days: self.days.get_untracked(),
            in_app: self.in_app.get_untracked(),
            webhook_ids: self
                .webhooks
                .get_untracked()
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(","),
            enabled: self.enabled.get_untracked(),
        }
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    if !use_me().is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let toasts = use_toasts();
    let bell = provide_bell_refresh();
    let save = ServerAction::<AlertsRuleSave>::new();
    let enable = ServerAction::<AlertsRuleEnable>::new();
    let remove = ServerAction::<AlertsRuleDelete>::new();
    let evaluate = ServerAction::<AlertsEvaluate>::new();
    let rules_changed = RwSignal::new(0_u32);
    let events_changed = RwSignal::new(0_u32);
    let hooks_changed = RwSignal::new(0_u32);
    let rules = Resource::new(move || rules_changed.get(), |_| alerts_rules());
    let events = Resource::new(move || events_changed.get(), |_| alerts_events());
    let form = RuleForm::new();
    Effect::new(move |_| {
        if let Some(Ok(rule)) = save.value().get() {
            rules_changed.update(|n| *n += 1);
            form.clear();
            toasts.success(format!("Rule saved: {}", rule.name));
        }
    });
    Effect::new(move |_| match enable.value().get() {
        Some(Ok(rule)) => {
            rules_changed.update(|n| *n += 1);
            let state = if rule.enabled { "enabled" } else { "disabled" };
            toasts.success(format!("Rule {state}: {}", rule.name));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(name)) => {
            rules_changed.update(|n| *n += 1);
            events_changed.update(|n| *n += 1);
            toasts.success(format!("Rule deleted: {name}"));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match evaluate.value().get() {
        Some(Ok((fired, resolved))) => {
            events_changed.update(|n| *n += 1);
            bell.bump();
            toasts.success(format!(
                "Rules evaluated: {fired} fired, {resolved} resolved"
            ));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <PageHeader title="Alerts" />
        <div class="content stack">
            // Owns resources: keep it here, outside any Suspense/Transition.
            <RuleCard save form hooks_changed />
            <section class="card" aria-labelledby="rules-heading">
                <h2 id="rules-heading">"Rules"</h2>
                <p class="muted">{ABOUT}</p>
                <Transition fallback=|| view! { <p class="muted">"Loading rules…"</p> }>
                    {move || Suspend::new(async move {
                        match rules.await {
                            Ok(list) => view! { <RuleTable list form enable remove /> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card" aria-labelledby="events-heading">
                <div class="card-head row">
                    <h2 id="events-heading">"Recent alerts"</h2>
                    <button type="button" class="btn" id="alerts-evaluate"
                        disabled=move || evaluate.pending().get()
                        on:click=move |_| { evaluate.dispatch(AlertsEvaluate {}); }>"Evaluate now"</button>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading alerts…"</p> }>
                    {move || Suspend::new(async move {
                        match events.await {
                            Ok(list) => view! { <EventTable list /> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <WebhooksCard hooks_changed />
        </div>
    }
    .into_any()
}

/// A text input bound to `value`, with its server-side error under it.
#[component]
fn AlertInput(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "numeric")] inputmode: &'static str,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="text" name=name inputmode=inputmode autocomplete="off"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().map(|_| "true")
                aria-describedby=hint.map(|_| hint_id.clone()) />
            {hint.map(|h| view! { <p class="field-hint" id=format!("field-{name}-hint")>{h}</p> })}
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// A select bound to `value` over fixed choices.
#[component]
fn AlertSelect(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    choices: &'static [(&'static str, &'static str)],
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().map(|_| "true")>
                {choices.iter().map(|(v, text)| view! {
                    <option value=*v prop:selected=move || value.get() == *v>{*text}</option>
                }).collect_view()}
            </select>
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// The rule form. Owns the limits and webhooks resources: keep it at the top of the page.
#[component]
fn RuleCard(
    save: ServerAction<AlertsRuleSave>,
    form: RuleForm,
    hooks_changed: RwSignal<u32>,
) -> impl IntoView {
    let limits = Resource::new(|| (), |_| alerts_limits());
    let hooks = Resource::new(move || hooks_changed.get(), |_| alerts_webhooks());
    let error = last_error(save.value());
    let kind = form.kind;
    let is = move |k: &'static str| kind.get() == k;
    view! {
        <section class="card" aria-labelledby="rule-form-heading">
            <h2 id="rule-form-heading">
                {move || if form.id.get() > 0 { "Edit rule" } else { "Add a rule" }}
            </h2>
            <form class="form" aria-label="Alert rule"
                on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch(form.to_action());
                }>
                <FormError error />
                <div class="form-inline">
                    <AlertInput label="Name" name="rule_name" value=form.name inputmode="text" error />
                    <AlertSelect label="Kind" name="kind" value=form.kind choices=&KINDS error />
                </div>
                <div class="form-inline">
                    <Show when=move || is("budget_threshold") || is("error_rate")>
                        <AlertInput label="Percent" name="percent" value=form.percent
                            hint="1–100." error />
                    </Show>
                    <Show when=move || is("budget_threshold") || is("budget_exhausted")>
                        <Transition fallback=|| view! { <p class="muted small">"Loading budgets…"</p> }>
                            {move || Suspend::new(async move {
                                let list = limits.await.unwrap_or_default();
                                // All options come from one closure: a static option next to
                                // a dynamic list inside <select> does not hydrate.
                                let options = move || {
                                    let list = list.clone();
                                    view! {
                                        <option value="" prop:selected=move || form.limit_id.get().is_empty()>"Any budget"</option>
                                        {list.into_iter().map(|l| {
                                            let value = l.id.to_string();
                                            let mine = value.clone();
                                            view! {
                                                <option value=value prop:selected=move || form.limit_id.get() == mine>{l.label}</option>
                                            }
                                        }).collect_view()}
                                    }
                                };
                                view! {
                                    <div class="field">
                                        <label for="field-limit_id">"Budget"</label>
                                        <select id="field-limit_id" name="limit_id"
                                            on:change=move |ev| form.limit_id.set(event_target_value(&ev))>
                                            {options}
                                        </select>
                                    </div>
                                }
                            })}
                        </Transition>
                    </Show>
                    <Show when=move || is("cost_above")>
                        <AlertInput label="Amount in dollars" name="amount_usd" value=form.amount
                            inputmode="decimal" hint="e.g. 250" error />
                        <AlertSelect label="Period" name="period" value=form.period choices=&COST_PERIODS error />
                    </Show>
                    <Show when=move || is("error_rate")>
                        <AlertInput label="Window in minutes" name="window_minutes" value=form.window
                            hint="5–1440." error />
                        <AlertInput label="Minimum requests" name="min_requests" value=form.min_requests
                            hint="Fewer requests in the window never alert." error />
                    </Show>
                    <Show when=move || is("key_expiring")>
                        <AlertInput label="Days ahead" name="days" value=form.days hint="1–365." error />
                    </Show>
                </div>
                <fieldset class="alert-channels">
                    <legend>"Send to"</legend>
                    <label class="check">
                        <input type="checkbox" id="field-in_app" name="in_app"
                            prop:checked=move || form.in_app.get()
                            on:change=move |ev| form.in_app.set(event_target_checked(&ev)) />
                        " In-app notification (admins)"
                    </label>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            hooks.await.unwrap_or_default().into_iter().map(|w| {
                                let id = w.id;
                                view! {
                                    <label class="check">
                                        <input type="checkbox" id=format!("field-webhook-{id}")
                                            prop:checked=move || form.webhooks.get().contains(&id)
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                form.webhooks.update(|list| {
                                                    list.retain(|x| *x != id);
                                                    if on {
                                                        list.push(id);
                                                    }
                                                });
                                            } />
                                        " Webhook: " {w.name}
                                    </label>
                                }
                            }).collect_view()
                        })}
                    </Transition>
                    <label class="check">
                        <input type="checkbox" id="field-enabled" name="enabled"
                            prop:checked=move || form.enabled.get()
                            on:change=move |ev| form.enabled.set(event_target_checked(&ev)) />
                        " Enabled"
                    </label>
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>
                        {move || if form.id.get() > 0 { "Save rule" } else { "Add rule" }}
                    </button>
                    {move || (form.id.get() > 0).then(|| view! {
                        <button type="button" class="btn" on:click=move |_| form.clear()>"Cancel editing"</button>
                    })}
                </div>
            </form>
        </section>
    }
}

#[component]
fn RuleTable(
    list: Vec<RuleDto>,
    form: RuleForm,
    enable: ServerAction<AlertsRuleEnable>,
    remove: ServerAction<AlertsRuleDelete>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No rules yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-labelledby="rules-heading">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Watches"</th>
                    <th scope="col">"Channels"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|rule| {
                        let id = rule.id;
                        let enabled = rule.enabled;
                        let mut channels = Vec::new();
                        if rule.in_app {
                            channels.push("In-app".to_owned());
                        }
                        match rule.webhook_ids.len() {
                            0 => {}
                            1 => channels.push("1 webhook".to_owned()),
                            n => channels.push(format!("{n} webhooks")),
                        }
                        let question = format!("Delete the rule {}? Its alert history goes too.", rule.name);
                        let name = rule.name.clone();
                        let stored = StoredValue::new(rule.clone());
                        view! {
                            <tr>
                                <td>{rule.name}<span class="small muted limit-detail">{kind_label(&rule.kind).to_owned()}</span></td>
                                <td>{rule.summary}</td>
                                <td>{channels.join(", ")}</td>
                                <td>{if enabled {
                                    view! { <span class="badge badge-active">"Enabled"</span> }.into_any()
                                } else {
                                    view! { <span class="badge badge-disabled">"Disabled"</span> }.into_any()
                                }}</td>
                                <td class="actions">
                                    <button type="button" class="btn btn-sm" aria-label=format!("Edit rule {name}")
                                        on:click=move |_| stored.with_value(|r| form.fill(r))>"Edit"</button>
                                    <button type="button" class="btn btn-sm"
                                        on:click=move |_| { enable.dispatch(AlertsRuleEnable { id, enabled: !enabled }); }>
                                        {if enabled { "Disable" } else { "Enable" }}
                                    </button>
                                    <ConfirmButton label="Delete".to_owned() question confirm_label="Delete".to_owned()
                                        on_confirm=move |_| { remove.dispatch(AlertsRuleDelete { id }); } />
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

#[component]
fn EventTable(list: Vec<AlertEventDto>) -> impl IntoView {
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

/// Webhooks: the add form (with the secret shown once), the table, test and delivery log.
/// Owns the webhooks resource: keep it at the top of the page.
#[component]
fn WebhooksCard(hooks_changed: RwSignal<u32>) -> impl IntoView {
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

#[component]
fn DeliveryTable(list: Vec<crate::dto_alerts::DeliveryDto>) -> impl IntoView {
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

//! The rule form: its state (which Edit fills from a table row) and the card that
//! shows it, with the fields each kind of rule needs and the channels it sends to.

use leptos::prelude::*;

use super::budget_field::BudgetField;
use super::email_field::EmailToField;
use super::fields::{AlertInput, AlertSelect};
use crate::api::alerts::{AlertsRuleSave, alerts_webhooks};
use crate::components::form::{FormError, last_error};
use crate::dto_alerts::{COST_PERIODS, KINDS, RuleDto};
use crate::dto_limits::dollars_text;

/// What the rule form holds; Edit fills it from a row of the table.
#[derive(Clone, Copy)]
pub(super) struct RuleForm {
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
    /// Addresses as typed (commas or new lines).
    email_to: RwSignal<String>,
    enabled: RwSignal<bool>,
}

impl RuleForm {
    pub(super) fn new() -> Self {
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
            email_to: RwSignal::new(String::new()),
            enabled: RwSignal::new(true),
        }
    }

    pub(super) fn clear(&self) {
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
        self.email_to.set(String::new());
        self.enabled.set(true);
    }

    pub(super) fn fill(&self, rule: &RuleDto) {
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
        self.email_to.set(rule.email_to.join(", "));
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
            email_to: self.email_to.get_untracked(),
            enabled: self.enabled.get_untracked(),
        }
    }
}

/// The rule form. Owns the webhooks resource: keep it at the top of the page.
#[component]
pub(super) fn RuleCard(
    save: ServerAction<AlertsRuleSave>,
    form: RuleForm,
    hooks_changed: RwSignal<u32>,
) -> impl IntoView {
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
                        <BudgetField value=form.limit_id />
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
                    <EmailToField value=form.email_to error />
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

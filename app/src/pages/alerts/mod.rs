//! The Alerts page (admins): rules that watch budgets, cost, error rates, expiring keys,
//! overdue rotations and quarantined keys; the alerts they fired; and the webhooks they can
//! send to, with a test button and each webhook's delivery log. The server refuses what a
//! member sends regardless.

mod budget_field;
mod deliveries;
mod email_field;
mod email_log;
mod events;
mod fields;
mod rule_form;
mod rules;
mod webhooks;

use leptos::prelude::*;

use crate::api::alerts::{
    AlertsEvaluate, AlertsRuleDelete, AlertsRuleEnable, AlertsRuleSave, alerts_events, alerts_rules,
};
use crate::components::bell::provide_bell_refresh;
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
use crate::pages::NotAllowed;
use email_log::EmailLogCard;
use events::EventTable;
use rule_form::{RuleCard, RuleForm};
use rules::RuleTable;
use webhooks::WebhooksCard;

const ABOUT: &str = "A rule watches something and alerts once when it happens (once per period for budgets and cost), then again when it clears. Rules are evaluated every 30 seconds; alerts go to admins' notification bells and to the webhooks you choose.";

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
            <EmailLogCard changed=events_changed />
        </div>
    }
    .into_any()
}

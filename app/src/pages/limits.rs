//! The Limits page (admins): budgets — dollars and/or tokens per day, week, month or ever —
//! and rate limits on Keygate keys, users, projects and provider keys. A form sets one (Edit
//! fills it from the table), the table shows each limit's usage, reset time and enforcement.
//! The server validates and refuses what a member sends regardless.

use leptos::prelude::*;

use crate::api::limits::{LimitsRemove, LimitsSet, limits_list, limits_targets};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
use crate::dto_insight::{format_count, format_percent, format_usd};
use crate::dto_limits::{
    ENFORCEMENTS, LimitDto, LimitTargetDto, PERIODS, SCOPES, dollars_text, period_label,
    scope_label, scope_noun, share,
};
use crate::error::AppError;
use crate::pages::NotAllowed;

const ABOUT: &str = "A budget caps what a Keygate key, a user, a project or a provider key may spend in a period, in dollars and/or tokens. Keygate reserves each request's worst case before forwarding it, so a hard budget is never exceeded: once it is spent, requests are refused with 429 until the period resets. A soft budget only shows as over. Rate limits cap requests and tokens per minute.";

/// What the "Set a limit" form holds; Edit fills it from a row of the table.
#[derive(Clone, Copy)]
struct LimitForm {
    scope: RwSignal<String>,
    target: RwSignal<String>,
    period: RwSignal<String>,
    usd: RwSignal<String>,
    tokens: RwSignal<String>,
    enforcement: RwSignal<String>,
    rpm: RwSignal<String>,
    tpm: RwSignal<String>,
    /// The limit being edited: (scope, target id, target name). Its target stays choosable
    /// even if it no longer is (a revoked key).
    editing: RwSignal<Option<(String, i32, String)>>,
    first: NodeRef<leptos::html::Select>,
}

impl LimitForm {
    fn new() -> Self {
        Self {
            scope: RwSignal::new(SCOPES[0].0.to_owned()),
            target: RwSignal::new(String::new()),
            period: RwSignal::new(PERIODS[0].0.to_owned()),
            usd: RwSignal::new(String::new()),
            tokens: RwSignal::new(String::new()),
            enforcement: RwSignal::new(ENFORCEMENTS[0].0.to_owned()),
            rpm: RwSignal::new(String::new()),
            tpm: RwSignal::new(String::new()),
            editing: RwSignal::new(None),
            first: NodeRef::new(),
        }
    }

    fn clear(&self) {
        self.target.set(String::new());
        self.period.set(PERIODS[0].0.to_owned());
        self.usd.set(String::new());
        self.tokens.set(String::new());
        self.enforcement.set(ENFORCEMENTS[0].0.to_owned());
        self.rpm.set(String::new());
        self.tpm.set(String::new());
        self.editing.set(None);
    }

    fn fill(&self, limit: &LimitDto) {
        let text = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        self.scope.set(limit.scope.clone());
        self.target.set(limit.scope_id.to_string());
        self.period.set(limit.period.clone());
        self.usd
            .set(limit.limit_micros.map(dollars_text).unwrap_or_default());
        self.tokens.set(text(limit.limit_tokens));
        self.enforcement.set(limit.enforcement.clone());
        self.rpm.set(text(limit.rpm.map(i64::from)));
        self.tpm.set(text(limit.tpm.map(i64::from)));
        self.editing.set(Some((
            limit.scope.clone(),
            limit.scope_id,
            limit.target.clone(),
        )));
        if let Some(select) = self.first.get_untracked() {
            let _ = select.focus();
        }
    }
}

#[component]
pub fn RateLimits() -> impl IntoView {
    let me = use_me();
    if !me.is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let toasts = use_toasts();
    let set = ServerAction::<LimitsSet>::new();
    let remove = ServerAction::<LimitsRemove>::new();
    // Reload after successful changes only, so a refused form keeps what was typed.
    let changed = RwSignal::new(0_u32);
    let limits = Resource::new(move || changed.get(), |_| limits_list());
    let form = LimitForm::new();
    Effect::new(move |_| {
        if let Some(Ok(limit)) = set.value().get() {
            changed.update(|n| *n += 1);
            form.clear();
            toasts.success(format!("Limit saved for {}", limit.target));
        }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(limit)) => {
            changed.update(|n| *n += 1);
            toasts.success(format!("Limit removed for {}", limit.target));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <PageHeader title="Limits" />
        <div class="content stack">
            // Owns its resource: keep it here, outside any Suspense/Transition.
            <SetLimitCard set form />
            <section class="card" aria-labelledby="limits-heading">
                <h2 id="limits-heading">"Budgets and rate limits"</h2>
                <p class="muted">{ABOUT}</p>
                <Transition fallback=|| view! { <p class="muted">"Loading limits…"</p> }>
                    {move || Suspend::new(async move {
                        match limits.await {
                            Ok(list) => view! { <LimitTable list form remove /> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
    .into_any()
}

/// A text input bound to `value`, with its server-side error under it.
#[component]
fn LimitInput(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    hint: &'static str,
    #[prop(default = "numeric")] inputmode: &'static str,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || match message.get() {
            Some(_) => format!("{hint_id} {error_id}"),
            None => hint_id.clone(),
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="text" name=name inputmode=inputmode autocomplete="off"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().map(|_| "true")
                aria-describedby=described_by />
            <p class="field-hint" id=hint_id>{hint}</p>
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// A select bound to `value` over fixed choices, with its server-side error under it.
#[component]
fn ChoiceSelect(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    choices: &'static [(&'static str, &'static str)],
    error: Signal<Option<AppError>>,
    #[prop(optional)] node_ref: NodeRef<leptos::html::Select>,
    /// Runs after the user picks another choice.
    #[prop(optional, into)]
    on_change: Option<Callback<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name node_ref=node_ref
                on:change=move |ev| {
                    let picked = event_target_value(&ev);
                    value.set(picked.clone());
                    if let Some(on_change) = on_change {
                        on_change.run(picked);
                    }
                }
                aria-invalid=move || message.get().map(|_| "true")>
                {choices.iter().map(|(v, text)| view! {
                    <option value=*v prop:selected=move || value.get() == *v>{*text}</option>
                }).collect_view()}
            </select>
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// The "Set a limit" form. Owns the targets resource: keep it at the top level of the page.
#[component]
fn SetLimitCard(set: ServerAction<LimitsSet>, form: LimitForm) -> impl IntoView {
    let targets = Resource::new(|| (), |_| limits_targets());
    let error = last_error(set.value());
    let LimitForm {
        scope,
        target,
        period,
        usd,
        tokens,
        enforcement,
        rpm,
        tpm,
        editing,
        first,
    } = form;
    let target_message =
        Signal::derive(move || error.get().and_then(|e| e.field_message("target_id")));
    view! {
        <section class="card" aria-labelledby="set-limit-heading">
            <h2 id="set-limit-heading">"Set a limit"</h2>
            {move || editing.get().map(|(scope, _, name)| view! {
                <p class="limit-editing" role="status">
                    "Editing the limit of " {scope_noun(&scope)} " " <strong>{name}</strong>
                    ". Saving replaces it; changing the period starts a new one."
                </p>
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let targets = match targets.await {
                        Ok(targets) => targets,
                        Err(err) => {
                            return view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any();
                        }
                    };
                    let options = move || {
                        let current = scope.get();
                        let mut list: Vec<LimitTargetDto> = targets.for_scope(&current).to_vec();
                        if let Some((s, id, name)) = editing.get()
                            && s == current
                            && !list.iter().any(|t| t.id == id)
                        {
                            list.insert(0, LimitTargetDto { id, label: name });
                        }
                        let empty = list.is_empty();
                        let placeholder = if empty {
                            format!("No {} to choose", scope_noun(&current))
                        } else {
                            format!("Choose a {}…", scope_noun(&current))
                        };
                        view! {
                            <option value="" prop:selected=move || target.get().is_empty()>{placeholder}</option>
                            {list.into_iter().map(|t| {
                                let value = t.id.to_string();
                                let mine = value.clone();
                                view! {
                                    <option value=value prop:selected=move || target.get() == mine>{t.label}</option>
                                }
                            }).collect_view()}
                        }
                    };
                    view! {
                        <ActionForm action=set attr:class="form" attr:aria-label="Set a limit">
                            <FormError error />
                            <div class="form-inline">
                                <ChoiceSelect label="Applies to" name="scope" value=scope choices=&SCOPES error node_ref=first
                                    on_change=move |_| {
                                        target.set(String::new());
                                        editing.set(None);
                                    } />
                                <div class="field">
                                    <label for="field-target_id">"Target"</label>
                                    <select id="field-target_id" name="target_id" required=true
                                        on:change=move |ev| {
                                            let picked = event_target_value(&ev);
                                            if editing.with_untracked(|e| e.as_ref().is_some_and(|(_, id, _)| id.to_string() != picked)) {
                                                editing.set(None);
                                            }
                                            target.set(picked);
                                        }
                                        aria-invalid=move || target_message.get().map(|_| "true")>
                                        {options}
                                    </select>
                                    {move || target_message.get().map(|m| view! { <p class="field-error" id="field-target_id-error">{m}</p> })}
                                </div>
                                <ChoiceSelect label="Period" name="period" value=period choices=&PERIODS error />
                                <ChoiceSelect label="Enforcement" name="enforcement" value=enforcement choices=&ENFORCEMENTS error />
                            </div>
                            <div class="form-inline">
                                <LimitInput label="Budget in dollars" name="limit_usd" value=usd inputmode="decimal"
                                    hint="e.g. 12.50; blank: no dollar budget." error />
                                <LimitInput label="Budget in tokens" name="limit_tokens" value=tokens
                                    hint="Input + output tokens; blank: none." error />
                                <LimitInput label="Requests per minute" name="rpm" value=rpm
                                    hint="Blank: no request rate limit." error />
                                <LimitInput label="Tokens per minute" name="tpm" value=tpm
                                    hint="Estimated at admission; blank: none." error />
                            </div>
                            <div class="form-actions">
                                <button type="submit" class="btn btn-primary" disabled=move || set.pending().get()>"Save limit"</button>
                                {move || editing.get().is_some().then(|| view! {
                                    <button type="button" class="btn" on:click=move |_| form.clear()>"Cancel editing"</button>
                                })}
                            </div>
                        </ActionForm>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

/// One budget's usage: "spent of limit", the share, and a bar with what requests in flight
/// hold on top of it.
fn usage_bar(what: &'static str, spent: i64, reserved: i64, limit: i64, dollars: bool) -> AnyView {
    let amount = move |v: i64| {
        if dollars {
            format_usd(v)
        } else {
            format!("{} tokens", format_count(v))
        }
    };
    let used = share(spent, limit);
    let held = share(reserved, limit);
    let spent_width = (used * 100.0).clamp(0.0, 100.0);
    let reserved_width = (held * 100.0).clamp(0.0, 100.0 - spent_width);
    let level = if used >= 1.0 {
        "limit-bar-full"
    } else if used >= 0.8 {
        "limit-bar-high"
    } else {
        "limit-bar-ok"
    };
    let summary = format!("{} of {}", amount(spent), amount(limit));
    let percent = format_percent(used);
    view! {
        <div class="limit-usage">
            <div class="limit-usage-text">
                <span class="limit-spent">{summary.clone()}</span>
                <span class="limit-percent">{percent.clone()}</span>
            </div>
            <div class=format!("limit-bar {level}") role="progressbar"
                aria-label=format!("{what} used") aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=format!("{:.0}", spent_width) aria-valuetext=format!("{summary} ({percent})")>
                <svg class="limit-bar-svg" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
                    <rect class="limit-bar-spent" x="0" y="0" width=format!("{spent_width:.2}") height="8" />
                    <rect class="limit-bar-reserved" x=format!("{spent_width:.2}") y="0" width=format!("{reserved_width:.2}") height="8" />
                </svg>
            </div>
            {(reserved > 0).then(|| view! {
                <p class="limit-reserved small muted">{format!("+ {} reserved in flight", amount(reserved))}</p>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn LimitTable(
    list: Vec<LimitDto>,
    form: LimitForm,
    remove: ServerAction<LimitsRemove>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <div class="empty-state"><h2>"No limits yet"</h2><p class="muted">"Set one above."</p></div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table limits-table" aria-label="Limits">
                <thead><tr>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Period"</th>
                    <th scope="col">"Budget"</th>
                    <th scope="col">"Rate limits"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|limit| view! { <LimitRow limit form remove /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn LimitRow(limit: LimitDto, form: LimitForm, remove: ServerAction<LimitsRemove>) -> impl IntoView {
    let scope = limit.scope.clone();
    let scope_id = limit.scope_id;
    let over_soft = !limit.exhausted
        && limit.enforcement == "soft"
        && (limit.limit_micros.is_some_and(|l| limit.spent_micros >= l)
            || limit.limit_tokens.is_some_and(|l| limit.spent_tokens >= l));
    let status = if limit.exhausted {
        Some(view! { <span class="badge badge-danger">"Exhausted"</span> }.into_any())
    } else if over_soft {
        Some(view! { <span class="badge badge-warning">"Over budget"</span> }.into_any())
    } else {
        None
    };
    let detail = match &limit.target_detail {
        Some(detail) => format!("{} · {detail}", scope_label(&limit.scope)),
        None => scope_label(&limit.scope).to_owned(),
    };
    let budget = if limit.has_budget() {
        view! {
            {limit.limit_micros.map(|l| usage_bar("Dollars", limit.spent_micros, limit.reserved_micros, l, true))}
            {limit.limit_tokens.map(|l| usage_bar("Tokens", limit.spent_tokens, limit.reserved_tokens, l, false))}
        }
        .into_any()
    } else {
        view! { <span class="muted">"No budget"</span> }.into_any()
    };
    let enforcement = if limit.enforcement == "soft" {
        view! { <span class="badge badge-soft" title="Soft: shown as over budget, never refused">"Soft limit"</span> }.into_any()
    } else {
        view! { <span class="badge badge-hard" title="Hard: requests are refused once the budget is spent">"Hard limit"</span> }.into_any()
    };
    let rates = limit.rate_parts();
    let rates = if rates.is_empty() {
        view! { <span class="muted">"—"</span> }.into_any()
    } else {
        rates
            .into_iter()
            .map(|r| view! { <span class="limit-rate">{r}</span> })
            .collect_view()
            .into_any()
    };
    let question = format!(
        "Remove the limits of {} {}? Its budget and rate limits stop applying at once.",
        scope_noun(&limit.scope),
        limit.target
    );
    let target = limit.target.clone();
    let period = period_label(&limit.period).to_owned();
    let reset = limit.reset_text();
    let exhausted = limit.exhausted;
    let stored = StoredValue::new(limit);
    view! {
        <tr class:limit-row-exhausted=exhausted>
            <td class="limit-target">
                <span class="limit-name">{target.clone()}</span>
                " " {status}
                <span class="small muted limit-detail">{detail}</span>
            </td>
            <td>
                <span class="limit-period">{period}</span>
                " "
                {enforcement}
                <span class="small muted limit-reset">{reset}</span>
            </td>
            <td class="limit-budget">{budget}</td>
            <td class="limit-rates">{rates}</td>
            <td class="actions">
                <button type="button" class="btn btn-sm" aria-label=format!("Edit limit of {target}")
                    on:click=move |_| stored.with_value(|l| form.fill(l))>"Edit"</button>
                <ConfirmButton
                    label="Remove".to_owned()
                    question
                    confirm_label="Remove".to_owned()
                    on_confirm=move |_| { remove.dispatch(LimitsRemove { scope: scope.clone(), scope_id }); }
                />
            </td>
        </tr>
    }
}

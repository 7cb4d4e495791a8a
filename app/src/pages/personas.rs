//! Personas: the list (everyone sees the ones they may use; admins see all and can create,
//! activate/deactivate and delete them) and one persona's page (its prompt, analytics, and
//! for admins an edit form). The server refuses what a member may not do regardless.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::personas::{
    PersonasCreate, PersonasDelete, PersonasSetActive, PersonasUpdate, persona_analytics,
    personas_list,
};
use crate::api::users::users_list;
use crate::components::charts::{BarChart, Measure, XPoint};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
use crate::dto::UserDto;
use crate::dto_insight::{
    PersonaAnalyticsDto, PersonaDto, UsageGroupDto, bucket_label, bucket_tick, format_count,
    format_percent, format_usd, short_time,
};
use crate::error::AppError;

const ABOUT: &str = "A persona is a system prompt kept in one place. Keygate puts it before the caller's own when a request names it in the X-Keygate-Persona header (by name or id), or when the request's Keygate key uses it by default.";

fn status_badge(active: bool) -> AnyView {
    if active {
        view! { <span class="badge badge-active">"active"</span> }.into_any()
    } else {
        view! { <span class="badge badge-disabled">"inactive"</span> }.into_any()
    }
}

/// The system prompt, as a labelled textarea whose errors are tied to it.
#[component]
fn ContentField(
    #[prop(optional, into)] value: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message("content")));
    view! {
        <div class="field field-wide">
            <label for="field-content">"System prompt"</label>
            <textarea id="field-content" name="content" rows="8" required=true
                aria-invalid=move || message.get().map(|_| "true")
                aria-describedby=move || {
                    if message.get().is_some() { "field-content-hint field-content-error" } else { "field-content-hint" }
                }>{value}</textarea>
            <p class="field-hint" id="field-content-hint">"Sent to the model as the system message, before the caller's own."</p>
            {move || message.get().map(|m| view! { <p class="field-error" id="field-content-error">{m}</p> })}
        </div>
    }
}

/// "Organization-wide" or one user of the organization.
#[component]
fn RestrictedTo(
    users: Vec<UserDto>,
    selected: Option<i32>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message("user_id")));
    view! {
        <div class="field">
            <label for="field-user_id">"Restricted to"</label>
            <select id="field-user_id" name="user_id" aria-invalid=move || message.get().map(|_| "true")>
                <option value="" selected=selected.is_none()>"Organization-wide"</option>
                {users.into_iter().filter(|u| !u.disabled || selected == Some(u.id)).map(|u| view! {
                    <option value=u.id.to_string() selected=selected == Some(u.id)>
                        {format!("{} <{}>", u.display_name, u.email)}
                    </option>
                }).collect_view()}
            </select>
            {move || message.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

#[component]
pub fn PersonasPage() -> impl IntoView {
    let admin = use_me().is_admin();
    let toasts = use_toasts();
    let create = ServerAction::<PersonasCreate>::new();
    let set_active = ServerAction::<PersonasSetActive>::new();
    let delete = ServerAction::<PersonasDelete>::new();
    // Reload after successful changes only, so a refused form keeps what was typed.
    let changed = RwSignal::new(0_u32);
    let personas = Resource::new(move || changed.get(), |_| personas_list());
    Effect::new(move |_| {
        if let Some(Ok(p)) = create.value().get() {
            changed.update(|n| *n += 1);
            toasts.success(format!("Persona {} created", p.name));
        }
    });
    Effect::new(move |_| match set_active.value().get() {
        Some(Ok(p)) => {
            changed.update(|n| *n += 1);
            let what = if p.active { "activated" } else { "deactivated" };
            toasts.success(format!("Persona {} {what}", p.name));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(p)) => {
            changed.update(|n| *n += 1);
            toasts.success(format!("Persona {} deleted", p.name));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <PageHeader title="Personas" />
        <div class="content stack">
            <section class="card" aria-labelledby="personas-heading">
                <h2 id="personas-heading">{if admin { "Personas of the organization" } else { "Personas you may use" }}</h2>
                <p class="muted">{ABOUT}</p>
                <Transition fallback=|| view! { <p class="muted">"Loading personas…"</p> }>
                    {move || Suspend::new(async move {
                        match personas.await {
                            Ok(list) => view! { <PersonaTable list admin set_active delete /> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            // Owns its resource: keep it here, outside any Suspense/Transition.
            {admin.then(|| view! { <CreatePersona create /> })}
        </div>
    }
}

#[component]
fn PersonaTable(
    list: Vec<PersonaDto>,
    admin: bool,
    set_active: ServerAction<PersonasSetActive>,
    delete: ServerAction<PersonasDelete>,
) -> impl IntoView {
    if list.is_empty() {
        let hint = if admin {
            "Create one below."
        } else {
            "Ask an admin to create one."
        };
        return view! {
            <div class="empty-state"><h2>"No personas yet"</h2><p class="muted">{hint}</p></div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Personas">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Description"</th>
                    <th scope="col">"Scope"</th><th scope="col">"Status"</th>
                    <th scope="col" class="num">"Prompt"</th><th scope="col">"Created"</th>
                    {admin.then(|| view! { <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th> })}
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|p| {
                        let id = p.id;
                        let active = p.active;
                        let actions = admin.then(|| {
                            let toggle = if active {
                                view! {
                                    <button type="button" class="btn btn-sm"
                                        on:click=move |_| { set_active.dispatch(PersonasSetActive { id, active: false }); }>"Deactivate"</button>
                                }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="btn btn-sm"
                                        on:click=move |_| { set_active.dispatch(PersonasSetActive { id, active: true }); }>"Activate"</button>
                                }.into_any()
                            };
                            view! {
                                <td class="actions">
                                    {toggle}
                                    <ConfirmButton
                                        label="Delete".to_owned()
                                        question=format!("Delete persona {}? Requests naming it are refused from now on, and Keygate keys using it by default lose it. Its usage history stays.", p.name)
                                        confirm_label="Delete".to_owned()
                                        on_confirm=move |_| { delete.dispatch(PersonasDelete { id }); }
                                    />
                                </td>
                            }
                        });
                        view! {
                            <tr>
                                <td><a href=format!("/personas/{id}")>{p.name.clone()}</a></td>
                                <td>{if p.description.is_empty() { "—".to_owned() } else { p.description.clone() }}</td>
                                <td>{p.scope()}</td>
                                <td>{status_badge(active)}</td>
                                <td class="num">{format!("{} characters", format_count(p.content.chars().count() as i64))}</td>
                                <td>{short_time(&p.created_at)}</td>
                                {actions}
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
fn CreatePersona(create: ServerAction<PersonasCreate>) -> impl IntoView {
    let users = Resource::new(|| (), |_| users_list());
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
        <section class="card" aria-labelledby="create-persona-heading">
            <h2 id="create-persona-heading">"Create a persona"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Without the user list a persona can still be organization-wide.
                    let users = users.await.unwrap_or_default();
                    view! {
                        <ActionForm action=create node_ref=form attr:class="form" attr:aria-label="Create a persona">
                            <FormError error />
                            <div class="form-inline">
                                <Field label="Name" name="name" hint="What callers send in X-Keygate-Persona." error />
                                <Field label="Description" name="description" optional=true error />
                                <RestrictedTo users selected=None error />
                            </div>
                            <ContentField error />
                            <div class="form-actions">
                                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create persona"</button>
                            </div>
                        </ActionForm>
                    }
                })}
            </Transition>
        </section>
    }
}

/// One persona: its prompt, analytics, and for admins its edit form.
#[component]
pub fn PersonaDetailPage() -> impl IntoView {
    let admin = use_me().is_admin();
    let id: Option<i32> = use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|raw| raw.parse().ok());
    let Some(id) = id else {
        return view! {
            <PageHeader title="Persona" />
            <div class="content"><p class="form-error" role="alert">"Not found."</p></div>
        }
        .into_any();
    };
    let toasts = use_toasts();
    let update = ServerAction::<PersonasUpdate>::new();
    let set_active = ServerAction::<PersonasSetActive>::new();
    let delete = ServerAction::<PersonasDelete>::new();
    let changed = RwSignal::new(0_u32);
    let analytics = Resource::new(move || changed.get(), move |_| persona_analytics(id));
    Effect::new(move |_| {
        if let Some(Ok(p)) = update.value().get() {
            changed.update(|n| *n += 1);
            toasts.success(format!("Persona {} saved", p.name));
        }
    });
    Effect::new(move |_| match set_active.value().get() {
        Some(Ok(p)) => {
            changed.update(|n| *n += 1);
            let what = if p.active { "activated" } else { "deactivated" };
            toasts.success(format!("Persona {} {what}", p.name));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    let navigate = use_navigate();
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(p)) => {
            toasts.success(format!("Persona {} deleted", p.name));
            navigate("/personas", Default::default());
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <PageHeader title="Persona" />
        <div class="content stack">
            <p><a href="/personas">"← All personas"</a></p>
            <Transition fallback=|| view! { <p class="muted">"Loading persona…"</p> }>
                {move || Suspend::new(async move {
                    match analytics.await {
                        Ok(a) => view! {
                            <PersonaInfo persona=a.persona.clone() admin set_active delete />
                            <PersonaAnalytics a />
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            // Owns its resource: keep it here, outside any Suspense/Transition.
            {admin.then(|| view! { <EditPersona analytics update /> })}
        </div>
    }
    .into_any()
}

#[component]
fn PersonaInfo(
    persona: PersonaDto,
    admin: bool,
    set_active: ServerAction<PersonasSetActive>,
    delete: ServerAction<PersonasDelete>,
) -> impl IntoView {
    let id = persona.id;
    let active = persona.active;
    let actions = admin.then(|| {
        let toggle = if active {
            view! {
                <ConfirmButton
                    label="Deactivate".to_owned()
                    question=format!("Deactivate {}? Requests naming it are refused until you activate it again.", persona.name)
                    confirm_label="Deactivate".to_owned()
                    on_confirm=move |_| { set_active.dispatch(PersonasSetActive { id, active: false }); }
                />
            }
            .into_any()
        } else {
            view! {
                <button type="button" class="btn btn-sm"
                    on:click=move |_| { set_active.dispatch(PersonasSetActive { id, active: true }); }>"Activate"</button>
            }
            .into_any()
        };
        view! {
            <div class="form-actions">
                {toggle}
                <ConfirmButton
                    label="Delete".to_owned()
                    question=format!("Delete persona {}? Requests naming it are refused from now on, and Keygate keys using it by default lose it. Its usage history stays.", persona.name)
                    confirm_label="Delete".to_owned()
                    class="btn btn-sm btn-danger-outline"
                    on_confirm=move |_| { delete.dispatch(PersonasDelete { id }); }
                />
            </div>
        }
    });
    view! {
        <section class="card" aria-labelledby="persona-heading">
            <h2 id="persona-heading">{persona.name.clone()}</h2>
            <dl class="facts">
                <dt>"Description"</dt><dd>{if persona.description.is_empty() { "—".to_owned() } else { persona.description.clone() }}</dd>
                <dt>"Scope"</dt><dd>{persona.scope()}</dd>
                <dt>"Status"</dt><dd>{status_badge(active)}</dd>
                <dt>"Created"</dt><dd>{short_time(&persona.created_at)}</dd>
                <dt>"Updated"</dt><dd>{short_time(&persona.updated_at)}</dd>
                <dt>"Use it"</dt><dd><code>{format!("X-Keygate-Persona: {}", persona.name)}</code></dd>
            </dl>
            <h3>"System prompt"</h3>
            <pre class="persona-content">{persona.content.clone()}</pre>
            {actions}
        </section>
    }
}

fn group_table(
    label: &'static str,
    column: &'static str,
    rows: Vec<UsageGroupDto>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No requests yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-label=label>
                <thead><tr>
                    <th scope="col">{column}</th>
                    <th scope="col" class="num">"Requests"</th>
                    <th scope="col" class="num">"Tokens"</th>
                    <th scope="col" class="num">"Cost"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|g| view! {
                        <tr>
                            <td>{g.label.clone()}</td>
                            <td class="num">{format_count(g.requests)}</td>
                            <td class="num">{format_count(g.tokens())}</td>
                            <td class="num">{format_usd(g.cost_micros)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn PersonaAnalytics(a: PersonaAnalyticsDto) -> impl IntoView {
    let t = &a.total;
    let ratings = &a.ratings;
    let average = ratings
        .average
        .map(|avg| format!("{avg:.1} / 5"))
        .unwrap_or_else(|| "—".to_owned());
    let x: Vec<XPoint> = a
        .daily
        .iter()
        .map(|g| XPoint {
            tooltip: bucket_label(&g.key, "day"),
            tick: bucket_tick(&g.key, "day"),
        })
        .collect();
    let requests: Vec<f64> = a.daily.iter().map(|g| g.requests as f64).collect();
    let daily_rows = a.daily.clone();
    view! {
        <section class="card" aria-labelledby="persona-analytics-heading">
            <h2 id="persona-analytics-heading">"Analytics (all time)"</h2>
            <div class="tiles">
                <div class="stat tile"><span class="stat-label">"Requests"</span>
                    <span class="stat-value" data-testid="persona-requests">{format_count(t.requests)}</span></div>
                <div class="stat tile"><span class="stat-label">"Success rate"</span>
                    <span class="stat-value" data-testid="persona-success-rate">{if t.requests == 0 { "—".to_owned() } else { format_percent(a.success_rate) }}</span></div>
                <div class="stat tile"><span class="stat-label">"Tokens"</span>
                    <span class="stat-value" data-testid="persona-tokens">{format_count(t.tokens())}</span></div>
                <div class="stat tile"><span class="stat-label">"Cost (USD)"</span>
                    <span class="stat-value" data-testid="persona-cost">{format_usd(t.cost_micros)}</span></div>
                <div class="stat tile"><span class="stat-label">"Ratings"</span>
                    <span class="stat-value" data-testid="persona-ratings">{format_count(ratings.count)}</span>
                    <span class="muted small">{format!("average {average} · {} positive · {} negative", ratings.positive, ratings.negative)}</span></div>
            </div>
        </section>
        <section class="card" aria-labelledby="persona-daily-heading">
            <h2 id="persona-daily-heading">"Last 7 days"</h2>
            <BarChart test_id="chart-persona-daily" label="Requests per day over the last 7 days"
                measure=Measure::Count("request", "requests") x values=requests />
            {group_table("Daily usage", "Day", daily_rows.into_iter().map(|mut g| {
                g.label = bucket_label(&g.key, "day");
                g
            }).collect())}
        </section>
        <section class="card" aria-labelledby="persona-models-heading">
            <h2 id="persona-models-heading">"Top models"</h2>
            {group_table("Top models", "Model", a.top_models.clone())}
        </section>
        {(!a.top_users.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="persona-users-heading">
                <h2 id="persona-users-heading">"Top users"</h2>
                {group_table("Top users", "User", a.top_users.clone())}
            </section>
        })}
    }
}

#[component]
fn EditPersona(
    analytics: Resource<Result<PersonaAnalyticsDto, AppError>>,
    update: ServerAction<PersonasUpdate>,
) -> impl IntoView {
    let users = Resource::new(|| (), |_| users_list());
    let error = last_error(update.value());
    view! {
        <section class="card" aria-labelledby="edit-persona-heading">
            <h2 id="edit-persona-heading">"Edit"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let users = users.await.unwrap_or_default();
                    match analytics.await {
                        Ok(a) => {
                            let p = a.persona;
                            view! {
                                <ActionForm action=update attr:class="form" attr:aria-label="Edit persona">
                                    <FormError error />
                                    <input type="hidden" name="id" value=p.id.to_string() />
                                    <div class="form-inline">
                                        <Field label="Name" name="name" value=p.name.clone() error />
                                        <Field label="Description" name="description" value=p.description.clone() optional=true error />
                                        <RestrictedTo users selected=p.user_id error />
                                    </div>
                                    <ContentField value=p.content.clone() error />
                                    <div class="form-actions">
                                        <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>"Save changes"</button>
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }
                        Err(_) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

//! The project page's "Routing" card: how the proxy balances among the project's keys for one
//! provider, and the project's model routes (pattern → provider, optional rename), which are
//! tried in order before the built-in defaults. Owns its resources: put it at the top level of
//! a page's view, never inside another `Suspense`/`Transition`.

use leptos::prelude::*;

use crate::api::routing::{RoutesAdd, RoutesDelete, RoutingSetStrategy, routing_get};
use crate::components::form::{Field, FormError, last_error};
use crate::components::toast::use_toasts;
use crate::dto::{ModelRouteDto, PROVIDERS, STRATEGIES, provider_name};

/// The built-in defaults, as admins read them.
const DEFAULTS: &str = "Without a matching route: gpt-*, o1*, o3*, o4*, text-embedding-* go to OpenAI; claude-* to Anthropic; groq/…, openrouter/…, xai/… and gemini/… to that provider (prefix removed).";

#[component]
fn StrategyForm(
    project_id: i32,
    current: String,
    action: ServerAction<RoutingSetStrategy>,
) -> impl IntoView {
    let error = last_error(action.value());
    view! {
        <ActionForm action attr:class="form" attr:aria-label="Balancing strategy">
            <FormError error />
            <input type="hidden" name="project_id" value=project_id.to_string() />
            <div class="form-inline">
                <div class="field">
                    <label for="balance-strategy">"Balance requests among this project's keys"</label>
                    <select id="balance-strategy" name="strategy" aria-describedby="balance-strategy-hint">
                        {STRATEGIES.iter().map(|(value, label)| view! {
                            <option value=*value selected=*value == current.as_str()>{*label}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-hint" id="balance-strategy-hint">"Applies among keys of one provider. Keys that failed recently are tried last either way."</p>
                </div>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn" disabled=move || action.pending().get()>"Save strategy"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn RouteTable(
    project_id: i32,
    routes: Vec<ModelRouteDto>,
    delete: ServerAction<RoutesDelete>,
) -> impl IntoView {
    if routes.is_empty() {
        return view! { <p class="muted">"No routes: the defaults apply."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Model routes">
                <thead><tr>
                    <th scope="col">"Models"</th><th scope="col">"Provider"</th>
                    <th scope="col">"Sent as"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {routes.into_iter().map(|r| {
                        let route_id = r.id;
                        let label = format!("Delete route {}", r.pattern);
                        view! {
                            <tr>
                                <td><code>{r.pattern.clone()}</code></td>
                                <td>{provider_name(&r.provider).to_owned()}</td>
                                <td>{match r.target_model.clone() {
                                    Some(model) => view! { <code>{model}</code> }.into_any(),
                                    None => view! { <span class="muted">"the same name"</span> }.into_any(),
                                }}</td>
                                <td class="actions">
                                    <button type="button" class="btn btn-sm" aria-label=label
                                        on:click=move |_| { delete.dispatch(RoutesDelete { project_id, route_id }); }>
                                        "Delete"
                                    </button>
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
fn AddRouteForm(
    project_id: i32,
    custom_slugs: Vec<String>,
    add: ServerAction<RoutesAdd>,
) -> impl IntoView {
    let error = last_error(add.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get()
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    let route_error =
        Signal::derive(move || error.get().and_then(|e| e.field_message("route_provider")));
    view! {
        <ActionForm action=add node_ref=form attr:class="form" attr:aria-label="Add a route">
            <FormError error />
            <input type="hidden" name="project_id" value=project_id.to_string() />
            <div class="form-inline">
                <Field label="Model pattern" name="pattern"
                    hint="A model name, or a pattern with * like my-team-*." error />
                <div class="field">
                    <label for="route-provider">"Route to provider"</label>
                    <select id="route-provider" name="route_provider" required=true
                        aria-invalid=move || route_error.get().map(|_| "true")>
                        {PROVIDERS.iter()
                            .filter(|(id, _, _)| !matches!(*id, "aws" | "custom"))
                            .map(|(id, name, _)| view! { <option value=*id>{*name}</option> })
                            .collect_view()}
                        {custom_slugs.into_iter().map(|slug| view! {
                            <option value=slug.clone()>{slug.clone()}</option>
                        }).collect_view()}
                    </select>
                    {move || route_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <Field label="Send as model" name="target_model" optional=true
                    hint="Optional: the provider's model name, when it differs." error />
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || add.pending().get()>"Add route"</button>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn ProjectRouting(project_id: i32) -> impl IntoView {
    let toasts = use_toasts();
    let set_strategy = ServerAction::<RoutingSetStrategy>::new();
    let add = ServerAction::<RoutesAdd>::new();
    let delete = ServerAction::<RoutesDelete>::new();
    // Reload after successful changes only, so a refused form keeps what was typed.
    let changed = RwSignal::new(0_u32);
    let routing = Resource::new(move || changed.get(), move |_| routing_get(project_id));
    Effect::new(move |_| {
        if let Some(Ok(strategy)) = set_strategy.value().get() {
            changed.update(|n| *n += 1);
            let label = STRATEGIES
                .iter()
                .find(|(id, _)| *id == strategy)
                .map_or(strategy.as_str(), |(_, label)| *label);
            toasts.success(format!("Balancing: {label}"));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(route)) = add.value().get() {
            changed.update(|n| *n += 1);
            toasts.success(format!("Route {} added", route.pattern));
        }
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(_)) => {
            changed.update(|n| *n += 1);
            toasts.success("Route deleted");
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <section class="card" aria-labelledby="routing-heading">
            <h2 id="routing-heading">"Routing"</h2>
            <p class="muted">{DEFAULTS}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading routing…"</p> }>
                {move || Suspend::new(async move {
                    match routing.await {
                        Ok(r) => view! {
                            <StrategyForm project_id current=r.strategy action=set_strategy />
                            <h3>"Model routes"</h3>
                            <RouteTable project_id routes=r.routes delete />
                            <AddRouteForm project_id custom_slugs=r.custom_slugs add />
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

//! `ProviderConfig` (seed 004): the organization's custom providers, listed and defined.

use leptos::prelude::*;

use crate::api::providers::{ProvidersCreate, ProvidersDelete, providers_list};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::toast::use_toasts;
use crate::dto::CustomProviderDto;

#[component]
pub fn CustomProviders(
    create: ServerAction<ProvidersCreate>,
    delete: ServerAction<ProvidersDelete>,
) -> impl IntoView {
    let toasts = use_toasts();
    let providers = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| providers_list(),
    );
    let error = last_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    let method = RwSignal::new("bearer".to_owned());
    Effect::new(move |_| {
        if let Some(Ok(p)) = create.value().get() {
            toasts.success(format!("Provider {} added", p.name));
            method.set("bearer".into());
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(_)) => toasts.success("Provider removed".to_owned()),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading providers…"</p> }>
            {move || Suspend::new(async move {
                match providers.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No custom providers yet."</p> }.into_any(),
                    Ok(list) => view! { <ProviderTable list delete /> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <ActionForm action=create node_ref=form attr:class="form">
            <FormError error />
            <div class="form-inline">
                <Field label="Provider name" name="provider_name" error />
                <Field label="Slug" name="slug" hint="What keys name as their provider, e.g. together" error />
                <Field label="Provider base URL" name="provider_base_url" hint="https://…; the models list is at BASE/models" error />
            </div>
            <div class="form-inline">
                <div class="field">
                    <label for="provider-auth-method">"Auth method"</label>
                    <select id="provider-auth-method" name="auth_method"
                        on:change=move |ev| method.set(event_target_value(&ev))>
                        <option value="bearer">"Bearer token"</option>
                        <option value="header">"Header"</option>
                        <option value="query">"Query parameter"</option>
                    </select>
                </div>
                <Show when=move || method.get() != "bearer">
                    <Field label="Header or parameter name" name="auth_param" error />
                </Show>
                <Field label="API version" name="api_version" optional=true hint="Sent as ?api-version=" error />
                <Field label="Models" name="models" optional=true hint="Comma-separated" error />
            </div>
            <div class="field-check">
                <input id="provider-requires-org" type="checkbox" name="requires_org" value="on" />
                <label for="provider-requires-org">"Keys need an organization id"</label>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Add provider"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn ProviderTable(
    list: Vec<CustomProviderDto>,
    delete: ServerAction<ProvidersDelete>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead><tr>
                    <th scope="col">"Provider"</th><th scope="col">"Slug"</th><th scope="col">"Base URL"</th>
                    <th scope="col">"Auth"</th><th scope="col">"Models"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|p| {
                        let id = p.id;
                        let auth = match (p.auth_method.as_str(), p.auth_param.clone()) {
                            ("header", Some(h)) => format!("header {h}"),
                            ("query", Some(q)) => format!("query {q}"),
                            _ => "bearer".to_owned(),
                        };
                        view! {
                            <tr>
                                <td>{p.name.clone()}{p.requires_org.then_some(" (needs org id)")}</td>
                                <td><code>{p.slug.clone()}</code></td>
                                <td class="muted">{p.base_url.clone()}</td>
                                <td>{auth}</td>
                                <td>{p.models.join(", ")}</td>
                                <td class="actions">
                                    <ConfirmButton
                                        label="Remove".to_owned()
                                        question=format!("Remove {}? Only possible when no key uses it.", p.name)
                                        confirm_label="Remove".to_owned()
                                        on_confirm=move |_| { delete.dispatch(ProvidersDelete { id }); }
                                    />
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

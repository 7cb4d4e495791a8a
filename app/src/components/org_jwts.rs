//! Settings' "Organization JWTs" card: mint a token for an application (shown once, with a
//! Copy button), list and revoke tokens, and choose whether applications may create users for
//! unknown `X-User-ID`s. Owns its resources: put it at the top level of a page's view, never
//! inside another `Suspense`/`Transition`.

use leptos::prelude::*;

use crate::api::org_jwts::{
    DEFAULT_DAYS, OrgJwtsMint, OrgJwtsRevoke, OrgJwtsSetAutoCreate, org_jwts_auto_create,
    org_jwts_list,
};
use crate::api::projects::projects_list;
use crate::components::confirm::ConfirmButton;
use crate::components::copy::SecretOnce;
use crate::components::form::{Field, FormError, last_error};
use crate::components::toast::use_toasts;
use crate::dto_admin::OrgJwtDto;
use crate::dto_insight::short_time;

fn status_badge(status: &str) -> AnyView {
    match status {
        "active" => view! { <span class="badge badge-active">"active"</span> }.into_any(),
        "expired" => view! { <span class="badge badge-warning">"expired"</span> }.into_any(),
        other => view! { <span class="badge badge-disabled">{other.to_owned()}</span> }.into_any(),
    }
}

#[component]
pub fn OrgJwts() -> impl IntoView {
    let toasts = use_toasts();
    let mint = ServerAction::<OrgJwtsMint>::new();
    let revoke = ServerAction::<OrgJwtsRevoke>::new();
    let set_auto = ServerAction::<OrgJwtsSetAutoCreate>::new();
    // Bumped only when a token was minted or revoked, so failures reload nothing.
    let changed = RwSignal::new(0_u32);
    let tokens = Resource::new(move || changed.get(), |_| org_jwts_list());
    // Reloaded after every attempt: a refused change puts the checkbox back.
    let auto_create = Resource::new(move || set_auto.version().get(), |_| org_jwts_auto_create());
    let projects = Resource::new(|| (), |_| projects_list(String::new(), "active".into()));
    let error = last_error(mint.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(created)) = mint.value().get() {
            if let Some(form) = form.get() {
                form.reset();
            }
            changed.update(|n| *n = n.wrapping_add(1));
            toasts.success(format!("JWT {} minted", created.jwt.name));
        }
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(t)) => {
            changed.update(|n| *n = n.wrapping_add(1));
            toasts.success(format!("JWT {} revoked", t.name));
        }
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    Effect::new(move |_| match set_auto.value().get() {
        Some(Ok(true)) => toasts.success("Users are now created for unknown X-User-IDs"),
        Some(Ok(false)) => toasts.success("Unknown X-User-IDs are now refused"),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    let project_error = move || error.get().and_then(|e| e.field_message("project_id"));
    view! {
        <section class="card" aria-labelledby="org-jwts-heading">
            <h2 id="org-jwts-heading">"Organization JWTs"</h2>
            <p class="muted">"An application that signs in its own users calls Keygate's /v1 endpoints with Authorization: Bearer <JWT> and X-User-ID: <its user's id>. Requests use the provider keys of the token's project and count as that user. A token is shown once; Keygate keeps only its id."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match auto_create.await {
                        Ok(enabled) => view! {
                            <div class="field-check">
                                <input type="checkbox" id="jwt-auto-create" checked=enabled
                                    aria-describedby="jwt-auto-create-hint"
                                    disabled=move || set_auto.pending().get()
                                    on:change=move |ev| {
                                        set_auto.dispatch(OrgJwtsSetAutoCreate { enabled: event_target_checked(&ev) });
                                    } />
                                <label for="jwt-auto-create">"Create users for unknown X-User-IDs"</label>
                            </div>
                            <p class="field-hint" id="jwt-auto-create-hint">"When off, a request for an X-User-ID that matches none of the organization's users is refused (403)."</p>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || mint.value().get().and_then(Result::ok).map(|created| view! {
                <SecretOnce id="new-org-jwt" region="New organization JWT"
                    label="New organization JWT (copy it now; it is not shown again)" secret=created.token />
            })}
            <ActionForm action=mint node_ref=form attr:class="form" attr:aria-label="Mint an organization JWT">
                <FormError error />
                <div class="form-inline">
                    <Field label="Application name" name="jwt_name" error />
                    <Field label="Valid for (days)" name="days" kind="number" value=DEFAULT_DAYS.to_string() error />
                    <div class="field">
                        <label for="jwt-project">"Project"</label>
                        <select id="jwt-project" name="project_id" aria-describedby="jwt-project-hint"
                            aria-invalid=move || project_error().map(|_| "true")>
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    projects.await.unwrap_or_default().into_iter().map(|p| view! {
                                        <option value=p.id.to_string()>{p.name}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                        <p class="field-hint" id="jwt-project-hint">"Its provider keys serve the application's users (after their own personal keys)."</p>
                        {move || project_error().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || mint.pending().get()>"Mint JWT"</button>
                </div>
            </ActionForm>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No organization JWTs yet."</p> }.into_any(),
                        Ok(list) => view! { <OrgJwtTable list revoke /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OrgJwtTable(list: Vec<OrgJwtDto>, revoke: ServerAction<OrgJwtsRevoke>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Organization JWTs">
                <thead><tr>
                    <th scope="col" class="num">"ID"</th><th scope="col">"Name"</th><th scope="col">"Project"</th>
                    <th scope="col">"Status"</th><th scope="col">"Expires"</th><th scope="col">"Last used"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|t| {
                        let id = t.id;
                        view! {
                            <tr>
                                <td class="num">{t.id}</td>
                                <td>{t.name.clone()}</td>
                                <td>{t.project_name.clone()}</td>
                                <td>{status_badge(&t.status)}</td>
                                <td>{short_time(&t.expires_at)}</td>
                                <td>{t.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                <td class="actions">{(t.status == "active").then(|| view! {
                                    <ConfirmButton
                                        label="Revoke".to_owned()
                                        question=format!("Revoke {}? Applications using it are refused at once.", t.name)
                                        confirm_label="Revoke".to_owned()
                                        on_confirm=move |_| { revoke.dispatch(OrgJwtsRevoke { id }); }
                                    />
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

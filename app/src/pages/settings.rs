//! Settings (admins only): the organization's name, API tokens for programs and
//! organization JWTs for applications acting for their users.

use leptos::prelude::*;

use crate::api::org::{OrgRename, org_get};
use crate::api::projects::projects_list;
use crate::api::tokens::{TokensCreate, TokensRevoke, tokens_list};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::ip_allowlist::AdminIpAllowlist;
use crate::components::layout::{PageHeader, use_me};
use crate::components::mfa_prompt::RequireMfaSetting;
use crate::components::org_jwts::OrgJwts;
use crate::components::toast::use_toasts;
use crate::dto::TokenDto;
use crate::pages::NotAllowed;

#[component]
pub fn SettingsPage() -> impl IntoView {
    if !use_me().is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let toasts = use_toasts();
    let rename = ServerAction::<OrgRename>::new();
    let org = Resource::new(move || rename.version().get(), |_| org_get());
    let error = last_error(rename.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = rename.value().get() {
            toasts.success("Organization renamed");
        }
    });
    view! {
        <PageHeader title="Settings" />
        <div class="content stack">
            <section class="card">
                <h2>"Organization"</h2>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match org.await {
                            Ok(org) => view! {
                                <ActionForm action=rename attr:class="form">
                                    <FormError error />
                                    <Field label="Organization name" name="name" value=org.name.clone() error />
                                    <p class="muted">"Created " {org.created_at.chars().take(10).collect::<String>()}</p>
                                    <div class="form-actions">
                                        <button type="submit" class="btn btn-primary">"Save"</button>
                                    </div>
                                </ActionForm>
                            }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    org.await.ok().map(|org| view! { <RequireMfaSetting initial=org.require_mfa /> })
                })}
            </Suspense>
            <AdminIpAllowlist />
            <ApiTokens />
            <OrgJwts />
        </div>
    }
    .into_any()
}

/// Tokens for programs: create (shown once), list, revoke.
#[component]
fn ApiTokens() -> impl IntoView {
    let toasts = use_toasts();
    let create = ServerAction::<TokensCreate>::new();
    let revoke = ServerAction::<TokensRevoke>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| tokens_list(),
    );
    let projects = Resource::new(|| (), |_| projects_list(String::new(), "active".into()));
    let error = last_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get()
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(t)) => toasts.success(format!("Token {} revoked", t.name)),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <section class="card">
            <h2>"API tokens"</h2>
            <p class="muted">"Admin tokens (kg_admin_…) call the REST API as you: send them as Authorization: Bearer. Service tokens (kg_svc_…) are for the credential broker. A token is shown once; Keygate keeps only its hash."</p>
            {move || create.value().get().and_then(Result::ok).map(|created| view! {
                <div class="new-token" role="region" aria-label="New token">
                    <label for="new-token-value">"New token (copy it now; it is not shown again)"</label>
                    <input id="new-token-value" class="mono" readonly=true value=created.secret />
                </div>
            })}
            <ActionForm action=create node_ref=form attr:class="form">
                <FormError error />
                <div class="form-inline">
                    <Field label="Token name" name="token_name" error />
                    <div class="field">
                        <label for="token-kind">"Kind"</label>
                        <select id="token-kind" name="kind">
                            <option value="admin">"Admin API"</option>
                            <option value="service">"Service (credential broker)"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="token-scope">"Scope (admin tokens)"</label>
                        <select id="token-scope" name="scope">
                            <option value="admin">"Admin: everything"</option>
                            <option value="keys">"Keys: read, manage provider and Keygate keys"</option>
                            <option value="read_only">"Read-only"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="token-expires">"Expires"</label>
                        <select id="token-expires" name="expires_in">
                            <option value="never">"Never"</option>
                            <option value="7d">"In 7 days"</option>
                            <option value="30d">"In 30 days"</option>
                            <option value="90d">"In 90 days"</option>
                            <option value="365d">"In a year"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="token-project">"Project (service tokens)"</label>
                        <select id="token-project" name="project_id">
                            <option value="">"None"</option>
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    projects.await.unwrap_or_default().into_iter().map(|p| view! {
                                        <option value=p.id.to_string()>{p.name}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </ActionForm>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! { <TokenTable list revoke /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenTable(list: Vec<TokenDto>, revoke: ServerAction<TokensRevoke>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Kind"</th><th scope="col">"Scope"</th><th scope="col">"Token"</th>
                    <th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"Status"</th>
                    <th scope="col" class="actions"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|t| {
                        let id = t.id;
                        view! {
                            <tr>
                                <td>{t.name.clone()}</td>
                                <td>{t.kind.clone()}</td>
                                <td>{if t.kind == "admin" { t.scope.replace('_', "-") } else { "broker".to_owned() }}</td>
                                <td><code class="masked">{t.hint.clone()}</code></td>
                                <td>{t.last_used_at.clone().map(|at| at.chars().take(16).collect::<String>().replace('T', " ")).unwrap_or_else(|| "never".into())}</td>
                                <td>{t.expires_at.clone().map(|at| at.chars().take(16).collect::<String>().replace('T', " ")).unwrap_or_else(|| "never".into())}</td>
                                <td>{if t.revoked {
                                    view! { <span class="badge badge-disabled">"revoked"</span> }.into_any()
                                } else {
                                    view! { <span class="badge badge-active">"active"</span> }.into_any()
                                }}</td>
                                <td class="actions">{(!t.revoked).then(|| view! {
                                    <ConfirmButton
                                        label="Revoke".to_owned()
                                        question=format!("Revoke {}? Programs using it stop working at once.", t.name)
                                        confirm_label="Revoke".to_owned()
                                        on_confirm=move |_| { revoke.dispatch(TokensRevoke { id }); }
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

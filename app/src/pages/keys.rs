//! "My keys" for every user (seed 003) and "Organization keys" for admins (seed 004).

use leptos::prelude::*;

use crate::api::keys::{KeysCreate, keys_fallbacks};
use crate::api::projects::projects_list;
use crate::api::providers::{ProvidersCreate, ProvidersDelete, providers_list};
use crate::components::keys::{KeyForm, KeyList};
use crate::components::layout::{PageHeader, use_me};
use crate::components::providers::CustomProviders;
use crate::components::rotation::{DeliveriesCard, OwnKeygateKeys};
use crate::dto::provider_name;
use crate::pages::NotAllowed;

/// Bumps `refresh` whenever the add form succeeds, so the list reloads.
fn refresh_on_create(create: ServerAction<KeysCreate>) -> RwSignal<u32> {
    let refresh = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    refresh
}

/// Keys the operator configured in the environment, used only when neither the user nor the
/// project has a key for that provider. Shown (masked) so nobody wonders where requests go.
#[component]
fn EnvironmentKeys() -> impl IntoView {
    let fallbacks = Resource::new(|| (), |_| keys_fallbacks());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let list = fallbacks.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="card">
                        <h2>"From environment"</h2>
                        <p class="muted">"Used only when neither you nor the project has a key for the provider."</p>
                        <ul class="plain-list">
                            {list.into_iter().map(|(provider, masked)| view! {
                                <li>{provider_name(&provider).to_owned()}" "<code class="masked">{masked}</code>" "<span class="badge badge-member">"from environment"</span></li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn MyKeysPage() -> impl IntoView {
    let create = ServerAction::<KeysCreate>::new();
    let refresh = refresh_on_create(create);
    let providers = Resource::new(|| (), |_| providers_list());
    view! {
        <PageHeader title="My keys" />
        <div class="content stack">
            <DeliveriesCard />
            <section class="card">
                <p class="muted">"Your own provider keys. Programs and the proxy use them for your requests before any project key. Only you can reveal them, after re-entering your password."</p>
                <KeyList view_name="mine" refresh />
            </section>
            <OwnKeygateKeys />
            <EnvironmentKeys />
            <section class="card">
                <h2>"Add a personal key"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let custom = providers.await.unwrap_or_default();
                        view! { <KeyForm create projects=Vec::new() custom /> }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
pub fn OrgKeysPage() -> impl IntoView {
    if !use_me().is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let create = ServerAction::<KeysCreate>::new();
    let refresh = refresh_on_create(create);
    let projects = Resource::new(|| (), |_| projects_list(String::new(), "all".into()));
    let add_provider = ServerAction::<ProvidersCreate>::new();
    let remove_provider = ServerAction::<ProvidersDelete>::new();
    let providers = Resource::new(
        move || {
            (
                add_provider.version().get(),
                remove_provider.version().get(),
            )
        },
        |_| providers_list(),
    );
    view! {
        <PageHeader title="Organization keys" />
        <div class="content stack">
            <section class="card">
                <p class="muted">"Every provider key of the organization: project keys shared by a project's programs, and members' personal keys (masked; only their owner can reveal them)."</p>
                <KeyList view_name="org" refresh />
            </section>
            <EnvironmentKeys />
            <section class="card">
                <h2>"Add a project key"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading projects…"</p> }>
                    {move || Suspend::new(async move {
                        let custom = providers.await.unwrap_or_default();
                        match projects.await {
                            Ok(projects) => {
                                let active: Vec<_> = projects.into_iter().filter(|p| p.active).collect();
                                if active.is_empty() {
                                    view! { <p class="muted">"Create an active project first; keys belong to a project."</p> }.into_any()
                                } else {
                                    view! { <KeyForm create projects=active custom /> }.into_any()
                                }
                            }
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card">
                <h2>"Custom providers"</h2>
                <p class="muted">"Providers beyond the built-in ones: an OpenAI-compatible endpoint and how it takes the key. Keys for them name the provider by its slug."</p>
                <CustomProviders create=add_provider delete=remove_provider />
            </section>
        </div>
    }
    .into_any()
}

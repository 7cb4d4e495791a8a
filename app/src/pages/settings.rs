use leptos::prelude::*;

use crate::api::org::{OrgRename, org_get};
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
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
        </div>
    }
    .into_any()
}

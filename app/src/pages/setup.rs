use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{Setup, setup_status};
use crate::components::form::{Field, FormError, last_error};

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let status = Resource::new(token, setup_status);
    let setup = ServerAction::<Setup>::new();
    let error = last_error(setup.value());
    view! {
        <Title text="Set up Keygate" />
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand"><span class="brand-mark" aria-hidden="true"></span>"Keygate"</div>
                <h1>"Set up Keygate"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Checking the setup link…"</p> }>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(true) => view! {
                                <p class="muted">"Create your organization and its owner account."</p>
                                <ActionForm action=setup attr:class="form">
                                    <input type="hidden" name="token" value=token() />
                                    <FormError error />
                                    <Field label="Organization name" name="org_name" autocomplete="organization" error />
                                    <Field label="Your name" name="display_name" autocomplete="name" error />
                                    <Field label="Email" name="email" kind="email" autocomplete="username" error />
                                    <Field label="Password" name="password" kind="password" autocomplete="new-password"
                                        hint="At least 12 characters." minlength=12 error />
                                    <Field label="Confirm password" name="password_confirm" kind="password"
                                        autocomplete="new-password" error />
                                    <div class="form-actions">
                                        <button type="submit" class="btn btn-primary" disabled=move || setup.pending().get()>
                                            "Create organization"
                                        </button>
                                    </div>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <p class="form-error" role="alert">"This setup link is invalid or has already been used."</p>
                                <p><a href="/login">"Go to sign in"</a></p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

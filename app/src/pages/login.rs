use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::Login;
use crate::components::form::{Field, FormError, last_error};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = last_error(login.value());
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand"><span class="brand-mark" aria-hidden="true"></span>"Keygate"</div>
                <h1>"Sign in"</h1>
                <ActionForm action=login attr:class="form">
                    <FormError error />
                    <Field label="Email" name="email" kind="email" autocomplete="username" error />
                    <Field label="Password" name="password" kind="password" autocomplete="current-password" error />
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || login.pending().get()>
                            "Sign in"
                        </button>
                    </div>
                </ActionForm>
            </div>
        </main>
    }
}

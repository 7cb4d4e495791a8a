use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::Login;
use crate::api::mfa::LoginMfa;
use crate::components::form::{Field, FormError, last_error};
use crate::error::AppError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let second = ServerAction::<LoginMfa>::new();
    let error = last_error(login.value());
    // The password was right and the account uses two-factor authentication: ask for a code.
    // The server remembers the pending sign-in; the password is not sent again.
    let needs_code = move || matches!(login.value().get(), Some(Err(AppError::MfaRequired)));
    let password_form = move || {
        view! {
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
        }
    };
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand"><span class="brand-mark" aria-hidden="true"></span>"Keygate"</div>
                <h1>"Sign in"</h1>
                <Show when=needs_code fallback=password_form>
                    <CodeStep login second />
                </Show>
            </div>
        </main>
    }
}

/// The second step: a code from the authenticator app, or a recovery code.
#[component]
fn CodeStep(login: ServerAction<Login>, second: ServerAction<LoginMfa>) -> impl IntoView {
    let error = last_error(second.value());
    view! {
        <ActionForm action=second attr:class="form">
            <p class="muted">"Two-factor authentication is on for this account."</p>
            <FormError error />
            <Field label="Authentication code" name="code" autocomplete="one-time-code"
                hint="The 6-digit code from your authenticator app, or one of your recovery codes."
                error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || second.pending().get()>
                    "Verify"
                </button>
                <button type="button" class="btn" on:click=move |_| { login.clear(); second.clear(); }>
                    "Start over"
                </button>
            </div>
        </ActionForm>
    }
}

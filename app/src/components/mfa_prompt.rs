//! Re-verification before sensitive actions: when the server answers `ReverifyRequired`, a
//! small dialog asks for a current code, proves it for the session (`mfa_verify`), then
//! retries the action. Also the Settings switch "Require two-factor authentication".

use leptos::html::{Dialog, Form};
use leptos::prelude::*;

use crate::api::mfa::{MfaVerify, OrgSetRequireMfa};
use crate::components::form::{FormError, last_error};
use crate::components::toast::use_toasts;
use crate::error::AppError;

/// A pending request for a code: the action to retry once the code is verified.
#[derive(Clone, Copy)]
pub struct MfaPrompt {
    retry: RwSignal<Option<Callback<()>>>,
}

impl Default for MfaPrompt {
    fn default() -> Self {
        Self::new()
    }
}

impl MfaPrompt {
    pub fn new() -> Self {
        Self {
            retry: RwSignal::new(None),
        }
    }

    /// Opens the dialog; `retry` runs after a code was verified.
    pub fn ask(&self, retry: impl Fn() + Send + Sync + 'static) {
        self.retry.set(Some(Callback::new(move |()| retry())));
    }

    /// Asks (and answers true) when `err` says a fresh code is needed.
    pub fn handles(&self, err: &AppError, retry: impl Fn() + Send + Sync + 'static) -> bool {
        let needed = matches!(err, AppError::ReverifyRequired);
        if needed {
            self.ask(retry);
        }
        needed
    }
}

/// The dialog of one [`MfaPrompt`]; `id` makes its input's id unique on the page.
#[component]
pub fn MfaPromptDialog(prompt: MfaPrompt, #[prop(into)] id: String) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let form = NodeRef::<Form>::new();
    let verify = ServerAction::<MfaVerify>::new();
    let error = last_error(verify.value());
    let close = move || {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
    };
    Effect::new(move |_| {
        if prompt.retry.get().is_some()
            && let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            verify.clear();
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            let _ = dialog.show_modal();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = verify.value().get() {
            let retry = prompt.retry.get_untracked();
            prompt.retry.set(None);
            close();
            if let Some(retry) = retry {
                retry.run(());
            }
        }
    });
    let input_id = format!("{id}-code");
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    let label_for = input_id.clone();
    view! {
        <dialog class="confirm-dialog" node_ref=dialog aria-labelledby=labelled_by
            on:close=move |_| prompt.retry.set(None)>
            <h2 id=title_id>"Confirm it is you"</h2>
            <ActionForm action=verify node_ref=form attr:class="form">
                <FormError error />
                <div class="field">
                    <label for=label_for>"Code from your authenticator app"</label>
                    <input id=input_id name="code" type="text" inputmode="numeric"
                        autocomplete="one-time-code" required=true />
                </div>
                <div class="dialog-actions">
                    <button type="button" class="btn" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || verify.pending().get()>
                        "Verify"
                    </button>
                </div>
            </ActionForm>
        </dialog>
    }
}

/// Settings: the organization's "Require two-factor authentication" switch (admins).
#[component]
pub fn RequireMfaSetting(#[prop(into)] initial: bool) -> impl IntoView {
    let toasts = use_toasts();
    let set = ServerAction::<OrgSetRequireMfa>::new();
    let required = RwSignal::new(initial);
    let error = last_error(set.value());
    Effect::new(move |_| {
        if let Some(Ok(org)) = set.value().get() {
            required.set(org.require_mfa);
            toasts.success(if org.require_mfa {
                "Two-factor authentication is now required"
            } else {
                "Two-factor authentication is no longer required"
            });
        }
    });
    view! {
        <section class="card" aria-labelledby="require-mfa-heading">
            <h2 id="require-mfa-heading">"Two-factor authentication"</h2>
            <p class="muted">"When required, members without two-factor authentication must set it up the next time they use Keygate. Admin API tokens and Keygate keys are not affected."</p>
            <FormError error />
            <p>
                {move || if required.get() {
                    view! { <span class="badge badge-active">"Required"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-disabled">"Optional"</span> }.into_any()
                }}
            </p>
            <div class="form-actions">
                <button type="button" class="btn" disabled=move || set.pending().get()
                    on:click=move |_| { set.dispatch(OrgSetRequireMfa { required: !required.get_untracked() }); }>
                    {move || if required.get() {
                        "Stop requiring two-factor authentication"
                    } else {
                        "Require two-factor authentication"
                    }}
                </button>
            </div>
        </section>
    }
}

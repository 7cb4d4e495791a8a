use leptos::prelude::*;

use crate::api::account::{ChangePassword, SignOutEverywhere};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::mfa::TwoFactorCard;
use crate::components::toast::use_toasts;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = use_me();
    let toasts = use_toasts();
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let error = last_error(change.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            toasts.success("Password changed");
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <PageHeader title="Account" />
        <div class="content stack">
            <section class="card">
                <h2>"Profile"</h2>
                <p>{me.display_name.clone()}" · "{me.email.clone()}</p>
                <p class="muted">{me.org_name.clone()}" · "{me.role.as_str()}</p>
            </section>
            <TwoFactorCard />
            <section class="card">
                <h2>"Change password"</h2>
                <p class="muted">"Changing your password signs you out of every other browser and device."</p>
                <ActionForm action=change node_ref=form attr:class="form">
                    <FormError error />
                    <Field label="Current password" name="current_password" kind="password"
                        autocomplete="current-password" error />
                    <Field label="New password" name="new_password" kind="password" autocomplete="new-password"
                        hint="At least 12 characters." minlength=12 error />
                    <Field label="Confirm new password" name="confirm_password" kind="password"
                        autocomplete="new-password" error />
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || change.pending().get()>
                            "Change password"
                        </button>
                    </div>
                </ActionForm>
            </section>
            <section class="card">
                <h2>"Sessions"</h2>
                <p class="muted">"Sign out of Keygate on every browser and device, including this one."</p>
                <ConfirmButton
                    label="Sign out everywhere".to_owned()
                    question="Sign out of every session, including this one?".to_owned()
                    confirm_label="Sign out everywhere".to_owned()
                    class="btn btn-danger"
                    on_confirm=move |_| { everywhere.dispatch(SignOutEverywhere {}); }
                />
            </section>
        </div>
    }
}

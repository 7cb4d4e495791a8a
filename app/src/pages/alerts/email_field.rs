//! The rule form's "Email to" field: addresses separated by commas or new lines, with a
//! warning when the server has no SMTP configured (the rule is kept; its e-mails fail with
//! that reason in the log).

use leptos::prelude::*;

use crate::api::alerts::alerts_email_ready;
use crate::error::AppError;

#[component]
pub(super) fn EmailToField(
    value: RwSignal<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let ready = Resource::new(|| (), |_| alerts_email_ready());
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message("email_to")));
    view! {
        <div class="field field-wide">
            <label for="field-email_to">"Email to"</label>
            <textarea id="field-email_to" name="email_to" rows="2" autocomplete="off"
                placeholder="ops@example.com, oncall@example.com"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().map(|_| "true")
                aria-describedby="field-email_to-hint"></textarea>
            <p class="field-hint" id="field-email_to-hint">
                "Addresses separated by commas or new lines; at most 20. "
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(ready.await, Ok(false)).then(|| view! {
                            <strong>"SMTP not configured: set KEYGATE_SMTP_URL and KEYGATE_SMTP_FROM, or no e-mail is sent."</strong>
                        })
                    })}
                </Transition>
            </p>
            {move || message.get().map(|m| view! { <p class="field-error" id="field-email_to-error">{m}</p> })}
        </div>
    }
}

//! The labelled inputs the alert forms share: each bound to a signal, with its
//! server-side error under it.

use leptos::prelude::*;

use crate::error::AppError;

/// A text input bound to `value`, with its server-side error under it.
#[component]
pub(super) fn AlertInput(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "numeric")] inputmode: &'static str,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="text" name=name inputmode=inputmode autocomplete="off"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().map(|_| "true")
                aria-describedby=hint.map(|_| hint_id.clone()) />
            {hint.map(|h| view! { <p class="field-hint" id=format!("field-{name}-hint")>{h}</p> })}
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// A select bound to `value` over fixed choices.
#[component]
pub(super) fn AlertSelect(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    choices: &'static [(&'static str, &'static str)],
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name
                on:change=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message.get().map(|_| "true")>
                {choices.iter().map(|(v, text)| view! {
                    <option value=*v prop:selected=move || value.get() == *v>{*text}</option>
                }).collect_view()}
            </select>
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

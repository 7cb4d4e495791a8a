//! Copying a secret shown once (a Keygate key, an organization JWT) to the clipboard, and
//! the read-only field with a Copy button that shows it. The secret lives only in the page's
//! memory: reloading never shows it again.

use leptos::prelude::*;

/// Copies `text` with the browser's clipboard API and reports the outcome in `status`.
/// Returns false when the API is missing (pages served over plain HTTP from another host).
pub fn copy_to_clipboard(text: &str, status: RwSignal<Option<&'static str>>) -> bool {
    use web_sys::js_sys::Reflect;
    use web_sys::wasm_bindgen::JsValue;
    use web_sys::wasm_bindgen::closure::Closure;
    let navigator = window().navigator();
    let available = Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|clipboard| !clipboard.is_undefined() && !clipboard.is_null());
    if !available {
        return false;
    }
    let copied: Closure<dyn FnMut(JsValue)> =
        Closure::new(move |_: JsValue| status.set(Some("Copied to the clipboard.")));
    let refused: Closure<dyn FnMut(JsValue)> = Closure::new(move |_: JsValue| {
        status.set(Some(
            "The browser did not allow copying: select the text and copy it yourself.",
        ))
    });
    let _ = navigator
        .clipboard()
        .write_text(text)
        .then2(&copied, &refused);
    // Each lives until the promise settles; one small leak per click.
    copied.forget();
    refused.forget();
    true
}

/// A secret shown once, in a read-only field with a Copy button.
#[component]
pub fn SecretOnce(
    /// The input's id.
    id: &'static str,
    /// The region's accessible name, e.g. "New organization JWT".
    region: &'static str,
    /// The field's label.
    label: &'static str,
    secret: String,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let status = RwSignal::new(None::<&'static str>);
    let select_all = move || {
        if let Some(input) = input.get() {
            input.select();
        }
    };
    let to_copy = secret.clone();
    view! {
        <div class="new-token" role="region" aria-label=region>
            <label for=id>{label}</label>
            <div class="copy-field">
                <input id=id class="mono" readonly=true value=secret
                    spellcheck="false" autocomplete="off" node_ref=input
                    on:focus=move |_| select_all() />
                <button type="button" class="btn" on:click=move |_| {
                    select_all();
                    if !copy_to_clipboard(&to_copy, status) {
                        status.set(Some("Press Ctrl+C (⌘C) to copy the selected text."));
                    }
                }>"Copy"</button>
            </div>
            <p class="muted small" aria-live="polite">{move || status.get()}</p>
        </div>
    }
}

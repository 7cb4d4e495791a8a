//! A button that asks before doing something hard to undo.

use leptos::html::Dialog;
use leptos::prelude::*;

/// Renders `label` as a button; clicking opens a modal dialog asking `question`, and
/// `on_confirm` runs only when the user confirms.
#[component]
pub fn ConfirmButton(
    label: String,
    question: String,
    confirm_label: String,
    #[prop(default = "btn btn-sm")] class: &'static str,
    #[prop(into)] on_confirm: Callback<()>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let open = move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close = move || {
        if let Some(dialog) = dialog.get() {
            dialog.close();
        }
    };
    view! {
        <button type="button" class=class on:click=open>{label}</button>
        <dialog class="confirm-dialog" node_ref=dialog>
            <p>{question}</p>
            <div class="dialog-actions">
                <button type="button" class="btn" on:click=move |_| close()>"Cancel"</button>
                <button
                    type="button"
                    class="btn btn-danger"
                    on:click=move |_| {
                        close();
                        on_confirm.run(());
                    }
                >{confirm_label}</button>
            </div>
        </dialog>
    }
}

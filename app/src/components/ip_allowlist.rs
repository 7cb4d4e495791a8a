//! The Settings card for the admin console's IP allowlist.

use leptos::prelude::*;

use crate::api::access::{AdminIpAllowlistSet, admin_ip_allowlist_get};
use crate::components::form::{FormError, last_error};
use crate::components::toast::use_toasts;

/// Edit the networks the admin console may be used from; shows the admin's own address so
/// they can see a list would let them back in (the server refuses one that would not).
#[component]
pub fn AdminIpAllowlist() -> impl IntoView {
    let toasts = use_toasts();
    let save = ServerAction::<AdminIpAllowlistSet>::new();
    let current = Resource::new(move || save.version().get(), |_| admin_ip_allowlist_get());
    let error = last_error(save.value());
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message("allowed_ips")));
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            toasts.success(if saved.allowed_ips.is_empty() {
                "Admin console open to every address".to_owned()
            } else {
                format!(
                    "Admin console limited to {} network(s)",
                    saved.allowed_ips.len()
                )
            });
        }
    });
    view! {
        <section class="card" aria-labelledby="ip-allowlist-title">
            <h2 id="ip-allowlist-title">"Admin console IP allowlist"</h2>
            <p class="muted">"Admin pages and the admin REST API answer only requests from these addresses or CIDR blocks. Leave empty to allow every address. Keygate keys have their own allowlists. Locked out after an address change? Run " <code>"keygate org admin-ips --org ID --clear"</code> " on the server."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(list) => view! {
                            <ActionForm action=save attr:class="form">
                                <FormError error />
                                <p id="your-ip">"Your address: " <code>{list.your_ip.clone().unwrap_or_else(|| "unknown".into())}</code></p>
                                <div class="field">
                                    <label for="field-allowed_ips">"Allowed addresses (one per line)"</label>
                                    <textarea
                                        id="field-allowed_ips"
                                        name="allowed_ips"
                                        rows="4"
                                        placeholder="203.0.113.0/24\n2001:db8::/32"
                                        aria-invalid=move || message.get().map(|_| "true")
                                        aria-describedby=move || message.get().map(|_| "field-allowed_ips-error")
                                    >{list.allowed_ips.join("\n")}</textarea>
                                    {move || message.get().map(|m| view! { <p class="field-error" id="field-allowed_ips-error">{m}</p> })}
                                </div>
                                <div class="form-actions">
                                    <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>"Save allowlist"</button>
                                </div>
                            </ActionForm>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Edit one Keygate key's IP allowlist (in the key table's detail row).
#[component]
pub fn KeyIpAllowlistForm(
    key_id: i32,
    current: Vec<String>,
    action: ServerAction<crate::api::virtual_keys::VirtualKeysSetAllowedIps>,
) -> impl IntoView {
    let toasts = use_toasts();
    let error = last_error(action.value());
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message("allowed_ips")));
    Effect::new(move |_| {
        if let Some(Ok(key)) = action.value().get()
            && key.id == key_id
        {
            toasts.success(format!("IP allowlist of {} saved", key.name));
        }
    });
    let field_id = format!("key-{key_id}-allowed-ips");
    let error_id = format!("{field_id}-error");
    view! {
        <ActionForm action attr:class="form">
            <input type="hidden" name="id" value=key_id.to_string() />
            <FormError error />
            <div class="field">
                <label for=field_id.clone()>"Allowed IPs (one per line; empty allows every address)"</label>
                <textarea id=field_id name="allowed_ips" rows="3"
                    aria-invalid=move || message.get().map(|_| "true")>{current.join("\n")}</textarea>
                {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-sm btn-primary" disabled=move || action.pending().get()>"Save IP allowlist"</button>
            </div>
        </ActionForm>
    }
}

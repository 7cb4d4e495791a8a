//! The account page's "Two-factor authentication" card: enable (QR code and the secret for
//! typing in, then a first code), the recovery codes shown once, new recovery codes, and
//! turning it off.

use leptos::prelude::*;

use crate::api::mfa::{MfaBegin, MfaConfirm, MfaDisable, MfaRecoveryCodes, mfa_status};
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::use_me;
use crate::components::toast::use_toasts;
use crate::dto_mfa::{MfaEnrolmentDto, MfaStatusDto, RecoveryCodesDto};

#[component]
pub fn TwoFactorCard() -> impl IntoView {
    let setup_required = use_me().mfa_setup_required;
    let toasts = use_toasts();
    let begin = ServerAction::<MfaBegin>::new();
    let confirm = ServerAction::<MfaConfirm>::new();
    let disable = ServerAction::<MfaDisable>::new();
    let regenerate = ServerAction::<MfaRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                disable.version().get(),
                regenerate.version().get(),
            )
        },
        |_| mfa_status(),
    );
    // Recovery codes just issued (at enrolment or on request): shown until dismissed.
    let codes = RwSignal::new(None::<RecoveryCodesDto>);
    Effect::new(move |_| {
        if let Some(Ok(issued)) = confirm.value().get() {
            codes.set(Some(issued));
            toasts.success("Two-factor authentication is on");
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(issued)) = regenerate.value().get() {
            codes.set(Some(issued));
            toasts.success("New recovery codes issued");
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = disable.value().get() {
            begin.clear();
            confirm.clear();
            toasts.success("Two-factor authentication is off");
        }
    });
    view! {
        <section class="card" aria-labelledby="mfa-heading">
            <h2 id="mfa-heading">"Two-factor authentication"</h2>
            {setup_required.then(|| view! {
                <p class="notice" role="alert">
                    "Your organization requires two-factor authentication. Set it up to continue using Keygate."
                </p>
            })}
            {move || codes.get().map(|issued| view! { <RecoveryCodes issued codes setup_required /> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) if status.enabled => {
                            view! { <Enabled status disable regenerate /> }.into_any()
                        }
                        Ok(_) => view! { <Enrol begin confirm /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Not enabled: the button, then the QR code and the confirmation form.
#[component]
fn Enrol(begin: ServerAction<MfaBegin>, confirm: ServerAction<MfaConfirm>) -> impl IntoView {
    let begin_error = last_error(begin.value());
    let confirm_error = last_error(confirm.value());
    let enrolment = move || begin.value().get().and_then(Result::ok);
    view! {
        <FormError error=begin_error />
        {move || match enrolment() {
            None => view! {
                <p class="muted">"Sign in with a code from an authenticator app (such as 1Password, Google Authenticator or Authy) in addition to your password."</p>
                <div class="form-actions">
                    <button type="button" class="btn btn-primary" disabled=move || begin.pending().get()
                        on:click=move |_| { begin.dispatch(MfaBegin {}); }>
                        "Enable two-factor authentication"
                    </button>
                </div>
            }.into_any(),
            Some(enrolment) => view! {
                <Provisioning enrolment />
                <ActionForm action=confirm attr:class="form">
                    <FormError error=confirm_error />
                    <Field label="Code from the app" name="code" autocomplete="one-time-code"
                        hint="Enter the 6-digit code the app shows for Keygate." error=confirm_error />
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || confirm.pending().get()>
                            "Turn on"
                        </button>
                        <button type="button" class="btn" on:click=move |_| { begin.clear(); confirm.clear(); }>
                            "Cancel"
                        </button>
                    </div>
                </ActionForm>
            }.into_any(),
        }}
    }
}

/// The QR code and the same secret as text.
#[component]
fn Provisioning(enrolment: MfaEnrolmentDto) -> impl IntoView {
    view! {
        <p>"Scan this QR code with your authenticator app:"</p>
        <img class="mfa-qr" src=enrolment.qr_data_url alt="QR code to add Keygate to an authenticator app" />
        <p class="muted">"Can’t scan it? Add an account by hand with this key (time-based, 6 digits):"</p>
        <p><code id="mfa-secret" class="mfa-secret" aria-label="Two-factor secret key">{enrolment.secret}</code></p>
    }
}

/// Enabled: status, new recovery codes, turn off.
#[component]
fn Enabled(
    status: MfaStatusDto,
    disable: ServerAction<MfaDisable>,
    regenerate: ServerAction<MfaRecoveryCodes>,
) -> impl IntoView {
    let since = status
        .enabled_at
        .as_deref()
        .map(|at| at.chars().take(10).collect::<String>())
        .unwrap_or_default();
    let left = status.recovery_codes_left;
    let regenerate_error = last_error(regenerate.value());
    let disable_error = last_error(disable.value());
    view! {
        <div class="stack">
            <p><span class="badge badge-active">"On"</span>" since "{since}". "
                {format!("{left} recovery code{} left.", if left == 1 { "" } else { "s" })}</p>
            <h3>"Recovery codes"</h3>
            <p class="muted">"New codes replace the old ones. Enter a current code from your app."</p>
            <ActionForm action=regenerate attr:class="form-inline mfa-form">
                <Field label="Authenticator code" name="code" autocomplete="one-time-code" error=regenerate_error />
                <div class="form-actions">
                    <button type="submit" class="btn" disabled=move || regenerate.pending().get()>"New recovery codes"</button>
                </div>
            </ActionForm>
            <FormError error=regenerate_error />
            {if status.org_requires {
                view! { <p class="muted">"Your organization requires two-factor authentication, so it cannot be turned off."</p> }.into_any()
            } else {
                view! {
                    <h3>"Turn off"</h3>
                    <ActionForm action=disable attr:class="form-inline mfa-form">
                        <Field label="Current code or password" name="credential" kind="password"
                            autocomplete="off" error=disable_error />
                        <div class="form-actions">
                            <button type="submit" class="btn btn-danger-outline" disabled=move || disable.pending().get()>
                                "Turn off two-factor authentication"
                            </button>
                        </div>
                    </ActionForm>
                    <FormError error=disable_error />
                }.into_any()
            }}
        </div>
    }
}

/// Recovery codes, shown once.
#[component]
fn RecoveryCodes(
    issued: RecoveryCodesDto,
    codes: RwSignal<Option<RecoveryCodesDto>>,
    setup_required: bool,
) -> impl IntoView {
    view! {
        <div class="recovery-panel" role="region" aria-label="Recovery codes">
            <p><strong>"Save these recovery codes now."</strong>" Each works once, in place of a code from your app, if you lose your device. They are not shown again."</p>
            <ul class="recovery-codes">
                {issued.0.into_iter().map(|code| view! { <li class="mono">{code}</li> }).collect_view()}
            </ul>
            <div class="form-actions">
                {if setup_required {
                    // A full page load, so the app shell learns the requirement is met.
                    view! { <a class="btn btn-primary" href="/" rel="external">"I saved them — continue to Keygate"</a> }.into_any()
                } else {
                    view! { <button type="button" class="btn" on:click=move |_| codes.set(None)>"I saved them"</button> }.into_any()
                }}
            </div>
        </div>
    }
}

use leptos::prelude::*;

use crate::api::users::{UsersCreate, UsersSetDisabled, UsersSetRole, users_list};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::mfa_prompt::{MfaPrompt, MfaPromptDialog};
use crate::components::toast::use_toasts;
use crate::dto::{RoleDto, UserDto};
use crate::pages::NotAllowed;

#[component]
pub fn UsersPage() -> impl IntoView {
    let me = use_me();
    if !me.is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let toasts = use_toasts();
    let create = ServerAction::<UsersCreate>::new();
    let set_role = ServerAction::<UsersSetRole>::new();
    let set_disabled = ServerAction::<UsersSetDisabled>::new();
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
            )
        },
        |_| users_list(),
    );
    let create_error = last_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            toasts.success("User created");
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    // A role change needs a recent second factor from admins who use one: keep the request,
    // ask for a code, then send it again.
    let prompt = MfaPrompt::new();
    let last_role_change = StoredValue::new(None::<UsersSetRole>);
    Effect::new(move |_| {
        if let Some(input) = set_role.input().get() {
            last_role_change.set_value(Some(input));
        }
    });
    Effect::new(move |_| match set_role.value().get() {
        Some(Ok(user)) => toasts.success(format!("{} is now {}", user.email, user.role.as_str())),
        Some(Err(err)) => {
            let retry = move || {
                if let Some(input) = last_role_change.get_value() {
                    set_role.dispatch(input);
                }
            };
            if !prompt.handles(&err, retry) {
                toasts.error(err.to_string());
            }
        }
        None => {}
    });
    Effect::new(move |_| match set_disabled.value().get() {
        Some(Ok(user)) if user.disabled => toasts.success(format!("{} disabled", user.email)),
        Some(Ok(user)) => toasts.success(format!("{} enabled", user.email)),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    let my_id = me.id;
    view! {
        <PageHeader title="Users" />
        <MfaPromptDialog prompt id="role-mfa" />
        <div class="content stack">
            <section class="card">
                <h2>"Members of " {me.org_name.clone()}</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                    {move || Suspend::new(async move {
                        match users.await {
                            Ok(list) => view! { <UserTable list my_id set_role set_disabled /> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card">
                <h2>"Add user"</h2>
                <ActionForm action=create node_ref=form attr:class="form">
                    <FormError error=create_error />
                    <div class="form-inline">
                        <Field label="Name" name="display_name" autocomplete="off" error=create_error />
                        <Field label="Email" name="email" kind="email" autocomplete="off" error=create_error />
                        <div class="field">
                            <label for="field-role">"Role"</label>
                            <select id="field-role" name="role">
                                {RoleDto::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                            </select>
                        </div>
                        <Field label="Initial password" name="password" kind="password" autocomplete="new-password"
                            hint="At least 12 characters; share it privately." minlength=12 error=create_error />
                        <Field label="External ID" name="external_id" optional=true
                            hint="Optional: the X-User-ID your applications send for this person." error=create_error />
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Add user"</button>
                    </div>
                </ActionForm>
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn UserTable(
    list: Vec<UserDto>,
    my_id: i32,
    set_role: ServerAction<UsersSetRole>,
    set_disabled: ServerAction<UsersSetDisabled>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <div class="empty-state"><h2>"No users"</h2><p class="muted">"Add people below."</p></div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"External ID"</th><th scope="col">"Role"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|user| view! { <UserRow user my_id set_role set_disabled /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn UserRow(
    user: UserDto,
    my_id: i32,
    set_role: ServerAction<UsersSetRole>,
    set_disabled: ServerAction<UsersSetDisabled>,
) -> impl IntoView {
    let is_me = user.id == my_id;
    let user_id = user.id;
    let role = user.role;
    let email = user.email.clone();
    let toggle_label = if user.disabled { "Enable" } else { "Disable" };
    let question = if user.disabled {
        format!("Enable {}? They will be able to sign in again.", user.email)
    } else {
        format!(
            "Disable {}? They are signed out at once and cannot sign in.",
            user.email
        )
    };
    let disable = !user.disabled;
    view! {
        <tr>
            <td>{user.display_name.clone()}{is_me.then(|| view! { <span class="muted">" (you)"</span> })}</td>
            <td>{user.email.clone()}</td>
            <td class="mono">{user.external_id.clone().unwrap_or_default()}</td>
            <td><span class=format!("badge badge-{}", role.as_str())>{role.as_str()}</span></td>
            <td>{if user.disabled {
                view! { <span class="badge badge-disabled">"disabled"</span> }
            } else {
                view! { <span class="badge badge-active">"active"</span> }
            }}</td>
            <td class="actions">
                {(!is_me).then(|| view! {
                    <select
                        aria-label=format!("Role for {email}")
                        on:change=move |ev| {
                            set_role.dispatch(UsersSetRole { user_id, role: event_target_value(&ev) });
                        }
                    >
                        {RoleDto::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == role>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <ConfirmButton
                        label=toggle_label.to_owned()
                        question
                        confirm_label=toggle_label.to_owned()
                        on_confirm=move |_| { set_disabled.dispatch(UsersSetDisabled { user_id, disabled: disable }); }
                    />
                })}
            </td>
        </tr>
    }
}

//! The signed-in shell: sidebar, user menu, page header. Signed-out visitors are sent to
//! `/login`; the server refuses admin functions regardless of what this shows.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet, Redirect};

use crate::api::auth::{Logout, current_user};
use crate::components::bell::NotificationBell;
use crate::dto::MeDto;

/// The signed-in user, provided to every page under the layout.
pub fn use_me() -> MeDto {
    expect_context::<MeDto>()
}

#[component]
pub fn AppLayout() -> impl IntoView {
    // Fetched each time the layout mounts, so signing in or out and coming back (even with the
    // back button) always asks the server who is signed in.
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <div class="auth-page"><p class="muted">"Loading…"</p></div> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => {
                        provide_context(me.clone());
                        view! { <GuardedShell me=me /> }.into_any()
                    }
                    Ok(None) | Err(crate::error::AppError::Unauthorized) => {
                        view! { <Redirect path="/login" /> }.into_any()
                    }
                    Err(err) => view! {
                        <div class="auth-page"><p class="form-error" role="alert">{err.to_string()}</p></div>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// While the organization requires two-factor authentication the user has not set up, every
/// page but the account page (where they set it up) sends them there, without rendering it
/// (its server functions would refuse anyway).
#[component]
fn GuardedShell(me: MeDto) -> impl IntoView {
    if !me.mfa_setup_required {
        return view! { <Shell me=me /> }.into_any();
    }
    let location = leptos_router::hooks::use_location();
    let on_account = Memo::new(move |_| location.pathname.get() == "/account");
    (move || {
        if on_account.get() {
            view! { <Shell me=me.clone() /> }.into_any()
        } else {
            view! { <Redirect path="/account" /> }.into_any()
        }
    })
    .into_any()
}

#[component]
fn Shell(me: MeDto) -> impl IntoView {
    let is_admin = me.is_admin();
    view! {
        <div class="app-shell">
            <aside class="sidebar">
                <div class="brand"><span class="brand-mark" aria-hidden="true"></span>"Keygate"</div>
                <nav class="nav" aria-label="Main">
                    <A href="/" attr:class="nav-link" exact=true>"Dashboard"</A>
                    <A href="/keys" attr:class="nav-link">"My keys"</A>
                    <A href="/projects" attr:class="nav-link">"Projects"</A>
                    <A href="/usage" attr:class="nav-link">"Usage"</A>
                    <A href="/personas" attr:class="nav-link">"Personas"</A>
                    <A href="/reports" attr:class="nav-link">"Reports"</A>
                    <A href="/audit" attr:class="nav-link">"Audit"</A>
                    {is_admin.then(|| view! {
                        <p class="nav-section">"Administration"</p>
                        <A href="/org-keys" attr:class="nav-link">"Organization keys"</A>
                        <A href="/users" attr:class="nav-link">"Users"</A>
                        <A href="/limits" attr:class="nav-link">"Limits"</A>
                        <A href="/alerts" attr:class="nav-link">"Alerts"</A>
                        <A href="/settings" attr:class="nav-link">"Settings"</A>
                    })}
                </nav>
            </aside>
            <div class="main">
                <Outlet />
            </div>
        </div>
    }
}

/// The top of every page: its title and the user menu.
#[component]
pub fn PageHeader(title: &'static str) -> impl IntoView {
    let me = use_me();
    let logout = ServerAction::<Logout>::new();
    view! {
        <Title text=title />
        <header class="topbar">
            <h1 class="page-title">{title}</h1>
            <div class="topbar-actions">
            <NotificationBell />
            <details class="user-menu">
                <summary>{me.display_name.clone()}</summary>
                <div class="user-menu-panel">
                    <p class="muted">{me.email.clone()}<br />{me.org_name.clone()}" · "{me.role.as_str()}</p>
                    <A href="/account" attr:class="menu-item">"Account"</A>
                    <ActionForm action=logout>
                        <button type="submit" class="menu-item btn-ghost">"Sign out"</button>
                    </ActionForm>
                </div>
            </details>
            </div>
        </header>
    }
}

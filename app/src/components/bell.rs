//! The notification bell in the top bar: a button with the unread count (hidden at 0) that
//! opens a panel with the latest notifications and "Mark all read". The count is fetched in
//! the browser when the page mounts and every 30 s; never during server rendering.

use leptos::prelude::*;

use crate::api::alerts::{notifications_mine, notifications_read, notifications_unread};
use crate::dto_alerts::{NotificationDto, bell_label};
use crate::dto_insight::short_time;

/// Bumped by a page (e.g. after "Evaluate now") to make the bell fetch its count again.
#[derive(Clone, Copy)]
pub struct BellRefresh(pub RwSignal<u32>);

/// Provides a [`BellRefresh`] to the page's header and returns it.
pub fn provide_bell_refresh() -> BellRefresh {
    let refresh = BellRefresh(RwSignal::new(0));
    provide_context(refresh);
    refresh
}

impl BellRefresh {
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
}

#[component]
pub fn NotificationBell() -> impl IntoView {
    let unread = RwSignal::new(0_u64);
    let open = RwSignal::new(false);
    let items = RwSignal::new(None::<Vec<NotificationDto>>);
    let error = RwSignal::new(None::<String>);
    let refresh = use_context::<BellRefresh>().map(|r| r.0);
    let fetch_count = move || {
        leptos::task::spawn_local(async move {
            if let Ok(n) = notifications_unread().await {
                unread.set(n);
            }
        });
    };
    // Effects run in the browser only: the first fetch, and again on every refresh.
    Effect::new(move |_| {
        if let Some(refresh) = refresh {
            refresh.track();
        }
        fetch_count();
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(fetch_count, std::time::Duration::from_secs(30))
        {
            on_cleanup(move || handle.clear());
        }
    });
    let load = move || {
        leptos::task::spawn_local(async move {
            match notifications_mine().await {
                Ok(found) => {
                    unread.set(found.unread);
                    items.set(Some(found.items));
                    error.set(None);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            load();
        }
    };
    let mark_all = move |_| {
        leptos::task::spawn_local(async move {
            match notifications_read(0).await {
                Ok(_) => {
                    unread.set(0);
                    items.update(|list| {
                        if let Some(list) = list {
                            for n in list.iter_mut() {
                                n.read = true;
                            }
                        }
                    });
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let mark_one = move |id: i32| {
        leptos::task::spawn_local(async move {
            if notifications_read(id).await.is_ok() {
                items.update(|list| {
                    if let Some(n) = list
                        .as_mut()
                        .and_then(|l| l.iter_mut().find(|n| n.id == id && !n.read))
                    {
                        n.read = true;
                        unread.update(|u| *u = u.saturating_sub(1));
                    }
                });
            }
        });
    };
    view! {
        <div class="bell"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    open.set(false);
                }
            }>
            <button type="button" id="bell-button" class="bell-button"
                aria-label=move || bell_label(unread.get())
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="bell-panel"
                on:click=toggle>
                <svg class="bell-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                    <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
                </svg>
                <span class="bell-badge" data-testid="bell-badge" hidden=move || unread.get() == 0>
                    {move || {
                        let n = unread.get();
                        if n > 99 { "99+".to_owned() } else { n.to_string() }
                    }}
                </span>
            </button>
            <div id="bell-panel" class="bell-panel" role="region" aria-label="Notifications"
                hidden=move || !open.get()>
                <div class="bell-head">
                    <h2 class="bell-title">"Notifications"</h2>
                    <button type="button" id="bell-mark-all" class="btn btn-sm btn-ghost"
                        disabled=move || unread.get() == 0
                        on:click=mark_all>"Mark all read"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                {move || match items.get() {
                    None => view! { <p class="muted small bell-empty">"Loading…"</p> }.into_any(),
                    Some(list) if list.is_empty() => {
                        view! { <p class="muted small bell-empty">"No notifications yet."</p> }.into_any()
                    }
                    Some(list) => view! {
                        <ul class="bell-list">
                            {list.into_iter().map(|n| {
                                let id = n.id;
                                let class = format!("bell-item bell-{}", n.severity);
                                let unread_item = !n.read;
                                view! {
                                    <li class=class class:bell-unread=unread_item
                                        on:click=move |_| if unread_item { mark_one(id) }>
                                        <span class="bell-dot" aria-hidden="true"></span>
                                        <div class="bell-text">
                                            <p class="bell-item-title">
                                                {n.title}
                                                {unread_item.then(|| view! { <span class="sr-only">" (unread)"</span> })}
                                            </p>
                                            <p class="bell-body small">{n.body}</p>
                                            <p class="muted small">{short_time(&n.created_at)}</p>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                }}
            </div>
        </div>
    }
}

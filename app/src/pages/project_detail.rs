//! One project (seed 001): its information, usage, Keygate keys, masked provider keys, and its
//! actions.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::keys::KeysCreate;
use crate::api::projects::{ProjectsSetActive, projects_get};
use crate::components::confirm::ConfirmButton;
use crate::components::keys::{KeyForm, KeyList};
use crate::components::layout::{PageHeader, use_me};
use crate::components::routing::ProjectRouting;
use crate::components::toast::use_toasts;
use crate::components::virtual_keys::{ProjectUsage, VirtualKeys};
use crate::dto::ProjectDto;
use crate::pages::NotAllowed;

#[component]
pub fn ProjectDetailPage() -> impl IntoView {
    if !use_me().is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let id: Option<i32> = use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|raw| raw.parse().ok());
    let Some(id) = id else {
        return view! {
            <PageHeader title="Project" />
            <div class="content"><p class="form-error" role="alert">"Not found."</p></div>
        }
        .into_any();
    };
    let toasts = use_toasts();
    let set_active = ServerAction::<ProjectsSetActive>::new();
    let create = ServerAction::<KeysCreate>::new();
    let refresh = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| match set_active.value().get() {
        Some(Ok(p)) if p.active => toasts.success(format!("{} activated", p.name)),
        Some(Ok(p)) => toasts.success(format!("{} deactivated", p.name)),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    let project = Resource::new(
        move || (set_active.version().get(), refresh.get()),
        move |_| projects_get(id),
    );
    view! {
        <PageHeader title="Project" />
        <div class="content stack">
            <p><a href="/projects">"← All projects"</a></p>
            <Transition fallback=|| view! { <p class="muted">"Loading project…"</p> }>
                {move || Suspend::new(async move {
                    match project.await {
                        Ok(p) => view! { <ProjectInfo project=p set_active /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            // These own their resources: keep them here, outside any Suspense/Transition.
            <ProjectUsage project_id=id />
            <VirtualKeys project_id=id set_active />
            <ProjectRouting project_id=id />
            <section class="card">
                <h2>"Provider keys"</h2>
                <KeyList view_name="org" refresh project_id=id />
            </section>
            <section class="card">
                <h2>"Add a key to this project"</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match project.await {
                            Ok(p) if p.active => view! { <KeyForm create projects=vec![p] /> }.into_any(),
                            Ok(_) => view! { <p class="muted">"Activate the project to add keys."</p> }.into_any(),
                            Err(_) => ().into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn ProjectInfo(project: ProjectDto, set_active: ServerAction<ProjectsSetActive>) -> impl IntoView {
    let id = project.id;
    let action = if project.active {
        view! {
            <ConfirmButton
                label="Deactivate".to_owned()
                question=format!("Deactivate {}? Its keys stop working until you activate it again.", project.name)
                confirm_label="Deactivate".to_owned()
                on_confirm=move |_| { set_active.dispatch(ProjectsSetActive { id, active: false }); }
            />
        }
        .into_any()
    } else {
        view! {
            <button type="button" class="btn btn-sm"
                on:click=move |_| { set_active.dispatch(ProjectsSetActive { id, active: true }); }>"Activate"</button>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>{project.name.clone()}</h2>
            <dl class="facts">
                <dt>"Description"</dt><dd>{if project.description.is_empty() { "—".to_owned() } else { project.description.clone() }}</dd>
                <dt>"Status"</dt><dd>{if project.active {
                    view! { <span class="badge badge-active">"active"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-disabled">"inactive"</span> }.into_any()
                }}</dd>
                <dt>"Keys"</dt><dd>{format!("{} ({} active)", project.keys, project.active_keys)}</dd>
                <dt>"Storage used"</dt><dd>{format!("{} bytes", project.storage_used_bytes)}</dd>
                <dt>"Created"</dt><dd>{project.created_at.chars().take(16).collect::<String>().replace('T', " ")}</dd>
                <dt>"Updated"</dt><dd>{project.updated_at.chars().take(16).collect::<String>().replace('T', " ")}</dd>
            </dl>
            <div class="form-actions">{action}</div>
        </section>
    }
}

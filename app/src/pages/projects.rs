//! Projects: filter, counts, create, and activate/deactivate. Projects are never deleted.

use leptos::prelude::*;

use crate::api::projects::{ProjectsCreate, ProjectsSetActive, projects_list};
use crate::components::confirm::ConfirmButton;
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
use crate::dto::ProjectDto;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    if !use_me().is_admin() {
        return view! {
            <PageHeader title="Projects" />
            <div class="content">
                <div class="empty-state">
                    <h2>"Projects are managed by admins"</h2>
                    <p class="muted">"Your keys are on the Keys page; ask an admin to add you to a project."</p>
                </div>
            </div>
        }
        .into_any();
    }
    let toasts = use_toasts();
    let create = ServerAction::<ProjectsCreate>::new();
    let set_active = ServerAction::<ProjectsSetActive>::new();
    let name_filter = RwSignal::new(String::new());
    let status_filter = RwSignal::new("all".to_owned());
    let projects = Resource::new(
        move || {
            (
                name_filter.get(),
                status_filter.get(),
                create.version().get(),
                set_active.version().get(),
            )
        },
        |(name, status, _, _)| projects_list(name, status),
    );
    let create_error = last_error(create.value());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(project)) = create.value().get() {
            toasts.success(format!("Project {} created", project.name));
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    Effect::new(move |_| match set_active.value().get() {
        Some(Ok(p)) if p.active => toasts.success(format!("{} activated", p.name)),
        Some(Ok(p)) => toasts.success(format!("{} deactivated", p.name)),
        Some(Err(err)) => toasts.error(err.to_string()),
        None => {}
    });
    view! {
        <PageHeader title="Projects" />
        <div class="content stack">
            <section class="card">
                <div class="form-inline" role="search">
                    <div class="field">
                        <label for="project-filter-name">"Filter by name"</label>
                        <input id="project-filter-name" type="search"
                            on:input=move |ev| name_filter.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="project-filter-status">"Status"</label>
                        <select id="project-filter-status" on:change=move |ev| status_filter.set(event_target_value(&ev))>
                            <option value="all">"All"</option>
                            <option value="active">"Active"</option>
                            <option value="inactive">"Inactive"</option>
                        </select>
                    </div>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading projects…"</p> }>
                    {move || Suspend::new(async move {
                        match projects.await {
                            Ok(list) => view! { <ProjectTable list set_active /> }.into_any(),
                            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card">
                <h2>"New project"</h2>
                <ActionForm action=create node_ref=form attr:class="form">
                    <FormError error=create_error />
                    <div class="form-inline">
                        <Field label="Project name" name="name" error=create_error />
                        <Field label="Description" name="description" optional=true error=create_error />
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create project"</button>
                    </div>
                </ActionForm>
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn ProjectTable(
    list: Vec<ProjectDto>,
    set_active: ServerAction<ProjectsSetActive>,
) -> impl IntoView {
    let active = list.iter().filter(|p| p.active).count();
    let total = list.len();
    if total == 0 {
        return view! {
            <div class="empty-state">
                <h2>"No projects"</h2>
                <p class="muted">"Projects group provider keys and Keygate keys, with their own budgets. Create one below."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <p class="muted" aria-live="polite">{format!("{total} projects, {active} active")}</p>
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Description"</th><th scope="col">"Keys"</th><th scope="col">"Status"</th><th scope="col">"Created"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|p| view! { <ProjectRow project=p set_active /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ProjectRow(project: ProjectDto, set_active: ServerAction<ProjectsSetActive>) -> impl IntoView {
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
                on:click=move |_| { set_active.dispatch(ProjectsSetActive { id, active: true }); }>
                "Activate"
            </button>
        }
        .into_any()
    };
    view! {
        <tr>
            <td><a href=format!("/projects/{id}")>{project.name.clone()}</a></td>
            <td class="muted">{project.description.clone()}</td>
            <td>{format!("{} ({} active)", project.keys, project.active_keys)}</td>
            <td>{if project.active {
                view! { <span class="badge badge-active">"active"</span> }
            } else {
                view! { <span class="badge badge-disabled">"inactive"</span> }
            }}</td>
            <td>{project.created_at.chars().take(10).collect::<String>()}</td>
            <td class="actions">{action}</td>
        </tr>
    }
}

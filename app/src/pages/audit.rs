//! The audit page (admins): the tamper-evident log with filters and "Load more", a CSV
//! export of the filtered entries, the chain's verification, and the retention setting.

use leptos::prelude::*;

use crate::api::audit::{AuditSetRetention, audit_list, audit_retention, audit_verify};
use crate::components::form::{Field, FormError, last_error};
use crate::components::layout::{PageHeader, use_me};
use crate::components::toast::use_toasts;
use crate::dto_audit::{AuditEntryDto, AuditFilters, AuditPageDto, OUTCOMES};
use crate::pages::NotAllowed;

/// Columns of the entries table.
const COLUMNS: &str = "6";

/// The CSV export's address for these filters.
fn export_href(filters: &AuditFilters) -> String {
    let query: Vec<String> = filters
        .pairs()
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect();
    if query.is_empty() {
        "/api/admin/audit/export.csv".to_owned()
    } else {
        format!("/api/admin/audit/export.csv?{}", query.join("&"))
    }
}

/// Percent-encodes everything but unreserved URL characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let me = use_me();
    if !me.is_admin() {
        return view! { <NotAllowed /> }.into_any();
    }
    let applied = RwSignal::new(AuditFilters::default());
    // Each chunk is one page of entries; "Load more" adds the next cursor. A new filter starts
    // a new generation, so every chunk is rebuilt.
    let generation = RwSignal::new(0_u32);
    let cursors = RwSignal::new(vec![None::<i64>]);
    view! {
        <PageHeader title="Audit" />
        <div class="content stack">
            <section class="card">
                <h2>"Integrity"</h2>
                <ChainStatus />
            </section>
            <section class="card">
                <div class="card-head row">
                    <h2>"Entries"</h2>
                    <span class="spacer"></span>
                    <a class="btn btn-sm" href=move || export_href(&applied.get()) download="keygate-audit.csv">"Export CSV"</a>
                </div>
                <FilterForm applied generation cursors />
                <div class="table-wrap">
                    <table class="table audit-table">
                        <thead>
                            <tr>
                                <th scope="col">"Time (UTC)"</th>
                                <th scope="col">"Actor"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Target"</th>
                                <th scope="col">"Outcome"</th>
                                <th scope="col">"IP"</th>
                            </tr>
                        </thead>
                        <For
                            each=move || {
                                let g = generation.get();
                                cursors.get().into_iter().map(move |c| (g, c)).collect::<Vec<_>>()
                            }
                            key=|chunk| *chunk
                            children=move |(_, before)| view! {
                                <AuditChunk filters=applied.get_untracked() before cursors />
                            }
                        />
                    </table>
                </div>
            </section>
            <section class="card">
                <h2>"Retention"</h2>
                <RetentionForm />
            </section>
        </div>
    }
    .into_any()
}

/// The verification badge and a button to walk the chain again.
#[component]
fn ChainStatus() -> impl IntoView {
    let run = RwSignal::new(0_u32);
    let result = Resource::new(move || run.get(), |_| audit_verify());
    view! {
        <div class="row audit-chain">
            <Transition fallback=|| view! { <span class="muted">"Verifying…"</span> }>
                {move || Suspend::new(async move {
                    match result.await {
                        Ok(v) => {
                            let class = if v.ok { "badge badge-active" } else { "badge badge-danger" };
                            let summary = v.summary();
                            view! {
                                <span class=class data-testid="chain-status" role="status">{summary}</span>
                                {v.reason.map(|r| view! { <span class="muted small">{r}</span> })}
                            }
                            .into_any()
                        }
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <button type="button" class="btn btn-sm" on:click=move |_| run.update(|n| *n += 1)>"Re-verify"</button>
        </div>
    }
}

/// Filter fields; "Apply" starts the list over with them.
#[component]
fn FilterForm(
    applied: RwSignal<AuditFilters>,
    generation: RwSignal<u32>,
    cursors: RwSignal<Vec<Option<i64>>>,
) -> impl IntoView {
    let draft = RwSignal::new(AuditFilters::default());
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(draft.get_untracked());
        cursors.set(vec![None]);
        generation.update(|g| *g += 1);
    };
    let text = |label: &'static str,
                name: &'static str,
                kind: &'static str,
                get: fn(&AuditFilters) -> String,
                put: fn(&mut AuditFilters, String)| {
        let id = format!("field-{name}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id name=name type=kind
                    prop:value=move || draft.with(get)
                    on:input=move |ev| draft.update(|d| put(d, event_target_value(&ev))) />
            </div>
        }
    };
    view! {
        <form class="form-inline audit-filters" aria-label="Filter entries" on:submit=apply>
            {text("Actor", "actor", "text", |d| d.actor.clone(), |d, v| d.actor = v)}
            {text("Action", "action", "text", |d| d.action.clone(), |d, v| d.action = v)}
            {text("Target kind", "target_kind", "text", |d| d.target_kind.clone(), |d, v| d.target_kind = v)}
            {text("Target id", "target_id", "text", |d| d.target_id.clone(), |d, v| d.target_id = v)}
            <div class="field">
                <label for="field-outcome">"Outcome"</label>
                <select id="field-outcome" name="outcome"
                    on:change=move |ev| draft.update(|d| d.outcome = event_target_value(&ev))>
                    <option value="">"Any"</option>
                    {OUTCOMES.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                </select>
            </div>
            {text("From", "from", "date", |d| d.from.clone(), |d, v| d.from = v)}
            {text("To (included)", "to", "date", |d| d.to.clone(), |d, v| d.to = v)}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary">"Apply filters"</button>
            </div>
        </form>
    }
}

/// One page of entries (a `<tbody>`), and "Load more" under the last page when there are
/// older entries.
#[component]
fn AuditChunk(
    filters: AuditFilters,
    before: Option<i64>,
    cursors: RwSignal<Vec<Option<i64>>>,
) -> impl IntoView {
    let page = Resource::new(|| (), move |_| audit_list(filters.clone(), before));
    view! {
        <Suspense fallback=|| view! { <tbody><tr><td colspan=COLUMNS class="muted">"Loading entries…"</td></tr></tbody> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <ChunkRows page before cursors /> }.into_any(),
                    Err(err) => view! {
                        <tbody><tr><td colspan=COLUMNS class="form-error" role="alert">{err.to_string()}</td></tr></tbody>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChunkRows(
    page: AuditPageDto,
    before: Option<i64>,
    cursors: RwSignal<Vec<Option<i64>>>,
) -> impl IntoView {
    let empty = page.entries.is_empty() && before.is_none();
    let next = page.next_before;
    let is_last = move || cursors.with(|c| c.last() == Some(&before));
    view! {
        <tbody>
            {empty.then(|| view! {
                <tr><td colspan=COLUMNS class="muted">"No audit entries match."</td></tr>
            })}
            {page.entries.into_iter().map(|entry| view! { <EntryRow entry /> }).collect_view()}
            {next.map(|next| view! {
                <Show when=is_last>
                    <tr class="audit-more">
                        <td colspan=COLUMNS>
                            <button type="button" class="btn btn-sm"
                                on:click=move |_| cursors.update(|c| c.push(Some(next)))>"Load more"</button>
                        </td>
                    </tr>
                </Show>
            })}
        </tbody>
    }
}

#[component]
fn EntryRow(entry: AuditEntryDto) -> impl IntoView {
    let badge = match entry.outcome.as_str() {
        "success" => "badge badge-active",
        "denied" => "badge badge-warning",
        _ => "badge badge-danger",
    };
    let target = entry.target_text();
    let time = entry.time_text();
    let title = entry.user_agent.clone().unwrap_or_default();
    view! {
        <tr data-entry-id=entry.id.to_string()>
            <td class="mono small"><time datetime=entry.created_at.clone()>{time}</time></td>
            <td>{entry.actor.clone()}</td>
            <td class="mono">{entry.action.clone()}</td>
            <td>{target}</td>
            <td><span class=badge>{entry.outcome.clone()}</span></td>
            <td class="mono small" title=title>{entry.ip.clone().unwrap_or_default()}</td>
        </tr>
    }
}

/// How many days entries are kept.
#[component]
fn RetentionForm() -> impl IntoView {
    let toasts = use_toasts();
    let set = ServerAction::<AuditSetRetention>::new();
    let current = Resource::new(move || set.version().get(), |_| audit_retention());
    let error = last_error(set.value());
    Effect::new(move |_| {
        if let Some(Ok(saved)) = set.value().get() {
            toasts.success(format!("Audit entries are kept for {} days", saved.days));
        }
    });
    view! {
        <ActionForm action=set attr:class="form">
            <FormError error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let days = current.await.map(|r| r.days.to_string()).unwrap_or_default();
                    view! {
                        <Field label="Keep entries for (days)" name="days" kind="number" value=days
                            hint="1 to 3650. Older entries are deleted daily (or by `keygate audit prune`); the chain still verifies."
                            error />
                    }
                })}
            </Transition>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || set.pending().get()>"Save retention"</button>
            </div>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_links_carry_the_filters() {
        let filters = AuditFilters {
            action: "provider_key.*".into(),
            actor: "ada@example.com".into(),
            ..AuditFilters::default()
        };
        assert_eq!(
            export_href(&filters),
            "/api/admin/audit/export.csv?actor=ada%40example.com&action=provider_key.%2A"
        );
        assert_eq!(
            export_href(&AuditFilters::default()),
            "/api/admin/audit/export.csv"
        );
    }
}

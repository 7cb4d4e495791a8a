//! `/reports`: a month's (day by day) or a day's (hour by hour) usage report, for the
//! organization (admins) or the viewer's own usage (members, enforced by the server), with a
//! printable view (`/reports/print`, outside the app's chrome) and the CSV download. The
//! period lives in the URL (`?period=2026-11` or `?period=2026-11-25`), so a report can be
//! bookmarked and shared; without one it is the current month (UTC).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::reports::usage_report;
use crate::components::layout::PageHeader;
use crate::components::report::ReportBody;
use crate::error::AppError;

/// Today (UTC) as `YYYY-MM-DD`, the same on the server and in the browser.
fn utc_today() -> String {
    #[cfg(feature = "ssr")]
    {
        chrono::Utc::now().format("%Y-%m-%d").to_string()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let now = web_sys::js_sys::Date::new_0();
        format!(
            "{:04}-{:02}-{:02}",
            now.get_utc_full_year(),
            now.get_utc_month() + 1,
            now.get_utc_date()
        )
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

/// The URL's `period`, or the current month.
fn use_period() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .read()
            .get("period")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| utc_today().chars().take(7).collect())
    })
}

/// `2026-11-25` is a day; anything else is read as a month.
fn is_day(period: &str) -> bool {
    period.len() == 10
}

fn month_of(period: &str) -> String {
    period.chars().take(7).collect()
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let period = use_period();
    let report = Resource::new(move || period.get(), |p| usage_report(Some(p)));
    view! {
        <PageHeader title="Reports" />
        <div class="content stack">
            <PeriodPicker period />
            <Transition fallback=|| view! { <p class="muted">"Loading the report…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) => view! { <ReportBody r /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// "Month" or "Day", the month or day itself, and the printable view and CSV of it.
#[component]
fn PeriodPicker(period: Memo<String>) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |p: String| {
        let p = p.trim().to_owned();
        if !p.is_empty() {
            navigate(&format!("/reports?period={p}"), Default::default());
        }
    };
    let day = move || is_day(&period.get());
    let to_month = {
        let go = go.clone();
        move |_| go(month_of(&period.get_untracked()))
    };
    let to_day = {
        let go = go.clone();
        move |_| {
            let current = period.get_untracked();
            if is_day(&current) {
                return;
            }
            let today = utc_today();
            // Today if it is in the month shown, else the month's first day.
            go(if today.starts_with(&current) {
                today
            } else {
                format!("{current}-01")
            })
        }
    };
    let on_month = {
        let go = go.clone();
        move |ev| go(event_target_value(&ev))
    };
    let on_day = move |ev| go(event_target_value(&ev));
    view! {
        <section class="card report-controls" aria-labelledby="report-period-heading">
            <h2 id="report-period-heading">"Period"</h2>
            <div class="range-picker" role="group" aria-label="Report for">
                <button type="button" class="btn btn-sm" aria-pressed=move || (!day()).to_string()
                    on:click=to_month>"Month"</button>
                <button type="button" class="btn btn-sm" aria-pressed=move || day().to_string()
                    on:click=to_day>"Day"</button>
            </div>
            <div class="form-inline report-period">
                <div class="field" class:is-hidden=day>
                    <label for="report-month">"Month"</label>
                    <input id="report-month" type="month" required=true
                        prop:value=move || month_of(&period.get()) on:change=on_month />
                </div>
                <div class="field" class:is-hidden=move || !day()>
                    <label for="report-day">"Day"</label>
                    <input id="report-day" type="date" required=true
                        prop:value=move || if day() { period.get() } else { String::new() } on:change=on_day />
                </div>
            </div>
            <p class="row report-links">
                <a class="btn btn-sm" href=move || format!("/reports/print?period={}", period.get())>"Printable view"</a>
                <a class="btn btn-sm" rel="external" download=""
                    href=move || format!("/api/usage/report.csv?period={}", period.get())>"Download CSV"</a>
                <span class="muted small">"Days and months are UTC."</span>
            </p>
        </section>
    }
}

/// `/reports/print`: the same report without the navigation, laid out for paper.
#[component]
pub fn ReportPrintPage() -> impl IntoView {
    let period = use_period();
    let report = Resource::new(move || period.get(), |p| usage_report(Some(p)));
    view! {
        <Title text="Usage report" />
        <main class="print-page">
            <Suspense fallback=|| view! { <p class="muted">"Loading the report…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) => {
                            let back = format!("/reports?period={}", r.period);
                            view! {
                                <div class="print-toolbar row">
                                    <a class="btn btn-sm" href=back>"Back to reports"</a>
                                    <button type="button" class="btn btn-sm btn-primary" on:click=move |_| print()>"Print"</button>
                                </div>
                                <header class="print-header">
                                    <h1>{format!("Usage report · {}", r.title)}</h1>
                                    <p class="muted">{r.org_name.clone()}</p>
                                </header>
                                <div class="stack">
                                    <ReportBody r />
                                </div>
                            }.into_any()
                        }
                        Err(AppError::Unauthorized) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Opens the browser's print dialog.
fn print() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().print();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_months_or_days() {
        assert!(is_day("2026-11-25"));
        assert!(!is_day("2026-11"));
        assert_eq!(month_of("2026-11-25"), "2026-11");
    }
}

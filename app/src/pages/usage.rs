//! The usage page: live metrics (`UsageMetrics`: tiles, charts, breakdowns with CSV export)
//! and `CostTracking` (this month so far and projected), for the organization (admins, with
//! optional project and user filters) or the viewer's own usage (members), and
//! `ModelRatings` (ratings per model, an organization-wide aggregate). It listens to
//! `/api/usage/events` and refetches when the ledger commits, so requests show up without a
//! reload. The server enforces the scope; this page only chooses among what it may see.

use leptos::prelude::*;

use crate::api::projects::projects_list;
use crate::api::usage::{ratings_by_model, usage_costs, usage_dashboard};
use crate::api::users::users_list;
use crate::components::charts::{BarChart, Line, LineChart, Measure, XPoint};
use crate::components::layout::{PageHeader, use_me};
use crate::dto_insight::{
    UsageDashboardDto, UsageGroupDto, UsageRange, bucket_label, bucket_tick, format_count,
    format_ms, format_percent, format_usd,
};

/// The state of the live feed, as the indicator shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // set by the browser only
enum Live {
    Connecting,
    Open,
    Reconnecting,
    Off,
}

/// Opens the live feed: each `usage` event bumps `tick` (at most once per 150 ms), which
/// refetches the page's resources. Closed when the page goes away.
#[cfg(feature = "hydrate")]
fn connect_live(tick: RwSignal<u32>, live: RwSignal<Live>) {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use web_sys::EventSource;
    use web_sys::wasm_bindgen::JsCast as _;
    use web_sys::wasm_bindgen::closure::Closure;

    let Ok(source) = EventSource::new("/api/usage/events") else {
        live.set(Live::Off);
        return;
    };
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.set(Live::Open));
    let watched = source.clone();
    // The browser reconnects by itself unless the server refused the feed for good.
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        live.set(if watched.ready_state() == EventSource::CLOSED {
            Live::Off
        } else {
            Live::Reconnecting
        })
    });
    let pending = Rc::new(Cell::new(false));
    let on_usage = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        if pending.replace(true) {
            return;
        }
        let pending = Rc::clone(&pending);
        set_timeout(
            move || {
                pending.set(false);
                tick.update(|n| *n = n.wrapping_add(1));
            },
            Duration::from_millis(150),
        );
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let _ = source.add_event_listener_with_callback("usage", on_usage.as_ref().unchecked_ref());
    // The closures live as long as the feed.
    let held = StoredValue::new_local((source, on_open, on_error, on_usage));
    on_cleanup(move || {
        held.try_with_value(|(source, ..)| source.close());
    });
}

#[cfg(not(feature = "hydrate"))]
fn connect_live(_tick: RwSignal<u32>, _live: RwSignal<Live>) {}

#[component]
pub fn UsagePage() -> impl IntoView {
    let admin = use_me().is_admin();
    let range = RwSignal::new(UsageRange::Week);
    let project = RwSignal::new(None::<i32>);
    let user = RwSignal::new(None::<i32>);
    let tick = RwSignal::new(0_u32);
    let live = RwSignal::new(Live::Connecting);
    connect_live(tick, live);
    view! {
        <PageHeader title="Usage" />
        <div class="content stack">
            <section class="card usage-controls" aria-labelledby="usage-scope-heading">
                <div class="row">
                    <h2 id="usage-scope-heading">{if admin { "Organization" } else { "Your usage" }}</h2>
                    <span class="spacer"></span>
                    <LiveIndicator live />
                </div>
                {if admin {
                    view! { <ScopeFilters project user /> }.into_any()
                } else {
                    view! { <p class="muted">"Requests made with Keygate keys that act as you."</p> }.into_any()
                }}
                <RangePicker range />
            </section>
            // These own their resources: keep them here, outside any Suspense/Transition.
            <UsageMetrics range project user tick />
            <CostTracking project user tick />
            <ModelRatings tick />
        </div>
    }
}

#[component]
fn LiveIndicator(live: RwSignal<Live>) -> impl IntoView {
    let text = move || match live.get() {
        Live::Connecting => "Connecting…",
        Live::Open => "Live",
        Live::Reconnecting => "Reconnecting…",
        Live::Off => "Not live: reload to update",
    };
    let class = move || {
        if live.get() == Live::Open {
            "live-indicator live-on"
        } else {
            "live-indicator"
        }
    };
    view! {
        <span class=class data-testid="live-indicator"
            title="Updates as soon as requests are recorded">{text}</span>
    }
}

/// Admins' filters: a project and a user (both optional).
#[component]
fn ScopeFilters(project: RwSignal<Option<i32>>, user: RwSignal<Option<i32>>) -> impl IntoView {
    let projects = Resource::new(|| (), |_| projects_list(String::new(), "all".to_owned()));
    let users = Resource::new(|| (), |_| users_list());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading filters…"</p> }>
            {move || Suspend::new(async move {
                // Without a list the filter is just not offered.
                let projects = projects.await.unwrap_or_default();
                let users = users.await.unwrap_or_default();
                view! {
                    <div class="form-inline usage-filters">
                        <div class="field">
                            <label for="usage-project">"Project"</label>
                            <select id="usage-project"
                                on:change=move |ev| project.set(event_target_value(&ev).parse().ok())>
                                <option value="">"All projects"</option>
                                {projects.into_iter().map(|p| {
                                    let id = p.id;
                                    view! {
                                        <option value=id.to_string() selected=move || project.get() == Some(id)>{p.name}</option>
                                    }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="usage-user">"User"</label>
                            <select id="usage-user"
                                on:change=move |ev| user.set(event_target_value(&ev).parse().ok())>
                                <option value="">"All users"</option>
                                {users.into_iter().map(|u| {
                                    let id = u.id;
                                    view! {
                                        <option value=id.to_string() selected=move || user.get() == Some(id)>{u.email}</option>
                                    }
                                }).collect_view()}
                            </select>
                        </div>
                    </div>
                }
            })}
        </Transition>
    }
}

/// "24 h", "7 d", "30 d" and "Custom" (two dates, both included).
#[component]
fn RangePicker(range: RwSignal<UsageRange>) -> impl IntoView {
    let show_custom = RwSignal::new(false);
    let from_input = NodeRef::<leptos::html::Input>::new();
    let to_input = NodeRef::<leptos::html::Input>::new();
    let presets = [UsageRange::Day, UsageRange::Week, UsageRange::Month];
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |input: NodeRef<leptos::html::Input>| {
            input.get().map(|i| i.value()).unwrap_or_default()
        };
        range.set(UsageRange::Custom {
            from: value(from_input),
            to: value(to_input),
        });
    };
    view! {
        <div class="range-picker" role="group" aria-label="Range">
            {presets.into_iter().map(|choice| {
                let label = choice.label();
                let pressed = {
                    let choice = choice.clone();
                    move || (range.get() == choice && !show_custom.get()).to_string()
                };
                view! {
                    <button type="button" class="btn btn-sm" aria-pressed=pressed
                        on:click=move |_| {
                            show_custom.set(false);
                            range.set(choice.clone());
                        }>{label}</button>
                }
            }).collect_view()}
            <button type="button" class="btn btn-sm"
                aria-pressed=move || (show_custom.get() || matches!(range.get(), UsageRange::Custom { .. })).to_string()
                aria-expanded=move || show_custom.get().to_string()
                on:click=move |_| show_custom.update(|s| *s = !*s)>"Custom"</button>
        </div>
        <form class="form-inline custom-range" aria-label="Custom range"
            class:is-hidden=move || !show_custom.get() on:submit=apply>
            <div class="field">
                <label for="usage-from">"From"</label>
                <input id="usage-from" type="date" required=true node_ref=from_input />
            </div>
            <div class="field">
                <label for="usage-to">"To (included)"</label>
                <input id="usage-to" type="date" required=true node_ref=to_input />
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-sm btn-primary">"Apply"</button>
            </div>
        </form>
    }
}

/// Tiles, charts and breakdowns for the chosen scope and range.
#[component]
fn UsageMetrics(
    range: RwSignal<UsageRange>,
    project: RwSignal<Option<i32>>,
    user: RwSignal<Option<i32>>,
    tick: RwSignal<u32>,
) -> impl IntoView {
    let dashboard = Resource::new(
        move || (range.get(), project.get(), user.get(), tick.get()),
        |(range, project_id, user_id, _)| {
            let (from, to) = range.dates();
            usage_dashboard(range.as_str().to_owned(), from, to, project_id, user_id)
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading usage…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(d) => view! { <Dashboard d /> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn tile(label: &'static str, test_id: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="stat tile">
            <span class="stat-label">{label}</span>
            <span class="stat-value" data-testid=test_id>{value}</span>
        </div>
    }
}

#[component]
fn Dashboard(d: UsageDashboardDto) -> impl IntoView {
    let t = &d.total;
    let tiles = view! {
        <section class="card" aria-labelledby="usage-summary-heading">
            <h2 id="usage-summary-heading">{format!("Summary · {}", d.range_label)}</h2>
            <div class="tiles usage-tiles">
                {tile("Requests", "usage-requests", format_count(t.requests))}
                {tile("Tokens in", "usage-tokens-in", format_count(t.prompt_tokens))}
                {tile("Tokens out", "usage-tokens-out", format_count(t.completion_tokens))}
                {tile("Cost (USD)", "usage-cost", format_usd(t.cost_micros))}
                {tile("Error rate", "usage-error-rate", format_percent(t.error_rate()))}
                {tile("Latency p50", "usage-p50", format_ms(t.p50_ms))}
                {tile("Latency p95", "usage-p95", format_ms(t.p95_ms))}
            </div>
            {(t.requests == 0).then(|| view! { <p class="muted">"No usage recorded in this range."</p> })}
        </section>
    };
    let x: Vec<XPoint> = d
        .series
        .iter()
        .map(|g| XPoint {
            tooltip: bucket_label(&g.key, &d.granularity),
            tick: bucket_tick(&g.key, &d.granularity),
        })
        .collect();
    let per = if d.granularity == "hour" {
        "hour"
    } else {
        "day"
    };
    let requests = vec![Line {
        name: "Requests",
        values: d.series.iter().map(|g| Some(g.requests as f64)).collect(),
    }];
    let latency = vec![
        Line {
            name: "p50",
            values: d.series.iter().map(|g| g.p50_ms).collect(),
        },
        Line {
            name: "p95",
            values: d.series.iter().map(|g| g.p95_ms).collect(),
        },
    ];
    let cost: Vec<f64> = d
        .series
        .iter()
        .map(|g| g.cost_micros as f64 / 1_000_000.0)
        .collect();
    let q = d.export_query.clone();
    view! {
        {tiles}
        <div class="charts">
            <section class="card" aria-labelledby="chart-requests-heading">
                <h2 id="chart-requests-heading">{format!("Requests per {per}")}</h2>
                <LineChart test_id="chart-requests" label=format!("Requests per {per}")
                    measure=Measure::Count("request", "requests") x=x.clone() lines=requests />
            </section>
            <section class="card" aria-labelledby="chart-cost-heading">
                <h2 id="chart-cost-heading">{format!("Cost per {per} (USD)")}</h2>
                <BarChart test_id="chart-cost" label=format!("Cost per {per} in US dollars")
                    measure=Measure::Dollars x=x.clone() values=cost />
            </section>
            <section class="card" aria-labelledby="chart-latency-heading">
                <h2 id="chart-latency-heading">"Latency (p50 / p95)"</h2>
                <LineChart test_id="chart-latency" label=format!("Median and 95th percentile latency per {per}, in milliseconds")
                    measure=Measure::Millis x lines=latency />
            </section>
        </div>
        <div class="breakdowns">
            <Breakdown title="Top models" column="Model" group_by="model" rows=d.models query=q.clone() />
            {d.organization.then(|| view! {
                <Breakdown title="Top users" column="User" group_by="user" rows=d.users query=q.clone() />
            })}
            <Breakdown title="Top Keygate keys" column="Keygate key" group_by="key" rows=d.keys query=q.clone() />
            <Breakdown title="By provider" column="Provider" group_by="provider" rows=d.providers query=q.clone() />
            <Outcomes total=d.total.clone() />
        </div>
        <p class="row">
            <a class="btn btn-sm" href=format!("/api/usage/export.csv?{q}")>"Export ledger CSV"</a>
            <span class="muted small">"Every request of this scope and range, one row each."</span>
        </p>
    }
}

// `use<…>`: the view owns what it shows; without it, release builds (components not
// erased) keep the borrowed arguments alive for the view's whole lifetime.
fn export_link(group_by: &str, query: &str, title: &'static str) -> impl IntoView + use<> {
    view! {
        <a class="btn btn-sm" href=format!("/api/usage/export.csv?groupBy={group_by}&{query}")>
            "Export CSV"<span class="sr-only">{format!(" of {}", title.to_lowercase())}</span>
        </a>
    }
}

/// One breakdown: the top rows by cost, and a link to all of them as CSV.
#[component]
fn Breakdown(
    title: &'static str,
    column: &'static str,
    group_by: &'static str,
    rows: Vec<UsageGroupDto>,
    query: String,
) -> impl IntoView {
    let table = if rows.is_empty() {
        view! { <p class="muted">"Nothing in this range."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap">
                <table class="table" aria-label=title>
                    <thead><tr>
                        <th scope="col">{column}</th>
                        <th scope="col" class="num">"Requests"</th>
                        <th scope="col" class="num">"Tokens"</th>
                        <th scope="col" class="num">"Cost"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|g| view! {
                            <tr>
                                <td>{g.label.clone()}</td>
                                <td class="num">{format_count(g.requests)}</td>
                                <td class="num">{format_count(g.tokens())}</td>
                                <td class="num">{format_usd(g.cost_micros)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let export = export_link(group_by, &query, title);
    view! {
        <section class="card breakdown">
            <div class="row card-head">
                <h2>{title}</h2>
                <span class="spacer"></span>
                {export}
            </div>
            {table}
        </section>
    }
}

/// Successful and failed requests (tokens and cost are not split by outcome in the rollups;
/// the ledger export has each request's outcome).
#[component]
fn Outcomes(total: UsageGroupDto) -> impl IntoView {
    let ok = total.requests - total.errors;
    let share = |n: i64| {
        if total.requests == 0 {
            "—".to_owned()
        } else {
            format_percent(n as f64 / total.requests as f64)
        }
    };
    view! {
        <section class="card breakdown">
            <div class="row card-head"><h2>"By outcome"</h2></div>
            <div class="table-wrap">
                <table class="table" aria-label="By outcome">
                    <thead><tr>
                        <th scope="col">"Outcome"</th>
                        <th scope="col" class="num">"Requests"</th>
                        <th scope="col" class="num">"Share"</th>
                    </tr></thead>
                    <tbody>
                        <tr><td>"Success"</td><td class="num">{format_count(ok)}</td><td class="num">{share(ok)}</td></tr>
                        <tr><td>"Errors"</td><td class="num">{format_count(total.errors)}</td><td class="num">{share(total.errors)}</td></tr>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// This month's cost so far and where it is heading, for the same scope (not the range).
#[component]
fn CostTracking(
    project: RwSignal<Option<i32>>,
    user: RwSignal<Option<i32>>,
    tick: RwSignal<u32>,
) -> impl IntoView {
    let costs = Resource::new(
        move || (project.get(), user.get(), tick.get()),
        |(project_id, user_id, _)| usage_costs(project_id, user_id),
    );
    view! {
        <section class="card" aria-labelledby="cost-tracking-heading">
            <h2 id="cost-tracking-heading">"Cost tracking"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading costs…"</p> }>
                {move || Suspend::new(async move {
                    match costs.await {
                        Ok(c) => view! {
                            <div class="stat-row">
                                <div class="stat"><span class="stat-label">{format!("{} so far", c.month)}</span>
                                    <span class="stat-value" data-testid="cost-month">{format_usd(c.current_micros)}</span></div>
                                <div class="stat"><span class="stat-label">"Projected by the end of the month"</span>
                                    <span class="stat-value" data-testid="cost-projected">{format_usd(c.projected_micros)}</span></div>
                            </div>
                            <p class="muted small">"The projection adds the average daily cost of the last seven complete days for each day left (UTC)."</p>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Ratings of the organization's models (an aggregate without users, shown to everyone).
#[component]
fn ModelRatings(tick: RwSignal<u32>) -> impl IntoView {
    let ratings = Resource::new(move || tick.get(), |_| ratings_by_model());
    view! {
        <section class="card" aria-labelledby="model-ratings-heading">
            <h2 id="model-ratings-heading">"Ratings by model"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading ratings…"</p> }>
                {move || Suspend::new(async move {
                    match ratings.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted">"No ratings yet. Applications rate responses through the API."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table" aria-label="Ratings by model">
                                    <thead><tr>
                                        <th scope="col">"Model"</th>
                                        <th scope="col" class="num">"Ratings"</th>
                                        <th scope="col" class="num">"Average (1–5)"</th>
                                        <th scope="col" class="num">"Positive (4–5)"</th>
                                        <th scope="col" class="num">"Negative (1–2)"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|m| view! {
                                            <tr>
                                                <td>{m.model}</td>
                                                <td class="num">{format_count(m.ratings.count)}</td>
                                                <td class="num">{m.ratings.average.map(|a| format!("{a:.2}")).unwrap_or_else(|| "—".to_owned())}</td>
                                                <td class="num">{format_count(m.ratings.positive)}</td>
                                                <td class="num">{format_count(m.ratings.negative)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

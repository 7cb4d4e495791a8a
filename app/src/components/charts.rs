//! Small hand-written SVG charts (a line chart and a bar chart) for the usage and persona
//! pages: no JavaScript library, nothing to load, and they render on the server like the rest
//! of the page. Axes carry tick labels and the unit; every point or bar has a `<title>`, which
//! browsers show as a tooltip and screen readers read. Colours come from CSS custom
//! properties (`--chart-*` in style/main.css), so the charts follow light and dark mode; no
//! inline styles (the Content-Security-Policy forbids them).

use leptos::prelude::*;

use crate::dto::format_dollars;
use crate::dto_insight::{format_count, format_ms};

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 30.0;
/// At most this many labels under the x axis.
const X_TICKS: usize = 6;

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// One position on the x axis: the full label (tooltips) and the short one (axis ticks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XPoint {
    pub tooltip: String,
    pub tick: String,
}

/// One line of a line chart; `None` leaves a gap (no data in that bucket).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: &'static str,
    pub values: Vec<Option<f64>>,
}

/// What a chart's values measure, which decides how they read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Whole things, named in the singular and plural (`request`, `requests`).
    Count(&'static str, &'static str),
    /// US dollars.
    Dollars,
    /// Milliseconds.
    Millis,
}

impl Measure {
    /// The axis title.
    fn unit(self) -> &'static str {
        match self {
            Measure::Count(_, many) => many,
            Measure::Dollars => "USD",
            Measure::Millis => "ms",
        }
    }

    /// A value as a tooltip says it.
    fn value(self, v: f64) -> String {
        match self {
            Measure::Count(one, many) => {
                let n = v.round() as i64;
                format!("{} {}", format_count(n), if n == 1 { one } else { many })
            }
            Measure::Dollars => format_dollars((v * 1_000_000.0).round() as i64),
            Measure::Millis => format_ms(Some(v)),
        }
    }

    /// A y-axis tick, precise enough to tell ticks `step` apart.
    fn tick(self, v: f64, step: f64) -> String {
        match self {
            Measure::Count(..) => format_count(v.round() as i64),
            Measure::Dollars => {
                let decimals = (-step.log10()).ceil().clamp(2.0, 6.0) as usize;
                format!("${v:.decimals$}")
            }
            Measure::Millis if v >= 10_000.0 => format!("{:.0}k", v / 1_000.0),
            Measure::Millis => format!("{v:.0}"),
        }
    }

    fn whole(self) -> bool {
        !matches!(self, Measure::Dollars)
    }
}

/// A round tick step and the axis top for values up to `max` (about four ticks).
fn nice_scale(max: f64, whole: bool) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return if whole { (1.0, 4.0) } else { (0.25, 1.0) };
    }
    let raw = max / 4.0;
    let magnitude = 10_f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    let mut step = nice * magnitude;
    if whole && step < 1.0 {
        step = 1.0;
    }
    let top = ((max / step) - 1e-9).ceil().max(1.0) * step;
    (step, top)
}

fn num(v: f64) -> String {
    format!("{v:.1}")
}

/// The y coordinate of `v` on an axis from 0 to `top`.
fn y_of(v: f64, top: f64) -> f64 {
    TOP + plot_height() * (1.0 - (v / top).clamp(0.0, 1.0))
}

/// Grid lines, y tick labels and the unit.
fn y_axis(measure: Measure, step: f64, top: f64) -> impl IntoView {
    let count = (top / step).round() as usize;
    let ticks: Vec<f64> = (0..=count).map(|i| step * i as f64).collect();
    view! {
        <text class="chart-unit" x=num(LEFT - 8.0) y="12" text-anchor="end">{measure.unit()}</text>
        {ticks.into_iter().map(|v| {
            let y = num(y_of(v, top));
            view! {
                <line class="chart-grid" x1=num(LEFT) x2=num(WIDTH - RIGHT) y1=y.clone() y2=y.clone() />
                <text class="chart-tick" x=num(LEFT - 8.0) y=y text-anchor="end" dominant-baseline="middle">
                    {measure.tick(v, step)}
                </text>
            }
        }).collect_view()}
    }
}

/// The baseline and up to [`X_TICKS`] labels under it; `x_of` places point `i`.
// `use<…>`: the view owns what it shows; without it, release builds (components not
// erased) keep the borrowed arguments alive for the view's whole lifetime.
fn x_axis<F: Fn(usize) -> f64>(points: &[XPoint], x_of: F) -> impl IntoView + use<F> {
    let every = points.len().div_ceil(X_TICKS).max(1);
    let baseline = num(TOP + plot_height());
    let label_y = num(TOP + plot_height() + 18.0);
    view! {
        <line class="chart-axis" x1=num(LEFT) x2=num(WIDTH - RIGHT) y1=baseline.clone() y2=baseline />
        {points.iter().enumerate().filter(|(i, _)| i % every == 0).map(|(i, p)| view! {
            <text class="chart-tick" x=num(x_of(i)) y=label_y.clone() text-anchor="middle">{p.tick.clone()}</text>
        }).collect_view()}
    }
}

/// A line chart of one or more series over the same x axis. Points get class `chart-point`.
#[component]
pub fn LineChart(
    /// `data-testid` of the chart's container.
    test_id: &'static str,
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: String,
    measure: Measure,
    x: Vec<XPoint>,
    lines: Vec<Line>,
) -> impl IntoView {
    let n = x.len();
    let max = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    let (step, top) = nice_scale(max, measure.whole());
    let x_of = move |i: usize| {
        if n <= 1 {
            LEFT + plot_width() / 2.0
        } else {
            LEFT + plot_width() * i as f64 / (n - 1) as f64
        }
    };
    let named = lines.len() > 1;
    let legend = named.then(|| {
        let items: Vec<&'static str> = lines.iter().map(|l| l.name).collect();
        view! {
            <ul class="chart-legend">
                {items.into_iter().enumerate().map(|(i, name)| view! {
                    <li><span class=format!("chart-swatch chart-series-{}", i + 1) aria-hidden="true"></span>{name}</li>
                }).collect_view()}
            </ul>
        }
    });
    let drawn = lines
        .into_iter()
        .enumerate()
        .map(|(series, line)| {
            let class = format!("chart-series-{}", series + 1);
            let mut d = String::new();
            let mut previous = false;
            for (i, v) in line.values.iter().enumerate() {
                if let Some(v) = v {
                    let command = if previous { 'L' } else { 'M' };
                    d.push_str(&format!("{command}{} {} ", num(x_of(i)), num(y_of(*v, top))));
                }
                previous = v.is_some();
            }
            let points: Vec<(usize, f64)> = line
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .collect();
            let path = (!d.is_empty()).then(|| {
                view! { <path class=format!("chart-line {class}") d=d.trim_end().to_owned() fill="none" /> }
            });
            let dots = points
                .into_iter()
                .map(|(i, v)| {
                    let what = if named {
                        format!("{} {}", line.name, measure.value(v))
                    } else {
                        measure.value(v)
                    };
                    let tooltip = format!(
                        "{} — {what}",
                        x.get(i).map(|p| p.tooltip.as_str()).unwrap_or_default()
                    );
                    view! {
                        <circle class=format!("chart-point {class}") cx=num(x_of(i)) cy=num(y_of(v, top)) r="3.5">
                            <title>{tooltip}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! { {path} {dots} }
        })
        .collect_view();
    let x_ticks = x_axis(&x, x_of);
    view! {
        <div class="chart" data-testid=test_id>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                {y_axis(measure, step, top)}
                {x_ticks}
                {drawn}
            </svg>
            {legend}
        </div>
    }
}

/// A bar chart, one bar per x position. Bars get class `chart-bar`.
#[component]
pub fn BarChart(
    /// `data-testid` of the chart's container.
    test_id: &'static str,
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: String,
    measure: Measure,
    x: Vec<XPoint>,
    values: Vec<f64>,
) -> impl IntoView {
    let n = values.len().max(1);
    let band = plot_width() / n as f64;
    let max = values.iter().fold(0.0_f64, |a, b| a.max(*b));
    let (step, top) = nice_scale(max, measure.whole());
    let center = move |i: usize| LEFT + band * (i as f64 + 0.5);
    let baseline = TOP + plot_height();
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let y = y_of(*v, top);
            // A sliver for tiny non-zero values, so they do not look like nothing.
            let height = if *v > 0.0 {
                (baseline - y).max(1.0)
            } else {
                0.0
            };
            let tooltip = format!(
                "{} — {}",
                x.get(i).map(|p| p.tooltip.as_str()).unwrap_or_default(),
                measure.value(*v)
            );
            view! {
                <rect class="chart-bar chart-series-1" x=num(center(i) - band * 0.35) y=num(baseline - height)
                    width=num(band * 0.7) height=num(height)>
                    <title>{tooltip}</title>
                </rect>
            }
        })
        .collect_view();
    let x_ticks = x_axis(&x, center);
    view! {
        <div class="chart" data-testid=test_id>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                {y_axis(measure, step, top)}
                {x_ticks}
                {bars}
            </svg>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_scale(0.0, true), (1.0, 4.0));
        assert_eq!(nice_scale(3.0, true), (1.0, 3.0));
        assert_eq!(nice_scale(12.0, true), (5.0, 15.0));
        assert_eq!(nice_scale(100.0, true), (50.0, 100.0));
        let (step, top) = nice_scale(0.000_006, false);
        assert!((step - 0.000_002).abs() < 1e-12 && (top - 0.000_006).abs() < 1e-12);
    }

    #[test]
    fn ticks_read_in_their_unit() {
        assert_eq!(Measure::Dollars.tick(0.25, 0.25), "$0.25");
        assert_eq!(Measure::Dollars.tick(0.000_004, 0.000_002), "$0.000004");
        let requests = Measure::Count("request", "requests");
        assert_eq!(requests.tick(1500.0, 500.0), "1,500");
        assert_eq!(requests.value(12.0), "12 requests");
        assert_eq!(requests.value(1.0), "1 request");
        assert_eq!(Measure::Millis.value(250.0), "250 ms");
    }
}

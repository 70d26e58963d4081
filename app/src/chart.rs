//! The portal's two charts, drawn as inline SVG on the server (no script, no chart library):
//! a batch's status counts over time, and an account's 30-day usage. Each comes with its
//! figures as a table for screen readers and for anyone who wants the numbers.

use crate::delivery::{StatusTimeline, TimelineSeries};
use crate::i18n::{tr, use_lang, Lang};
use crate::ledger::DayUsage;
use crate::ui::{format_hkt_in, EmptyState};
use leptos::prelude::*;

/// The status chart spans its card; the usage charts sit two to a row. Their drawing widths
/// differ so that text keeps about the same size on screen (style/main.css enlarges it on
/// phones).
const WIDE: f64 = 800.0;
const NARROW: f64 = 480.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels.
const LEFT: f64 = 84.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;
const RIGHT: f64 = 8.0;

fn plot_width(width: f64) -> f64 {
    width - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// A "nice" axis maximum at or above `max` (1, 2 or 5 times a power of ten).
pub fn nice_max(max: i64) -> i64 {
    if max <= 0 {
        return 1;
    }
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The polygon points of each series stacked on the ones before it, in plot coordinates.
pub fn stacked_areas(series: &[Vec<i64>], y_max: i64, width: f64) -> Vec<String> {
    let n = series.first().map(Vec::len).unwrap_or(0);
    if n == 0 {
        return Vec::new();
    }
    let x = |i: usize| LEFT + plot_width(width) * (i as f64 + 1.0) / n as f64;
    let y = |v: i64| TOP + plot_height() * (1.0 - v as f64 / y_max.max(1) as f64);
    let mut below = vec![0i64; n];
    let mut out = Vec::with_capacity(series.len());
    for counts in series {
        let above: Vec<i64> = below.iter().zip(counts).map(|(b, c)| b + c).collect();
        // Along the top edge left to right, then back along the bottom edge; the area starts
        // at the left axis with the first slice's values.
        let mut points = vec![format!("{LEFT:.1},{:.1}", y(above[0]))];
        points.extend((0..n).map(|i| format!("{:.1},{:.1}", x(i), y(above[i]))));
        points.extend(
            (0..n)
                .rev()
                .map(|i| format!("{:.1},{:.1}", x(i), y(below[i]))),
        );
        points.push(format!("{LEFT:.1},{:.1}", y(below[0])));
        out.push(points.join(" "));
        below = above;
    }
    out
}

/// Grid lines with their values: at 0, half way (when that is a whole value) and the top.
fn y_axis(y_max: i64, width: f64, label: impl Fn(i64) -> String) -> impl IntoView {
    let steps = if y_max % 2 == 0 { 2 } else { 1 };
    (0..=steps)
        .map(|k| {
            let v = y_max * k / steps;
            let y = TOP + plot_height() * (1.0 - k as f64 / steps as f64);
            view! {
                <g class="chart-grid">
                    <line x1=LEFT x2=width - RIGHT y1=y y2=y/>
                    <text x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{label(v)}</text>
                </g>
            }
        })
        .collect_view()
}

/// A series' name in `lang`: the engine names the first two "Waiting" and "Processing" (every
/// message not yet final, before and after it went to an operator), the others by status.
fn series_label(lang: Lang, series: &TimelineSeries) -> &'static str {
    match series.status {
        sms::DeliveryStatus::UploadSuccess => tr::results_chart_waiting(lang),
        sms::DeliveryStatus::Processing => tr::results_chart_processing(lang),
        status => crate::delivery::status_label(lang, status),
    }
}

/// A batch's messages by status over time, stacked: waiting, processing, then final statuses.
#[component]
pub fn StatusChart(timeline: StatusTimeline) -> impl IntoView {
    let lang = use_lang();
    let y_max = nice_max(timeline.total);
    let counts: Vec<Vec<i64>> = timeline.series.iter().map(|s| s.counts.clone()).collect();
    let areas = stacked_areas(&counts, y_max, WIDE);
    let slices = counts.first().map(Vec::len).unwrap_or(0);
    let end = timeline.start + timeline.bucket_ms * slices as i64;
    let summary = timeline
        .series
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                series_label(lang, s),
                s.counts.last().copied().unwrap_or(0)
            )
        })
        .collect::<Vec<_>>()
        .join(tr::results_chart_separator(lang));
    let label = tr::results_chart_label(
        lang,
        format_hkt_in(lang, timeline.start),
        summary,
        format_hkt_in(lang, end),
    );
    let label_attr = label.clone();
    let legend = timeline.series.clone();
    let table_rows: Vec<(String, Vec<i64>)> = (0..slices)
        .step_by((slices / 10).max(1))
        .chain((slices > 0).then_some(slices - 1))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|i| {
            (
                format_hkt_in(lang, timeline.start + timeline.bucket_ms * (i as i64 + 1)),
                timeline.series.iter().map(|s| s.counts[i]).collect(),
            )
        })
        .collect();
    let headers = timeline.series.clone();
    view! {
        <figure class="chart chart-wide" data-testid="status-chart">
            <svg viewBox=format!("0 0 {WIDE} {HEIGHT}") role="img" aria-label=label_attr>
                <title>{label}</title>
                {y_axis(y_max, WIDE, |v| v.to_string())}
                {timeline.series.iter().zip(areas).map(|(s, points)| view! {
                    <polygon class=format!("chart-area status-{}", s.status.code()) points=points/>
                }).collect_view()}
                <text class="chart-axis" x=LEFT y=HEIGHT - 6.0>{format_hkt_in(lang, timeline.start)}</text>
                <text class="chart-axis" x=WIDE - RIGHT y=HEIGHT - 6.0 text-anchor="end">{format_hkt_in(lang, end)}</text>
            </svg>
            <figcaption>
                <ul class="chart-legend">
                    {legend.into_iter().map(|s| view! {
                        <li><span class=format!("swatch status-{}", s.status.code()) aria-hidden="true"></span>{format!("{} {}", series_label(lang, &s), s.counts.last().copied().unwrap_or(0))}</li>
                    }).collect_view()}
                </ul>
                <details>
                    <summary>{tr::results_chart_show_figures(lang)}</summary>
                    <div class="table-wrap"><table class="table">
                        <thead><tr><th scope="col">{tr::results_chart_time(lang)}</th>{headers.into_iter().map(|s| view! { <th scope="col" class="num">{series_label(lang, &s)}</th> }).collect_view()}</tr></thead>
                        <tbody>{table_rows.into_iter().map(|(t, values)| view! {
                            <tr><td>{t}</td>{values.into_iter().map(|v| view! { <td class="num">{v}</td> }).collect_view()}</tr>
                        }).collect_view()}</tbody>
                    </table></div>
                </details>
            </figcaption>
        </figure>
    }
}

fn bars(values: &[i64], y_max: i64) -> Vec<(f64, f64, f64, f64)> {
    let n = values.len().max(1) as f64;
    let slot = plot_width(NARROW) / n;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = plot_height() * (*v).max(0) as f64 / y_max.max(1) as f64;
            (
                LEFT + slot * i as f64 + slot * 0.15,
                TOP + plot_height() - h,
                slot * 0.7,
                h,
            )
        })
        .collect()
}

#[component]
fn BarChart(
    title: &'static str,
    labels: Vec<String>,
    values: Vec<i64>,
    format: fn(i64) -> String,
    class: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    let y_max = nice_max(values.iter().copied().max().unwrap_or(0));
    let total: i64 = values.iter().sum();
    let aria = tr::results_chart_per_day(
        lang,
        labels.first().cloned().unwrap_or_default(),
        title,
        labels.last().cloned().unwrap_or_default(),
        format(total),
    );
    let aria_attr = aria.clone();
    let geometry = bars(&values, y_max);
    view! {
        <figure class="chart chart-narrow">
            <figcaption><strong>{title}</strong>" "<span class="muted">{tr::results_chart_in_30_days(lang, format(total))}</span></figcaption>
            <svg viewBox=format!("0 0 {NARROW} {HEIGHT}") role="img" aria-label=aria_attr>
                <title>{aria}</title>
                {y_axis(y_max, NARROW, format)}
                {geometry.into_iter().zip(labels.iter().cloned().zip(values.iter().copied())).map(|((x, y, w, h), (day, v))| view! {
                    <rect class=format!("chart-bar {class}") x=x y=y width=w height=h><title>{tr::results_chart_day_value(lang, day, format(v))}</title></rect>
                }).collect_view()}
                <text class="chart-axis" x=LEFT y=HEIGHT - 6.0>{labels.first().cloned().unwrap_or_default()}</text>
                <text class="chart-axis" x=NARROW - RIGHT y=HEIGHT - 6.0 text-anchor="end">{labels.last().cloned().unwrap_or_default()}</text>
            </svg>
        </figure>
    }
}

fn format_count(v: i64) -> String {
    v.to_string()
}

fn format_dollars(minor: i64) -> String {
    sms::Money::from_minor(minor).to_string()
}

/// Messages and spend per Hong Kong day over the last 30 days.
#[component]
pub fn UsageChart(usage: Vec<DayUsage>) -> impl IntoView {
    let lang = use_lang();
    let any = usage.iter().any(|d| d.messages > 0 || d.spend.minor() != 0);
    let labels: Vec<String> = usage.iter().map(|d| d.date.clone()).collect();
    let messages: Vec<i64> = usage.iter().map(|d| d.messages).collect();
    let spend: Vec<i64> = usage.iter().map(|d| d.spend.minor()).collect();
    view! {
        <section class="card" aria-labelledby="usage-heading" data-testid="usage-chart">
            <h2 id="usage-heading">{tr::results_chart_last_30_days(lang)}</h2>
            {if any {
                view! {
                    <div class="grid-2">
                        <BarChart title=tr::results_chart_messages(lang) labels=labels.clone() values=messages format=format_count class="bar-messages"/>
                        <BarChart title=tr::results_chart_spend(lang) labels=labels values=spend format=format_dollars class="bar-spend"/>
                    </div>
                    <details>
                        <summary>{tr::results_chart_show_figures(lang)}</summary>
                        <div class="table-wrap"><table class="table">
                            <thead><tr><th scope="col">{tr::results_chart_day(lang)}</th><th scope="col" class="num">{tr::results_chart_messages(lang)}</th><th scope="col" class="num">{tr::results_chart_spend(lang)}</th></tr></thead>
                            <tbody>{usage.into_iter().rev().filter(|d| d.messages > 0 || d.spend.minor() != 0).map(|d| view! {
                                <tr><td>{d.date}</td><td class="num">{d.messages}</td><td class="num">{d.spend.to_string()}</td></tr>
                            }).collect_view()}</tbody>
                        </table></div>
                    </details>
                }.into_any()
            } else {
                view! { <EmptyState title=tr::results_chart_nothing_sent(lang)><p>{tr::results_chart_nothing_sent_text(lang)}</p></EmptyState> }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(1), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(50_000), 50_000);
        assert_eq!(nice_max(50_001), 100_000);
        assert_eq!(nice_max(120), 200);
    }

    #[test]
    fn stacked_areas_sit_on_each_other() {
        let areas = stacked_areas(&[vec![10, 0], vec![0, 10]], 10, WIDE);
        assert_eq!(areas.len(), 2);
        // The second series' bottom edge is the first one's top edge.
        let top_of_first: Vec<&str> = areas[0].split(' ').skip(1).take(2).collect();
        let bottom_of_second: Vec<&str> = areas[1].split(' ').skip(3).take(2).collect();
        let mut reversed = bottom_of_second.clone();
        reversed.reverse();
        assert_eq!(top_of_first, reversed);
    }
}

//! The composer's live panels: the part counter, the too-long and non-GSM notices, the China
//! preview, the cost summary, the per-route mix and the server's check result.

use super::composer::Analysis;
use super::{BroadcastCheck, RouteQuote};
use crate::error::AppError;
use crate::ui::{Notice, NoticeKind};
use leptos::prelude::*;
use sms::encoding::{replace_lookalikes, NonGsmChar};
use sms::{Encoding, Money};

#[component]
pub(super) fn Counter(analysis: Memo<Analysis>) -> impl IntoView {
    let seg = move || analysis.with(|a| a.composition.standard.segmentation);
    view! {
        <p class="counter" id="composer-counter" aria-live="polite">
            <span class="counter-item" data-testid="composer-encoding">
                {move || match seg().encoding { Encoding::Gsm7 => "GSM-7", Encoding::Ucs2 => "UCS-2 (Unicode)" }}
            </span>
            <span class="counter-item" data-testid="composer-units">
                {move || format!("{} characters", seg().units)}
            </span>
            <span class="counter-item" data-testid="composer-parts">
                {move || match seg().parts {
                    Some(1) => "1 part".to_string(),
                    Some(n) => format!("{n} parts"),
                    None => "too long".to_string(),
                }}
            </span>
            <span class="counter-item" data-testid="composer-left">
                {move || format!("{} left in this part", seg().units_left_in_part)}
            </span>
        </p>
    }
}

#[component]
pub(super) fn TooLongNotice(analysis: Memo<Analysis>) -> impl IntoView {
    move || {
        analysis.with(|a| a.composition.standard.segmentation.too_long).map(|t| {
            view! {
                <Notice kind=NoticeKind::Error>
                    <span data-testid="composer-too-long">
                        {format!(
                            "Too long: {} characters, but at most {} fit in {} parts. Remove {} characters; Ferry never cuts a message.",
                            t.units, t.limit, t.max_parts, t.units - t.limit
                        )}
                    </span>
                </Notice>
            }
        })
    }
}

/// Points at the characters that force UCS-2, which cuts a part from 160 to 70 characters.
#[component]
pub(super) fn NonGsmNotice(analysis: Memo<Analysis>, text: RwSignal<String>) -> impl IntoView {
    move || {
        let culprits = analysis.with(|a| a.non_gsm.clone());
        if culprits.is_empty() {
            return None;
        }
        let replaceable = culprits.iter().any(|c| c.suggestion.is_some());
        let mut shown: Vec<NonGsmChar> = Vec::new();
        for c in culprits {
            if !shown.iter().any(|s| s.ch == c.ch) {
                shown.push(c);
            }
        }
        Some(view! {
            <div class="notice notice-info" data-testid="composer-non-gsm">
                <p>"These characters switch the message to UCS-2 (70 characters per part instead of 160):"</p>
                <ul class="culprits">
                    {shown.into_iter().take(12).map(|c| {
                        let shown_char = if c.ch.is_whitespace() || c.ch.is_control() { format!("U+{:04X}", c.ch as u32) } else { c.ch.to_string() };
                        let hint = match &c.suggestion {
                            Some(s) if s.is_empty() => " (invisible: remove it)".to_string(),
                            Some(s) => format!(" → {s}"),
                            None => String::new(),
                        };
                        view! { <li><code class="culprit">{shown_char}</code>{format!(" at character {}{hint}", c.char_index + 1)}</li> }
                    }).collect_view()}
                </ul>
                {replaceable.then(|| view! {
                    <button type="button" class="button button-quiet" on:click=move |_| text.update(|t| *t = replace_lookalikes(t))>
                        "Replace look-alikes with GSM characters"
                    </button>
                })}
            </div>
        })
    }
}

/// The China text as recipients will see it, with any illegal keywords highlighted.
#[component]
pub(super) fn ChinaPreview(analysis: Memo<Analysis>) -> impl IntoView {
    view! {
        <div class="china-preview">
            <p class="field-label">"Recipients will see"</p>
            <p class="preview-text" data-testid="composer-china-preview">
                {move || analysis.with(|a| a.composition.china.text.clone())}
            </p>
            <p class="muted" data-testid="composer-china-parts">
                {move || analysis.with(|a| match a.composition.china.parts() {
                    Some(1) => "Mainland numbers: 1 part.".to_string(),
                    Some(n) => format!("Mainland numbers: {n} parts."),
                    None => "Too long for mainland numbers with the signature.".to_string(),
                })}
            </p>
            {move || analysis.with(|a| {
                a.composition.china.unsubscribe_appended.then(|| view! { <p class="muted">"The unsubscribe text /退訂回T fits in the last part at no extra cost, so it is added."</p> })
            })}
            {move || {
                let (matches, pieces) = analysis.with(|a| (a.keyword_matches.clone(), a.highlighted.clone()));
                (!matches.is_empty()).then(|| {
                    let mut keywords: Vec<String> = matches.into_iter().map(|m| m.keyword).collect();
                    keywords.dedup();
                    view! {
                        <div class="notice notice-error" data-testid="composer-keywords">
                            <p>{format!("China operators refuse messages containing {}: {}. The server will not accept this message for mainland numbers.", if keywords.len() == 1 { "this keyword" } else { "these keywords" }, keywords.join(", "))}</p>
                            <p class="preview-text" data-testid="composer-keyword-highlight">
                                {pieces.into_iter().map(|(piece, hit)| if hit {
                                    view! { <mark class="keyword">{piece}</mark> }.into_any()
                                } else {
                                    piece.into_any()
                                }).collect_view()}
                            </p>
                        </div>
                    }
                })
            }}
        </div>
    }
}

#[component]
pub(super) fn CostSummary(
    total: Memo<Option<Money>>,
    recipients: Memo<usize>,
    quote: Memo<(Vec<RouteQuote>, Option<Money>)>,
    balance: Money,
) -> impl IntoView {
    view! {
        <div class="cost" aria-live="polite">
            <RouteMix quotes=Signal::derive(move || quote.with(|(q, _)| q.clone()))/>
            <p>
                <span data-testid="composer-recipients">{move || match recipients.get() { 1 => "1 number".to_string(), n => format!("{n} numbers") }}</span>
                " in all: "
                <strong class="cost-total" data-testid="composer-cost">
                    {move || total.get().map(|t| t.to_string()).unwrap_or_else(|| "—".into())}
                </strong>
            </p>
            {move || total.get().and_then(|t| {
                t.checked_sub(balance).filter(|s| s.minor() > 0).map(|short| view! {
                    <p class="cost-warning">{format!("Your balance is {balance}: this needs {short} more.")}</p>
                })
            })}
        </div>
    }
}

/// Each route's recipients, parts, price per part and cost: the same table in the composer's
/// live figures and in the server's check.
#[component]
pub(super) fn RouteMix(#[prop(into)] quotes: Signal<Vec<RouteQuote>>) -> impl IntoView {
    move || {
        let quotes = quotes.get();
        (!quotes.is_empty()).then(|| view! {
            <div class="table-wrap">
                <table class="table route-mix" data-testid="route-mix">
                    <thead><tr>
                        <th scope="col">"Route"</th>
                        <th scope="col" class="num">"Numbers"</th>
                        <th scope="col" class="num">"Parts each"</th>
                        <th scope="col" class="num">"Per part"</th>
                        <th scope="col" class="num">"Cost"</th>
                    </tr></thead>
                    <tbody>
                        {quotes.into_iter().map(|q| view! {
                            <tr>
                                <td>{q.route.label()}</td>
                                <td class="num">{q.recipients}</td>
                                <td class="num">{if q.parts == 0 { "—".to_string() } else { q.parts.to_string() }}</td>
                                <td class="num">{q.unit_price.to_string()}</td>
                                <td class="num">{q.total.to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })
    }
}

#[component]
pub(super) fn CheckResult(
    #[prop(into)] value: Signal<Option<Result<BroadcastCheck, AppError>>>,
) -> impl IntoView {
    move || {
        let Some(Ok(check)) = value.get() else {
            return None;
        };
        let rejected = check.rejected.clone();
        let rejected_total = check.rejected_total;
        Some(view! {
            <section class="card check-result" data-testid="check-result" aria-live="polite">
                <h2>"Checked by the server"</h2>
                <RouteMix quotes=Signal::derive({ let q = check.routes.clone(); move || q.clone() })/>
                <p>
                    {format!(
                        "{} recipient{}, {} part{} as typed ({}, {} characters): ",
                        check.recipients, if check.recipients == 1 { "" } else { "s" },
                        check.parts, if check.parts == 1 { "" } else { "s" },
                        check.encoding, check.units
                    )}
                    <strong data-testid="check-total">{check.total.to_string()}</strong>
                </p>
                {(check.duplicates_removed > 0).then(|| view! { <p class="muted">{format!("{} duplicate number(s) will be sent once.", check.duplicates_removed)}</p> })}
                {(check.dnc_filtered > 0).then(|| view! { <p data-testid="check-dnc">{format!("{} number(s) on the do-not-call register will be left out, free of charge.", check.dnc_filtered)}</p> })}
                {(check.opted_out > 0).then(|| view! { <p data-testid="check-opted-out">{format!("{} number(s) that replied STOP to you will be left out, free of charge.", check.opted_out)}</p> })}
                {match check.shortfall {
                    Some(short) => view! { <Notice kind=NoticeKind::Error>{format!("Insufficient balance: {} available, {} more is needed.", check.balance, short)}</Notice> }.into_any(),
                    None => view! { <Notice kind=NoticeKind::Success>{format!("Your balance of {} covers this batch.", check.balance)}</Notice> }.into_any(),
                }}
                {(!rejected.is_empty()).then(|| view! {
                    <h3>{format!("{} row(s) will not be sent", rejected_total)}</h3>
                    {(rejected_total > rejected.len() as u64).then(|| view! { <p class="muted">{format!("The first {} are listed.", rejected.len())}</p> })}
                    <div class="table-wrap">
                        <table class="table" data-testid="rejected-rows">
                            <thead><tr><th scope="col">"Row"</th><th scope="col">"Number"</th><th scope="col">"Reason"</th></tr></thead>
                            <tbody>
                                {rejected.into_iter().map(|r| view! { <tr><td>{r.row}</td><td>{r.input}</td><td>{r.reason}</td></tr> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })}

            </section>
        })
    }
}

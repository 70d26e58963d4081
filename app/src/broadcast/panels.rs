//! The composer's live panels: the part counter, the too-long and non-GSM notices, the China
//! preview, the cost summary, the per-route mix and the server's check result.

use super::composer::Analysis;
use super::{BroadcastCheck, RouteQuote};
use crate::error::AppError;
use crate::i18n::{tr, use_lang, Lang};
use crate::ui::{Notice, NoticeKind};
use leptos::prelude::*;
use sms::encoding::{replace_lookalikes, NonGsmChar};
use sms::{Encoding, Money, Route};

/// A route's name in `lang` (the `sms` crate's [`Route::label`] is English).
pub(super) fn route_label(lang: Lang, route: Route) -> &'static str {
    match route {
        Route::HkBusiness => tr::compose_route_hk_business(lang),
        Route::HkEconomic => tr::compose_route_hk_economic(lang),
        Route::China => tr::compose_route_china(lang),
        Route::International => tr::compose_route_international(lang),
    }
}

#[component]
pub(super) fn Counter(analysis: Memo<Analysis>) -> impl IntoView {
    let lang = use_lang();
    let seg = move || analysis.with(|a| a.composition.standard.segmentation);
    view! {
        <p class="counter" id="composer-counter" aria-live="polite">
            <span class="counter-item" data-testid="composer-encoding">
                {move || match seg().encoding { Encoding::Gsm7 => "GSM-7", Encoding::Ucs2 => tr::compose_encoding_ucs2(lang) }}
            </span>
            <span class="counter-item" data-testid="composer-units">
                {move || tr::compose_units(lang, seg().units)}
            </span>
            <span class="counter-item" data-testid="composer-parts">
                {move || match seg().parts {
                    Some(n) => tr::compose_parts(lang, i64::from(n)),
                    None => tr::compose_parts_too_long(lang).to_string(),
                }}
            </span>
            <span class="counter-item" data-testid="composer-left">
                {move || tr::compose_left_in_part(lang, seg().units_left_in_part)}
            </span>
        </p>
    }
}

#[component]
pub(super) fn TooLongNotice(analysis: Memo<Analysis>) -> impl IntoView {
    let lang = use_lang();
    move || {
        analysis.with(|a| a.composition.standard.segmentation.too_long).map(|t| {
            view! {
                <Notice kind=NoticeKind::Error>
                    <span data-testid="composer-too-long">
                        {tr::compose_too_long(lang, t.limit, t.max_parts, t.units - t.limit, t.units)}
                    </span>
                </Notice>
            }
        })
    }
}

/// Points at the characters that force UCS-2, which cuts a part from 160 to 70 characters.
#[component]
pub(super) fn NonGsmNotice(analysis: Memo<Analysis>, text: RwSignal<String>) -> impl IntoView {
    let lang = use_lang();
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
                <p>{tr::compose_non_gsm(lang)}</p>
                <ul class="culprits">
                    {shown.into_iter().take(12).map(|c| {
                        let shown_char = if c.ch.is_whitespace() || c.ch.is_control() { format!("U+{:04X}", c.ch as u32) } else { c.ch.to_string() };
                        let position = c.char_index + 1;
                        let at = match &c.suggestion {
                            Some(s) if s.is_empty() => tr::compose_culprit_invisible(lang, position),
                            Some(s) => tr::compose_culprit_suggestion(lang, position, s),
                            None => tr::compose_culprit_at(lang, position),
                        };
                        view! { <li><code class="culprit">{shown_char}</code>{format!(" {at}")}</li> }
                    }).collect_view()}
                </ul>
                {replaceable.then(|| view! {
                    <button type="button" class="button button-quiet" on:click=move |_| text.update(|t| *t = replace_lookalikes(t))>
                        {tr::compose_replace_lookalikes(lang)}
                    </button>
                })}
            </div>
        })
    }
}

/// The China text as recipients will see it, with any illegal keywords highlighted.
#[component]
pub(super) fn ChinaPreview(analysis: Memo<Analysis>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="china-preview">
            <p class="field-label">{tr::compose_china_will_see(lang)}</p>
            <p class="preview-text" data-testid="composer-china-preview">
                {move || analysis.with(|a| a.composition.china.text.clone())}
            </p>
            <p class="muted" data-testid="composer-china-parts">
                {move || analysis.with(|a| match a.composition.china.parts() {
                    Some(n) => tr::compose_china_parts(lang, i64::from(n)),
                    None => tr::compose_china_too_long(lang).to_string(),
                })}
            </p>
            {move || analysis.with(|a| {
                a.composition.china.unsubscribe_appended.then(|| view! { <p class="muted">{tr::compose_china_unsubscribe(lang)}</p> })
            })}
            {move || {
                let (matches, pieces) = analysis.with(|a| (a.keyword_matches.clone(), a.highlighted.clone()));
                (!matches.is_empty()).then(|| {
                    let mut keywords: Vec<String> = matches.into_iter().map(|m| m.keyword).collect();
                    keywords.dedup();
                    view! {
                        <div class="notice notice-error" data-testid="composer-keywords">
                            <p>{tr::compose_china_keywords(lang, keywords.len() as i64, keywords.join(tr::compose_list_separator(lang)))}</p>
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
    let lang = use_lang();
    view! {
        <div class="cost" aria-live="polite">
            <RouteMix quotes=Signal::derive(move || quote.with(|(q, _)| q.clone()))/>
            <p>
                <span data-testid="composer-recipients">{move || tr::compose_numbers(lang, recipients.get() as i64)}</span>
                {tr::compose_in_all(lang)}
                <strong class="cost-total" data-testid="composer-cost">
                    {move || total.get().map(|t| t.to_string()).unwrap_or_else(|| "—".into())}
                </strong>
            </p>
            {move || total.get().and_then(|t| {
                t.checked_sub(balance).filter(|s| s.minor() > 0).map(|short| view! {
                    <p class="cost-warning">{tr::compose_short(lang, balance, short)}</p>
                })
            })}
        </div>
    }
}

/// Each route's recipients, parts, price per part and cost: the same table in the composer's
/// live figures and in the server's check.
#[component]
pub(super) fn RouteMix(#[prop(into)] quotes: Signal<Vec<RouteQuote>>) -> impl IntoView {
    let lang = use_lang();
    move || {
        let quotes = quotes.get();
        (!quotes.is_empty()).then(|| view! {
            <div class="table-wrap">
                <table class="table route-mix" data-testid="route-mix">
                    <thead><tr>
                        <th scope="col">{tr::compose_col_route(lang)}</th>
                        <th scope="col" class="num">{tr::compose_col_numbers(lang)}</th>
                        <th scope="col" class="num">{tr::compose_col_parts_each(lang)}</th>
                        <th scope="col" class="num">{tr::compose_col_per_part(lang)}</th>
                        <th scope="col" class="num">{tr::compose_col_cost(lang)}</th>
                    </tr></thead>
                    <tbody>
                        {quotes.into_iter().map(|q| view! {
                            <tr>
                                <td>{route_label(lang, q.route)}</td>
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
    let lang = use_lang();
    move || {
        let Some(Ok(check)) = value.get() else {
            return None;
        };
        let rejected = check.rejected.clone();
        let rejected_total = check.rejected_total;
        Some(view! {
            <section class="card check-result" data-testid="check-result" aria-live="polite">
                <h2>{tr::compose_checked(lang)}</h2>
                <RouteMix quotes=Signal::derive({ let q = check.routes.clone(); move || q.clone() })/>
                <p>
                    {tr::compose_check_summary(
                        lang,
                        check.encoding,
                        i64::from(check.parts),
                        check.recipients as i64,
                        check.units,
                    )}
                    <strong data-testid="check-total">{check.total.to_string()}</strong>
                </p>
                {(check.duplicates_removed > 0).then(|| view! { <p class="muted">{tr::compose_check_duplicates(lang, check.duplicates_removed)}</p> })}
                {(check.dnc_filtered > 0).then(|| view! { <p data-testid="check-dnc">{tr::compose_check_dnc(lang, check.dnc_filtered)}</p> })}
                {(check.opted_out > 0).then(|| view! { <p data-testid="check-opted-out">{tr::compose_check_opted_out(lang, check.opted_out)}</p> })}
                {match check.shortfall {
                    Some(short) => view! { <Notice kind=NoticeKind::Error>{tr::compose_check_insufficient(lang, check.balance, short)}</Notice> }.into_any(),
                    None => view! { <Notice kind=NoticeKind::Success>{tr::compose_check_covered(lang, check.balance)}</Notice> }.into_any(),
                }}
                {(!rejected.is_empty()).then(|| view! {
                    <h3>{tr::compose_check_rejected(lang, rejected_total)}</h3>
                    {(rejected_total > rejected.len() as u64).then(|| view! { <p class="muted">{tr::compose_check_first_listed(lang, rejected.len())}</p> })}
                    <div class="table-wrap">
                        <table class="table" data-testid="rejected-rows">
                            <thead><tr><th scope="col">{tr::compose_col_row(lang)}</th><th scope="col">{tr::compose_col_number(lang)}</th><th scope="col">{tr::compose_col_reason(lang)}</th></tr></thead>
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

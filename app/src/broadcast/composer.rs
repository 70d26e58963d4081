//! The Broadcast SMS composer. Every figure on it (encoding, characters, parts, cost, UCS-2
//! culprits, China keywords) is computed in the browser by the `sms` crate as the customer
//! types, with no request to the server; "Check" asks the server to recompute the same.

use super::recipients::distinct_entries;
use super::{load_composer_setup, BroadcastCheck, ClientFigures, ComposerSetup, Purpose};
use crate::error::AppError;
use crate::shell::RequireViewer;
use crate::ui::{action_error, field_error, FormError, Loading, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;
use sms::encoding::{non_gsm_chars, replace_lookalikes, NonGsmChar};
use sms::{Encoding, KeywordMatch, KeywordSet, Money, Route, SegmentTable, Segmentation};
use std::sync::Arc;

#[component]
pub fn BroadcastPage() -> impl IntoView {
    view! {
        <Title text="Broadcast SMS"/>
        <RequireViewer>
            <ComposerLoader/>
        </RequireViewer>
    }
}

#[component]
fn ComposerLoader() -> impl IntoView {
    let setup = Resource::new(|| (), |_| load_composer_setup());
    view! {
        <PageHeader title="Broadcast SMS" subtitle="Write once, send to up to 50,000 numbers. Counts and cost update as you type."/>
        <Suspense fallback=|| view! { <Loading what="the composer"/> }>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(setup) => view! { <Composer setup/> }.into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Everything the composer shows about the current text, derived in one pass.
#[derive(Clone, PartialEq)]
struct Analysis {
    /// The text as submitted: the customer's, or on the China route with signature and suffix.
    final_text: String,
    unsubscribe_appended: bool,
    segmentation: Segmentation,
    non_gsm: Vec<NonGsmChar>,
    keyword_matches: Vec<KeywordMatch>,
    /// The customer's text cut at keyword matches: (piece, is_keyword).
    highlighted: Vec<(String, bool)>,
}

fn highlight(text: &str, matches: &[KeywordMatch]) -> Vec<(String, bool)> {
    let mut pieces = Vec::with_capacity(matches.len() * 2 + 1);
    let mut at = 0;
    for m in matches {
        if m.bytes.start > at {
            pieces.push((text[at..m.bytes.start].to_string(), false));
        }
        pieces.push((text[m.bytes.clone()].to_string(), true));
        at = m.bytes.end;
    }
    if at < text.len() {
        pieces.push((text[at..].to_string(), false));
    }
    pieces
}

fn analyse(
    text: &str,
    route: Route,
    signature: Option<&sms::ChinaSignature>,
    keywords: Option<&KeywordSet>,
) -> Analysis {
    let (final_text, unsubscribe_appended, segmentation) = match (route, signature) {
        (Route::China, Some(sig)) => {
            let composed = sms::china::compose(text, sig);
            (
                composed.text,
                composed.unsubscribe_appended,
                composed.segmentation,
            )
        }
        _ => (
            text.to_string(),
            false,
            sms::segment(text, SegmentTable::Standard),
        ),
    };
    let keyword_matches = match (route, keywords) {
        (Route::China, Some(set)) => set.find_all(text),
        _ => Vec::new(),
    };
    let highlighted = if keyword_matches.is_empty() {
        Vec::new()
    } else {
        highlight(text, &keyword_matches)
    };
    Analysis {
        highlighted,
        non_gsm: if segmentation.encoding == Encoding::Ucs2 {
            non_gsm_chars(&final_text)
        } else {
            Vec::new()
        },
        final_text,
        unsubscribe_appended,
        segmentation,
        keyword_matches,
    }
}

fn route_id(route: Route) -> &'static str {
    match route {
        Route::HkBusiness => "hk-business",
        Route::HkEconomic => "hk-economic",
        Route::China => "china",
        Route::International => "international",
    }
}

fn route_note(route: Route) -> &'static str {
    match route {
        Route::HkBusiness => "Your sender ID, delivery reports.",
        Route::HkEconomic => "Cheaper; no sender ID, no delivery reports.",
        Route::China => "Mainland numbers; signature added, no sender ID.",
        Route::International => "Other countries, Macau included.",
    }
}

#[component]
fn Composer(setup: ComposerSetup) -> impl IntoView {
    let setup = Arc::new(setup);
    let keywords = Arc::new(KeywordSet::new(&setup.china_keywords).ok());
    let signature = Arc::new(sms::ChinaSignature::parse(&setup.china_signature).ok());

    let route = RwSignal::new(Route::HkBusiness);
    let purpose = RwSignal::new(Purpose::Notification);
    let text = RwSignal::new(String::new());
    let recipients_text = RwSignal::new(String::new());
    let filter_dnc = RwSignal::new(false);

    let analysis = {
        let keywords = keywords.clone();
        let signature = signature.clone();
        Memo::new(move |_| {
            text.with(|t| analyse(t, route.get(), (*signature).as_ref(), (*keywords).as_ref()))
        })
    };
    let numbers = Memo::new(move |_| recipients_text.with(|r| distinct_entries(r)));
    let recipients = Memo::new(move |_| numbers.with(Vec::len));
    let unit_price = {
        let setup = setup.clone();
        Memo::new(move |_| setup.prices.base_price(route.get()).unwrap_or(Money::ZERO))
    };
    // Each number at its own price (longest prefix), exactly as the server will charge it.
    let total = {
        let setup = setup.clone();
        Memo::new(move |_| {
            let parts = analysis.with(|a| a.segmentation.parts)?;
            let r = route.get();
            numbers.with(|ns| {
                ns.iter().try_fold(Money::ZERO, |acc, digits| {
                    let price = setup
                        .prices
                        .unit_price(r, digits)
                        .unwrap_or(unit_price.get());
                    sms::cost::message_cost(parts, price)
                        .ok()
                        .and_then(|c| acc.checked_add(c))
                })
            })
        })
    };

    let check = ServerAction::<super::CheckBroadcast>::new();
    let send = ServerAction::<super::SubmitBroadcast>::new();
    let send_value = send.value();
    let schedule_at = RwSignal::new(String::new());
    let sender_choice = RwSignal::new(setup.sender_ids.first().cloned().unwrap_or_default());
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            if let Some(Ok(batch_id)) = send_value.get() {
                navigate(&format!("/results/{batch_id}"), Default::default());
            }
        });
    }
    let on_send = move |_| {
        let a = analysis.get_untracked();
        let Some(parts) = a.segmentation.parts else {
            return;
        };
        send.dispatch(super::SubmitBroadcast {
            route: route.get_untracked(),
            purpose: purpose.get_untracked(),
            text: text.get_untracked(),
            recipients: recipients_text.get_untracked(),
            client: ClientFigures {
                encoding: a.segmentation.encoding,
                parts,
                unit_price: unit_price.get_untracked(),
            },
            sender_id: sender_choice.get_untracked(),
            schedule_at: schedule_at.get_untracked(),
            filter_dnc: filter_dnc.get_untracked(),
        });
    };
    let check_value = check.value();
    // A new check is needed whenever the input changes.
    Effect::new(move |_| {
        text.track();
        recipients_text.track();
        route.track();
        filter_dnc.track();
        check_value.set(None);
    });

    let on_check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let a = analysis.get_untracked();
        let Some(parts) = a.segmentation.parts else {
            return;
        };
        check.dispatch(super::CheckBroadcast {
            route: route.get_untracked(),
            purpose: purpose.get_untracked(),
            text: text.get_untracked(),
            recipients: recipients_text.get_untracked(),
            client: ClientFigures {
                encoding: a.segmentation.encoding,
                parts,
                unit_price: unit_price.get_untracked(),
            },
            filter_dnc: filter_dnc.get_untracked(),
        });
    };

    let route_options = {
        let setup = setup.clone();
        Route::ALL
            .iter()
            .map(|r| {
                let r = *r;
                let price = setup.prices.base_price(r).unwrap_or(Money::ZERO);
                view! {
                    <label class="choice" for=format!("route-{}", route_id(r))>
                        <input
                            type="radio"
                            name="route"
                            id=format!("route-{}", route_id(r))
                            value=route_id(r)
                            prop:checked=move || route.get() == r
                            on:change=move |_| route.set(r)
                        />
                        <span class="choice-body">
                            <strong>{r.label()}</strong>
                            <span class="choice-note">{route_note(r)}</span>
                            <span class="choice-price">{format!("{price} per part")}</span>
                        </span>
                    </label>
                }
            })
            .collect_view()
    };

    let is_china = move || route.get() == Route::China;
    let shows_sender_id = move || route.get().allows_sender_id();
    let sender_ids = setup.sender_ids.clone();
    let too_long = move || analysis.with(|a| a.segmentation.too_long);
    let trial_note = setup.is_trial.then(|| {
        let mobile = setup.registered_mobile.clone();
        view! {
            <Notice kind=NoticeKind::Info>
                {format!("Trial account: messages can only go to your registered mobile +{mobile}.")}
            </Notice>
        }
    });
    let balance = setup.balance;

    view! {
        {trial_note}
        <form class="composer" on:submit=on_check novalidate>
            <fieldset class="card">
                <legend>"Route"</legend>
                <div class="choices">{route_options}</div>
                <Show when=shows_sender_id>
                    <div class="field">
                        <label for="composer-sender-id">"Sender ID"</label>
                        {if sender_ids.is_empty() {
                            view! { <p class="field-hint" id="composer-sender-id">"No sender ID yet: the Ferry operator creates them for your account. Until then use HK Economic or China."</p> }.into_any()
                        } else {
                            let ids = sender_ids.clone();
                            view! {
                                <select id="composer-sender-id" name="sender_id" on:change=move |ev| sender_choice.set(event_target_value(&ev))>
                                    {ids.into_iter().map(|id| view! { <option value=id.clone()>{id.clone()}</option> }).collect_view()}
                                </select>
                            }.into_any()
                        }}
                    </div>
                </Show>
                <Show when=is_china>
                    <div class="field">
                        <span class="field-label" id="purpose-label">"Purpose"</span>
                        <div class="inline-choices" role="radiogroup" aria-labelledby="purpose-label">
                            <label><input type="radio" name="purpose" prop:checked=move || purpose.get() == Purpose::Notification on:change=move |_| purpose.set(Purpose::Notification)/>" Notification"</label>
                            <label><input type="radio" name="purpose" prop:checked=move || purpose.get() == Purpose::Promotion on:change=move |_| purpose.set(Purpose::Promotion)/>" Promotion"</label>
                        </div>
                        <p class="field-error" role="alert">{move || field_error(check_value, "purpose").get()}</p>
                    </div>
                </Show>
            </fieldset>

            <section class="card">
                <div class="field" class:field-invalid=move || too_long().is_some()>
                    <label for="composer-text">"Message"</label>
                    <textarea
                        id="composer-text"
                        name="message"
                        rows="6"
                        aria-describedby="composer-counter"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                    <Counter analysis/>
                    <p class="field-error" role="alert">{move || field_error(check_value, "message").get()}</p>
                </div>
                <TooLongNotice analysis/>
                <NonGsmNotice analysis text/>
                <Show when=is_china>
                    <ChinaPreview analysis/>
                </Show>
            </section>

            <section class="card">
                <div class="field">
                    <label for="composer-recipients">"Recipients"</label>
                    <p class="field-hint" id="composer-recipients-hint">"One number per line (commas also separate). Hong Kong numbers need no country code; duplicates are sent once."</p>
                    <textarea
                        id="composer-recipients"
                        name="recipients"
                        rows="5"
                        aria-describedby="composer-recipients-hint"
                        prop:value=move || recipients_text.get()
                        on:input=move |ev| recipients_text.set(event_target_value(&ev))
                    ></textarea>
                    <p class="field-error" role="alert">{move || field_error(check_value, "recipients").get()}</p>
                </div>
                <crate::import::widget::ImportNumbers recipients_text/>
                <crate::address_book::GroupPicker recipients_text/>
                <div class="field">
                    <label class="check" for="composer-filter-dnc">
                        <input id="composer-filter-dnc" type="checkbox" name="filter_dnc" aria-describedby="composer-filter-dnc-hint"
                            prop:checked=move || filter_dnc.get() on:change=move |ev| filter_dnc.set(event_target_checked(&ev))/>
                        " Filter do-not-call numbers (free)"
                    </label>
                    <p class="field-hint" id="composer-filter-dnc-hint">"Numbers on the OFCA do-not-call register are left out, unless you recorded their consent. They appear in the batch result as Do-Not-Call and are not charged. \"Check recipients and cost\" shows how many."</p>
                </div>
                <CostSummary total recipients unit_price analysis balance/>
            </section>

            <section class="card">
                <div class="field">
                    <label for="composer-schedule">"Send time (Hong Kong time)"</label>
                    <p class="field-hint" id="composer-schedule-hint">"Leave empty to send now. Up to 5 years ahead; a scheduled batch can be deleted until 1 hour before its time, and cannot be changed."</p>
                    <input id="composer-schedule" type="datetime-local" aria-describedby="composer-schedule-hint"
                        prop:value=move || schedule_at.get() on:input=move |ev| schedule_at.set(event_target_value(&ev))/>
                    <p class="field-error" role="alert">{move || field_error(send_value, "schedule_at").get()}</p>
                    <p class="field-error" role="alert">{move || field_error(send_value, "sender_id").get()}</p>
                </div>
            </section>
            <div class="actions">
                <FormError error=action_error(check_value)/>
                <FormError error=action_error(send_value)/>
                <div class="button-row">
                    <button
                        type="submit"
                        class="button button-quiet"
                        disabled=move || check.pending().get() || too_long().is_some()
                    >
                        {move || if check.pending().get() { "Checking…" } else { "Check recipients and cost" }}
                    </button>
                    <button
                        type="button"
                        class="button button-primary"
                        data-testid="send-button"
                        on:click=on_send
                        disabled=move || send.pending().get() || too_long().is_some()
                    >
                        {move || if send.pending().get() { "Sending…" } else if schedule_at.with(|s| s.is_empty()) { "Send now" } else { "Schedule" }}
                    </button>
                </div>
            </div>
            <CheckResult value=Signal::derive({ let v = check_value; move || v.get() })/>
        </form>
    }
}

#[component]
fn Counter(analysis: Memo<Analysis>) -> impl IntoView {
    let seg = move || analysis.with(|a| a.segmentation);
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
fn TooLongNotice(analysis: Memo<Analysis>) -> impl IntoView {
    move || {
        analysis.with(|a| a.segmentation.too_long).map(|t| {
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
fn NonGsmNotice(analysis: Memo<Analysis>, text: RwSignal<String>) -> impl IntoView {
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
fn ChinaPreview(analysis: Memo<Analysis>) -> impl IntoView {
    view! {
        <div class="china-preview">
            <p class="field-label">"Recipients will see"</p>
            <p class="preview-text" data-testid="composer-china-preview">
                {move || analysis.with(|a| a.final_text.clone())}
            </p>
            {move || analysis.with(|a| {
                a.unsubscribe_appended.then(|| view! { <p class="muted">"The unsubscribe text /退訂回T fits in the last part at no extra cost, so it is added."</p> })
            })}
            {move || {
                let (matches, pieces) = analysis.with(|a| (a.keyword_matches.clone(), a.highlighted.clone()));
                (!matches.is_empty()).then(|| {
                    let mut keywords: Vec<String> = matches.into_iter().map(|m| m.keyword).collect();
                    keywords.dedup();
                    view! {
                        <div class="notice notice-error" data-testid="composer-keywords">
                            <p>{format!("China operators refuse messages containing {}: {}. The server will not accept this message on the China route.", if keywords.len() == 1 { "this keyword" } else { "these keywords" }, keywords.join(", "))}</p>
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
fn CostSummary(
    total: Memo<Option<Money>>,
    recipients: Memo<usize>,
    unit_price: Memo<Money>,
    analysis: Memo<Analysis>,
    balance: Money,
) -> impl IntoView {
    view! {
        <div class="cost" aria-live="polite">
            <p>
                <span data-testid="composer-recipients">{move || match recipients.get() { 1 => "1 number".to_string(), n => format!("{n} numbers") }}</span>
                " × "
                {move || match analysis.with(|a| a.segmentation.parts) { Some(1) => "1 part".to_string(), Some(n) => format!("{n} parts"), None => "— parts".into() }}
                " × "
                {move || unit_price.get().to_string()}
                " = "
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

#[component]
fn CheckResult(
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
                <p>
                    {format!(
                        "{} recipient{} × {} part{} ({}, {} characters) × {} = ",
                        check.recipients, if check.recipients == 1 { "" } else { "s" },
                        check.parts, if check.parts == 1 { "" } else { "s" },
                        check.encoding, check.units, check.unit_price
                    )}
                    <strong data-testid="check-total">{check.total.to_string()}</strong>
                </p>
                {(check.duplicates_removed > 0).then(|| view! { <p class="muted">{format!("{} duplicate number(s) will be sent once.", check.duplicates_removed)}</p> })}
                {(check.dnc_filtered > 0).then(|| view! { <p data-testid="check-dnc">{format!("{} number(s) on the do-not-call register will be left out, free of charge.", check.dnc_filtered)}</p> })}
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

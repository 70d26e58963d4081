//! The Broadcast SMS composer. Every figure on it (encoding, characters, parts, cost, UCS-2
//! culprits, China keywords) is computed in the browser by the `sms` crate as the customer
//! types, with no request to the server; "Check" asks the server to recompute the same.

use super::panels::{
    route_label, CheckResult, ChinaPreview, CostSummary, Counter, NonGsmNotice, TooLongNotice,
};
use super::recipients::distinct_entries;
use super::{
    compose, hk_route, load_composer_setup, quote, ClientFigures, ComposerSetup, Composition,
    Purpose,
};
use crate::i18n::{tr, use_lang, Lang};
use crate::shell::RequireViewer;
use crate::ui::{action_error, field_error, FormError, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;
use sms::encoding::{non_gsm_chars, NonGsmChar};
use sms::{Encoding, HkRouteChoice, KeywordMatch, KeywordSet, Money, Route};
use std::sync::Arc;

#[component]
pub fn BroadcastPage() -> impl IntoView {
    let lang = use_lang();
    view! { <RequireViewer title=tr::compose_title(lang)><ComposerLoader/></RequireViewer> }
}

#[component]
fn ComposerLoader() -> impl IntoView {
    let lang = use_lang();
    let setup = Resource::new(|| (), |_| load_composer_setup());
    view! {
        <PageHeader title=tr::compose_title(lang) subtitle=tr::compose_subtitle(lang)/>
        {crate::ui::loaded(tr::compose_loading_composer(lang), setup, |setup| view! { <Composer setup/> })}
    }
}

/// Everything the composer shows about the current text, derived in one pass.
#[derive(Clone, PartialEq)]
pub(super) struct Analysis {
    /// The text as each route's recipients receive it, and how it counts.
    pub(super) composition: Composition,
    /// Characters of the text as typed that force UCS-2.
    pub(super) non_gsm: Vec<NonGsmChar>,
    /// China keywords in the text (they matter when the list has mainland numbers).
    pub(super) keyword_matches: Vec<KeywordMatch>,
    /// The customer's text cut at keyword matches: (piece, is_keyword).
    pub(super) highlighted: Vec<(String, bool)>,
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
    signature: Option<&sms::ChinaSignature>,
    keywords: Option<&KeywordSet>,
) -> Analysis {
    let composition = compose(text, signature);
    let keyword_matches = keywords.map(|set| set.find_all(text)).unwrap_or_default();
    let highlighted = if keyword_matches.is_empty() {
        Vec::new()
    } else {
        highlight(text, &keyword_matches)
    };
    Analysis {
        highlighted,
        non_gsm: if composition.standard.segmentation.encoding == Encoding::Ucs2 {
            non_gsm_chars(text)
        } else {
            Vec::new()
        },
        composition,
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

fn route_note(lang: Lang, route: Route) -> &'static str {
    match route {
        Route::HkBusiness => tr::compose_route_note_hk_business(lang),
        Route::HkEconomic => tr::compose_route_note_hk_economic(lang),
        Route::China => tr::compose_route_note_china(lang),
        Route::International => tr::compose_route_note_international(lang),
    }
}

/// A route's note inside a sentence: without its capital and its full stop.
fn route_note_inline(lang: Lang, route: Route) -> String {
    route_note(lang, route)
        .to_lowercase()
        .trim_end_matches(['.', '。'])
        .to_string()
}

/// Country codes offered for numbers typed without one; the account's own is added when it
/// is not among them.
type CountryName = fn(Lang) -> &'static str;
const COUNTRY_CODES: [(u16, CountryName); 11] = [
    (852, tr::compose_country_hk),
    (853, tr::compose_country_mo),
    (86, tr::compose_country_cn),
    (886, tr::compose_country_tw),
    (65, tr::compose_country_sg),
    (60, tr::compose_country_my),
    (81, tr::compose_country_jp),
    (82, tr::compose_country_kr),
    (61, tr::compose_country_au),
    (44, tr::compose_country_gb),
    (1, tr::compose_country_us_ca),
];

#[component]
fn Composer(setup: ComposerSetup) -> impl IntoView {
    let lang = use_lang();
    let setup = Arc::new(setup);
    let keywords = Arc::new(KeywordSet::new(&setup.china_keywords).ok());
    let signature = Arc::new(sms::ChinaSignature::parse(&setup.china_signature).ok());

    let choice = RwSignal::new(HkRouteChoice::Business);
    // Declared by the customer, never assumed (§5): mainland numbers without an approved
    // custom signature refuse an undeclared message, and a promotion gets the UEMO helper.
    let purpose = RwSignal::new(None::<Purpose>);
    let text = RwSignal::new(String::new());
    let recipients_text = RwSignal::new(String::new());
    let filter_dnc = RwSignal::new(false);
    let country_code = RwSignal::new(setup.default_country_code);
    let custom_signature = setup.has_custom_china_signature;
    let hotline = setup.unsubscribe_hotline.clone();

    let analysis = {
        let keywords = keywords.clone();
        let signature = signature.clone();
        Memo::new(move |_| text.with(|t| analyse(t, (*signature).as_ref(), (*keywords).as_ref())))
    };
    // Each distinct number with the route its prefix gives it (§5).
    let numbers = Memo::new(move |_| {
        let c = choice.get();
        recipients_text.with(|r| {
            distinct_entries(r, country_code.get())
                .into_iter()
                .map(|digits| {
                    (
                        Route::for_destination(sms::Destination::of_digits(&digits), c),
                        digits,
                    )
                })
                .collect::<Vec<(Route, String)>>()
        })
    });
    let recipients = Memo::new(move |_| numbers.with(Vec::len));
    let has_china =
        Memo::new(move |_| numbers.with(|ns| ns.iter().any(|(r, _)| *r == Route::China)));
    let has_international =
        Memo::new(move |_| numbers.with(|ns| ns.iter().any(|(r, _)| *r == Route::International)));
    let unit_price = {
        let setup = setup.clone();
        Memo::new(move |_| {
            setup
                .prices
                .base_price(hk_route(choice.get()))
                .unwrap_or(Money::ZERO)
        })
    };
    // Each route's share, each number at its own price, exactly as the server will charge it.
    let quote_now = {
        let setup = setup.clone();
        Memo::new(move |_| {
            analysis.with(|a| {
                numbers.with(|ns| {
                    quote(
                        ns.iter().map(|(r, d)| (*r, d.as_str())),
                        choice.get(),
                        &a.composition,
                        &setup.prices,
                    )
                })
            })
        })
    };
    let total = Memo::new(move |_| {
        let standard_ok = analysis.with(|a| a.composition.standard.parts().is_some());
        quote_now.with(|(_, total)| *total).filter(|_| standard_ok)
    });

    let check = ServerAction::<super::CheckBroadcast>::new();
    let send = ServerAction::<super::SubmitBroadcast>::new();
    let send_value = send.value();
    let schedule_at = RwSignal::new(String::new());
    let sender_choice = RwSignal::new(setup.sender_ids.first().cloned().unwrap_or_default());
    {
        let navigate = leptos_router::hooks::use_navigate();
        let session = crate::auth::Session::expect();
        Effect::new(move |_| {
            if let Some(Ok(batch_id)) = send_value.get() {
                session.balance_changed();
                navigate(&format!("/results/{batch_id}"), Default::default());
            }
        });
    }
    // The page's own figures, for the server to compare with its own.
    let figures = move || {
        let a = analysis.get_untracked();
        let parts = a.composition.standard.parts()?;
        Some(ClientFigures {
            encoding: a.composition.standard.segmentation.encoding,
            parts,
            china_parts: if has_china.get_untracked() {
                a.composition.china.parts()
            } else {
                None
            },
            unit_price: unit_price.get_untracked(),
        })
    };
    // What a check and a send both carry.
    let submission = move |client| super::Submission {
        route: hk_route(choice.get_untracked()),
        purpose: purpose.get_untracked(),
        text: text.get_untracked(),
        recipients: recipients_text.get_untracked(),
        client: Some(client),
        filter_dnc: filter_dnc.get_untracked(),
        default_country_code: Some(country_code.get_untracked()),
    };
    let on_send = move |_| {
        let Some(client) = figures() else {
            return;
        };
        send.dispatch(super::SubmitBroadcast {
            submission: submission(client),
            sender_id: sender_choice.get_untracked(),
            schedule_at: schedule_at.get_untracked(),
        });
    };
    let check_value = check.value();
    // A new check is needed whenever the input changes.
    Effect::new(move |_| {
        text.track();
        recipients_text.track();
        choice.track();
        filter_dnc.track();
        country_code.track();
        check_value.set(None);
    });

    let on_check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(client) = figures() else {
            return;
        };
        check.dispatch(super::CheckBroadcast {
            submission: submission(client),
        });
    };

    let route_options = {
        let setup = setup.clone();
        [HkRouteChoice::Business, HkRouteChoice::Economic]
            .into_iter()
            .map(|c| {
                let r = hk_route(c);
                let price = setup.prices.base_price(r).unwrap_or(Money::ZERO);
                view! {
                    <label class="choice" for=format!("route-{}", route_id(r))>
                        <input
                            type="radio"
                            name="route"
                            id=format!("route-{}", route_id(r))
                            value=route_id(r)
                            prop:checked=move || choice.get() == c
                            on:change=move |_| choice.set(c)
                        />
                        <span class="choice-body">
                            <strong>{route_label(lang, r)}</strong>
                            <span class="choice-note">{route_note(lang, r)}</span>
                            <span class="choice-price">{tr::compose_per_part(lang, price)}</span>
                        </span>
                    </label>
                }
            })
            .collect_view()
    };
    let other_routes = {
        let price = |r| {
            setup
                .prices
                .base_price(r)
                .map(|p| p.to_string())
                .unwrap_or_else(|| tr::compose_no_price(lang).into())
        };
        tr::compose_other_routes(
            lang,
            route_note_inline(lang, Route::China),
            price(Route::China),
            route_note_inline(lang, Route::International),
            price(Route::International),
        )
    };
    let country_options = {
        let mut codes: Vec<(u16, String)> = COUNTRY_CODES
            .iter()
            .map(|(c, name)| (*c, format!("+{c} {}", name(lang))))
            .collect();
        if !codes.iter().any(|(c, _)| *c == setup.default_country_code) {
            codes.insert(
                0,
                (
                    setup.default_country_code,
                    format!("+{}", setup.default_country_code),
                ),
            );
        }
        codes
            .into_iter()
            .map(|(c, label)| {
                view! { <option value=c.to_string() selected=move || country_code.get() == c>{label}</option> }
            })
            .collect_view()
    };

    let shows_sender_id =
        move || choice.get() == HkRouteChoice::Business || has_international.get();
    let sender_ids = setup.sender_ids.clone();
    let too_long = move || analysis.with(|a| a.composition.standard.segmentation.too_long);
    let trial_note = setup.is_trial.then(|| {
        let mobile = setup.registered_mobile.clone();
        view! {
            <Notice kind=NoticeKind::Info>
                {tr::compose_trial_note(lang, mobile)}
            </Notice>
        }
    });
    let balance = setup.balance;

    view! {
        {trial_note}
        <form class="composer" on:submit=on_check novalidate>
            <fieldset class="card">
                <legend>{tr::compose_route_legend(lang)}</legend>
                <div class="choices">{route_options}</div>
                <p class="field-hint" data-testid="composer-other-routes">{other_routes}</p>
                <Show when=shows_sender_id>
                    <div class="field">
                        <label for="composer-sender-id">{tr::compose_sender_id(lang)}</label>
                        {if sender_ids.is_empty() {
                            view! { <p class="field-hint" id="composer-sender-id">{tr::compose_no_sender_id(lang)}</p> }.into_any()
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
                <div class="field">
                    <span class="field-label" id="purpose-label">{tr::compose_purpose(lang)}</span>
                    <p class="field-hint" id="purpose-hint">{if custom_signature {
                        tr::compose_purpose_hint(lang)
                    } else {
                        tr::compose_purpose_hint_china(lang)
                    }}</p>
                    <div class="inline-choices" role="radiogroup" aria-labelledby="purpose-label" aria-describedby="purpose-hint">
                        <label><input type="radio" name="purpose" prop:checked=move || purpose.get() == Some(Purpose::Notification) on:change=move |_| purpose.set(Some(Purpose::Notification))/>" "{tr::compose_purpose_notification(lang)}</label>
                        <label><input type="radio" name="purpose" prop:checked=move || purpose.get() == Some(Purpose::Promotion) on:change=move |_| purpose.set(Some(Purpose::Promotion))/>" "{tr::compose_purpose_promotion(lang)}</label>
                    </div>
                    <p class="field-error" role="alert">{move || field_error(check_value, "purpose").get()}</p>
                </div>
            </fieldset>

            <section class="card">
                <div class="field" class:field-invalid=move || too_long().is_some()>
                    <label for="composer-text">{tr::compose_message(lang)}</label>
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
                <UnsubscribeHelper purpose text hotline/>
                <Show when=move || has_china.get()>
                    <ChinaPreview analysis/>
                </Show>
            </section>

            <section class="card">
                <div class="field">
                    <label for="composer-recipients">{tr::compose_recipients(lang)}</label>
                    <p class="field-hint" id="composer-recipients-hint">{tr::compose_recipients_hint(lang)}</p>
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
                <div class="field">
                    <label for="composer-country-code">{tr::compose_country_code(lang)}</label>
                    <select id="composer-country-code" name="default_country_code"
                        on:change=move |ev| if let Ok(c) = event_target_value(&ev).parse() { country_code.set(c) }>
                        {country_options}
                    </select>
                    <p class="field-error" role="alert">{move || field_error(check_value, "default_country_code").get()}</p>
                </div>
                <crate::import::widget::ImportNumbers recipients_text country_code/>
                <crate::address_book::GroupPicker recipients_text/>
                <div class="field">
                    <label class="check" for="composer-filter-dnc">
                        <input id="composer-filter-dnc" type="checkbox" name="filter_dnc" aria-describedby="composer-filter-dnc-hint"
                            prop:checked=move || filter_dnc.get() on:change=move |ev| filter_dnc.set(event_target_checked(&ev))/>
                        " "{tr::compose_filter_dnc(lang)}
                    </label>
                    <p class="field-hint" id="composer-filter-dnc-hint">{tr::compose_filter_dnc_hint(lang)}</p>
                </div>
                <CostSummary total recipients quote=quote_now balance/>
            </section>

            <section class="card">
                <div class="field">
                    <label for="composer-schedule">{tr::compose_schedule(lang)}</label>
                    <p class="field-hint" id="composer-schedule-hint">{tr::compose_schedule_hint(lang)}</p>
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
                        {move || if check.pending().get() { tr::compose_checking(lang) } else { tr::compose_check(lang) }}
                    </button>
                    <button
                        type="button"
                        class="button button-primary"
                        data-testid="send-button"
                        on:click=on_send
                        disabled=move || send.pending().get() || too_long().is_some()
                    >
                        {move || if send.pending().get() { tr::compose_sending(lang) } else if schedule_at.with(|s| s.is_empty()) { tr::compose_send_now(lang) } else { tr::compose_schedule_button(lang) }}
                    </button>
                </div>
            </div>
            <CheckResult value=Signal::derive({ let v = check_value; move || v.get() })/>
        </form>
    }
}

/// The Unsolicited Electronic Messages Ordinance helper (§5): a promotional message must tell
/// recipients how to unsubscribe. While one lacks `EN/UN`, say so and offer to append
/// `EN/UN<hotline>` (the account's hotline, set on the Account page).
#[component]
fn UnsubscribeHelper(
    purpose: RwSignal<Option<Purpose>>,
    text: RwSignal<String>,
    hotline: String,
) -> impl IntoView {
    let lang = use_lang();
    let missing = Memo::new(move |_| {
        purpose.get() == Some(Purpose::Promotion) && text.with(|t| !t.contains("EN/UN"))
    });
    let suffix = (!hotline.is_empty()).then(|| format!("EN/UN{hotline}"));
    move || {
        missing.get().then(|| {
            let offer = match suffix.clone() {
                Some(suffix) => {
                    let label = tr::compose_uemo_append(lang, &suffix);
                    view! {
                        <button type="button" class="button button-quiet" on:click=move |_| {
                            text.update(|t| {
                                if !t.is_empty() && !t.ends_with(char::is_whitespace) {
                                    t.push(' ');
                                }
                                t.push_str(&suffix);
                            });
                        }>{label}</button>
                    }
                    .into_any()
                }
                None => view! {
                    <span>{tr::compose_uemo_set_before(lang)}<a href="/account">{tr::compose_uemo_set_link(lang)}</a>{tr::compose_uemo_set_after(lang)}</span>
                }
                .into_any(),
            };
            view! {
                <div class="notice notice-info" role="status" data-testid="uemo-warning">
                    <p>{tr::compose_uemo_warning(lang)}</p>
                    {offer}
                </div>
            }
        })
    }
}

//! Delivery Results: the account's batches, and one batch with live progress, status counts,
//! its messages (filtered, paged), deletion of a scheduled batch and resend.

use super::{
    batch_timeline, error_text, explanation, load_batch_detail, route_label, search_batches,
    status_label, BatchDetail, BatchSummary, DeleteScheduledBatch, ResendBatch,
};
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind, PageHeader,
    Pager,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

#[component]
pub fn ResultsPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::results_title(lang)/>
        <RequireViewer>
            <Results/>
        </RequireViewer>
    }
}

#[component]
fn Results() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let param = move |name: &'static str| query.with(|q| q.get(name).unwrap_or_default());
    let number = move |name: &'static str| param(name).parse::<i64>().unwrap_or(0);
    let list = Resource::new(
        move || {
            (
                param("from"),
                param("to"),
                param("sender_id"),
                number("status"),
                number("page").max(1),
            )
        },
        |(from, to, sender_id, status, page)| search_batches(from, to, sender_id, status, page),
    );
    view! {
        <PageHeader title=tr::results_title(lang) subtitle=tr::results_subtitle(lang)/>
        <section class="card">
            <form method="get" action="/results" class="filters" aria-label=tr::results_search_label(lang)>
                <div class="field">
                    <label for="results-from">{tr::results_sent_from(lang)}</label>
                    <input id="results-from" type="date" name="from" prop:value=move || param("from")/>
                </div>
                <div class="field">
                    <label for="results-to">{tr::results_to(lang)}</label>
                    <input id="results-to" type="date" name="to" prop:value=move || param("to")/>
                </div>
                <div class="field">
                    <label for="results-sender">{tr::results_sender_id(lang)}</label>
                    <input id="results-sender" name="sender_id" list="results-sender-ids" prop:value=move || param("sender_id") autocomplete="off"/>
                    <datalist id="results-sender-ids">
                        <Suspense>{move || Suspend::new(async move {
                            list.await.map(|l| l.sender_ids.into_iter().map(|id| view! { <option value=id/> }).collect_view()).ok()
                        })}</Suspense>
                    </datalist>
                </div>
                <div class="field">
                    <label for="results-status">{tr::results_with_messages(lang)}</label>
                    <select id="results-status" name="status">
                        <option value="" selected=move || number("status") == 0>{tr::results_any_status(lang)}</option>
                        {sms::DeliveryStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.code().to_string() selected=move || number("status") == i64::from(s)>{status_label(lang, s)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="button button-primary">{tr::results_search(lang)}</button>
                    <a class="button button-quiet" href="/results">{tr::results_clear(lang)}</a>
                </div>
            </form>
        </section>
        <Suspense fallback=move || view! { <Loading what=tr::results_loading_batches(lang)/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) if l.batches.is_empty() && l.total == 0 && query.with(|q| q.into_iter().all(|(k, v)| k.as_ref() == "page" || v.is_empty())) => view! {
                        <section class="card"><EmptyState title=tr::results_no_batches_title(lang)><p>{tr::results_no_batches_text(lang)} " " <a href="/broadcast">{tr::results_compose(lang)}</a></p></EmptyState></section>
                    }.into_any(),
                    Ok(l) if l.batches.is_empty() => view! {
                        <section class="card"><EmptyState title=tr::results_no_match_title(lang)><p>{tr::results_no_match_text(lang)} " " <a href="/results">{tr::results_show_all(lang)}</a></p></EmptyState></section>
                    }.into_any(),
                    Ok(l) => {
                        let (page, pages) = (l.page, l.pages);
                        view! {
                            <section class="card">
                                <p class="muted" data-testid="batches-found">{tr::results_batches_found(lang, l.total)}</p>
                                <div class="table-wrap"><table class="table" data-testid="batches">
                                    <thead><tr><th scope="col">{tr::results_col_batch(lang)}</th><th scope="col">{tr::results_col_created(lang)}</th><th scope="col">{tr::results_send_time(lang)}</th><th scope="col">{tr::results_sender_id(lang)}</th><th scope="col">{tr::results_col_message(lang)}</th><th scope="col" class="num">{tr::results_col_messages(lang)}</th><th scope="col">{tr::results_progress(lang)}</th><th scope="col" class="num">{tr::results_col_charge(lang)}</th></tr></thead>
                                    <tbody>{l.batches.into_iter().map(|b| view! {
                                        <tr>
                                            <td><a href=format!("/results/{}", b.id)>{format!("#{}", b.id)}</a></td>
                                            <td>{format_hkt_in(lang, b.created_at)}</td>
                                            <td>{if b.deleted { tr::results_send_deleted(lang).to_string() } else if b.is_scheduled { format_hkt_in(lang, b.scheduled_at) } else { tr::results_send_immediate(lang).to_string() }}</td>
                                            <td>{b.sender_id.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="clip">{b.content.chars().take(40).collect::<String>()}</td>
                                            <td class="num">{b.total_messages}</td>
                                            <td>{format!("{}%", b.progress_percent())}</td>
                                            <td class="num">{b.total_charge.to_string()}</td>
                                        </tr>
                                    }).collect_view()}</tbody>
                                </table></div>
                                <Pager page pages previous=tr::results_newer(lang) next=tr::results_older(lang)/>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn BatchPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    let batch_id =
        move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let status = move || {
        query.with(|q| {
            q.get("status")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(1)
        })
    };
    let error = move || {
        query.with(|q| {
            q.get("error")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let number = move || query.with(|q| q.get("number").unwrap_or_default());
    let delete = ServerAction::<DeleteScheduledBatch>::new();
    let session = crate::auth::Session::expect();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(_))) {
            session.balance_changed();
        }
    });
    let detail = Resource::new(
        move || {
            (
                batch_id(),
                status(),
                error(),
                number(),
                page(),
                delete.version().get(),
            )
        },
        |(id, status, error, number, page, _)| load_batch_detail(id, status, error, number, page),
    );
    // Created beside the detail, not inside its Suspend, so server and browser create
    // resources in the same order (hydration).
    let timeline = Resource::new(batch_id, batch_timeline);
    view! {
        <Title text=tr::results_batch(lang)/>
        <RequireViewer>
            <Suspense fallback=move || view! { <Loading what=tr::results_loading_batch(lang)/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <BatchView detail=d delete timeline/> }.into_any(),
                        Err(e) => view! { <PageHeader title=tr::results_batch(lang)/><Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
fn BatchView(
    detail: BatchDetail,
    delete: ServerAction<DeleteScheduledBatch>,
    timeline: Resource<Result<super::StatusTimeline, crate::error::AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let summary = RwSignal::new(detail.summary.clone());
    let id = detail.summary.id;
    follow_live(id, summary);
    let resend = ServerAction::<ResendBatch>::new();
    // The error codes ticked for a resend.
    let chosen = RwSignal::new(Vec::<u16>::new());
    let navigate = use_navigate();
    let session = crate::auth::Session::expect();
    Effect::new(move |_| {
        if let Some(Ok(new_id)) = resend.value().get() {
            session.balance_changed();
            navigate(&format!("/results/{new_id}"), Default::default());
        }
    });
    // Charges land as the batch goes out: the navigation's balance follows the live figures
    // (and is read once as the page opens, in case the batch finished before it did).
    Effect::new(move |_| {
        summary.with(|s| s.total_charge);
        session.balance_changed();
    });
    // Every error the batch ended with (not only this page's); do-not-call numbers and
    // invalid numbers are not resent.
    let error_codes: Vec<(u16, String)> = detail
        .errors
        .iter()
        .filter(|e| e.code != sms::ErrorCode::DoNotCall && e.code != sms::ErrorCode::InvalidNumber)
        .map(|e| {
            (
                e.code.code(),
                tr::results_error_count(lang, e.count, error_text(lang, e.code)),
            )
        })
        .collect();
    let query = use_query_map().get_untracked();
    let current = |name: &str| query.get(name).unwrap_or_default();
    let (status_now, error_now, number_now) =
        (current("status"), current("error"), current("number"));
    let errors = detail.errors.clone();
    let matching = detail.matching;
    let can_delete = detail.can_delete;
    let (page, pages) = (detail.page, detail.pages);
    view! {
        <PageHeader title=tr::results_batch_title(lang, id) subtitle=detail.summary.content.clone()/>
        <section class="card" aria-labelledby="progress-heading">
            <h2 id="progress-heading">{tr::results_progress(lang)}</h2>
            // A <progress> element, not a styled div: its width needs no inline style (which
            // the page's Content-Security-Policy refuses) and it is a progress bar to
            // assistive technology by itself.
            <progress class="progress" max="100" aria-labelledby="progress-heading" value=move || summary.with(|s| s.progress_percent())></progress>
            <p data-testid="batch-progress">{move || summary.with(|s| tr::results_progress_line(lang, s.finished, s.progress_percent(), s.total_messages))}</p>
            <dl class="facts">
                <dt>{tr::results_route(lang)}</dt><dd>{detail.summary.route.parse::<sms::Route>().map(|r| route_label(lang, r)).unwrap_or("?")}</dd>
                <dt>{tr::results_sender_id(lang)}</dt><dd>{detail.summary.sender_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{tr::results_send_time(lang)}</dt><dd>{if detail.summary.is_scheduled { format_hkt_in(lang, detail.summary.scheduled_at) } else { tr::results_send_immediately(lang, format_hkt_in(lang, detail.summary.created_at)) }}</dd>
                <dt>{tr::results_total_messages(lang)}</dt><dd data-testid="batch-total">{detail.summary.total_messages}</dd>
                <dt>{tr::results_total_charge(lang)}</dt><dd data-testid="batch-charge">{move || summary.with(|s| s.total_charge.to_string())}</dd>
            </dl>
            <ul class="status-counts" data-testid="batch-counts">
                {move || summary.with(|s| s.counts.iter().map(|c| view! {
                    <li><a href=format!("/results/{id}?status={}", c.status.code())><span class="badge">{status_label(lang, c.status)}</span>" "{c.count}</a></li>
                }).collect_view())}
            </ul>
            {detail.summary.deleted.then(|| view! { <Notice kind=NoticeKind::Info>{tr::results_deleted_notice(lang)}</Notice> })}
            <p><a class="button button-quiet" href=format!("/batches/{id}/messages.csv") download=format!("batch-{id}.csv") data-testid="batch-export">{tr::results_export(lang)}</a></p>
            {can_delete.then(|| view! {
                <ActionForm action=delete attr:class="inline-form">
                    <input type="hidden" name="batch_id" value=id/>
                    <FormError error=action_error(delete.value())/>
                    <button type="submit" class="button button-quiet">{tr::results_delete(lang)}</button>
                </ActionForm>
            })}
        </section>
        {(!error_codes.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="resend-heading">
                <h2 id="resend-heading">{tr::results_resend(lang)}</h2>
                <p class="muted">{tr::results_resend_text(lang)}</p>
                <ActionForm action=resend attr:class="form">
                    <input type="hidden" name="batch_id" value=id/>
                    // The ticked codes travel as one comma-separated field.
                    <input type="hidden" name="error_codes" prop:value=move || chosen.with(|c| c.iter().map(u16::to_string).collect::<Vec<_>>().join(","))/>
                    <FormError error=action_error(resend.value())/>
                    <fieldset class="field">
                        <legend>{tr::results_error_codes(lang)}</legend>
                        {error_codes.iter().map(|(c, label)| {
                            let c = *c;
                            let box_id = format!("resend-code-{c}");
                            let label_for = box_id.clone();
                            view! {
                                <label class="check" for=label_for>
                                    <input type="checkbox" id=box_id
                                        prop:checked=move || chosen.with(|v| v.contains(&c))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|v| {
                                                v.retain(|x| *x != c);
                                                if on { v.push(c); v.sort_unstable(); }
                                            });
                                        }/>
                                    {format!(" {label}")}
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class="button button-primary">{tr::results_resend_button(lang)}</button>
                </ActionForm>
            </section>
        })}
        <section class="card" aria-labelledby="chart-heading">
            <h2 id="chart-heading">{tr::results_status_over_time(lang)}</h2>
            <Suspense fallback=move || view! { <Loading what=tr::results_loading_chart(lang)/> }>
                {move || Suspend::new(async move {
                    match timeline.await {
                        Ok(t) => view! { <crate::chart::StatusChart timeline=t/> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="messages-heading">
            <h2 id="messages-heading">{tr::results_col_messages(lang)}</h2>
            <form method="get" action=format!("/results/{id}") class="filters" aria-label=tr::results_filter_label(lang)>
                <div class="field">
                    <label for="messages-status">{tr::results_col_status(lang)}</label>
                    <select id="messages-status" name="status">
                        <option value="" selected=status_now.is_empty()>{tr::results_any_status(lang)}</option>
                        {sms::DeliveryStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.code().to_string() selected=status_now == s.code().to_string()>{status_label(lang, s)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="messages-error">{tr::results_col_error(lang)}</label>
                    <select id="messages-error" name="error">
                        <option value="" selected=error_now.is_empty()>{tr::results_any_error(lang)}</option>
                        {errors.into_iter().map(|e| view! {
                            <option value=e.code.code().to_string() selected=error_now == e.code.code().to_string()>{tr::results_error_count(lang, e.count, error_text(lang, e.code))}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="messages-number">{tr::results_number_contains(lang)}</label>
                    <input id="messages-number" name="number" inputmode="tel" value=number_now/>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="button button-primary">{tr::results_filter(lang)}</button>
                    <a class="button button-quiet" href=format!("/results/{id}")>{tr::results_clear(lang)}</a>
                </div>
            </form>
            <p class="muted" data-testid="messages-matching">{tr::results_messages_match(lang, matching)}</p>
            {if detail.messages.is_empty() {
                view! { <EmptyState title=tr::results_no_messages_title(lang)><p>{tr::results_no_messages_text(lang)}</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="table" data-testid="batch-messages">
                        <thead><tr><th scope="col">{tr::results_col_message_id(lang)}</th><th scope="col">{tr::results_col_number(lang)}</th><th scope="col" class="num">{tr::results_col_parts(lang)}</th><th scope="col">{tr::results_col_status(lang)}</th><th scope="col">{tr::results_col_error(lang)}</th><th scope="col" class="num">{tr::results_col_charge(lang)}</th><th scope="col">{tr::results_route(lang)}</th><th scope="col">{tr::results_col_submitted(lang)}</th><th scope="col">{tr::results_col_final(lang)}</th><th scope="col">{tr::results_col_why(lang)}</th></tr></thead>
                        <tbody>{detail.messages.into_iter().map(|m| view! {
                            <tr>
                                <td>{m.id}</td>
                                <td>{m.shown_number()}</td>
                                <td class="num">{m.parts}</td>
                                <td>{status_label(lang, m.status)}</td>
                                <td>{m.error_code.map(|e| error_text(lang, e)).unwrap_or_default()}</td>
                                <td class="num">{m.charge.to_string()}</td>
                                <td>{m.route.map(|r| route_label(lang, r)).unwrap_or("")}</td>
                                <td>{m.submitted_at.map(|t| format_hkt_in(lang, t)).unwrap_or_default()}</td>
                                <td>{m.done_at.map(|t| format_hkt_in(lang, t)).unwrap_or_default()}</td>
                                <td class="explanation">{explanation(lang, &m).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                    <Pager page pages/>
                }.into_any()
            }}
        </section>
    }
}

/// Subscribes to the batch's server-sent events and keeps `summary` current (browser only).
fn follow_live(batch_id: i64, summary: RwSignal<BatchSummary>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new(&format!("/batches/{batch_id}/events"))
            else {
                return;
            };
            let on_summary = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |ev: web_sys::MessageEvent| {
                    if let Some(text) = ev.data().as_string() {
                        if let Ok(s) = serde_json::from_str::<BatchSummary>(&text) {
                            summary.set(s);
                        }
                    }
                },
            );
            let _ = source
                .add_event_listener_with_callback("summary", on_summary.as_ref().unchecked_ref());
            on_summary.forget();
            // The server says when there is nothing more to follow (finished, scheduled for
            // later, signed out): stop, instead of letting EventSource reconnect.
            let ender = source.clone();
            let on_end = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |_: web_sys::MessageEvent| ender.close(),
            );
            let _ = source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
            on_end.forget();
            let closer = source.clone();
            on_cleanup(move || closer.close());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (batch_id, summary);
    }
}

//! Delivery Results: the account's batches, and one batch with live progress, status counts,
//! its messages (filtered, paged), deletion of a scheduled batch and resend.

use super::{
    load_batch_detail, my_batches, status_label, BatchDetail, BatchSummary, DeleteScheduledBatch,
    ResendBatch,
};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind, PageHeader,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

#[component]
pub fn ResultsPage() -> impl IntoView {
    let batches = Resource::new(|| (), |_| my_batches());
    view! {
        <Title text="Delivery Results"/>
        <RequireViewer>
            <PageHeader title="Delivery Results" subtitle="Your batches, newest first. Records older than 2 months are not kept."/>
            <Suspense fallback=|| view! { <Loading what="batches"/> }>
                {move || Suspend::new(async move {
                    match batches.await {
                        Ok(list) if list.is_empty() => view! {
                            <section class="card"><EmptyState title="No batches yet"><p>"Send a broadcast and follow it here. " <a href="/broadcast">"Compose a message"</a></p></EmptyState></section>
                        }.into_any(),
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="batches">
                                <thead><tr><th scope="col">"Batch"</th><th scope="col">"Created (HKT)"</th><th scope="col">"Send time"</th><th scope="col">"Message"</th><th scope="col" class="num">"Messages"</th><th scope="col">"Progress"</th><th scope="col" class="num">"Charge"</th></tr></thead>
                                <tbody>{list.into_iter().map(|b| view! {
                                    <tr>
                                        <td><a href=format!("/results/{}", b.id)>{format!("#{}", b.id)}</a></td>
                                        <td>{format_hkt(b.created_at)}</td>
                                        <td>{if b.deleted { "deleted".to_string() } else if b.is_scheduled { format_hkt(b.scheduled_at) } else { "immediate".to_string() }}</td>
                                        <td class="clip">{b.content.chars().take(40).collect::<String>()}</td>
                                        <td class="num">{b.total_messages}</td>
                                        <td>{format!("{}%", b.progress_percent())}</td>
                                        <td class="num">{b.total_charge.to_string()}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn BatchPage() -> impl IntoView {
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
    let delete = ServerAction::<DeleteScheduledBatch>::new();
    let detail = Resource::new(
        move || (batch_id(), status(), page(), delete.version().get()),
        |(id, status, page, _)| load_batch_detail(id, status, page),
    );
    view! {
        <Title text="Batch"/>
        <RequireViewer>
            <Suspense fallback=|| view! { <Loading what="the batch"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <BatchView detail=d delete/> }.into_any(),
                        Err(e) => view! { <PageHeader title="Batch"/><Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
fn BatchView(detail: BatchDetail, delete: ServerAction<DeleteScheduledBatch>) -> impl IntoView {
    let summary = RwSignal::new(detail.summary.clone());
    let id = detail.summary.id;
    follow_live(id, summary);
    let resend = ServerAction::<ResendBatch>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(new_id)) = resend.value().get() {
            navigate(&format!("/results/{new_id}"), Default::default());
        }
    });
    let error_codes: Vec<u16> = {
        let mut codes: Vec<u16> = detail
            .messages
            .iter()
            .filter_map(|m| m.error_code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    };
    let can_delete = detail.can_delete;
    let (page, pages) = (detail.page, detail.pages);
    view! {
        <PageHeader title=format!("Batch #{id}") subtitle=detail.summary.content.clone()/>
        <section class="card" aria-labelledby="progress-heading">
            <h2 id="progress-heading">"Progress"</h2>
            <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || summary.with(|s| s.progress_percent())>
                <div class="progress-bar" style=move || format!("width: {}%", summary.with(|s| s.progress_percent()))></div>
            </div>
            <p data-testid="batch-progress">{move || summary.with(|s| format!("{} of {} messages final ({}%)", s.finished, s.total_messages, s.progress_percent()))}</p>
            <dl class="facts">
                <dt>"Route"</dt><dd>{detail.summary.route.parse::<sms::Route>().map(|r| r.label()).unwrap_or("?")}</dd>
                <dt>"Sender ID"</dt><dd>{detail.summary.sender_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Send time"</dt><dd>{if detail.summary.is_scheduled { format_hkt(detail.summary.scheduled_at) } else { format!("immediately ({})", format_hkt(detail.summary.created_at)) }}</dd>
                <dt>"Total messages"</dt><dd data-testid="batch-total">{detail.summary.total_messages}</dd>
                <dt>"Total charge"</dt><dd data-testid="batch-charge">{move || summary.with(|s| s.total_charge.to_string())}</dd>
            </dl>
            <ul class="status-counts" data-testid="batch-counts">
                {move || summary.with(|s| s.counts.iter().map(|c| view! {
                    <li><a href=format!("/results/{id}?status={}", c.status)><span class="badge">{c.label.clone()}</span>" "{c.count}</a></li>
                }).collect_view())}
            </ul>
            {detail.summary.deleted.then(|| view! { <Notice kind=NoticeKind::Info>"This scheduled batch was deleted; nothing was sent."</Notice> })}
            {can_delete.then(|| view! {
                <ActionForm action=delete attr:class="inline-form">
                    <input type="hidden" name="batch_id" value=id/>
                    <FormError error=action_error(delete.value())/>
                    <button type="submit" class="button button-quiet">"Delete scheduled batch"</button>
                </ActionForm>
            })}
        </section>
        {(!error_codes.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="resend-heading">
                <h2 id="resend-heading">"Resend"</h2>
                <p class="muted">"Create a new batch of exactly the recipients whose messages ended with these errors."</p>
                <ActionForm action=resend attr:class="form form-inline">
                    <input type="hidden" name="batch_id" value=id/>
                    <FormError error=action_error(resend.value())/>
                    <div class="field">
                        <label for="resend-codes">"Error codes"</label>
                        <select id="resend-codes" name="error_codes">
                            {error_codes.iter().map(|c| {
                                let label = sms::ErrorCode::from_code(*c).map(|e| format!("{} {}", c, e.label())).unwrap_or_else(|| c.to_string());
                                view! { <option value=c.to_string()>{label}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="button button-primary">"Resend to these recipients"</button>
                </ActionForm>
            </section>
        })}
        <section class="card" aria-labelledby="messages-heading">
            <h2 id="messages-heading">"Messages"</h2>
            {if detail.messages.is_empty() {
                view! { <EmptyState title="No messages here"><p>"Nothing matches this filter."</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="table" data-testid="batch-messages">
                        <thead><tr><th scope="col">"Message ID"</th><th scope="col">"Number"</th><th scope="col" class="num">"Parts"</th><th scope="col">"Status"</th><th scope="col">"Error"</th><th scope="col" class="num">"Charge"</th><th scope="col">"Submitted"</th><th scope="col">"Final"</th></tr></thead>
                        <tbody>{detail.messages.into_iter().map(|m| view! {
                            <tr>
                                <td>{m.id}</td>
                                <td>{format!("+{}", m.destination)}</td>
                                <td class="num">{m.parts}</td>
                                <td>{status_label(m.status)}</td>
                                <td>{m.error_text().unwrap_or_default()}</td>
                                <td class="num">{m.charge.to_string()}</td>
                                <td>{m.submitted_at.map(format_hkt).unwrap_or_default()}</td>
                                <td>{m.done_at.map(format_hkt).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                    <nav class="pager" aria-label="Pages">
                        {(page > 1).then(|| view! { <a href=format!("?page={}", page - 1)>"← Previous"</a> })}
                        <span>{format!("Page {page} of {}", pages.max(1))}</span>
                        {(page < pages).then(|| view! { <a href=format!("?page={}", page + 1)>"Next →"</a> })}
                    </nav>
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
            let closer = source.clone();
            on_cleanup(move || closer.close());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (batch_id, summary);
    }
}

//! `/admin/accounts/:id/batches` and `/admin/accounts/:id/batches/:batch`: staff read any
//! account's batches and messages (§13), message content masked to its first 5 characters;
//! every view is in the audit log. Read-only: staff do not delete or resend for customers.

use super::pages::AdminNav;
use crate::delivery::{error_text, route_label, status_label};
use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::{format_hkt_in, EmptyState, Loading, Notice, NoticeKind, PageHeader, Pager};
use engine::delivery::{BatchDetail, BatchList};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[server(endpoint = "staff_account_batches")]
pub async fn staff_account_batches(account_id: i64, page: i64) -> Result<BatchList, AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        let filter = engine::delivery::BatchFilter {
            page,
            ..Default::default()
        };
        Ok(
            engine::delivery::staff_view::batches(&db, caller.account_id, account_id, &filter)
                .await?,
        )
    })
    .await
}

#[server(endpoint = "staff_batch")]
pub async fn staff_batch(
    account_id: i64,
    batch_id: i64,
    page: i64,
) -> Result<BatchDetail, AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        engine::delivery::staff_view::batch(
            &db,
            caller.account_id,
            account_id,
            batch_id,
            &Default::default(),
            page,
        )
        .await?
        .ok_or(AppError::NotFound)
    })
    .await
}

fn number_param(map: &leptos_router::params::ParamsMap, name: &str, default: i64) -> i64 {
    map.get(name)
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(default)
}

#[component]
pub fn AccountBatchesPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    let account = move || params.with(|p| number_param(p, "id", 0));
    let page = move || query.with(|q| number_param(q, "page", 1));
    let list = Resource::new(
        move || (account(), page()),
        |(account, page)| staff_account_batches(account, page),
    );
    view! {
        <Title text=tr::admin_batches_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=tr::admin_batches_title(lang) subtitle=tr::admin_batches_subtitle(lang)/>
            <p><a href=move || format!("/admin/accounts/{}", account())>{tr::admin_back_to_account(lang)}</a></p>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_batches(lang)/> }>
                {move || Suspend::new(async move {
                    let account = account();
                    match list.await {
                        Ok(l) if l.batches.is_empty() => view! {
                            <section class="card"><EmptyState title=tr::admin_no_batches(lang)><p>{tr::admin_no_batches_text(lang)}</p></EmptyState></section>
                        }.into_any(),
                        Ok(l) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="staff-batches">
                                <thead><tr><th scope="col">{tr::admin_batch(lang)}</th><th scope="col">{tr::admin_created(lang)}</th><th scope="col">{tr::admin_route(lang)}</th><th scope="col">{tr::admin_content(lang)}</th><th scope="col" class="num">{tr::admin_messages(lang)}</th><th scope="col" class="num">{tr::admin_final(lang)}</th><th scope="col" class="num">{tr::admin_charge(lang)}</th></tr></thead>
                                <tbody>{l.batches.into_iter().map(|b| view! {
                                    <tr>
                                        <td><a href=format!("/admin/accounts/{account}/batches/{}", b.id)>{format!("#{}", b.id)}</a></td>
                                        <td>{format_hkt_in(lang, b.created_at)}</td>
                                        <td>{b.route.parse::<sms::Route>().map(|r| route_label(lang, r)).unwrap_or("?")}</td>
                                        <td>{b.content.clone()}</td>
                                        <td class="num">{b.total_messages}</td>
                                        <td class="num">{format!("{}%", b.progress_percent())}</td>
                                        <td class="num">{b.total_charge.to_string()}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                            <Pager page=l.page pages=l.pages/></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn StaffBatchPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    let account = move || params.with(|p| number_param(p, "id", 0));
    let batch = move || params.with(|p| number_param(p, "batch", 0));
    let page = move || query.with(|q| number_param(q, "page", 1));
    let detail = Resource::new(
        move || (account(), batch(), page()),
        |(account, batch, page)| staff_batch(account, batch, page),
    );
    view! {
        <Title text=tr::admin_batch_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_batch(lang)/> }>
                {move || Suspend::new(async move {
                    let account = account();
                    match detail.await {
                        Ok(d) => view! { <StaffBatch account detail=d/> }.into_any(),
                        Err(e) => view! { <PageHeader title=tr::admin_batch(lang)/><Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
fn StaffBatch(account: i64, detail: BatchDetail) -> impl IntoView {
    let lang = use_lang();
    let s = detail.summary.clone();
    let (page, pages) = (detail.page, detail.pages);
    view! {
        <PageHeader title=tr::admin_batch_title(lang, s.id)/>
        <p><a href=format!("/admin/accounts/{account}/batches")>{tr::admin_all_batches(lang)}</a></p>
        <section class="card" aria-labelledby="staff-batch-heading">
            <h2 id="staff-batch-heading">{tr::admin_summary(lang)}</h2>
            <dl class="facts">
                <dt>{tr::admin_content_masked(lang)}</dt><dd data-testid="staff-batch-content">{s.content.clone()}</dd>
                <dt>{tr::admin_route(lang)}</dt><dd>{s.route.parse::<sms::Route>().map(|r| route_label(lang, r)).unwrap_or("?")}</dd>
                <dt>{tr::admin_sender_id(lang)}</dt><dd>{s.sender_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{tr::admin_send_time(lang)}</dt><dd>{if s.is_scheduled { format_hkt_in(lang, s.scheduled_at) } else { tr::admin_immediately(lang, format_hkt_in(lang, s.created_at)) }}</dd>
                <dt>{tr::admin_total_messages(lang)}</dt><dd>{s.total_messages}</dd>
                <dt>{tr::admin_final(lang)}</dt><dd>{format!("{} ({}%)", s.finished, s.progress_percent())}</dd>
                <dt>{tr::admin_total_charge(lang)}</dt><dd>{s.total_charge.to_string()}</dd>
            </dl>
            <ul class="status-counts">
                {s.counts.iter().map(|c| view! { <li><span class="badge">{status_label(lang, c.status)}</span>" "{c.count}</li> }).collect_view()}
            </ul>
        </section>
        <section class="card" aria-labelledby="staff-messages-heading">
            <h2 id="staff-messages-heading">{tr::admin_messages(lang)}</h2>
            {if detail.messages.is_empty() {
                view! { <EmptyState title=tr::admin_no_messages(lang)><p>{tr::admin_no_messages_text(lang)}</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="table" data-testid="staff-batch-messages">
                        <thead><tr><th scope="col">{tr::admin_message_id(lang)}</th><th scope="col">{tr::admin_number(lang)}</th><th scope="col" class="num">{tr::admin_parts(lang)}</th><th scope="col">{tr::admin_status(lang)}</th><th scope="col">{tr::admin_error(lang)}</th><th scope="col" class="num">{tr::admin_charge(lang)}</th><th scope="col">{tr::admin_submitted(lang)}</th><th scope="col">{tr::admin_final(lang)}</th></tr></thead>
                        <tbody>{detail.messages.into_iter().map(|m| view! {
                            <tr>
                                <td>{m.id}</td>
                                <td>{m.shown_number()}</td>
                                <td class="num">{m.parts}</td>
                                <td>{status_label(lang, m.status)}</td>
                                <td>{m.error_code.map(|e| error_text(lang, e)).unwrap_or_default()}</td>
                                <td class="num">{m.charge.to_string()}</td>
                                <td>{m.submitted_at.map(|t| format_hkt_in(lang, t)).unwrap_or_default()}</td>
                                <td>{m.done_at.map(|t| format_hkt_in(lang, t)).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                    <Pager page pages/>
                }.into_any()
            }}
        </section>
    }
}

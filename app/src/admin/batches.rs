//! `/admin/accounts/:id/batches` and `/admin/accounts/:id/batches/:batch`: staff read any
//! account's batches and messages (§13), message content masked to its first 5 characters;
//! every view is in the audit log. Read-only: staff do not delete or resend for customers.

use super::pages::AdminNav;
use crate::error::AppError;
use crate::shell::RequireViewer;
use crate::ui::{format_hkt, EmptyState, Loading, Notice, NoticeKind, PageHeader, Pager};
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
    let params = use_params_map();
    let query = use_query_map();
    let account = move || params.with(|p| number_param(p, "id", 0));
    let page = move || query.with(|q| number_param(q, "page", 1));
    let list = Resource::new(
        move || (account(), page()),
        |(account, page)| staff_account_batches(account, page),
    );
    view! {
        <Title text="Batches · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title="Batches" subtitle="This account's batches, newest first. Message content is masked to its first 5 characters, and this view is recorded in the audit log."/>
            <p><a href=move || format!("/admin/accounts/{}", account())>"← Back to the account"</a></p>
            <Suspense fallback=|| view! { <Loading what="the batches"/> }>
                {move || Suspend::new(async move {
                    let account = account();
                    match list.await {
                        Ok(l) if l.batches.is_empty() => view! {
                            <section class="card"><EmptyState title="No batches yet"><p>"This account has not sent anything."</p></EmptyState></section>
                        }.into_any(),
                        Ok(l) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="staff-batches">
                                <thead><tr><th scope="col">"Batch"</th><th scope="col">"Created"</th><th scope="col">"Route"</th><th scope="col">"Content"</th><th scope="col" class="num">"Messages"</th><th scope="col" class="num">"Final"</th><th scope="col" class="num">"Charge"</th></tr></thead>
                                <tbody>{l.batches.into_iter().map(|b| view! {
                                    <tr>
                                        <td><a href=format!("/admin/accounts/{account}/batches/{}", b.id)>{format!("#{}", b.id)}</a></td>
                                        <td>{format_hkt(b.created_at)}</td>
                                        <td>{b.route.parse::<sms::Route>().map(|r| r.label()).unwrap_or("?")}</td>
                                        <td>{b.content.clone()}</td>
                                        <td class="num">{b.total_messages}</td>
                                        <td class="num">{format!("{}%", b.progress_percent())}</td>
                                        <td class="num">{b.total_charge.to_string()}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                            <Pager page=l.page pages=l.pages/></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn StaffBatchPage() -> impl IntoView {
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
        <Title text="Batch · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <Suspense fallback=|| view! { <Loading what="the batch"/> }>
                {move || Suspend::new(async move {
                    let account = account();
                    match detail.await {
                        Ok(d) => view! { <StaffBatch account detail=d/> }.into_any(),
                        Err(e) => view! { <PageHeader title="Batch"/><Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
fn StaffBatch(account: i64, detail: BatchDetail) -> impl IntoView {
    let s = detail.summary.clone();
    let (page, pages) = (detail.page, detail.pages);
    view! {
        <PageHeader title=format!("Batch #{}", s.id)/>
        <p><a href=format!("/admin/accounts/{account}/batches")>"← All of this account's batches"</a></p>
        <section class="card" aria-labelledby="staff-batch-heading">
            <h2 id="staff-batch-heading">"Summary"</h2>
            <dl class="facts">
                <dt>"Content (masked)"</dt><dd data-testid="staff-batch-content">{s.content.clone()}</dd>
                <dt>"Route"</dt><dd>{s.route.parse::<sms::Route>().map(|r| r.label()).unwrap_or("?")}</dd>
                <dt>"Sender ID"</dt><dd>{s.sender_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Send time"</dt><dd>{if s.is_scheduled { format_hkt(s.scheduled_at) } else { format!("immediately ({})", format_hkt(s.created_at)) }}</dd>
                <dt>"Total messages"</dt><dd>{s.total_messages}</dd>
                <dt>"Final"</dt><dd>{format!("{} ({}%)", s.finished, s.progress_percent())}</dd>
                <dt>"Total charge"</dt><dd>{s.total_charge.to_string()}</dd>
            </dl>
            <ul class="status-counts">
                {s.counts.iter().map(|c| view! { <li><span class="badge">{c.label.clone()}</span>" "{c.count}</li> }).collect_view()}
            </ul>
        </section>
        <section class="card" aria-labelledby="staff-messages-heading">
            <h2 id="staff-messages-heading">"Messages"</h2>
            {if detail.messages.is_empty() {
                view! { <EmptyState title="No messages"><p>"This batch has no messages on this page."</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="table" data-testid="staff-batch-messages">
                        <thead><tr><th scope="col">"Message ID"</th><th scope="col">"Number"</th><th scope="col" class="num">"Parts"</th><th scope="col">"Status"</th><th scope="col">"Error"</th><th scope="col" class="num">"Charge"</th><th scope="col">"Submitted"</th><th scope="col">"Final"</th></tr></thead>
                        <tbody>{detail.messages.into_iter().map(|m| view! {
                            <tr>
                                <td>{m.id}</td>
                                <td>{m.shown_number()}</td>
                                <td class="num">{m.parts}</td>
                                <td>{m.status_label()}</td>
                                <td>{m.error_text().unwrap_or_default()}</td>
                                <td class="num">{m.charge.to_string()}</td>
                                <td>{m.submitted_at.map(format_hkt).unwrap_or_default()}</td>
                                <td>{m.done_at.map(format_hkt).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                    <Pager page pages/>
                }.into_any()
            }}
        </section>
    }
}

//! `/admin/numbers`: staff assign inbound numbers (or number + keyword) to customer accounts,
//! release them (kept as history; both audited), and see the replies to numbers nobody holds,
//! their content masked to its first 5 characters (§13).

use super::pages::AdminNav;
use crate::inbox::{inbound_numbers, AssignInboundNumber, ReleaseInboundNumber};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NumbersPage() -> impl IntoView {
    let assign = ServerAction::<AssignInboundNumber>::new();
    let release = ServerAction::<ReleaseInboundNumber>::new();
    let value = assign.value();
    let data = Resource::new(
        move || (assign.version().get(), release.version().get()),
        |_| inbound_numbers(),
    );
    view! {
        <Title text="Inbound numbers · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title="Inbound numbers" subtitle="Replies to a number go to the account it is assigned to; with a keyword, only replies starting with that word. One account per number (and keyword) at a time."/>
            <section class="card" aria-labelledby="assign-heading">
                <h2 id="assign-heading">"Assign a number"</h2>
                <ActionForm action=assign attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField label="Account login" name="login" required=true error=field_error(value, "login")/>
                    <TextField label="Inbound number" name="number" required=true hint="Digits as operators send them, e.g. 85260001234, or a short code." error=field_error(value, "number")/>
                    <TextField label="Keyword" name="keyword" hint="Optional: one word." error=field_error(value, "keyword")/>
                    <SubmitButton label="Assign" pending_label="Assigning…" pending=assign.pending()/>
                </ActionForm>
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! {
                    <Notice kind=NoticeKind::Success><span data-testid="number-assigned">"Assigned. Replies to it now reach the account's inbox."</span></Notice>
                })}
                <FormError error=action_error(release.value())/>
            </section>
            <Suspense fallback=|| view! { <Loading what="inbound numbers"/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! {
                            <section class="card" aria-labelledby="numbers-heading">
                                <h2 id="numbers-heading">"Assignments"</h2>
                                {if view.numbers.is_empty() {
                                    view! { <EmptyState title="No inbound numbers yet"><p>"Assign one above; replies to unassigned numbers are listed below."</p></EmptyState> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="table" data-testid="inbound-numbers">
                                            <thead><tr><th scope="col">"Number"</th><th scope="col">"Keyword"</th><th scope="col">"Account"</th><th scope="col">"Assigned"</th><th scope="col">"Released"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                            <tbody>{view.numbers.into_iter().map(|n| {
                                                let label = format!("Release {}{}", n.number, if n.keyword.is_empty() { String::new() } else { format!(" {}", n.keyword) });
                                                view! {
                                                    <tr>
                                                        <td>{format!("+{}", n.number)}</td>
                                                        <td>{if n.keyword.is_empty() { "—".to_string() } else { n.keyword.clone() }}</td>
                                                        <td><a href=format!("/admin/accounts/{}", n.account_id)>{n.account_login.clone()}</a></td>
                                                        <td>{format!("{} by {}", format_hkt(n.assigned_at), n.assigned_by)}</td>
                                                        <td>{match (n.released_at, n.released_by.clone()) {
                                                            (Some(at), Some(by)) => format!("{} by {by}", format_hkt(at)),
                                                            (Some(at), None) => format_hkt(at),
                                                            _ => "In use".to_string(),
                                                        }}</td>
                                                        <td>{n.released_at.is_none().then(|| view! {
                                                            <ActionForm action=release attr:class="inline-form">
                                                                <input type="hidden" name="id" value=n.id.to_string()/>
                                                                <button type="submit" class="button button-quiet" aria-label=label.clone()>"Release"</button>
                                                            </ActionForm>
                                                        })}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                            <section class="card" aria-labelledby="unrouted-heading">
                                <h2 id="unrouted-heading">"Replies to unassigned numbers"</h2>
                                {if view.unrouted.is_empty() {
                                    view! { <EmptyState title="None"><p>"Every reply so far reached an account."</p></EmptyState> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="table" data-testid="unrouted-replies">
                                            <thead><tr><th scope="col">"To number"</th><th scope="col">"From"</th><th scope="col">"Message (first 5 characters)"</th><th scope="col">"SMSC"</th><th scope="col">"Received"</th></tr></thead>
                                            <tbody>{view.unrouted.into_iter().map(|r| view! {
                                                <tr>
                                                    <td>{format!("+{}", r.recipient)}</td>
                                                    <td>{format!("+{}", r.sender)}</td>
                                                    <td>{r.masked_text}</td>
                                                    <td>{r.smsc}</td>
                                                    <td>{format_hkt(r.received_at)}</td>
                                                </tr>
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

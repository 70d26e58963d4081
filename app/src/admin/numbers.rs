//! `/admin/numbers`: staff assign inbound numbers (or number + keyword) to customer accounts,
//! release them (kept as history; both audited), and see the replies to numbers nobody holds,
//! their content masked to its first 5 characters (§13).

use super::pages::AdminNav;
use crate::i18n::{tr, use_lang};
use crate::inbox::{inbound_numbers, AssignInboundNumber, ReleaseInboundNumber};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NumbersPage() -> impl IntoView {
    let lang = use_lang();
    let assign = ServerAction::<AssignInboundNumber>::new();
    let release = ServerAction::<ReleaseInboundNumber>::new();
    let value = assign.value();
    let data = Resource::new(
        move || (assign.version().get(), release.version().get()),
        |_| inbound_numbers(),
    );
    view! {
        <Title text=tr::admin_numbers_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=tr::admin_nav_numbers(lang) subtitle=tr::admin_numbers_subtitle(lang)/>
            <section class="card" aria-labelledby="assign-heading">
                <h2 id="assign-heading">{tr::admin_assign_number(lang)}</h2>
                <ActionForm action=assign attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField label=tr::admin_account_login(lang) name="login" required=true error=field_error(value, "login")/>
                    <TextField label=tr::admin_inbound_number(lang) name="number" required=true hint=tr::admin_inbound_number_hint(lang) error=field_error(value, "number")/>
                    <TextField label=tr::admin_keyword(lang) name="keyword" hint=tr::admin_keyword_hint(lang) error=field_error(value, "keyword")/>
                    <SubmitButton label=tr::admin_assign(lang) pending_label=tr::admin_assigning(lang) pending=assign.pending()/>
                </ActionForm>
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! {
                    <Notice kind=NoticeKind::Success><span data-testid="number-assigned">{tr::admin_assigned_notice(lang)}</span></Notice>
                })}
                <FormError error=action_error(release.value())/>
            </section>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_numbers(lang)/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! {
                            <section class="card" aria-labelledby="numbers-heading">
                                <h2 id="numbers-heading">{tr::admin_assignments(lang)}</h2>
                                {if view.numbers.is_empty() {
                                    view! { <EmptyState title=tr::admin_no_numbers(lang)><p>{tr::admin_no_numbers_text(lang)}</p></EmptyState> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="table" data-testid="inbound-numbers">
                                            <thead><tr><th scope="col">{tr::admin_number(lang)}</th><th scope="col">{tr::admin_keyword(lang)}</th><th scope="col">{tr::admin_account(lang)}</th><th scope="col">{tr::admin_assigned(lang)}</th><th scope="col">{tr::admin_released(lang)}</th><th scope="col"><span class="visually-hidden">{tr::admin_actions(lang)}</span></th></tr></thead>
                                            <tbody>{view.numbers.into_iter().map(|n| {
                                                let label = if n.keyword.is_empty() { tr::admin_release_number(lang, &n.number) } else { tr::admin_release_number_keyword(lang, &n.keyword, &n.number) };
                                                view! {
                                                    <tr>
                                                        <td>{format!("+{}", n.number)}</td>
                                                        <td>{if n.keyword.is_empty() { "—".to_string() } else { n.keyword.clone() }}</td>
                                                        <td><a href=format!("/admin/accounts/{}", n.account_id)>{n.account_login.clone()}</a></td>
                                                        <td>{tr::admin_by(lang, format_hkt_in(lang, n.assigned_at), &n.assigned_by)}</td>
                                                        <td>{match (n.released_at, n.released_by.clone()) {
                                                            (Some(at), Some(by)) => tr::admin_by(lang, format_hkt_in(lang, at), by),
                                                            (Some(at), None) => format_hkt_in(lang, at),
                                                            _ => tr::admin_in_use(lang).to_string(),
                                                        }}</td>
                                                        <td>{n.released_at.is_none().then(|| view! {
                                                            <ActionForm action=release attr:class="inline-form">
                                                                <input type="hidden" name="id" value=n.id.to_string()/>
                                                                <button type="submit" class="button button-quiet" aria-label=label.clone()>{tr::admin_release(lang)}</button>
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
                                <h2 id="unrouted-heading">{tr::admin_unrouted(lang)}</h2>
                                {if view.unrouted.is_empty() {
                                    view! { <EmptyState title=tr::admin_none(lang)><p>{tr::admin_unrouted_none_text(lang)}</p></EmptyState> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="table" data-testid="unrouted-replies">
                                            <thead><tr><th scope="col">{tr::admin_to_number(lang)}</th><th scope="col">{tr::admin_from(lang)}</th><th scope="col">{tr::admin_message_first_5(lang)}</th><th scope="col">{tr::admin_smsc(lang)}</th><th scope="col">{tr::admin_received(lang)}</th></tr></thead>
                                            <tbody>{view.unrouted.into_iter().map(|r| view! {
                                                <tr>
                                                    <td>{format!("+{}", r.recipient)}</td>
                                                    <td>{format!("+{}", r.sender)}</td>
                                                    <td>{r.masked_text}</td>
                                                    <td>{r.smsc}</td>
                                                    <td>{format_hkt_in(lang, r.received_at)}</td>
                                                </tr>
                                            }).collect_view()}</tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

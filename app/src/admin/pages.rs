//! The staff console's pages: accounts, approval queues, price list and audit log.

use super::accounts::{
    load_staff_account_detail, search_accounts, LinkSubAccount, SetCharity, StaffAccountDetail,
    TransferBalance,
};
use crate::api_keys::{keys_table, RevokeApiKey};
use crate::error::AppError;
use crate::i18n::{tr, use_lang, Lang};
use crate::ledger::page::StatementTable;
use crate::registration::{pending_registrations, DecideRegistration, Registration};
use crate::sender_ids::{CreateSenderId, RetireSenderId};
use crate::settings::ClearIpAllowList;
use crate::shell::RequireViewer;
use crate::signature::{pending_signatures, DecideSignature, SignatureApplication};
use crate::topups::{pending_payments, DecidePayment, Payment};
use crate::ui::{
    action_error, field_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Approve / reject-with-reason forms for one queue item of a decide server function taking
/// `(<id field>, approve, reason)`. A macro because `ActionForm`'s bounds are per function.
macro_rules! decide {
    ($lang:expr, $action:expr, $id_field:literal, $id:expr, $approve_label:expr) => {{
        let id: i64 = $id;
        let lang: Lang = $lang;
        view! {
            <div class="decide">
                <ActionForm action=$action attr:class="inline-form">
                    <input type="hidden" name=$id_field value=id/>
                    <input type="hidden" name="approve" value="true"/>
                    <input type="hidden" name="reason" value=""/>
                    <button type="submit" class="button button-primary">{$approve_label}</button>
                </ActionForm>
                <ActionForm action=$action attr:class="inline-form reject-form">
                    <input type="hidden" name=$id_field value=id/>
                    <input type="hidden" name="approve" value="false"/>
                    <label class="visually-hidden" for=format!("reason-{}-{id}", $id_field)>{tr::admin_reason_for_rejection(lang)}</label>
                    <input id=format!("reason-{}-{id}", $id_field) name="reason" placeholder=tr::admin_reason_for_rejection(lang) required=true/>
                    <button type="submit" class="button button-quiet">{tr::admin_reject(lang)}</button>
                </ActionForm>
            </div>
        }
    }};
}

/// The console's own navigation, on every staff page.
#[component]
pub fn AdminNav() -> impl IntoView {
    let lang = use_lang();
    view! {
        <nav class="subnav" aria-label=tr::admin_console_title(lang)>
            <a href="/admin">{tr::admin_nav_overview(lang)}</a>
            <a href="/admin/accounts">{tr::admin_nav_accounts(lang)}</a>
            <a href="/admin/payments">{tr::admin_nav_payments(lang)}</a>
            <a href="/admin/registrations">{tr::admin_nav_registrations(lang)}</a>
            <a href="/admin/signatures">{tr::admin_nav_signatures(lang)}</a>
            <a href="/admin/keywords">{tr::admin_nav_keywords(lang)}</a>
            <a href="/admin/prices">{tr::admin_nav_prices(lang)}</a>
            <a href="/admin/dnc">{tr::admin_nav_dnc(lang)}</a>
            <a href="/admin/numbers">{tr::admin_nav_numbers(lang)}</a>
            <a href="/admin/connections">{tr::admin_nav_connections(lang)}</a>
            <a href="/admin/audit">{tr::admin_nav_audit(lang)}</a>
        </nav>
    }
}

fn error_notice(lang: Lang, e: AppError) -> AnyView {
    view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any()
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let results = Resource::new(q, search_accounts);
    view! {
        <Title text=tr::admin_accounts_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=tr::admin_nav_accounts(lang)/>
            <section class="card">
                <form method="get" action="/admin/accounts" class="filters">
                    <div class="field">
                        <label for="account-search">{tr::admin_account_search_label(lang)}</label>
                        <input id="account-search" name="q" type="search" prop:value=q/>
                    </div>
                    <div class="filter-actions"><button class="button button-primary" type="submit">{tr::admin_search(lang)}</button></div>
                </form>
            </section>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_accounts(lang)/> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(list) if list.is_empty() => view! { <section class="card"><EmptyState title=tr::admin_no_accounts_match(lang)><p>{tr::admin_no_accounts_match_text(lang)}</p></EmptyState></section> }.into_any(),
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="accounts">
                                <thead><tr><th scope="col">{tr::admin_login_name(lang)}</th><th scope="col">{tr::admin_company(lang)}</th><th scope="col">{tr::admin_status(lang)}</th><th scope="col">{tr::admin_primary(lang)}</th><th scope="col" class="num">{tr::admin_balance(lang)}</th></tr></thead>
                                <tbody>{list.into_iter().map(|a| view! {
                                    <tr>
                                        <td><a href=format!("/admin/accounts/{}", a.id)>{a.login_name}</a></td>
                                        <td>{a.company_name}{a.is_charity.then(|| view! { " " <span class="badge">{tr::admin_charity(lang)}</span> })}</td>
                                        <td>{account_status(lang, &a.status)}</td>
                                        <td>{a.primary_login.unwrap_or_default()}</td>
                                        <td class="num">{a.balance.to_string()}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => error_notice(lang, e),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn AccountDetailPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let create_sender = ServerAction::<CreateSenderId>::new();
    let retire_sender = ServerAction::<RetireSenderId>::new();
    let link = ServerAction::<LinkSubAccount>::new();
    let transfer = ServerAction::<TransferBalance>::new();
    let charity = ServerAction::<SetCharity>::new();
    let clear_ip = ServerAction::<ClearIpAllowList>::new();
    let revoke_key = ServerAction::<RevokeApiKey>::new();
    let detail = Resource::new(
        move || {
            (
                id(),
                create_sender.version().get(),
                retire_sender.version().get(),
                link.version().get(),
                transfer.version().get(),
                charity.version().get(),
                clear_ip.version().get(),
                revoke_key.version().get(),
            )
        },
        |(id, ..)| load_staff_account_detail(id),
    );
    let actions = DetailActions {
        create_sender,
        retire_sender,
        link,
        transfer,
        charity,
        clear_ip,
        revoke_key,
    };
    view! {
        <Title text=tr::admin_account_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_account(lang)/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <AccountDetail detail=d actions/> }.into_any(),
                        Err(e) => error_notice(lang, e),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[derive(Clone, Copy)]
struct DetailActions {
    create_sender: ServerAction<CreateSenderId>,
    retire_sender: ServerAction<RetireSenderId>,
    link: ServerAction<LinkSubAccount>,
    transfer: ServerAction<TransferBalance>,
    charity: ServerAction<SetCharity>,
    clear_ip: ServerAction<ClearIpAllowList>,
    revoke_key: ServerAction<RevokeApiKey>,
}

#[component]
fn AccountDetail(detail: StaffAccountDetail, actions: DetailActions) -> impl IntoView {
    let lang = use_lang();
    let a = detail.account.clone();
    let id = a.id;
    let linked: Vec<(i64, String)> = detail
        .primary
        .iter()
        .chain(detail.sub_accounts.iter())
        .map(|l| (l.id, l.login_name.clone()))
        .collect();
    let cs = actions.create_sender.value();
    let tv = actions.transfer.value();
    let lv = actions.link.value();
    view! {
        <PageHeader title=format!("{} · {}", a.login_name, a.company_name)/>
        <p><a class="button button-quiet" href=format!("/admin/accounts/{id}/batches")>{tr::admin_batches_link(lang)}</a></p>
        <div class="grid-3">
            <section class="card stat"><h2>{tr::admin_balance(lang)}</h2><p class="big-figure" data-testid="staff-balance">{a.balance.to_string()}</p></section>
            <section class="card stat"><h2>{tr::admin_status(lang)}</h2><p class="big-figure">{account_status(lang, &a.status)}</p></section>
            <section class="card stat">
                <h2>{tr::admin_charity(lang)}</h2>
                <p>{if a.is_charity { tr::admin_charity_yes(lang) } else { tr::admin_charity_no(lang) }}</p>
                <ActionForm action=actions.charity>
                    <input type="hidden" name="account_id" value=id/>
                    <input type="hidden" name="charity" value=(!a.is_charity).to_string()/>
                    <button type="submit" class="button button-quiet">{if a.is_charity { tr::admin_charity_remove(lang) } else { tr::admin_charity_mark(lang) }}</button>
                </ActionForm>
            </section>
        </div>
        <section class="card">
            <h2>{tr::admin_profile(lang)}</h2>
            <dl class="facts">
                <dt>{tr::admin_registered_mobile(lang)}</dt><dd>{format!("+{}", detail.mobile)}</dd>
                <dt>{tr::admin_contact_email(lang)}</dt><dd>{detail.contact_email.clone()}</dd>
                <dt>{tr::admin_china_signature(lang)}</dt><dd>{detail.china_signature.clone().unwrap_or_else(|| tr::admin_installation_default(lang).into())}</dd>
                <dt>{tr::admin_created(lang)}</dt><dd>{format_hkt_in(lang, detail.created_at)}</dd>
                <dt>{tr::admin_validity_period(lang)}</dt><dd>{tr::admin_minutes(lang, detail.settings.validity_minutes)}</dd>
                <dt>{tr::admin_single_sms_limit(lang)}</dt><dd>{detail.settings.single_sms_limit.map(|m| m.to_string()).unwrap_or_else(|| tr::admin_none_lower(lang).into())}</dd>
                <dt>{tr::admin_ip_allow_list(lang)}</dt>
                <dd>
                    {if detail.settings.ip_allow_list.is_empty() { tr::admin_any_address(lang).to_string() } else { detail.settings.ip_allow_list.replace('\n', ", ") }}
                    {(!detail.settings.ip_allow_list.is_empty()).then(|| view! {
                        <ActionForm action=actions.clear_ip attr:class="inline-form">
                            <input type="hidden" name="account_id" value=id/>
                            " " <button type="submit" class="button button-quiet">{tr::admin_clear_ip(lang)}</button>
                        </ActionForm>
                    })}
                </dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="staff-sender-heading">
            <h2 id="staff-sender-heading">{tr::admin_sender_ids(lang)}</h2>
            {if detail.sender_ids.is_empty() {
                view! { <p class="muted">{tr::admin_none_yet(lang)}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list" data-testid="staff-sender-ids">{detail.sender_ids.into_iter().map(|s| view! {
                        <li>
                            <code>{s.sender_id.clone()}</code>
                            {s.registered.then(|| format!(" {}", tr::admin_sender_registered(lang)))}
                            {format!(" · {}", sender_status(lang, &s.status))}
                            {(s.status == "active").then(|| view! {
                                <ActionForm action=actions.retire_sender attr:class="inline-form">
                                    <input type="hidden" name="sender_id_id" value=s.id/>
                                    " " <button type="submit" class="button button-quiet">{tr::admin_retire(lang)}</button>
                                </ActionForm>
                            })}
                        </li>
                    }).collect_view()}</ul>
                }.into_any()
            }}
            <ActionForm action=actions.create_sender attr:class="form form-inline" attr:novalidate=true>
                <input type="hidden" name="account_id" value=id/>
                <FormError error=action_error(cs)/>
                <TextField label=tr::admin_new_sender_id(lang) name="sender_id" hint=tr::admin_new_sender_id_hint(lang) error=field_error(cs, "sender_id")/>
                <label class="check"><input type="checkbox" name="registered" value="on"/>" " {tr::admin_registered_ssrs(lang)}</label>
                <SubmitButton label=tr::admin_create_sender_id(lang) pending_label=tr::admin_creating(lang) pending=actions.create_sender.pending()/>
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="staff-keys-heading">
            <h2 id="staff-keys-heading">{tr::admin_api_keys(lang)}</h2>
            <FormError error=action_error(actions.revoke_key.value())/>
            {if detail.api_keys.is_empty() {
                view! { <p class="muted">{tr::admin_none_yet(lang)}</p> }.into_any()
            } else {
                keys_table(detail.api_keys, "staff-api-keys", actions.revoke_key).into_any()
            }}
        </section>
        <section class="card" aria-labelledby="staff-links-heading">
            <h2 id="staff-links-heading">{tr::admin_linked_accounts(lang)}</h2>
            <p>
                {match &detail.primary { Some(p) => format!("{} ", tr::admin_sub_account_of(lang, &p.login_name)), None => format!("{} ", tr::admin_primary_account(lang)) }}
                {if detail.sub_accounts.is_empty() { String::new() } else { tr::admin_sub_accounts(lang, detail.sub_accounts.iter().map(|s| s.login_name.clone()).collect::<Vec<_>>().join(", ")) }}
            </p>
            {(detail.primary.is_none() && detail.sub_accounts.is_empty()).then(|| view! {
                <ActionForm action=actions.link attr:class="form form-inline" attr:novalidate=true>
                    <input type="hidden" name="account_id" value=id/>
                    <FormError error=action_error(lv)/>
                    <TextField label=tr::admin_make_sub_account(lang) name="primary_login" error=field_error(lv, "primary_login")/>
                    <SubmitButton label=tr::admin_link(lang) pending_label=tr::admin_linking(lang) pending=actions.link.pending()/>
                </ActionForm>
            })}
            {(!linked.is_empty()).then(|| view! {
                <ActionForm action=actions.transfer attr:class="form form-inline" attr:novalidate=true>
                    <input type="hidden" name="from_account_id" value=id/>
                    <FormError error=action_error(tv)/>
                    <div class="field">
                        <label for="field-to_account_id">{tr::admin_transfer_to(lang)}</label>
                        <select id="field-to_account_id" name="to_account_id">
                            {linked.into_iter().map(|(lid, login)| view! { <option value=lid>{login}</option> }).collect_view()}
                        </select>
                        <p class="field-error" role="alert">{move || field_error(tv, "to_account_id").get()}</p>
                    </div>
                    <TextField label=tr::admin_amount_hkd(lang) name="amount" error=field_error(tv, "amount")/>
                    <TextField label=tr::admin_note(lang) name="note" error=field_error(tv, "note")/>
                    {move || matches!(tv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::admin_transferred(lang)}</Notice> })}
                    <SubmitButton label=tr::admin_transfer_balance(lang) pending_label=tr::admin_transferring(lang) pending=actions.transfer.pending()/>
                </ActionForm>
            })}
        </section>
        <section class="card">
            <h2>{tr::admin_recent_statement(lang)}</h2>
            <StatementTable entries=detail.recent_entries/>
        </section>
    }
}

/// A message of the catalogue without variables.
type Text = fn(Lang) -> &'static str;

/// What one staff-review queue page says: its titles, its empty state and its columns (the
/// last column is always the decision), each column with whether it holds figures.
#[derive(Clone, Copy)]
struct QueueText {
    page_title: Text,
    title: Text,
    subtitle: Text,
    waiting: Text,
    test_id: &'static str,
    columns: &'static [(Text, bool)],
}

/// The one page every staff-review queue uses: the pending requests of `list`, one row each
/// drawn by `row`, refreshed after each decision; loading, empty and error states included.
fn review_queue<T, R>(
    text: QueueText,
    list: Resource<Result<Vec<T>, AppError>>,
    decision_error: Signal<Option<AppError>>,
    row: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    R: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    let lang = use_lang();
    // A stored value keeps the closure below `Copy`, as the nested views need.
    let row = StoredValue::new(row);
    let queue = move || {
        let row = row.get_value();
        Suspend::new(async move {
            match list.await {
                Ok(l) if l.is_empty() => view! { <section class="card"><EmptyState title=tr::admin_nothing_waiting(lang)><p>{(text.waiting)(lang)}</p></EmptyState></section> }.into_any(),
                Ok(l) => view! {
                    <section class="card"><div class="table-wrap"><table class="table" data-testid=text.test_id>
                        <thead><tr>{text.columns.iter().map(|&(c, num)| view! { <th scope="col" class:num=num>{c(lang)}</th> }).collect_view()}<th scope="col">{tr::admin_decision(lang)}</th></tr></thead>
                        <tbody>{l.into_iter().map(row).collect_view()}</tbody>
                    </table></div></section>
                }.into_any(),
                Err(e) => error_notice(lang, e),
            }
        })
    };
    view! {
        <Title text=(text.page_title)(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=(text.title)(lang) subtitle=(text.subtitle)(lang)/>
            <FormError error=decision_error/>
            <Suspense fallback=|| view! { <Loading/> }>{queue}</Suspense>
        </RequireViewer>
    }
}

const PAYMENTS: QueueText = QueueText {
    page_title: tr::admin_payments_page_title,
    title: tr::admin_payments_title,
    subtitle: tr::admin_payments_subtitle,
    waiting: tr::admin_payments_waiting,
    test_id: "pending-payments",
    columns: &[
        (tr::admin_recorded, false),
        (tr::admin_account, false),
        (tr::admin_method_reference, false),
        (tr::admin_amount, true),
        (tr::admin_receipt, false),
    ],
};
const REGISTRATIONS: QueueText = QueueText {
    page_title: tr::admin_registrations_page_title,
    title: tr::admin_registrations_title,
    subtitle: tr::admin_registrations_subtitle,
    waiting: tr::admin_registrations_waiting,
    test_id: "pending-registrations",
    columns: &[
        (tr::admin_uploaded, false),
        (tr::admin_account, false),
        (tr::admin_company, false),
        (tr::admin_certificate, false),
    ],
};
const SIGNATURES: QueueText = QueueText {
    page_title: tr::admin_signatures_page_title,
    title: tr::admin_signatures_title,
    subtitle: tr::admin_signatures_subtitle,
    waiting: tr::admin_signatures_waiting,
    test_id: "pending-signatures",
    columns: &[
        (tr::admin_applied, false),
        (tr::admin_account, false),
        (tr::admin_signature, false),
    ],
};

/// A queue page: `$text` over the pending requests `$pending` lists. Every row starts with
/// when the request came and whose account it is, ends with the decision (`$id_field` names
/// the request for `$action`, approved by the button `$approve` names), and shows between them
/// the cells `$cells` draws (in the page's language `$lang`).
macro_rules! queue_page {
    ($page:ident, $action:ident, $pending:ident, $text:expr, $id_field:literal, $approve:path,
     |$lang:ident, $item:ident: $t:ty| $cells:expr) => {
        #[component]
        pub fn $page() -> impl IntoView {
            let $lang = use_lang();
            let decide = ServerAction::<$action>::new();
            let list = Resource::new(move || decide.version().get(), |_| $pending());
            let row = move |$item: $t| {
                let engine::review::Request {
                    id,
                    account_id,
                    login_name,
                    created_at,
                    ..
                } = $item.request.clone();
                let cells = $cells;
                view! {
                    <tr>
                        <td>{format_hkt_in($lang, created_at)}</td>
                        <td><a href=format!("/admin/accounts/{account_id}")>{login_name}</a></td>
                        {cells}
                        <td>{decide!($lang, decide, $id_field, id, $approve($lang))}</td>
                    </tr>
                }
                .into_any()
            };
            review_queue($text, list, action_error(decide.value()), row)
        }
    };
}

queue_page!(
    PaymentsQueuePage,
    DecidePayment,
    pending_payments,
    PAYMENTS,
    "payment_id",
    tr::admin_confirm,
    |lang, p: Payment| view! {
        <td>{format!("{} · {}", p.method, p.reference)}</td>
        <td class="num">{p.amount.to_string()}</td>
        <td><a href=format!("/documents/{}", p.document_id) target="_blank" rel="noopener">{tr::admin_open_receipt(lang)}</a></td>
    }
);

queue_page!(
    RegistrationsQueuePage,
    DecideRegistration,
    pending_registrations,
    REGISTRATIONS,
    "registration_id",
    tr::admin_approve,
    |lang, r: Registration| view! {
        <td>{r.company_name}</td>
        <td><a href=format!("/documents/{}", r.document_id) target="_blank" rel="noopener">{tr::admin_open_certificate(lang)}</a></td>
    }
);

queue_page!(
    SignaturesQueuePage,
    DecideSignature,
    pending_signatures,
    SIGNATURES,
    "application_id",
    tr::admin_approve,
    |lang, a: SignatureApplication| view! {
        <td><strong>{format!("[{}]", a.signature)}</strong></td>
    }
);

/// An account's status as stored (`trial`, `normal`, `staff`) in `lang`; another code as it is.
fn account_status(lang: Lang, status: &str) -> String {
    match status {
        "trial" => tr::admin_status_trial(lang).to_string(),
        "normal" => tr::admin_status_normal(lang).to_string(),
        "staff" => tr::admin_status_staff(lang).to_string(),
        other => other.to_string(),
    }
}

/// A sender ID's status as stored (`active`, `retired`) in `lang`; another code as it is.
fn sender_status(lang: Lang, status: &str) -> String {
    match status {
        "active" => tr::admin_sender_status_active(lang).to_string(),
        "retired" => tr::admin_sender_status_retired(lang).to_string(),
        other => other.to_string(),
    }
}

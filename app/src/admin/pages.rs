//! The staff console's pages: accounts, approval queues, price list and audit log.

use super::accounts::{
    load_staff_account_detail, search_accounts, LinkSubAccount, SetCharity, StaffAccountDetail,
    TransferBalance,
};
use crate::api_keys::{keys_table, RevokeApiKey};
use crate::error::AppError;
use crate::ledger::page::StatementTable;
use crate::registration::{pending_registrations, DecideRegistration, Registration};
use crate::sender_ids::{CreateSenderId, RetireSenderId};
use crate::settings::ClearIpAllowList;
use crate::shell::RequireViewer;
use crate::signature::{pending_signatures, DecideSignature, SignatureApplication};
use crate::topups::{pending_payments, DecidePayment, Payment};
use crate::ui::{
    action_error, field_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Approve / reject-with-reason forms for one queue item of a decide server function taking
/// `(<id field>, approve, reason)`. A macro because `ActionForm`'s bounds are per function.
macro_rules! decide {
    ($action:expr, $id_field:literal, $id:expr, $approve_label:literal) => {{
        let id: i64 = $id;
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
                    <label class="visually-hidden" for=format!("reason-{}-{id}", $id_field)>"Reason for rejection"</label>
                    <input id=format!("reason-{}-{id}", $id_field) name="reason" placeholder="Reason for rejection" required=true/>
                    <button type="submit" class="button button-quiet">"Reject"</button>
                </ActionForm>
            </div>
        }
    }};
}

/// The console's own navigation, on every staff page.
#[component]
pub fn AdminNav() -> impl IntoView {
    view! {
        <nav class="subnav" aria-label="Admin console">
            <a href="/admin">"Overview"</a>
            <a href="/admin/accounts">"Accounts"</a>
            <a href="/admin/payments">"Payments"</a>
            <a href="/admin/registrations">"Registrations"</a>
            <a href="/admin/signatures">"China signatures"</a>
            <a href="/admin/keywords">"China keywords"</a>
            <a href="/admin/prices">"Price list"</a>
            <a href="/admin/dnc">"Do-not-call"</a>
            <a href="/admin/numbers">"Inbound numbers"</a>
            <a href="/admin/connections">"SMSC connections"</a>
            <a href="/admin/audit">"Audit log"</a>
        </nav>
    }
}

fn error_notice(e: AppError) -> AnyView {
    view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any()
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let results = Resource::new(q, search_accounts);
    view! {
        <Title text="Accounts · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title="Accounts"/>
            <section class="card">
                <form method="get" action="/admin/accounts" class="filters">
                    <div class="field">
                        <label for="account-search">"Search by login name, company or mobile"</label>
                        <input id="account-search" name="q" type="search" prop:value=q/>
                    </div>
                    <div class="filter-actions"><button class="button button-primary" type="submit">"Search"</button></div>
                </form>
            </section>
            <Suspense fallback=|| view! { <Loading what="accounts"/> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(list) if list.is_empty() => view! { <section class="card"><EmptyState title="No accounts match"><p>"Try part of the login name or company."</p></EmptyState></section> }.into_any(),
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="accounts">
                                <thead><tr><th scope="col">"Login name"</th><th scope="col">"Company"</th><th scope="col">"Status"</th><th scope="col">"Primary"</th><th scope="col" class="num">"Balance"</th></tr></thead>
                                <tbody>{list.into_iter().map(|a| view! {
                                    <tr>
                                        <td><a href=format!("/admin/accounts/{}", a.id)>{a.login_name}</a></td>
                                        <td>{a.company_name}{a.is_charity.then(|| view! { " " <span class="badge">"Charity"</span> })}</td>
                                        <td>{a.status}</td>
                                        <td>{a.primary_login.unwrap_or_default()}</td>
                                        <td class="num">{a.balance.to_string()}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => error_notice(e),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn AccountDetailPage() -> impl IntoView {
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
        <Title text="Account · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <Suspense fallback=|| view! { <Loading what="the account"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <AccountDetail detail=d actions/> }.into_any(),
                        Err(e) => error_notice(e),
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
        <p><a class="button button-quiet" href=format!("/admin/accounts/{id}/batches")>"Batches and messages (content masked)"</a></p>
        <div class="grid-3">
            <section class="card stat"><h2>"Balance"</h2><p class="big-figure" data-testid="staff-balance">{a.balance.to_string()}</p></section>
            <section class="card stat"><h2>"Status"</h2><p class="big-figure">{a.status.clone()}</p></section>
            <section class="card stat">
                <h2>"Charity"</h2>
                <p>{if a.is_charity { "Yes: bonuses on top-ups" } else { "No" }}</p>
                <ActionForm action=actions.charity>
                    <input type="hidden" name="account_id" value=id/>
                    <input type="hidden" name="charity" value=(!a.is_charity).to_string()/>
                    <button type="submit" class="button button-quiet">{if a.is_charity { "Remove charity status" } else { "Mark as charity" }}</button>
                </ActionForm>
            </section>
        </div>
        <section class="card">
            <h2>"Profile"</h2>
            <dl class="facts">
                <dt>"Registered mobile"</dt><dd>{format!("+{}", detail.mobile)}</dd>
                <dt>"Contact email"</dt><dd>{detail.contact_email.clone()}</dd>
                <dt>"China signature"</dt><dd>{detail.china_signature.clone().unwrap_or_else(|| "installation default".into())}</dd>
                <dt>"Created"</dt><dd>{format_hkt(detail.created_at)}</dd>
                <dt>"Validity period"</dt><dd>{format!("{} minutes", detail.settings.validity_minutes)}</dd>
                <dt>"Single-SMS limit"</dt><dd>{detail.settings.single_sms_limit.map(|m| m.to_string()).unwrap_or_else(|| "none".into())}</dd>
                <dt>"IP allow-list"</dt>
                <dd>
                    {if detail.settings.ip_allow_list.is_empty() { "any address".to_string() } else { detail.settings.ip_allow_list.replace('\n', ", ") }}
                    {(!detail.settings.ip_allow_list.is_empty()).then(|| view! {
                        <ActionForm action=actions.clear_ip attr:class="inline-form">
                            <input type="hidden" name="account_id" value=id/>
                            " " <button type="submit" class="button button-quiet">"Clear (customer locked out)"</button>
                        </ActionForm>
                    })}
                </dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="staff-sender-heading">
            <h2 id="staff-sender-heading">"Sender IDs"</h2>
            {if detail.sender_ids.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list" data-testid="staff-sender-ids">{detail.sender_ids.into_iter().map(|s| view! {
                        <li>
                            <code>{s.sender_id.clone()}</code>
                            {s.registered.then_some(" (registered)")}
                            {format!(" · {}", s.status)}
                            {(s.status == "active").then(|| view! {
                                <ActionForm action=actions.retire_sender attr:class="inline-form">
                                    <input type="hidden" name="sender_id_id" value=s.id/>
                                    " " <button type="submit" class="button button-quiet">"Retire"</button>
                                </ActionForm>
                            })}
                        </li>
                    }).collect_view()}</ul>
                }.into_any()
            }}
            <ActionForm action=actions.create_sender attr:class="form form-inline" attr:novalidate=true>
                <input type="hidden" name="account_id" value=id/>
                <FormError error=action_error(cs)/>
                <TextField label="New sender ID" name="sender_id" hint="1–11 letters/digits, a mobile number with country code, or #ID (registered)." error=field_error(cs, "sender_id")/>
                <label class="check"><input type="checkbox" name="registered" value="on"/>" Registered (SSRS)"</label>
                <SubmitButton label="Create sender ID" pending_label="Creating…" pending=actions.create_sender.pending()/>
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="staff-keys-heading">
            <h2 id="staff-keys-heading">"API keys"</h2>
            <FormError error=action_error(actions.revoke_key.value())/>
            {if detail.api_keys.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                keys_table(detail.api_keys, "staff-api-keys", actions.revoke_key).into_any()
            }}
        </section>
        <section class="card" aria-labelledby="staff-links-heading">
            <h2 id="staff-links-heading">"Linked accounts"</h2>
            <p>
                {match &detail.primary { Some(p) => format!("Sub-account of {}. ", p.login_name), None => "Primary account. ".to_string() }}
                {if detail.sub_accounts.is_empty() { String::new() } else { format!("Sub-accounts: {}.", detail.sub_accounts.iter().map(|s| s.login_name.clone()).collect::<Vec<_>>().join(", ")) }}
            </p>
            {(detail.primary.is_none() && detail.sub_accounts.is_empty()).then(|| view! {
                <ActionForm action=actions.link attr:class="form form-inline" attr:novalidate=true>
                    <input type="hidden" name="account_id" value=id/>
                    <FormError error=action_error(lv)/>
                    <TextField label="Make this a sub-account of (login name)" name="primary_login" error=field_error(lv, "primary_login")/>
                    <SubmitButton label="Link" pending_label="Linking…" pending=actions.link.pending()/>
                </ActionForm>
            })}
            {(!linked.is_empty()).then(|| view! {
                <ActionForm action=actions.transfer attr:class="form form-inline" attr:novalidate=true>
                    <input type="hidden" name="from_account_id" value=id/>
                    <FormError error=action_error(tv)/>
                    <div class="field">
                        <label for="field-to_account_id">"Transfer to"</label>
                        <select id="field-to_account_id" name="to_account_id">
                            {linked.into_iter().map(|(lid, login)| view! { <option value=lid>{login}</option> }).collect_view()}
                        </select>
                        <p class="field-error" role="alert">{move || field_error(tv, "to_account_id").get()}</p>
                    </div>
                    <TextField label="Amount (HK$)" name="amount" error=field_error(tv, "amount")/>
                    <TextField label="Note" name="note" error=field_error(tv, "note")/>
                    {move || matches!(tv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"Transferred; both statements show it."</Notice> })}
                    <SubmitButton label="Transfer balance" pending_label="Transferring…" pending=actions.transfer.pending()/>
                </ActionForm>
            })}
        </section>
        <section class="card">
            <h2>"Recent statement"</h2>
            <StatementTable entries=detail.recent_entries/>
        </section>
    }
}

/// What one staff-review queue page says: its titles, its empty state and its columns (the
/// last column is always the decision).
#[derive(Clone, Copy)]
struct QueueText {
    page_title: &'static str,
    title: &'static str,
    subtitle: &'static str,
    waiting: &'static str,
    test_id: &'static str,
    columns: &'static [&'static str],
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
    // A stored value keeps the closure below `Copy`, as the nested views need.
    let row = StoredValue::new(row);
    let queue = move || {
        let row = row.get_value();
        Suspend::new(async move {
            match list.await {
                Ok(l) if l.is_empty() => view! { <section class="card"><EmptyState title="Nothing waiting"><p>{text.waiting}</p></EmptyState></section> }.into_any(),
                Ok(l) => view! {
                    <section class="card"><div class="table-wrap"><table class="table" data-testid=text.test_id>
                        <thead><tr>{text.columns.iter().map(|c| view! { <th scope="col" class:num=*c == "Amount">{*c}</th> }).collect_view()}<th scope="col">"Decision"</th></tr></thead>
                        <tbody>{l.into_iter().map(row).collect_view()}</tbody>
                    </table></div></section>
                }.into_any(),
                Err(e) => error_notice(e),
            }
        })
    };
    view! {
        <Title text=text.page_title/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=text.title subtitle=text.subtitle/>
            <FormError error=decision_error/>
            <Suspense fallback=|| view! { <Loading/> }>{queue}</Suspense>
        </RequireViewer>
    }
}

const PAYMENTS: QueueText = QueueText {
    page_title: "Payments · Admin",
    title: "Pending payments",
    subtitle:
        "Open the receipt, then confirm (the balance changes at once) or reject with a reason.",
    waiting: "New payments appear here.",
    test_id: "pending-payments",
    columns: &[
        "Recorded",
        "Account",
        "Method / reference",
        "Amount",
        "Receipt",
    ],
};
const REGISTRATIONS: QueueText = QueueText {
    page_title: "Registrations · Admin",
    title: "Business registrations",
    subtitle: "Approving makes a trial account normal: it may then send to any number.",
    waiting: "Uploaded certificates appear here.",
    test_id: "pending-registrations",
    columns: &["Uploaded", "Account", "Company", "Certificate"],
};
const SIGNATURES: QueueText = QueueText {
    page_title: "China signatures · Admin",
    title: "China signature applications",
    subtitle: "Approval charges the HK$2,000 fee unless the account has confirmed a single top-up of HK$20,000 or more.",
    waiting: "Applications appear here.",
    test_id: "pending-signatures",
    columns: &["Applied", "Account", "Signature"],
};

/// A queue page: `$text` over the pending requests `$pending` lists. Every row starts with
/// when the request came and whose account it is, ends with the decision (`$id_field` names
/// the request for `$action`), and shows between them the cells `$cells` draws.
macro_rules! queue_page {
    ($page:ident, $action:ident, $pending:ident, $text:expr, $id_field:literal, $approve:literal,
     |$item:ident: $t:ty| $cells:expr) => {
        #[component]
        pub fn $page() -> impl IntoView {
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
                        <td>{format_hkt(created_at)}</td>
                        <td><a href=format!("/admin/accounts/{account_id}")>{login_name}</a></td>
                        {cells}
                        <td>{decide!(decide, $id_field, id, $approve)}</td>
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
    "Confirm",
    |p: Payment| view! {
        <td>{format!("{} · {}", p.method, p.reference)}</td>
        <td class="num">{p.amount.to_string()}</td>
        <td><a href=format!("/documents/{}", p.document_id) target="_blank" rel="noopener">"Open receipt"</a></td>
    }
);

queue_page!(
    RegistrationsQueuePage,
    DecideRegistration,
    pending_registrations,
    REGISTRATIONS,
    "registration_id",
    "Approve",
    |r: Registration| view! {
        <td>{r.company_name}</td>
        <td><a href=format!("/documents/{}", r.document_id) target="_blank" rel="noopener">"Open certificate"</a></td>
    }
);

queue_page!(
    SignaturesQueuePage,
    DecideSignature,
    pending_signatures,
    SIGNATURES,
    "application_id",
    "Approve",
    |a: SignatureApplication| view! {
        <td><strong>{format!("[{}]", a.signature)}</strong></td>
    }
);

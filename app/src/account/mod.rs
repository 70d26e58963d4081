//! The Account page: who the account is, its balance, recent ledger entries, and the forms that
//! change it (top-ups, business registration, China signature, settings, password).

mod forms;

use crate::auth::AccountStatus;
use crate::error::AppError;
use crate::shell::RequireViewer;
use crate::ui::{format_hkt, EmptyState, Loading, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;

pub use engine::account::*;

#[server(endpoint = "account_overview")]
pub async fn get_account_overview() -> Result<AccountOverview, AppError> {
    crate::error::with_status(
        async {
            let caller = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            Ok(engine::account::store::overview(&db, caller.account_id).await?)
        }
        .await,
    )
}

fn entry_kind_label(kind: &str) -> &'static str {
    match kind {
        "trial_credit" => "Trial credit",
        "top_up" => "Top-up",
        "bonus" => "Bonus",
        "charge" => "Charge",
        "refund" => "Refund",
        "transfer_in" => "Transfer in",
        "transfer_out" => "Transfer out",
        "fee" => "Fee",
        _ => "Other",
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account"/>
        <RequireViewer>
            <AccountDetails/>
        </RequireViewer>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_account_overview());
    view! {
        <PageHeader title="Account"/>
        <Suspense fallback=|| view! { <Loading what="your account"/> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <AccountSummary overview=o/> }.into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                }
            })}
        </Suspense>
        // The sections load their own data. They sit beside the overview, not inside its
        // Suspend: resources created inside a resolved Suspend are created in a different
        // order on the server and in the browser, which breaks hydration.
        <forms::MobileVerificationSection/>
        <forms::TopUpSection/>
        <forms::RegistrationSection/>
        <forms::SenderIdSection/>
        <forms::SignatureSection/>
        <forms::SettingsSection/>
        <forms::PasswordSection/>
    }
}

#[component]
fn AccountSummary(overview: AccountOverview) -> impl IntoView {
    let is_trial = overview.status == AccountStatus::Trial;
    let entries = overview.recent_entries;
    view! {
        <div class="grid-2">
            <section class="card" aria-labelledby="balance-heading">
                <h2 id="balance-heading">"Balance"</h2>
                <p class="big-figure" data-testid="account-balance">{overview.balance.to_string()}</p>
                <p class="muted">"Prepaid. Top-ups never expire."</p>
            </section>
            <section class="card" aria-labelledby="profile-heading">
                <h2 id="profile-heading">"Profile"</h2>
                <dl class="facts">
                    <dt>"Company"</dt><dd>{overview.company_name}</dd>
                    <dt>"Login name"</dt><dd>{overview.login_name}</dd>
                    <dt>"Status"</dt>
                    <dd><span class="badge" class:badge-warn=is_trial>{overview.status.label()}</span></dd>
                    <dt>"Registered mobile"</dt><dd>{format!("+{}", overview.mobile)}</dd>
                    <dt>"Contact email"</dt><dd>{overview.contact_email}</dd>
                    <dt>"Member since"</dt><dd>{format_hkt(overview.created_at)}</dd>
                </dl>
            </section>
        </div>
        {is_trial.then(|| view! {
            <Notice kind=NoticeKind::Info>
                "This is a trial account: messages can only go to your registered mobile number. "
                "Upload your business registration certificate below to send to anyone."
            </Notice>
        })}
        <crate::chart::UsageChart usage=overview.usage/>
        <p><a href="/account/statement">"Full statement, filters and CSV export →"</a></p>
        <section class="card" aria-labelledby="statement-heading">
            <h2 id="statement-heading">"Recent statement entries"</h2>
            {if entries.is_empty() {
                view! { <EmptyState title="No entries yet"><p>"Top-ups and charges will appear here."</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Date (HKT)"</th>
                                <th scope="col">"Type"</th>
                                <th scope="col">"Description"</th>
                                <th scope="col" class="num">"Amount"</th>
                                <th scope="col" class="num">"Balance"</th>
                            </tr></thead>
                            <tbody>
                                {entries.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{format_hkt(e.created_at)}</td>
                                        <td>{entry_kind_label(&e.kind)}</td>
                                        <td>{e.description}</td>
                                        <td class="num">{e.amount.to_string()}</td>
                                        <td class="num">{e.balance_after.to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

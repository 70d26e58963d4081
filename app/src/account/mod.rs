//! The Account page: who the account is, its balance, recent ledger entries, and the forms that
//! change it (top-ups, business registration, China signature, settings, password).

mod forms;
pub mod two_factor;

use crate::auth::AccountStatus;
use crate::error::AppError;
use crate::shell::RequireViewer;
use crate::ui::{format_hkt, EmptyState, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;

pub use engine::account::*;

#[server(endpoint = "account_overview")]
pub async fn get_account_overview() -> Result<AccountOverview, AppError> {
    crate::auth::context::as_viewer(|caller, db| async move {
        Ok(engine::account::store::overview(&db, caller.account_id).await?)
    })
    .await
}

#[component]
pub fn AccountPage() -> impl IntoView {
    view! { <RequireViewer title="Account"><AccountDetails/></RequireViewer> }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_account_overview());
    view! {
        <PageHeader title="Account"/>
        {crate::ui::loaded("your account", overview, |o| view! { <AccountSummary overview=o/> })}
        // The sections load their own data. They sit beside the overview, not inside its
        // Suspend: resources created inside a resolved Suspend are created in a different
        // order on the server and in the browser, which breaks hydration.
        <forms::MobileVerificationSection/>
        <forms::TopUpSection/>
        <forms::RegistrationSection/>
        <forms::SenderIdSection/>
        <forms::SignatureSection/>
        <forms::SettingsSection/>
        <crate::api_keys::ApiKeysSection/>
        <crate::callbacks::CallbacksSection/>
        <two_factor::TwoFactorSection/>
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
                view! { <crate::ledger::page::StatementTable entries=entries/> }.into_any()
            }}
        </section>
    }
}

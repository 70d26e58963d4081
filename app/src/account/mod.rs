//! The Account page: who the account is, its balance, recent ledger entries, and the forms that
//! change it (top-ups, business registration, China signature, settings, password).

mod forms;
pub mod two_factor;

use crate::auth::AccountStatus;
use crate::error::AppError;
use crate::i18n::{tr, use_lang, Lang};
use crate::shell::RequireViewer;
use crate::ui::{format_hkt_in, EmptyState, Notice, NoticeKind, PageHeader};
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
    let lang = use_lang();
    view! { <RequireViewer title=tr::account_title(lang)><AccountDetails/></RequireViewer> }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let lang = use_lang();
    let overview = Resource::new(|| (), |_| get_account_overview());
    view! {
        <PageHeader title=tr::account_title(lang)/>
        {crate::ui::loaded(tr::account_loading_account(lang), overview, |o| view! { <AccountSummary overview=o/> })}
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
    let lang = use_lang();
    let is_trial = overview.status == AccountStatus::Trial;
    let entries = overview.recent_entries;
    view! {
        <div class="grid-2">
            <section class="card" aria-labelledby="balance-heading">
                <h2 id="balance-heading">{tr::account_balance(lang)}</h2>
                <p class="big-figure" data-testid="account-balance">{overview.balance.to_string()}</p>
                <p class="muted">{tr::account_balance_note(lang)}</p>
            </section>
            <section class="card" aria-labelledby="profile-heading">
                <h2 id="profile-heading">{tr::account_profile(lang)}</h2>
                <dl class="facts">
                    <dt>{tr::account_company(lang)}</dt><dd>{overview.company_name}</dd>
                    <dt>{tr::account_login_name(lang)}</dt><dd>{overview.login_name}</dd>
                    <dt>{tr::account_status(lang)}</dt>
                    <dd><span class="badge" class:badge-warn=is_trial>{status_label(lang, overview.status)}</span></dd>
                    <dt>{tr::account_registered_mobile(lang)}</dt><dd>{format!("+{}", overview.mobile)}</dd>
                    <dt>{tr::account_contact_email(lang)}</dt><dd>{overview.contact_email}</dd>
                    <dt>{tr::account_member_since(lang)}</dt><dd>{format_hkt_in(lang, overview.created_at)}</dd>
                </dl>
            </section>
        </div>
        {is_trial.then(|| view! {
            <Notice kind=NoticeKind::Info>
                {tr::account_trial_notice(lang)}
            </Notice>
        })}
        <crate::chart::UsageChart usage=overview.usage/>
        <p><a href="/account/statement">{tr::account_full_statement(lang)}</a></p>
        <section class="card" aria-labelledby="statement-heading">
            <h2 id="statement-heading">{tr::account_recent_entries(lang)}</h2>
            {if entries.is_empty() {
                view! { <EmptyState title=tr::account_no_entries(lang)><p>{tr::account_no_entries_text(lang)}</p></EmptyState> }.into_any()
            } else {
                view! { <crate::ledger::page::StatementTable entries=entries/> }.into_any()
            }}
        </section>
    }
}

/// An account's status as people read it (the engine's `label` is English only).
fn status_label(lang: Lang, status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Trial => tr::account_status_trial(lang),
        AccountStatus::Normal => tr::account_status_normal(lang),
        AccountStatus::Staff => tr::account_status_staff(lang),
    }
}

//! The staff console's start page: the installation at a glance and recent sign-ins (§13).
//! Every server function here checks the staff role itself; hiding the link is not security.

pub mod accounts;
pub mod batches;
pub mod connections;
pub mod keywords;
pub mod numbers;
pub mod pages;
pub mod prices;

use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::{format_hkt_in, EmptyState, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;

pub use engine::staff::*;

#[server(endpoint = "admin_overview")]
pub async fn get_admin_overview() -> Result<AdminOverview, AppError> {
    crate::auth::context::as_staff(
        |_, db| async move { Ok(engine::staff::store::overview(&db).await?) },
    )
    .await
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::admin_console_title(lang)/>
        <RequireViewer staff=true>
            <AdminHome/>
        </RequireViewer>
    }
}

#[component]
fn AdminHome() -> impl IntoView {
    let lang = use_lang();
    let overview = Resource::new(|| (), |_| get_admin_overview());
    view! {
        <pages::AdminNav/>
        <PageHeader title=tr::admin_console_title(lang) subtitle=tr::admin_console_subtitle(lang)/>
        {crate::ui::loaded(tr::admin_loading_console(lang), overview, |o| view! { <AdminSummary overview=o/> })}
    }
}

#[component]
fn AdminSummary(overview: AdminOverview) -> impl IntoView {
    let lang = use_lang();
    let sign_ins = overview.recent_sign_ins;
    view! {
        <div class="grid-3">
            <section class="card stat"><h2>{tr::admin_payments_to_confirm(lang)}</h2><p class="big-figure"><a href="/admin/payments">{overview.pending_payments}</a></p></section>
            <section class="card stat"><h2>{tr::admin_registrations_to_review(lang)}</h2><p class="big-figure"><a href="/admin/registrations">{overview.pending_registrations}</a></p></section>
            <section class="card stat"><h2>{tr::admin_signatures_to_review(lang)}</h2><p class="big-figure"><a href="/admin/signatures">{overview.pending_signatures}</a></p></section>
        </div>
        <div class="grid-3">
            <section class="card stat"><h2>{tr::admin_customer_accounts(lang)}</h2><p class="big-figure">{overview.customer_accounts}</p></section>
            <section class="card stat"><h2>{tr::admin_on_trial(lang)}</h2><p class="big-figure">{overview.trial_accounts}</p></section>
            <section class="card stat"><h2>{tr::admin_staff(lang)}</h2><p class="big-figure">{overview.staff_accounts}</p></section>
        </div>
        <section class="card" aria-labelledby="signins-heading">
            <h2 id="signins-heading">{tr::admin_recent_sign_ins(lang)}</h2>
            {if sign_ins.is_empty() {
                view! { <EmptyState title=tr::admin_no_sign_ins(lang)><p>{tr::admin_no_sign_ins_text(lang)}</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">{tr::admin_time_hkt(lang)}</th>
                                <th scope="col">{tr::admin_login_name(lang)}</th>
                                <th scope="col">{tr::admin_source_ip(lang)}</th>
                                <th scope="col">{tr::admin_result(lang)}</th>
                            </tr></thead>
                            <tbody>
                                {sign_ins.into_iter().map(|s| view! {
                                    <tr>
                                        <td>{format_hkt_in(lang, s.at)}</td>
                                        <td>{s.login_name}</td>
                                        <td><code>{s.ip}</code></td>
                                        <td>
                                            <span class="badge" class:badge-ok=s.succeeded class:badge-bad=!s.succeeded>
                                                {if s.succeeded { tr::admin_signed_in(lang) } else { tr::admin_failed(lang) }}
                                            </span>
                                        </td>
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

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
use crate::shell::RequireViewer;
use crate::ui::{format_hkt, EmptyState, PageHeader};
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
    view! {
        <Title text="Admin console"/>
        <RequireViewer staff=true>
            <AdminHome/>
        </RequireViewer>
    }
}

#[component]
fn AdminHome() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_admin_overview());
    view! {
        <pages::AdminNav/>
        <PageHeader title="Admin console" subtitle="Approvals, accounts, price list and the audit log."/>
        {crate::ui::loaded("the console", overview, |o| view! { <AdminSummary overview=o/> })}
    }
}

#[component]
fn AdminSummary(overview: AdminOverview) -> impl IntoView {
    let sign_ins = overview.recent_sign_ins;
    view! {
        <div class="grid-3">
            <section class="card stat"><h2>"Payments to confirm"</h2><p class="big-figure"><a href="/admin/payments">{overview.pending_payments}</a></p></section>
            <section class="card stat"><h2>"Registrations to review"</h2><p class="big-figure"><a href="/admin/registrations">{overview.pending_registrations}</a></p></section>
            <section class="card stat"><h2>"Signatures to review"</h2><p class="big-figure"><a href="/admin/signatures">{overview.pending_signatures}</a></p></section>
        </div>
        <div class="grid-3">
            <section class="card stat"><h2>"Customer accounts"</h2><p class="big-figure">{overview.customer_accounts}</p></section>
            <section class="card stat"><h2>"On trial"</h2><p class="big-figure">{overview.trial_accounts}</p></section>
            <section class="card stat"><h2>"Staff"</h2><p class="big-figure">{overview.staff_accounts}</p></section>
        </div>
        <section class="card" aria-labelledby="signins-heading">
            <h2 id="signins-heading">"Recent sign-in attempts"</h2>
            {if sign_ins.is_empty() {
                view! { <EmptyState title="No sign-ins yet"><p>"Attempts appear here with their source address."</p></EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Time (HKT)"</th>
                                <th scope="col">"Login name"</th>
                                <th scope="col">"Source IP"</th>
                                <th scope="col">"Result"</th>
                            </tr></thead>
                            <tbody>
                                {sign_ins.into_iter().map(|s| view! {
                                    <tr>
                                        <td>{format_hkt(s.at)}</td>
                                        <td>{s.login_name}</td>
                                        <td><code>{s.ip}</code></td>
                                        <td>
                                            <span class="badge" class:badge-ok=s.succeeded class:badge-bad=!s.succeeded>
                                                {if s.succeeded { "Signed in" } else { "Failed" }}
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

//! Staff edit the price list (per route and destination prefix, with an effective date) and
//! read the audit log.

use super::pages::AdminNav;
use crate::error::AppError;
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use engine::audit::AuditEntry;
use leptos::prelude::*;
use leptos_meta::Title;
use sms::Route;

pub use engine::staff::prices::*;

#[server(endpoint = "price_rows")]
pub async fn price_rows() -> Result<Vec<PriceRowView>, AppError> {
    crate::auth::context::as_staff(|_, db| async move {
        Ok(engine::staff::prices::store::rows(&db).await?)
    })
    .await
}

/// Adds a price-list row (its fields as the form sends them: `route`, `prefix`,
/// `unit_price`, `effective_from`).
#[server(endpoint = "add_price")]
pub async fn add_price(#[server(flatten)] price: NewPrice) -> Result<(), AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        Ok(engine::staff::prices::store::add(&db, caller.account_id, &price).await?)
    })
    .await
}

#[server(endpoint = "audit_entries")]
pub async fn audit_entries() -> Result<Vec<AuditEntry>, AppError> {
    crate::error::with_status(
        async {
            crate::auth::context::require_staff()?;
            Ok(engine::audit::recent(&crate::auth::context::server_state()?.db, 500).await?)
        }
        .await,
    )
}

#[component]
pub fn PricesPage() -> impl IntoView {
    let add = ServerAction::<AddPrice>::new();
    let value = add.value();
    let rows = Resource::new(move || add.version().get(), |_| price_rows());
    view! {
        <Title text="Price list · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title="Price list" subtitle="Price per message part. The longest matching prefix wins; a new row replaces the same route and prefix from its effective date."/>
            <section class="card">
                <ActionForm action=add attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <div class="field">
                        <label for="field-route">"Route"</label>
                        <select id="field-route" name="route">
                            {Route::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                        </select>
                    </div>
                    <TextField label="Prefix" name="prefix" hint="Empty for the whole route." error=field_error(value, "prefix")/>
                    <TextField label="Price per part (HK$)" name="unit_price" error=field_error(value, "unit_price")/>
                    <TextField label="Effective from" name="effective_from" kind="date" hint="Empty: now." error=field_error(value, "effective_from")/>
                    <SubmitButton label="Add price" pending_label="Saving…" pending=add.pending()/>
                </ActionForm>
            </section>
            <Suspense fallback=|| view! { <Loading what="prices"/> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="prices">
                                <thead><tr><th scope="col">"Route"</th><th scope="col">"Prefix"</th><th scope="col" class="num">"Per part"</th><th scope="col">"Effective from"</th><th scope="col">"State"</th></tr></thead>
                                <tbody>{list.into_iter().map(|p| view! {
                                    <tr>
                                        <td>{p.route.parse::<Route>().map(|r| r.label()).unwrap_or("?")}</td>
                                        <td>{if p.prefix.is_empty() { "(all)".to_string() } else { format!("+{}", p.prefix) }}</td>
                                        <td class="num">{p.unit_price.to_string()}</td>
                                        <td>{if p.effective_from == 0 { "always".to_string() } else { format_hkt(p.effective_from) }}</td>
                                        <td>{if p.current {
                                            view! { <span class="badge badge-ok">"In effect"</span> }.into_any()
                                        } else if p.scheduled {
                                            view! { <span class="badge badge-warn">"Scheduled"</span> }.into_any()
                                        } else {
                                            view! { <span class="badge">"Replaced"</span> }.into_any()
                                        }}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| audit_entries());
    view! {
        <Title text="Audit log · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title="Audit log" subtitle="Every staff action, newest first. Read-only."/>
            <Suspense fallback=|| view! { <Loading what="the audit log"/> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <section class="card"><EmptyState title="No staff actions yet"><p>"Approvals, transfers and edits appear here."</p></EmptyState></section> }.into_any(),
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="audit">
                                <thead><tr><th scope="col">"When (HKT)"</th><th scope="col">"Staff"</th><th scope="col">"Action"</th><th scope="col">"Account"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                                <tbody>{list.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{format_hkt(e.at)}</td><td>{e.staff_login}</td><td><code>{e.action}</code></td>
                                        <td>{e.target_login.unwrap_or_default()}</td>
                                        <td><code class="json">{e.before}</code></td><td><code class="json">{e.after}</code></td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

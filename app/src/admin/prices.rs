//! Staff edit the price list (per route and destination prefix, with an effective date) and
//! read the audit log.

use super::pages::AdminNav;
use crate::delivery::route_label;
use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind,
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
    let lang = use_lang();
    let add = ServerAction::<AddPrice>::new();
    let value = add.value();
    let rows = Resource::new(move || add.version().get(), |_| price_rows());
    view! {
        <Title text=tr::admin_prices_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=tr::admin_nav_prices(lang) subtitle=tr::admin_prices_subtitle(lang)/>
            <section class="card">
                <ActionForm action=add attr:class="form form-inline" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <div class="field">
                        <label for="field-route">{tr::admin_route(lang)}</label>
                        <select id="field-route" name="route">
                            {Route::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{route_label(lang, r)}</option> }).collect_view()}
                        </select>
                    </div>
                    <TextField label=tr::admin_prefix(lang) name="prefix" hint=tr::admin_prefix_hint(lang) error=field_error(value, "prefix")/>
                    <TextField label=tr::admin_price_per_part(lang) name="unit_price" error=field_error(value, "unit_price")/>
                    <TextField label=tr::admin_effective_from(lang) name="effective_from" kind="date" hint=tr::admin_effective_from_hint(lang) error=field_error(value, "effective_from")/>
                    <SubmitButton label=tr::admin_add_price(lang) pending_label=tr::admin_saving(lang) pending=add.pending()/>
                </ActionForm>
            </section>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_prices(lang)/> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="prices">
                                <thead><tr><th scope="col">{tr::admin_route(lang)}</th><th scope="col">{tr::admin_prefix(lang)}</th><th scope="col" class="num">{tr::admin_per_part(lang)}</th><th scope="col">{tr::admin_effective_from(lang)}</th><th scope="col">{tr::admin_state(lang)}</th></tr></thead>
                                <tbody>{list.into_iter().map(|p| view! {
                                    <tr>
                                        <td>{p.route.parse::<Route>().map(|r| route_label(lang, r)).unwrap_or("?")}</td>
                                        <td>{if p.prefix.is_empty() { tr::admin_prefix_all(lang).to_string() } else { format!("+{}", p.prefix) }}</td>
                                        <td class="num">{p.unit_price.to_string()}</td>
                                        <td>{if p.effective_from == 0 { tr::admin_always(lang).to_string() } else { format_hkt_in(lang, p.effective_from) }}</td>
                                        <td>{if p.current {
                                            view! { <span class="badge badge-ok">{tr::admin_in_effect(lang)}</span> }.into_any()
                                        } else if p.scheduled {
                                            view! { <span class="badge badge-warn">{tr::admin_scheduled(lang)}</span> }.into_any()
                                        } else {
                                            view! { <span class="badge">{tr::admin_replaced(lang)}</span> }.into_any()
                                        }}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let lang = use_lang();
    let entries = Resource::new(|| (), |_| audit_entries());
    view! {
        <Title text=tr::admin_audit_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader title=tr::admin_nav_audit(lang) subtitle=tr::admin_audit_subtitle(lang)/>
            <Suspense fallback=move || view! { <Loading what=tr::admin_loading_audit(lang)/> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <section class="card"><EmptyState title=tr::admin_no_staff_actions(lang)><p>{tr::admin_no_staff_actions_text(lang)}</p></EmptyState></section> }.into_any(),
                        Ok(list) => view! {
                            <section class="card"><div class="table-wrap"><table class="table" data-testid="audit">
                                <thead><tr><th scope="col">{tr::admin_when_hkt(lang)}</th><th scope="col">{tr::admin_staff(lang)}</th><th scope="col">{tr::admin_action(lang)}</th><th scope="col">{tr::admin_account(lang)}</th><th scope="col">{tr::admin_before(lang)}</th><th scope="col">{tr::admin_after(lang)}</th></tr></thead>
                                <tbody>{list.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{format_hkt_in(lang, e.at)}</td><td>{e.staff_login}</td><td><code>{e.action}</code></td>
                                        <td>{e.target_login.unwrap_or_default()}</td>
                                        <td><code class="json">{e.before}</code></td><td><code class="json">{e.after}</code></td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div></section>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireViewer>
    }
}

//! `/admin/connections`: the SMSC connections (§12). Staff see each one as it is now (routes and
//! priority, bound or down, window in use, throughput against its limit, the last error, what
//! it has done since it started), refreshed every few seconds so a failover shows as it
//! happens; and they add, edit, disable and remove the connections managed here (audited).
//! ferry.toml's connections are shown but changed only in the file. A change reaches every
//! `ferry serve` on the database within seconds; this process applies it at once.

use super::pages::AdminNav;
use crate::delivery::route_label;
use crate::error::AppError;
use crate::i18n::{tr, use_lang, Lang};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, format_hkt_in, EmptyState, FormError, Notice, NoticeKind,
    PageHeader, SubmitButton, TextField,
};
use engine::delivery::connections::{ManagedSmsc, SmscForm, MATCHING_NAMES};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use sms::Route;

/// Where a connection is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionSource {
    /// `[[smsc]]` in ferry.toml: read-only here.
    File,
    /// Added in this console.
    Console,
    /// The built-in simulator, which runs while no real connection is configured.
    Simulator,
}

impl ConnectionSource {
    /// Its code, as the page marks rows with it (`data-source`).
    fn label(self) -> &'static str {
        match self {
            ConnectionSource::File => "ferry.toml",
            ConnectionSource::Console => "console",
            ConnectionSource::Simulator => "built-in simulator",
        }
    }

    /// What a person reads: the code in English, its wording in other languages.
    fn label_in(self, lang: Lang) -> &'static str {
        match self {
            ConnectionSource::File => "ferry.toml",
            ConnectionSource::Console => tr::admin_source_console(lang),
            ConnectionSource::Simulator => tr::admin_source_simulator(lang),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmscConnection {
    pub name: String,
    pub address: String,
    /// Route labels in the page's language ("HK Business", …).
    pub routes: Vec<String>,
    pub priority: u32,
    /// Submits per second allowed; `None` for no limit.
    pub max_per_second: Option<f64>,
    pub source: ConnectionSource,
    /// The stored connection, for those managed here.
    pub managed: Option<ManagedSmsc>,
    /// Run by this process's dispatcher now (a disabled one is not).
    pub running: bool,
    pub bound: bool,
    pub in_flight: usize,
    pub window: usize,
    /// Accepted messages per second over the last few seconds.
    pub per_second: f64,
    pub accepted: u64,
    pub failed: u64,
    pub receipts: u64,
    pub replies: u64,
    /// The last connection failure: when (ms since the epoch) and why.
    pub last_error: Option<(i64, String)>,
}

#[server(endpoint = "smsc_connections")]
pub async fn smsc_connections() -> Result<Vec<SmscConnection>, AppError> {
    let lang = crate::i18n::page_lang();
    crate::auth::context::as_staff(|_, db| async move {
        use std::sync::atomic::Ordering::Relaxed;
        let state = crate::auth::context::server_state()?;
        let mut managed = engine::delivery::connections::store::list(&db).await?;
        let live = state.links.get().map(|l| l.states()).unwrap_or_default();
        let mut list: Vec<SmscConnection> = live
            .into_iter()
            .map(|l| {
                let stored = managed
                    .iter()
                    .position(|m| m.name == l.name)
                    .map(|i| managed.remove(i));
                let source = if stored.is_some() {
                    ConnectionSource::Console
                } else if state.smscs_in_file.contains(&l.name) {
                    ConnectionSource::File
                } else {
                    ConnectionSource::Simulator
                };
                SmscConnection {
                    routes: l
                        .routes
                        .iter()
                        .map(|r| route_label(lang, *r).to_string())
                        .collect(),
                    priority: l.priority,
                    max_per_second: l.max_per_second,
                    source,
                    managed: stored,
                    running: true,
                    bound: l.bound,
                    in_flight: l.in_flight,
                    window: l.window,
                    per_second: l.counters.per_second(),
                    accepted: l.counters.submits_accepted.load(Relaxed),
                    failed: l.counters.submits_failed.load(Relaxed),
                    receipts: l.counters.receipts.load(Relaxed),
                    replies: l.counters.replies.load(Relaxed),
                    last_error: l.counters.last_error(),
                    name: l.name,
                    address: l.address,
                }
            })
            .collect();
        // Disabled ones, and any not picked up by this process yet.
        list.extend(managed.into_iter().map(|m| {
            SmscConnection {
                name: m.name.clone(),
                address: m.address.clone(),
                routes: m
                    .routes
                    .iter()
                    .filter_map(|r| r.parse::<Route>().ok())
                    .map(|r| route_label(lang, r).to_string())
                    .collect(),
                priority: m.priority,
                max_per_second: (m.max_per_second > 0).then_some(f64::from(m.max_per_second)),
                source: ConnectionSource::Console,
                running: false,
                bound: false,
                in_flight: 0,
                window: m.window as usize,
                per_second: 0.0,
                accepted: 0,
                failed: 0,
                receipts: 0,
                replies: 0,
                last_error: None,
                managed: Some(m),
            }
        }));
        Ok(list)
    })
    .await
}

#[cfg(feature = "ssr")]
/// Tells this process's dispatcher to read the connections again now (other processes notice
/// within a couple of seconds).
fn reload_connections() -> Result<(), AppError> {
    if let Some(links) = crate::auth::context::server_state()?.links.get() {
        links.request_reload();
    }
    Ok(())
}

/// Adds a connection (its form fields: `name`, `address`, `system_id`, `password`,
/// `priority`, `window`, `max_per_second`, `msg_id_matching`, `route_*` check boxes), or edits
/// the one named by `id`.
#[server(endpoint = "save_smsc_connection")]
pub async fn save_smsc_connection(
    #[server(flatten)] connection: SmscForm,
) -> Result<i64, AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        let state = crate::auth::context::server_state()?;
        let id = engine::delivery::connections::store::save(
            &db,
            caller.account_id,
            &connection,
            &state.smscs_in_file,
        )
        .await?;
        reload_connections()?;
        Ok(id)
    })
    .await
}

#[server(endpoint = "set_smsc_connection_enabled")]
pub async fn set_smsc_connection_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        engine::delivery::connections::store::set_enabled(&db, caller.account_id, id, enabled)
            .await?;
        reload_connections()
    })
    .await
}

#[server(endpoint = "remove_smsc_connection")]
pub async fn remove_smsc_connection(id: i64) -> Result<(), AppError> {
    crate::auth::context::as_staff(|caller, db| async move {
        engine::delivery::connections::store::remove(&db, caller.account_id, id).await?;
        reload_connections()
    })
    .await
}

/// Seconds between refreshes while the page is open.
const REFRESH_MS: u64 = 3_000;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let lang = use_lang();
    let tick = RwSignal::new(0u64);
    // Browser only: effects do not run on the server.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_millis(REFRESH_MS),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let save = ServerAction::<SaveSmscConnection>::new();
    let toggle = ServerAction::<SetSmscConnectionEnabled>::new();
    let remove = ServerAction::<RemoveSmscConnection>::new();
    let editing = RwSignal::new(None::<ManagedSmsc>);
    let links = Resource::new(
        move || {
            (
                tick.get(),
                save.version().get(),
                toggle.version().get(),
                remove.version().get(),
            )
        },
        |_| smsc_connections(),
    );
    let row_error = Signal::derive(move || {
        action_error(toggle.value())
            .get()
            .or_else(|| action_error(remove.value()).get())
    });
    view! {
        <Title text=tr::admin_connections_page_title(lang)/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader
                title=tr::admin_nav_connections(lang)
                subtitle=tr::admin_connections_subtitle(lang)
            />
            <FormError error=row_error/>
            // A Transition keeps the table in place while it refreshes.
            <Transition fallback=move || view! { <crate::ui::Loading what=tr::admin_loading_connections(lang)/> }>
                {move || Suspend::new(async move {
                    match links.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title=tr::admin_no_connections(lang)>
                                <p>{tr::admin_no_connections_text(lang)}</p>
                            </EmptyState>
                        }.into_any(),
                        Ok(list) => view! { <ConnectionsTable list editing toggle remove/> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                    }
                })}
            </Transition>
            <ConnectionForm save editing/>
        </RequireViewer>
    }
}

fn state_badge(lang: Lang, c: &SmscConnection) -> (&'static str, &'static str) {
    match (
        c.running,
        c.bound,
        c.managed.as_ref().is_some_and(|m| !m.enabled),
    ) {
        (_, _, true) => (tr::admin_state_disabled(lang), "badge"),
        (false, _, false) => (tr::admin_state_starting(lang), "badge"),
        (true, true, _) => (tr::admin_state_bound(lang), "badge badge-ok"),
        (true, false, _) => (tr::admin_state_down(lang), "badge badge-bad"),
    }
}

#[component]
fn ConnectionsTable(
    list: Vec<SmscConnection>,
    editing: RwSignal<Option<ManagedSmsc>>,
    toggle: ServerAction<SetSmscConnectionEnabled>,
    remove: ServerAction<RemoveSmscConnection>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="smsc-connections">
                    <thead><tr>
                        <th scope="col">{tr::admin_connection(lang)}</th>
                        <th scope="col">{tr::admin_routes(lang)}</th>
                        <th scope="col">{tr::admin_priority(lang)}</th>
                        <th scope="col">{tr::admin_state(lang)}</th>
                        <th scope="col">{tr::admin_window_in_use(lang)}</th>
                        <th scope="col">{tr::admin_throughput(lang)}</th>
                        <th scope="col">{tr::admin_since_started(lang)}</th>
                        <th scope="col">{tr::admin_last_error(lang)}</th>
                        <th scope="col"><span class="visually-hidden">{tr::admin_actions(lang)}</span></th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| {
                            let (state, badge) = state_badge(lang, &c);
                            let limit = c.max_per_second.map(|r| tr::admin_per_second(lang, r)).unwrap_or_else(|| tr::admin_no_limit(lang).into());
                            view! {
                            <tr data-smsc=c.name.clone() data-source=c.source.label()>
                                <td>
                                    <strong>{c.name.clone()}</strong><br/>
                                    <code class="muted">{c.address.clone()}</code><br/>
                                    <span class="muted">{c.source.label_in(lang)}</span>
                                </td>
                                <td>{c.routes.join(", ")}</td>
                                <td>{c.priority}</td>
                                <td><span class=badge data-testid="smsc-state">{state}</span></td>
                                <td>{tr::admin_window_used(lang, c.in_flight, c.window)}</td>
                                <td>{tr::admin_per_second(lang, format!("{:.0}", c.per_second))}<br/><span class="muted">{tr::admin_limit(lang, limit)}</span></td>
                                <td class="small">
                                    {tr::admin_accepted_failed(lang, c.accepted, c.failed)}<br/>
                                    {tr::admin_receipts_replies(lang, c.receipts, c.replies)}
                                </td>
                                <td class="small">{match c.last_error.clone() {
                                    Some((at, why)) => view! { <span>{why}</span><br/><span class="muted">{format_hkt_in(lang, at)}</span> }.into_any(),
                                    None => view! { <span class="muted">{tr::admin_none_lower(lang)}</span> }.into_any(),
                                }}</td>
                                <td>{c.managed.clone().map(|m| view! { <RowActions m editing toggle remove/> })}</td>
                            </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Edit, disable or enable, and (once disabled) remove a console-managed connection.
#[component]
fn RowActions(
    m: ManagedSmsc,
    editing: RwSignal<Option<ManagedSmsc>>,
    toggle: ServerAction<SetSmscConnectionEnabled>,
    remove: ServerAction<RemoveSmscConnection>,
) -> impl IntoView {
    let lang = use_lang();
    let name = m.name.clone();
    let id = m.id.to_string();
    let enabled = m.enabled;
    let edit = m.clone();
    let remove_form = (!enabled).then(|| {
        let (id, name) = (id.clone(), name.clone());
        view! {
            <ActionForm action=remove attr:class="inline-form">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button button-quiet" aria-label=tr::admin_remove_label(lang, &name)>{tr::admin_remove(lang)}</button>
            </ActionForm>
        }
    });
    view! {
        <div class="row-actions">
            <button type="button" class="button button-quiet" aria-label=tr::admin_edit_name(lang, &name)
                on:click=move |_| {
                    editing.set(Some(edit.clone()));
                    if let Some(field) = document().get_element_by_id("field-address") {
                        use wasm_bindgen::JsCast;
                        if let Ok(input) = field.dyn_into::<web_sys::HtmlElement>() {
                            let _ = input.focus();
                        }
                    }
                }>{tr::admin_edit(lang)}</button>
            <ActionForm action=toggle attr:class="inline-form">
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="enabled" value=(!enabled).to_string()/>
                <button type="submit" class="button button-quiet" aria-label=if enabled { tr::admin_disable_name(lang, &name) } else { tr::admin_enable_name(lang, &name) }>
                    {if enabled { tr::admin_disable(lang) } else { tr::admin_enable(lang) }}
                </button>
            </ActionForm>
            {remove_form}
        </div>
    }
}

/// Adds a connection, or edits the one chosen in the table.
#[component]
fn ConnectionForm(
    save: ServerAction<SaveSmscConnection>,
    editing: RwSignal<Option<ManagedSmsc>>,
) -> impl IntoView {
    let lang = use_lang();
    let value = save.value();
    let form = NodeRef::<leptos::html::Form>::new();
    // A saved connection ends editing and empties the form.
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_))) {
            editing.set(None);
        }
    });
    // Choosing a connection to edit (or ending it) puts the form back to what it shows: the
    // inputs are reused when the form is drawn again, so what was typed would otherwise stay.
    Effect::new(move |_| {
        editing.track();
        request_animation_frame(move || {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        });
    });
    let field = move |read: fn(&ManagedSmsc) -> String, default: &'static str| {
        Signal::derive(move || {
            editing
                .get()
                .map(|m| read(&m))
                .unwrap_or_else(|| default.to_string())
        })
    };
    view! {
        <section class="card" aria-labelledby="smsc-form-heading">
            <h2 id="smsc-form-heading">
                {move || match editing.get() {
                    Some(m) => tr::admin_edit_name(lang, &m.name),
                    None => tr::admin_add_connection_heading(lang).to_string(),
                }}
            </h2>
            {move || {
                let current = editing.get();
                let is_edit = current.is_some();
                view! {
                <ActionForm action=save node_ref=form attr:class="form" attr:novalidate=true attr:data-testid="smsc-form">
                    <FormError error=action_error(value)/>
                    <input type="hidden" name="id" value=current.as_ref().map(|m| m.id.to_string()).unwrap_or_default()/>
                    {if is_edit {
                        // The name is how receipts find their messages: it never changes.
                        view! { <input type="hidden" name="name" value=current.as_ref().map(|m| m.name.clone()).unwrap_or_default()/> }.into_any()
                    } else {
                        view! { <TextField label=tr::admin_name(lang) name="name" required=true hint=tr::admin_name_hint(lang) error=field_error(value, "name")/> }.into_any()
                    }}
                    <TextField label=tr::admin_address(lang) name="address" required=true placeholder="smsc.operator.example:2775" hint=tr::admin_address_hint(lang) value=field(|m| m.address.clone(), "") error=field_error(value, "address")/>
                    <TextField label=tr::admin_system_id(lang) name="system_id" required=true autocomplete="off" value=field(|m| m.system_id.clone(), "") error=field_error(value, "system_id")/>
                    <TextField label=tr::admin_password(lang) name="password" kind="password" autocomplete="new-password"
                        hint=if is_edit { tr::admin_password_keep_hint(lang) } else { tr::admin_password_new_hint(lang) }
                        error=field_error(value, "password")/>
                    <fieldset class="field-group" aria-describedby="field-routes-error">
                        <legend>{tr::admin_routes(lang)}</legend>
                        {Route::ALL.into_iter().map(|r| {
                            let checked = current.as_ref().is_some_and(|m| m.routes.iter().any(|x| x == r.as_str()));
                            view! {
                                <label class="check">
                                    <input type="checkbox" name=SmscForm::route_field(r) value="on" checked=checked/>
                                    " " {route_label(lang, r)}
                                </label>
                            }
                        }).collect_view()}
                        <p class="field-error" id="field-routes-error" role="alert">{move || field_error(value, "routes").get()}</p>
                    </fieldset>
                    <TextField label=tr::admin_priority(lang) name="priority" kind="number" hint=tr::admin_priority_hint(lang) value=field(|m| m.priority.to_string(), "") error=field_error(value, "priority")/>
                    <TextField label=tr::admin_window(lang) name="window" kind="number" hint=tr::admin_window_hint(lang) value=field(|m| m.window.to_string(), "") error=field_error(value, "window")/>
                    <TextField label=tr::admin_messages_per_second(lang) name="max_per_second" kind="number" hint=tr::admin_messages_per_second_hint(lang) value=field(|m| m.max_per_second.to_string(), "") error=field_error(value, "max_per_second")/>
                    <div class="field">
                        <label for="field-msg_id_matching">{tr::admin_receipt_id_matching(lang)}</label>
                        <select id="field-msg_id_matching" name="msg_id_matching">
                            {MATCHING_NAMES.into_iter().map(|n| {
                                let selected = current.as_ref().is_some_and(|m| m.msg_id_matching == n);
                                view! { <option value=n selected=selected>{n}</option> }
                            }).collect_view()}
                        </select>
                        <p class="field-error" role="alert">{move || field_error(value, "msg_id_matching").get()}</p>
                    </div>
                    <div class="form-actions">
                        <SubmitButton label=if is_edit { tr::admin_save_changes(lang) } else { tr::admin_add_connection(lang) } pending_label=tr::admin_saving(lang) pending=save.pending()/>
                        {is_edit.then(|| view! {
                            <button type="button" class="button button-quiet" on:click=move |_| editing.set(None)>{tr::admin_cancel(lang)}</button>
                        })}
                    </div>
                </ActionForm>
                }
            }}
            {move || (matches!(value.get(), Some(Ok(_))) && editing.get().is_none()).then(|| view! {
                <Notice kind=NoticeKind::Success><span data-testid="smsc-saved">{tr::admin_connection_saved(lang)}</span></Notice>
            })}
        </section>
    }
}

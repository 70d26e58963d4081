//! `/admin/connections`: this process's SMSC connections as they are now (§12): routes and
//! priority (which one takes a route's messages, which is the fallback), bound or down, window
//! in use, throughput limit and what each has done since the process started. Refreshed every
//! few seconds while open, so a failover shows as it happens.

use super::pages::AdminNav;
use crate::error::AppError;
use crate::shell::RequireViewer;
use crate::ui::{EmptyState, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmscConnection {
    pub name: String,
    pub address: String,
    pub routes: Vec<String>,
    pub priority: u32,
    /// Submits per second allowed; `None` for no limit.
    pub max_per_second: Option<f64>,
    pub bound: bool,
    pub in_flight: usize,
    pub window: usize,
    pub accepted: u64,
    pub failed: u64,
    pub receipts: u64,
    pub replies: u64,
}

#[server(endpoint = "smsc_connections")]
pub async fn smsc_connections() -> Result<Vec<SmscConnection>, AppError> {
    crate::auth::context::as_staff(|_, _| async move {
        use std::sync::atomic::Ordering::Relaxed;
        let state = crate::auth::context::server_state()?;
        let Some(probe) = state.links.get() else {
            return Ok(Vec::new());
        };
        Ok(probe
            .links()
            .into_iter()
            .map(|l| SmscConnection {
                name: l.name,
                address: l.address,
                routes: l.routes.iter().map(|r| r.label().to_string()).collect(),
                priority: l.priority,
                max_per_second: l.max_per_second,
                bound: l.bound,
                in_flight: l.in_flight,
                window: l.window,
                accepted: l.counters.submits_accepted.load(Relaxed),
                failed: l.counters.submits_failed.load(Relaxed),
                receipts: l.counters.receipts.load(Relaxed),
                replies: l.counters.replies.load(Relaxed),
            })
            .collect())
    })
    .await
}

/// Seconds between refreshes while the page is open.
const REFRESH_MS: u64 = 3_000;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
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
    let links = Resource::new(move || tick.get(), |_| smsc_connections());
    view! {
        <Title text="SMSC connections · Admin"/>
        <RequireViewer staff=true>
            <AdminNav/>
            <PageHeader
                title="SMSC connections"
                subtitle="Operator connections of this Ferry process, refreshed every few seconds. A route's messages go to its bound connections with the lowest priority number; the next number takes over while they are down."
            />
            // A Transition keeps the table in place while it refreshes.
            <Transition fallback=|| view! { <crate::ui::Loading what="the connections"/> }>
                {move || Suspend::new(async move {
                    match links.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No SMSC connections">
                                <p>"This process runs no dispatcher, or none is configured ([[smsc]] in the configuration)."</p>
                            </EmptyState>
                        }.into_any(),
                        Ok(list) => view! { <ConnectionsTable list/> }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Transition>
        </RequireViewer>
    }
}

#[component]
fn ConnectionsTable(list: Vec<SmscConnection>) -> impl IntoView {
    view! {
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="smsc-connections">
                    <thead><tr>
                        <th scope="col">"Connection"</th>
                        <th scope="col">"Routes"</th>
                        <th scope="col">"Priority"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Window in use"</th>
                        <th scope="col">"Limit"</th>
                        <th scope="col">"Accepted"</th>
                        <th scope="col">"Failed"</th>
                        <th scope="col">"Receipts"</th>
                        <th scope="col">"Reply parts"</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| {
                            let key = c.name.clone();
                            view! {
                            <tr data-smsc=key>
                                <td><strong>{c.name}</strong><br/><code class="muted">{c.address}</code></td>
                                <td>{c.routes.join(", ")}</td>
                                <td>{c.priority}</td>
                                <td>
                                    <span class="badge" class:badge-ok=c.bound class:badge-bad=!c.bound>
                                        {if c.bound { "Bound" } else { "Down" }}
                                    </span>
                                </td>
                                <td>{format!("{} of {}", c.in_flight, c.window)}</td>
                                <td>{c.max_per_second.map(|r| format!("{r}/s")).unwrap_or_else(|| "none".into())}</td>
                                <td>{c.accepted}</td>
                                <td>{c.failed}</td>
                                <td>{c.receipts}</td>
                                <td>{c.replies}</td>
                            </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

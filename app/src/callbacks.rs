//! Delivery-status callbacks on the Account page (§11): the secret callbacks are signed with
//! (and rotating it), how many were delivered, are being retried or were given up, and the
//! latest attempts with what each receiver answered. The outbox and its rules are
//! `engine::callbacks`; the server's sender POSTs them.

use crate::error::AppError;
use crate::ui::{action_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use engine::callbacks::{CallbackCounts, CallbackRow, CallbackState};

/// Callbacks listed on the page.
#[cfg(feature = "ssr")]
const LISTED: i64 = 20;

/// What the section shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbacksOverview {
    pub secret: String,
    pub default_url: String,
    pub counts: CallbackCounts,
    pub recent: Vec<CallbackRow>,
}

/// The caller's callbacks; `None` for staff, whose accounts send none.
#[server(endpoint = "my_callbacks")]
pub async fn my_callbacks() -> Result<Option<CallbacksOverview>, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        if viewer.is_staff() {
            return Ok(None);
        }
        let id = viewer.account_id;
        let store = |e: sqlx::Error| AppError::from(engine::Error::from(e));
        Ok(Some(CallbacksOverview {
            secret: engine::callbacks::store::secret(&db, id)
                .await
                .map_err(store)?,
            default_url: engine::settings::store::load(&db, id)
                .await?
                .status_callback_url,
            counts: engine::callbacks::store::counts(&db, id)
                .await
                .map_err(store)?,
            recent: engine::callbacks::store::recent(&db, id, LISTED)
                .await
                .map_err(store)?,
        }))
    })
    .await
}

#[server(endpoint = "rotate_callback_secret")]
pub async fn rotate_callback_secret() -> Result<(), AppError> {
    crate::auth::context::as_customer(|viewer, db| async move {
        engine::callbacks::store::rotate_secret(&db, viewer.account_id)
            .await
            .map_err(engine::Error::from)?;
        Ok(())
    })
    .await
}

#[component]
pub fn CallbacksSection() -> impl IntoView {
    let rotate = ServerAction::<RotateCallbackSecret>::new();
    let overview = Resource::new(move || rotate.version().get(), |_| my_callbacks());
    let section = move |o: CallbacksOverview| {
        let counts = o.counts;
        view! {
            <section class="card" aria-labelledby="callbacks-heading">
                <h2 id="callbacks-heading">"Delivery-status callbacks"</h2>
                <p class="muted">
                    "When a message reaches its final status, Ferry POSTs it as JSON to the request's "
                    <code>"callback_url"</code>" or to the default in Settings"
                    {if o.default_url.is_empty() { " (none set)".to_string() } else { format!(" ({})", o.default_url) }}
                    ". Failed attempts are retried with growing pauses for 24 hours. Check "
                    <code>"Ferry-Signature"</code>": it is "<code>"v1="</code>" and the hex HMAC-SHA256 of "
                    <code>"<Ferry-Timestamp>.<body>"</code>" keyed with this secret; drop repeats by "
                    <code>"Ferry-Event-Id"</code>"."
                </p>
                <div class="field">
                    <span class="field-label" id="callback-secret-label">"Signing secret"</span>
                    <p><code class="secret" data-testid="callback-secret" aria-labelledby="callback-secret-label">{o.secret}</code></p>
                </div>
                <ActionForm action=rotate>
                    <FormError error=action_error(rotate.value())/>
                    <button type="submit" class="button button-quiet" disabled=move || rotate.pending().get()>
                        {move || if rotate.pending().get() { "Rotating…" } else { "Rotate secret" }}
                    </button>
                </ActionForm>
                <p data-testid="callback-counts">
                    <span class="badge badge-ok">{format!("{} delivered", counts.delivered)}</span>" "
                    <span class="badge badge-warn">{format!("{} retrying", counts.waiting)}</span>" "
                    <span class="badge badge-bad">{format!("{} given up", counts.gave_up)}</span>
                </p>
                {if o.recent.is_empty() {
                    view! { <EmptyState title="No callbacks yet"><p>"Send with a callback URL and the attempts show here."</p></EmptyState> }.into_any()
                } else {
                    callbacks_table(o.recent).into_any()
                }}
            </section>
        }
    };
    view! {
        <Suspense fallback=|| view! { <Loading what="callbacks"/> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(o)) => section(o).into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn callbacks_table(rows: Vec<CallbackRow>) -> impl IntoView {
    view! {
        <div class="table-wrap"><table class="table" data-testid="callbacks">
            <caption class="visually-hidden">"Latest callbacks"</caption>
            <thead><tr>
                <th scope="col">"For"</th><th scope="col">"URL"</th><th scope="col">"Status"</th>
                <th scope="col">"Attempts"</th><th scope="col">"Last attempt"</th><th scope="col">"Next"</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|c| {
                let badge = match c.state {
                    CallbackState::Delivered => "badge badge-ok",
                    CallbackState::Waiting => "badge badge-warn",
                    CallbackState::GaveUp => "badge badge-bad",
                };
                let last = match (c.last_attempt_at, c.last_result) {
                    (Some(at), Some(result)) => format!("{}: {result}", format_hkt(at)),
                    (Some(at), None) => format_hkt(at),
                    _ => "Not yet".to_string(),
                };
                let next = match c.state {
                    CallbackState::Waiting => format_hkt(c.next_attempt_at),
                    _ => "—".to_string(),
                };
                let subject = match (c.message_id, c.reply_id) {
                    (Some(id), _) => format!("Message {id}"),
                    (None, Some(id)) => format!("Reply {id}"),
                    (None, None) => "—".to_string(),
                };
                view! {
                    <tr>
                        <td>{subject}</td>
                        <td class="cell-url">{c.url}</td>
                        <td><span class=badge>{c.state.label()}</span></td>
                        <td>{c.attempts}</td>
                        <td>{last}</td>
                        <td>{next}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
}

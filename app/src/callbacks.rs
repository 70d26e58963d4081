//! Delivery-status callbacks on the Account page (§11): the secret callbacks are signed with
//! (and rotating it), how many were delivered, are being retried or were given up, and the
//! latest attempts with what each receiver answered. The outbox and its rules are
//! `engine::callbacks`; the server's sender POSTs them.

use crate::error::AppError;
use crate::i18n::{tr, use_lang, Lang};
use crate::ui::{action_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind};
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
    let lang = use_lang();
    let rotate = ServerAction::<RotateCallbackSecret>::new();
    let overview = Resource::new(move || rotate.version().get(), |_| my_callbacks());
    let section = move |o: CallbacksOverview| {
        let counts = o.counts;
        view! {
            <section class="card" aria-labelledby="callbacks-heading">
                <h2 id="callbacks-heading">{tr::account_callbacks_heading(lang)}</h2>
                <p class="muted">
                    {tr::account_callbacks_intro_1(lang)}
                    <code>"callback_url"</code>{tr::account_callbacks_intro_2(lang)}
                    {if o.default_url.is_empty() { tr::account_callbacks_none_set(lang).to_string() } else { tr::account_callbacks_default_url(lang, &o.default_url) }}
                    {tr::account_callbacks_intro_3(lang)}
                    <code>"Ferry-Signature"</code>{tr::account_callbacks_intro_4(lang)}<code>"v1="</code>{tr::account_callbacks_intro_5(lang)}
                    <code>"<Ferry-Timestamp>.<body>"</code>{tr::account_callbacks_intro_6(lang)}
                    <code>"Ferry-Event-Id"</code>{tr::account_callbacks_intro_7(lang)}
                </p>
                <div class="field">
                    <span class="field-label" id="callback-secret-label">{tr::account_callbacks_secret(lang)}</span>
                    <p><code class="secret" data-testid="callback-secret" aria-labelledby="callback-secret-label">{o.secret}</code></p>
                </div>
                <ActionForm action=rotate>
                    <FormError error=action_error(rotate.value())/>
                    <button type="submit" class="button button-quiet" disabled=move || rotate.pending().get()>
                        {move || if rotate.pending().get() { tr::account_callbacks_rotating(lang) } else { tr::account_callbacks_rotate(lang) }}
                    </button>
                </ActionForm>
                <p data-testid="callback-counts">
                    <span class="badge badge-ok">{tr::account_callbacks_delivered(lang, counts.delivered)}</span>" "
                    <span class="badge badge-warn">{tr::account_callbacks_retrying(lang, counts.waiting)}</span>" "
                    <span class="badge badge-bad">{tr::account_callbacks_given_up(lang, counts.gave_up)}</span>
                </p>
                {if o.recent.is_empty() {
                    view! { <EmptyState title=tr::account_callbacks_none(lang)><p>{tr::account_callbacks_none_text(lang)}</p></EmptyState> }.into_any()
                } else {
                    callbacks_table(lang, o.recent).into_any()
                }}
            </section>
        }
    };
    view! {
        <Suspense fallback=move || view! { <Loading what=tr::account_callbacks_loading(lang)/> }>
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

fn callbacks_table(lang: Lang, rows: Vec<CallbackRow>) -> impl IntoView {
    view! {
        <div class="table-wrap"><table class="table" data-testid="callbacks">
            <caption class="visually-hidden">{tr::account_callbacks_caption(lang)}</caption>
            <thead><tr>
                <th scope="col">{tr::account_callbacks_col_for(lang)}</th><th scope="col">{tr::account_callbacks_col_url(lang)}</th><th scope="col">{tr::account_callbacks_col_status(lang)}</th>
                <th scope="col">{tr::account_callbacks_col_attempts(lang)}</th><th scope="col">{tr::account_callbacks_col_last(lang)}</th><th scope="col">{tr::account_callbacks_col_next(lang)}</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|c| {
                let badge = match c.state {
                    CallbackState::Delivered => "badge badge-ok",
                    CallbackState::Waiting => "badge badge-warn",
                    CallbackState::GaveUp => "badge badge-bad",
                };
                let last = match (c.last_attempt_at, c.last_result) {
                    (Some(at), Some(result)) => format!("{}: {result}", format_hkt_in(lang, at)),
                    (Some(at), None) => format_hkt_in(lang, at),
                    _ => tr::account_callbacks_not_yet(lang).to_string(),
                };
                let next = match c.state {
                    CallbackState::Waiting => format_hkt_in(lang, c.next_attempt_at),
                    _ => "—".to_string(),
                };
                let subject = match (c.message_id, c.reply_id) {
                    (Some(id), _) => tr::account_callbacks_message(lang, id),
                    (None, Some(id)) => tr::account_callbacks_reply(lang, id),
                    (None, None) => "—".to_string(),
                };
                view! {
                    <tr>
                        <td>{subject}</td>
                        <td class="cell-url">{c.url}</td>
                        <td><span class=badge>{state_label(lang, c.state)}</span></td>
                        <td>{c.attempts}</td>
                        <td>{last}</td>
                        <td>{next}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
}

/// A callback's state as people read it (the engine's `label` is English only).
fn state_label(lang: Lang, state: CallbackState) -> &'static str {
    match state {
        CallbackState::Waiting => tr::account_callbacks_state_waiting(lang),
        CallbackState::Delivered => tr::account_callbacks_state_delivered(lang),
        CallbackState::GaveUp => tr::account_callbacks_state_gave_up(lang),
    }
}

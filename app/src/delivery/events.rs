//! Live progress of a batch as server-sent events: the batch's summary (status counts, totals)
//! every second until every message has a final status, then an `end` event so the browser
//! stops listening instead of reconnecting.
//!
//! Streams are bounded: at most [`MAX_STREAMS_PER_ACCOUNT`] open per account and
//! [`MAX_STREAMS`] in the process, each at most [`MAX_STREAM_LIFETIME`] long (the browser's
//! `EventSource` reconnects after that, passing the checks again); a batch scheduled for later
//! gets one summary and no polling; a stream ends as soon as its session does.

use super::store;
use crate::auth::context::{RequestContext, ServerState};
use crate::error::AppError;
use crate::i18n::{tr, Lang};
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const MAX_STREAMS_PER_ACCOUNT: usize = 4;
pub const MAX_STREAMS: usize = 512;
pub const MAX_STREAM_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How often a stream reads the batch's summary.
const POLL: Duration = Duration::from_secs(1);
/// How often a stream checks that its session still exists.
const SESSION_CHECK_EVERY: u32 = 10;
/// A batch due further ahead than this is not followed live.
const SCHEDULED_AHEAD_MS: i64 = 60_000;

/// The live-progress streams open now, per account.
#[derive(Debug, Clone, Default)]
pub struct LiveStreams {
    open: Arc<Mutex<HashMap<i64, usize>>>,
}

/// One open stream; its slot is given back when the stream is dropped (ended or cut off).
pub struct StreamSlot {
    streams: LiveStreams,
    account_id: i64,
}

impl LiveStreams {
    /// A slot for `account_id`, or `None` when the account or the process has no room.
    pub fn acquire(&self, account_id: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().ok()?;
        let total: usize = open.values().sum();
        let mine = open.entry(account_id).or_default();
        if *mine >= MAX_STREAMS_PER_ACCOUNT || total >= MAX_STREAMS {
            return None;
        }
        *mine += 1;
        Some(StreamSlot {
            streams: self.clone(),
            account_id,
        })
    }

    pub fn open_for(&self, account_id: i64) -> usize {
        self.open
            .lock()
            .map(|o| o.get(&account_id).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.open.lock() {
            if let Some(n) = open.get_mut(&self.account_id) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.account_id);
                }
            }
        }
    }
}

/// The caller's account id when `batch_id` is its batch; otherwise the response to give
/// (401 signed out, 404 for another account's batch or none).
pub(super) async fn batch_owner(
    state: &ServerState,
    ctx: &RequestContext,
    batch_id: i64,
    what: &str,
    lang: Lang,
) -> Result<i64, Response> {
    let Some(viewer) = &ctx.viewer else {
        let text = AppError::Unauthenticated.localized(lang);
        return Err((StatusCode::UNAUTHORIZED, text).into_response());
    };
    match store::summary(&state.db, viewer.account_id, batch_id).await {
        Ok(Some(_)) => Ok(viewer.account_id),
        Ok(None) => {
            Err((StatusCode::NOT_FOUND, AppError::NotFound.localized(lang)).into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "{what}");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// Where a stream is: still following, or sending its last events.
enum Step {
    Follow { polls: u32 },
    End(&'static str),
    Done,
}

pub async fn batch_events(
    State(state): State<ServerState>,
    Path(batch_id): Path<i64>,
    Extension(ctx): Extension<RequestContext>,
    headers: http::HeaderMap,
) -> Response {
    let lang = crate::i18n::request_lang(&headers, Some(&ctx));
    let account_id = match batch_owner(&state, &ctx, batch_id, "batch events", lang).await {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(slot) = state.live_streams.acquire(account_id) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(http::header::RETRY_AFTER, "30")],
            tr::results_too_many_streams(lang, MAX_STREAMS_PER_ACCOUNT),
        )
            .into_response();
    };
    let db = state.db.clone();
    let session = ctx.session_token_hash.clone();
    let deadline = tokio::time::Instant::now() + MAX_STREAM_LIFETIME;
    let stream = futures::stream::unfold((Step::Follow { polls: 0 }, slot), move |(step, slot)| {
        let db = db.clone();
        let session = session.clone();
        async move {
            let polls = match step {
                Step::Done => return None,
                Step::End(reason) => {
                    let event = Event::default().event("end").data(reason);
                    return Some((Ok::<_, std::convert::Infallible>(event), (Step::Done, slot)));
                }
                Step::Follow { polls } => polls,
            };
            if polls > 0 {
                // Cut off at the deadline without an `end`: the browser reconnects and
                // the new request is checked (and counted) again.
                if tokio::time::timeout_at(deadline, tokio::time::sleep(POLL))
                    .await
                    .is_err()
                {
                    return None;
                }
                if polls % SESSION_CHECK_EVERY == 0 && !session_alive(&db, session.as_deref()).await
                {
                    let event = Event::default().event("end").data("signed-out");
                    return Some((Ok(event), (Step::Done, slot)));
                }
            }
            let summary = store::summary(&db, account_id, batch_id)
                .await
                .ok()
                .flatten()?;
            let next = if summary.deleted || summary.finished >= summary.total_messages {
                Step::End("finished")
            } else if summary.is_scheduled
                && summary.scheduled_at > engine::db::now_ms() + SCHEDULED_AHEAD_MS
            {
                Step::End("scheduled")
            } else {
                Step::Follow { polls: polls + 1 }
            };
            let event = Event::default()
                .event("summary")
                .json_data(&summary)
                .unwrap_or_else(|_| Event::default().comment("encoding error"));
            Some((Ok(event), (next, slot)))
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Whether the session behind a stream still exists (signed out or expired: no).
pub(crate) async fn session_alive(db: &engine::db::Db, token_hash: Option<&str>) -> bool {
    let Some(hash) = token_hash else { return false };
    match crate::auth::store::session_exists(db, hash).await {
        Ok(alive) => alive,
        Err(e) => {
            tracing::warn!(error = %e, "session check for a live stream failed");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_per_account_and_given_back_on_drop() {
        let streams = LiveStreams::default();
        let held: Vec<_> = (0..MAX_STREAMS_PER_ACCOUNT)
            .map(|_| streams.acquire(1).expect("slot"))
            .collect();
        assert!(streams.acquire(1).is_none());
        assert!(
            streams.acquire(2).is_some(),
            "another account has its own slots"
        );
        drop(held);
        assert_eq!(streams.open_for(1), 0);
        assert!(streams.acquire(1).is_some());
    }
}

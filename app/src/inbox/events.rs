//! The live inbox as server-sent events: one `inbox` event with `{"unread", "latest"}` when the
//! stream opens and again whenever a reply arrives or is read, so the navigation's unread count
//! and an open inbox follow without reloading. The navigation opens one stream per tab.
//!
//! Bounded like the batch progress streams (`delivery::events`): they share the per-account and
//! per-process caps, live at most [`MAX_STREAM_LIFETIME`] (the browser reconnects), and end
//! when the session does.

use crate::auth::context::{RequestContext, ServerState};
use crate::delivery::events::{session_alive, StreamSlot, MAX_STREAM_LIFETIME};
use crate::error::AppError;
use crate::i18n::tr;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::StatusCode;
use serde::Serialize;
use std::time::Duration;

/// How often a stream reads the account's inbox state.
const POLL: Duration = Duration::from_secs(2);
/// Polls between session checks.
const SESSION_CHECK_EVERY: u32 = 15;

/// What an `inbox` event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InboxState {
    pub unread: i64,
    /// The newest reply's id (0: none yet).
    pub latest: i64,
}

struct Follow {
    last: Option<InboxState>,
    polls: u32,
    _slot: StreamSlot,
}

pub async fn inbox_events(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestContext>,
    headers: http::HeaderMap,
) -> Response {
    let lang = crate::i18n::request_lang(&headers, Some(&ctx));
    let Some(viewer) = ctx.viewer.filter(|v| !v.is_staff()) else {
        let text = AppError::Unauthenticated.localized(lang);
        return (StatusCode::UNAUTHORIZED, text).into_response();
    };
    let account_id = viewer.account_id;
    let Some(slot) = state.live_streams.acquire(account_id) else {
        // The page works without it; the browser tries again after Retry-After.
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(http::header::RETRY_AFTER, "60")],
            tr::inbox_too_many_streams(lang),
        )
            .into_response();
    };
    let db = state.db.clone();
    let session = ctx.session_token_hash.clone();
    let deadline = tokio::time::Instant::now() + MAX_STREAM_LIFETIME;
    let start = Follow {
        last: None,
        polls: 0,
        _slot: slot,
    };
    let stream = futures::stream::unfold(Some(start), move |follow| {
        let db = db.clone();
        let session = session.clone();
        async move {
            let mut follow = follow?;
            loop {
                if follow.polls > 0 {
                    tokio::time::timeout_at(deadline, tokio::time::sleep(POLL))
                        .await
                        .ok()?;
                    if follow.polls % SESSION_CHECK_EVERY == 0
                        && !session_alive(&db, session.as_deref()).await
                    {
                        let end = Event::default().event("end").data("signed-out");
                        return Some((Ok::<_, std::convert::Infallible>(end), None));
                    }
                }
                follow.polls += 1;
                let (unread, latest) =
                    match engine::two_way::store::inbox_state(&db, account_id).await {
                        Ok(now) => now,
                        Err(e) => {
                            tracing::warn!(error = %e, "inbox events");
                            continue;
                        }
                    };
                let now = InboxState { unread, latest };
                if follow.last != Some(now) {
                    follow.last = Some(now);
                    let event = Event::default()
                        .event("inbox")
                        .json_data(now)
                        .unwrap_or_else(|_| Event::default().comment("encoding error"));
                    return Some((Ok(event), Some(follow)));
                }
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

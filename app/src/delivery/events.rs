//! Live progress of a batch as server-sent events: the batch's summary (status counts, totals)
//! every second until every message has a final status.

use super::store;
use crate::auth::context::{RequestContext, ServerState};
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::StatusCode;
use std::time::Duration;

pub async fn batch_events(
    State(state): State<ServerState>,
    Path(batch_id): Path<i64>,
    Extension(ctx): Extension<RequestContext>,
) -> Response {
    let Some(viewer) = ctx.viewer else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
    };
    match store::summary(&state.db, viewer.account_id, batch_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return (StatusCode::NOT_FOUND, "Not found.").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "batch events");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let db = state.db.clone();
    let account_id = viewer.account_id;
    let stream = futures::stream::unfold(Some(false), move |state| {
        let db = db.clone();
        async move {
            // `Some(sent_once)` while running; `None` after the final summary.
            let sent_once = state?;
            if sent_once {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let summary = store::summary(&db, account_id, batch_id)
                .await
                .ok()
                .flatten()?;
            let done = summary.deleted || summary.finished >= summary.total_messages;
            let event = Event::default()
                .event("summary")
                .json_data(&summary)
                .unwrap_or_else(|_| Event::default().comment("encoding error"));
            Some((
                Ok::<_, std::convert::Infallible>(event),
                if done { None } else { Some(true) },
            ))
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

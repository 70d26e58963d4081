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

/// The caller's account id when `batch_id` is its batch; otherwise the response to give
/// (401 signed out, 404 for another account's batch or none).
pub(super) async fn batch_owner(
    state: &ServerState,
    ctx: &RequestContext,
    batch_id: i64,
    what: &str,
) -> Result<i64, Response> {
    let Some(viewer) = &ctx.viewer else {
        return Err((StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response());
    };
    match store::summary(&state.db, viewer.account_id, batch_id).await {
        Ok(Some(_)) => Ok(viewer.account_id),
        Ok(None) => Err((StatusCode::NOT_FOUND, "Not found.").into_response()),
        Err(e) => {
            tracing::error!(error = %e, "{what}");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

pub async fn batch_events(
    State(state): State<ServerState>,
    Path(batch_id): Path<i64>,
    Extension(ctx): Extension<RequestContext>,
) -> Response {
    let account_id = match batch_owner(&state, &ctx, batch_id, "batch events").await {
        Ok(id) => id,
        Err(response) => return response,
    };
    let db = state.db.clone();
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

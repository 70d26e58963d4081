//! A batch's messages as CSV (§9), streamed: rows are read 5,000 at a time by id and written as
//! they come, so a 50,000-message batch never sits whole in memory and the download starts at
//! once.

use super::{store, MessageRow};
use crate::auth::context::{RequestContext, ServerState};
use crate::ledger::page::{csv_field, plain_amount};
use crate::ui::format_hkt;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::header;

const CHUNK: i64 = 5_000;

pub const HEADER: &str = "message_id,number,parts,status_code,status,error_code,error,charge_hkd,created_hkt,submitted_hkt,final_hkt\r\n";

pub fn csv_row(m: &MessageRow) -> String {
    let error = m
        .error_code
        .and_then(sms::ErrorCode::from_code)
        .map(|e| e.label())
        .unwrap_or("");
    format!(
        "{},+{},{},{},{},{},{},{},{},{},{}\r\n",
        m.id,
        m.destination,
        m.parts,
        m.status,
        m.status_label(),
        m.error_code.map(|c| c.to_string()).unwrap_or_default(),
        csv_field(error),
        plain_amount(m.charge),
        format_hkt(m.created_at),
        m.submitted_at.map(format_hkt).unwrap_or_default(),
        m.done_at.map(format_hkt).unwrap_or_default(),
    )
}

pub async fn batch_csv(
    State(state): State<ServerState>,
    Path(batch_id): Path<i64>,
    Extension(ctx): Extension<RequestContext>,
) -> Response {
    let account_id = match super::events::batch_owner(&state, &ctx, batch_id, "batch csv").await {
        Ok(id) => id,
        Err(response) => return response,
    };
    let db = state.db.clone();
    // State: `Some(last id written)` while rows remain; the header goes out first.
    let stream = futures::stream::unfold(Some(None::<i64>), move |after| {
        let db = db.clone();
        async move {
            let after = after?;
            let Some(after_id) = after else {
                return Some((Ok::<_, std::io::Error>(HEADER.to_string()), Some(Some(0))));
            };
            match store::messages_after(&db, account_id, batch_id, after_id, CHUNK).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = rows.last().map(|m| m.id);
                    let chunk: String = rows.iter().map(csv_row).collect();
                    let more = rows.len() as i64 == CHUNK;
                    Some((Ok(chunk), more.then_some(next)))
                }
                Err(e) => {
                    // The status line is already sent; cutting the stream makes the download
                    // fail visibly instead of ending with rows silently missing.
                    tracing::error!(error = %e, batch_id, "batch csv stream");
                    Some((Err(std::io::Error::other("database error")), None))
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"batch-{batch_id}.csv\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

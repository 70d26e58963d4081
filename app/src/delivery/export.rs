//! A batch's messages as CSV (§9), streamed: rows are read 5,000 at a time by id and written as
//! they come, so a 50,000-message batch never sits whole in memory and the download starts at
//! once.

use super::{store, MessageRow};
use crate::auth::context::{RequestContext, ServerState};
use crate::download::CHUNK;
use crate::i18n::{tr, Lang};
use crate::ledger::page::{csv_field, plain_amount};
use crate::ui::format_hkt;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;

/// The header row in `lang` (the column names people read; the cells below stay the same in
/// every language, for spreadsheets and scripts).
pub fn header(lang: Lang) -> String {
    format!("{}\r\n", tr::results_csv_header(lang))
}

pub fn csv_row(m: &MessageRow) -> String {
    let error = m.error_code.map(|e| e.label()).unwrap_or("");
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
        m.id,
        // A number is written as `+digits`; a refused row's text goes through the
        // formula-defusing quoting like any other free text.
        if m.is_refused_row() {
            csv_field(&m.destination)
        } else {
            m.shown_number()
        },
        m.parts,
        m.status.code(),
        m.status_label(),
        m.error_code
            .map(|c| c.code().to_string())
            .unwrap_or_default(),
        csv_field(error),
        plain_amount(m.charge),
        format_hkt(m.created_at),
        m.submitted_at.map(format_hkt).unwrap_or_default(),
        m.done_at.map(format_hkt).unwrap_or_default(),
        m.route.map(|r| r.label()).unwrap_or(""),
        m.input_row.map(|r| r.to_string()).unwrap_or_default(),
        csv_field(&m.explanation().unwrap_or_default()),
    )
}

pub async fn batch_csv(
    State(state): State<ServerState>,
    Path(batch_id): Path<i64>,
    Extension(ctx): Extension<RequestContext>,
    headers: http::HeaderMap,
) -> Response {
    let lang = crate::i18n::request_lang(&headers, Some(&ctx));
    let account_id =
        match super::events::batch_owner(&state, &ctx, batch_id, "batch csv", lang).await {
            Ok(id) => id,
            Err(response) => return response,
        };
    let db = state.db.clone();
    crate::download::stream_csv(
        format!("batch-{batch_id}.csv"),
        header(lang),
        move |after| {
            let db = db.clone();
            async move {
                let rows =
                    store::messages_after(&db, account_id, batch_id, after.unwrap_or(0), CHUNK)
                        .await?;
                Ok(crate::download::chunk_result(&rows, |m| m.id, csv_row))
            }
        },
    )
}

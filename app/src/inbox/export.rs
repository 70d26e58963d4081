//! The inbox as CSV: the account's replies matching the inbox search (number, period), oldest
//! first, streamed a chunk at a time like the other exports.

use super::{reply_filter, Reply};
use crate::auth::context::{RequestContext, ServerState};
use crate::download::CHUNK;
use crate::error::AppError;
use crate::i18n::{tr, Lang};
use crate::ledger::page::csv_field;
use crate::ui::format_hkt;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::StatusCode;
use serde::Deserialize;

/// The header row in `lang` (the column names people read; the cells below stay the same in
/// every language, for spreadsheets and scripts).
pub fn header(lang: Lang) -> String {
    format!("{}\r\n", tr::inbox_csv_header(lang))
}

pub fn csv_row(r: &Reply) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{}\r\n",
        r.id,
        csv_field(&r.sender),
        csv_field(&r.recipient),
        csv_field(&r.text),
        r.parts,
        r.missing_parts,
        r.copies,
        if r.opted_out { "yes" } else { "no" },
        r.in_reply_to.map(|id| id.to_string()).unwrap_or_default(),
        format_hkt(r.received_at),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    number: String,
    from: String,
    to: String,
}

pub async fn replies_csv(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestContext>,
    Query(query): Query<ExportQuery>,
    headers: http::HeaderMap,
) -> Response {
    let lang = crate::i18n::request_lang(&headers, Some(&ctx));
    let Some(viewer) = ctx.viewer.filter(|v| !v.is_staff()) else {
        let text = AppError::Unauthenticated.localized(lang);
        return (StatusCode::UNAUTHORIZED, text).into_response();
    };
    let filter = match reply_filter(lang, &query.number, &query.from, &query.to, 0, CHUNK) {
        Ok(filter) => filter,
        Err(e) => return (StatusCode::UNPROCESSABLE_ENTITY, e.localized(lang)).into_response(),
    };
    let account_id = viewer.account_id;
    let db = state.db.clone();
    crate::download::stream_csv("replies.csv".to_string(), header(lang), move |after| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            let rows =
                engine::two_way::store::replies_after(&db, account_id, &filter, after.unwrap_or(0))
                    .await
                    .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            Ok(crate::download::chunk_result(&rows, |r| r.id, csv_row))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_row_defuses_formulas_and_quotes_commas() {
        let reply = Reply {
            id: 7,
            sender: "85291234567".into(),
            recipient: "85260001111".into(),
            text: "=HYPERLINK(\"x\"), yes".into(),
            parts: 1,
            missing_parts: 0,
            copies: 1,
            in_reply_to: Some(3),
            opted_out: false,
            received_at: 0,
            read: false,
        };
        assert_eq!(
            csv_row(&reply),
            "7,85291234567,85260001111,\"'=HYPERLINK(\"\"x\"\"), yes\",1,0,1,no,3,1970-01-01 08:00\r\n"
        );
    }
}

//! CSV downloads streamed from the database: rows are read a chunk at a time by id and
//! written as they come, so a large export never sits whole in memory and starts at once.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header;
use std::future::Future;

/// Rows read per query.
pub const CHUNK: i64 = 5_000;

/// A CSV file named `filename`: `header_line` (in the person's language, where the file is
/// meant for people), then the chunks `next` returns. `next` gets the id to continue after
/// (`None` first) and returns the chunk's text and its last id, or `None` for the last id when
/// no rows are left.
pub fn stream_csv<F, Fut>(filename: String, header_line: impl Into<String>, next: F) -> Response
where
    F: Fn(Option<i64>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(String, Option<i64>), sqlx::Error>> + Send + 'static,
{
    let next = std::sync::Arc::new(next);
    let header_line: String = header_line.into();
    // State: `None` before the header, then `Some(cursor)` while rows may remain.
    let stream = futures::stream::unfold(Some(None::<Option<i64>>), move |state| {
        let next = next.clone();
        let header_line = header_line.clone();
        async move {
            let cursor = state?;
            let Some(after) = cursor else {
                return Some((Ok::<_, std::io::Error>(header_line), Some(Some(None))));
            };
            match next(after).await {
                Ok((text, Some(last))) => Some((Ok(text), Some(Some(Some(last))))),
                Ok((text, None)) if text.is_empty() => None,
                Ok((text, None)) => Some((Ok(text), None)),
                Err(e) => {
                    // The status line is already sent; cutting the stream makes the download
                    // fail visibly instead of ending with rows silently missing.
                    tracing::error!(error = %e, "csv download stream");
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
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The chunk's text and where to continue: the last row's id when the chunk was full.
pub fn chunk_result<T>(
    rows: &[T],
    id: impl Fn(&T) -> i64,
    line: impl Fn(&T) -> String,
) -> (String, Option<i64>) {
    let text = rows.iter().map(line).collect();
    let more = rows.len() as i64 == CHUNK;
    (text, if more { rows.last().map(id) } else { None })
}

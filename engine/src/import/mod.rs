//! Quick import (§6): a CSV, XLS or XLSX file of recipients, one number per row in the first
//! column, up to 6 MB and 50,000 numbers. The server reads the file and answers with the
//! normalised numbers, the duplicates it collapsed and every row it refused with the reason;
//! the composer appends the numbers to its recipients box, so the import itself sends nothing.

#[cfg(feature = "storage")]
pub mod parse;
#[cfg(feature = "storage")]
mod xls;
#[cfg(feature = "storage")]
mod xlsx;

#[cfg(all(test, feature = "storage"))]
mod bomb_tests;
#[cfg(all(any(test, feature = "test-files"), feature = "storage"))]
pub mod test_files;
#[cfg(all(test, feature = "storage"))]
mod tests;

#[cfg(feature = "storage")]
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// §6: an import file is at most 6 MB…
pub const MAX_IMPORT_BYTES: usize = 6 * 1024 * 1024;
/// …and holds at most 50,000 numbers (after duplicates are collapsed).
pub const MAX_IMPORT_NUMBERS: usize = 50_000;
/// Rows written per transaction by the contact and consent imports.
pub const IMPORT_CHUNK_ROWS: usize = 1_000;

/// What a file held: its distinct numbers in file order (E.164 digits, no `+`), how many
/// repeats were collapsed, and every row that is not a number, with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    pub numbers: Vec<String>,
    pub duplicates: u64,
    pub rejected: Vec<RejectedRow>,
}

/// One recipient row the server refused, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 1-based row (line) in what the customer pasted or uploaded.
    pub row: usize,
    pub input: String,
    pub reason: String,
}

/// Files parsed at once at most: each may hold up to ~100 MB while it is read (a 64 MB
/// sheet part and its text), so a burst of uploads waits its turn instead.
#[cfg(feature = "storage")]
const MAX_CONCURRENT_PARSES: usize = 2;

#[cfg(feature = "storage")]
/// The records of a file that must be CSV (contacts, consents, keywords), each with its
/// 1-based line number, at most [`MAX_IMPORT_NUMBERS`]; any other kind of file is refused on
/// the `file` field with `not_csv`, which says what the file should hold.
pub fn csv_file_rows(bytes: &[u8], not_csv: &str) -> Result<Vec<(usize, Vec<String>)>, Error> {
    let bad = |e: parse::ImportError| Error::field("file", e.to_string());
    if parse::sniff(bytes).map_err(bad)? != parse::FileKind::Csv {
        return Err(Error::field("file", not_csv));
    }
    parse::csv_rows(bytes, MAX_IMPORT_NUMBERS).map_err(bad)
}

/// Runs `parse` on a blocking thread (parsing is CPU work, never done on the async
/// workers), one of [`MAX_CONCURRENT_PARSES`] at a time.
#[cfg(feature = "storage")]
pub async fn parse_off_thread<T: Send + 'static>(
    parse: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_PARSES);
    let _turn = tokio::time::timeout(std::time::Duration::from_secs(30), TURNS.acquire())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            Error::Throttled(
                "Ferry is reading other files right now. Try again in a minute.".into(),
            )
        })?;
    tokio::task::spawn_blocking(parse)
        .await
        .map_err(|e| Error::internal("parse", e))
}

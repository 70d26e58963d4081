//! Quick import (§6): a CSV, XLS or XLSX file of recipients, one number per row in the first
//! column, up to 6 MB and 50,000 numbers. The server reads the file and answers with the
//! normalised numbers, the duplicates it collapsed and every row it refused with the reason;
//! the composer appends the numbers to its recipients box, so the import itself sends nothing.

#[cfg(feature = "ssr")]
pub mod fast;
#[cfg(feature = "ssr")]
pub mod parse;
pub mod widget;
#[cfg(feature = "ssr")]
mod xls;
#[cfg(feature = "ssr")]
mod xlsx;

pub use crate::broadcast::RejectedRow;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

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

/// Reads an uploaded recipient file (multipart fields `file` and, optionally,
/// `default_country_code`, 852 when absent).
#[server(endpoint = "import_recipients", input = MultipartFormData)]
pub async fn import_recipients(data: MultipartData) -> Result<ImportResult, AppError> {
    crate::error::with_status(server::import(data).await)
}

/// The rejected rows as a CSV file the customer can download, fix and import again.
pub fn rejected_csv(rows: &[RejectedRow]) -> String {
    let mut out = String::from("row,input,reason\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{}\r\n",
            r.row,
            crate::ledger::page::csv_field(&r.input),
            crate::ledger::page::csv_field(&r.reason)
        ));
    }
    out
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::auth::context::require_viewer;

    pub async fn import(data: MultipartData) -> Result<ImportResult, AppError> {
        require_viewer()?;
        let upload = read_upload(data, MAX_IMPORT_BYTES).await?;
        let default_country_code = match upload.text("default_country_code") {
            "" => sms::msisdn::HONG_KONG_CODE,
            code => code.trim_start_matches('+').parse::<u16>().map_err(|_| {
                AppError::field(
                    "default_country_code",
                    "Enter a country code as digits, e.g. 852.",
                )
            })?,
        };
        let bytes = upload
            .file
            .ok_or_else(|| AppError::field("file", parse::ImportError::Empty.to_string()))?
            .bytes;
        parse_off_thread(move || parse::import(&bytes, default_country_code))
            .await?
            .map_err(|e| AppError::field("file", e.to_string()))
    }

    /// Files parsed at once at most: each may hold up to ~100 MB while it is read (a 64 MB
    /// sheet part and its text), so a burst of uploads waits its turn instead.
    const MAX_CONCURRENT_PARSES: usize = 2;

    /// Runs `parse` on a blocking thread (parsing is CPU work, never done on the async
    /// workers), one of [`MAX_CONCURRENT_PARSES`] at a time.
    pub async fn parse_off_thread<T: Send + 'static>(
        parse: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        static TURNS: tokio::sync::Semaphore =
            tokio::sync::Semaphore::const_new(MAX_CONCURRENT_PARSES);
        let _turn = tokio::time::timeout(std::time::Duration::from_secs(30), TURNS.acquire())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                AppError::Throttled(
                    "Ferry is reading other files right now. Try again in a minute.".into(),
                )
            })?;
        tokio::task::spawn_blocking(parse)
            .await
            .map_err(|e| AppError::internal("parse", e))
    }

    /// Reads an import form: its text fields and the `file` field, which is refused the moment
    /// it passes `limit` bytes.
    pub async fn read_upload(
        data: MultipartData,
        limit: usize,
    ) -> Result<crate::upload::Upload, AppError> {
        crate::upload::read(data, "file", limit, || {
            format!(
                "The file is over {0} MB; the limit is {0} MB. Split it into smaller files.",
                limit / (1024 * 1024)
            )
        })
        .await
    }
}

#[cfg(feature = "ssr")]
pub use server::{parse_off_thread, read_upload};

#[cfg(all(test, feature = "ssr"))]
mod bomb_tests;
#[cfg(all(any(test, feature = "test-files"), feature = "ssr"))]
pub mod test_files;
#[cfg(all(test, feature = "ssr"))]
mod tests;

//! Quick import (§6): a CSV, XLS or XLSX file of recipients, one number per row in the first
//! column, up to 6 MB and 50,000 numbers. The server reads the file and answers with the
//! normalised numbers, the duplicates it collapsed and every row it refused with the reason;
//! the composer appends the numbers to its recipients box, so the import itself sends nothing.

#[cfg(feature = "ssr")]
pub mod fast;
#[cfg(feature = "ssr")]
pub mod parse;
pub mod widget;

pub use crate::broadcast::RejectedRow;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

/// §6: an import file is at most 6 MB…
pub const MAX_IMPORT_BYTES: usize = 6 * 1024 * 1024;
/// …and holds at most 50,000 numbers (after duplicates are collapsed).
pub const MAX_IMPORT_NUMBERS: usize = 50_000;

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
        let (fields, bytes) = read_upload(data, MAX_IMPORT_BYTES).await?;
        let default_country_code = match fields.get("default_country_code").map(|s| s.trim()) {
            None | Some("") => sms::msisdn::HONG_KONG_CODE,
            Some(code) => code.trim_start_matches('+').parse::<u16>().map_err(|_| {
                AppError::field(
                    "default_country_code",
                    "Enter a country code as digits, e.g. 852.",
                )
            })?,
        };
        let bytes =
            bytes.ok_or_else(|| AppError::field("file", parse::ImportError::Empty.to_string()))?;
        // Parsing is CPU work: keep it off the async workers.
        tokio::task::spawn_blocking(move || parse::import(&bytes, default_country_code))
            .await
            .map_err(|e| AppError::internal("import", e))?
            .map_err(|e| AppError::field("file", e.to_string()))
    }

    /// Reads the text fields and the `file` field of an upload, keeping at most `limit`
    /// bytes of the file (a larger one is counted to the end so the message can say its
    /// size, and refused).
    pub async fn read_upload(
        data: MultipartData,
        limit: usize,
    ) -> Result<(std::collections::HashMap<String, String>, Option<Vec<u8>>), AppError> {
        let mut multipart = data
            .into_inner()
            .ok_or_else(|| AppError::internal("upload", "multipart data missing on the server"))?;
        let interrupted = |e: &dyn std::fmt::Display| {
            AppError::field("file", format!("The upload was interrupted: {e}"))
        };
        let mut fields = std::collections::HashMap::new();
        let mut file = None;
        while let Some(mut field) = multipart.next_field().await.map_err(|e| interrupted(&e))? {
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                let mut bytes = Vec::new();
                let mut total = 0usize;
                while let Some(chunk) = field.chunk().await.map_err(|e| interrupted(&e))? {
                    total += chunk.len();
                    if total <= limit {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                if total > limit {
                    return Err(AppError::field(
                        "file",
                        parse::ImportError::TooLarge {
                            size_mb: total as f64 / (1024.0 * 1024.0),
                            limit_mb: limit / (1024 * 1024),
                        }
                        .to_string(),
                    ));
                }
                if !bytes.is_empty() {
                    file = Some(bytes);
                }
            } else {
                let text = field.text().await.map_err(|e| {
                    AppError::field(&name, format!("Could not read this field: {e}"))
                })?;
                fields.insert(name, text);
            }
        }
        Ok((fields, file))
    }
}

#[cfg(feature = "ssr")]
pub use server::read_upload;

#[cfg(all(test, feature = "ssr"))]
mod tests;

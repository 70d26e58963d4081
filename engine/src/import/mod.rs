//! Quick import (§6): a CSV, XLS or XLSX file of recipients, one number per row in the first
//! column, up to 6 MB and 50,000 numbers. The server reads the file and answers with the
//! normalised numbers, the duplicates it collapsed and every row it refused with the reason;
//! the composer appends the numbers to its recipients box, so the import itself sends nothing.

#[cfg(feature = "storage")]
pub mod fast;
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

//! Reading a recipient file (§6 quick import): CSV, XLS or XLSX, one number per row in the
//! first column. Pure: bytes in, numbers and rejected rows out. The type is judged by the
//! content (a renamed file is read for what it is), and every way a file can be unreadable
//! ends in an [`ImportError`] that tells the customer what to do, never a panic.

use super::fast::Normalizer;
use super::{ImportResult, MAX_IMPORT_BYTES, MAX_IMPORT_NUMBERS};
use crate::broadcast::RejectedRow;
use std::collections::HashSet;

/// What the bytes of an upload are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    /// Excel 97–2003 (BIFF8 in an OLE compound file).
    Xls,
    /// Excel 2007+ (Office Open XML in a zip).
    Xlsx,
}

/// Why a whole file was refused; each message says what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("Choose a file to import.")]
    Empty,
    #[error(
        "The file is {size_mb:.1} MB; the limit is {limit_mb} MB. Split it into smaller files."
    )]
    TooLarge { size_mb: f64, limit_mb: usize },
    #[error("The file has {count} numbers; the limit is {MAX_IMPORT_NUMBERS} per import. Split it into smaller files.")]
    TooManyNumbers { count: usize },
    #[error("This file is not a CSV, XLS or XLSX file. Save it from your spreadsheet as CSV UTF-8 or Excel (.xlsx) and try again.")]
    WrongType,
    #[error("This file is UTF-16 text (Excel's \"Unicode Text\"). Save it as \"CSV UTF-8 (Comma delimited)\" and try again.")]
    Utf16,
    #[error("This CSV file is not UTF-8 (line {line}); it looks like Big5, GBK or another legacy encoding. In Excel choose Save As → \"CSV UTF-8 (Comma delimited)\", or import the .xlsx file itself.")]
    NotUtf8 { line: usize },
    #[error("This Excel file is damaged or not a workbook ({0}). Open it in Excel, save it again as .xlsx, and retry.")]
    BrokenWorkbook(String),
    #[error("This workbook has no sheet with data.")]
    NoSheet,
    #[error("This CSV file could not be read at line {line}: {reason}.")]
    BrokenCsv { line: u64, reason: String },
    #[error("{0} is not a known default country code.")]
    UnknownCountryCode(u16),
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Judges the file by its first bytes: zip → XLSX, OLE → XLS, text → CSV.
pub fn sniff(bytes: &[u8]) -> Result<FileKind, ImportError> {
    sniff_within(bytes, MAX_IMPORT_BYTES)
}

/// [`sniff`] with another size limit (the do-not-call register is larger than a batch).
pub fn sniff_within(bytes: &[u8], limit: usize) -> Result<FileKind, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    if bytes.len() > limit {
        return Err(ImportError::TooLarge {
            size_mb: bytes.len() as f64 / (1024.0 * 1024.0),
            limit_mb: limit / (1024 * 1024),
        });
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok(FileKind::Xlsx);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Ok(FileKind::Xls);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::Utf16);
    }
    let head = &bytes[..bytes.len().min(8192)];
    let nuls = head.iter().filter(|b| **b == 0).count();
    if nuls > 0 {
        // UTF-16 without a BOM: ASCII text with a NUL beside every character.
        let odd_nuls = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        let even_nuls = head.iter().step_by(2).filter(|b| **b == 0).count();
        let half = head.len() / 2;
        if half > 0 && (odd_nuls * 10 >= half * 9 || even_nuls * 10 >= half * 9) {
            return Err(ImportError::Utf16);
        }
        return Err(ImportError::WrongType);
    }
    // Text has few control characters other than tab and line ends; binary has many.
    let controls = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(**b, b'\t' | b'\r' | b'\n'))
        .count();
    if controls * 100 > head.len() {
        return Err(ImportError::WrongType);
    }
    Ok(FileKind::Csv)
}

/// Reads `bytes` (the file's name is only used in messages elsewhere: the type comes from the
/// content) and normalises every number with `default_country_code` for numbers without one.
pub fn import(bytes: &[u8], default_country_code: u16) -> Result<ImportResult, ImportError> {
    let kind = sniff(bytes)?;
    let mut collector = Collector::new(default_country_code)?;
    match kind {
        FileKind::Csv => for_each_csv_cell(bytes, |row, cell| collector.cell(row, cell))?,
        FileKind::Xlsx | FileKind::Xls => read_workbook(bytes, kind, &mut collector)?,
    }
    collector.finish()
}

/// Gathers the numbers cell by cell: the header row, duplicates and rejections.
struct Collector {
    normalizer: Normalizer,
    seen: HashSet<String>,
    numbers: Vec<String>,
    duplicates: u64,
    rejected: Vec<RejectedRow>,
    /// No non-empty row has been read yet (the one that may be a header).
    first: bool,
}

impl Collector {
    fn new(default_country_code: u16) -> Result<Collector, ImportError> {
        Ok(Collector {
            normalizer: Normalizer::new(default_country_code)
                .ok_or(ImportError::UnknownCountryCode(default_country_code))?,
            seen: HashSet::new(),
            numbers: Vec::new(),
            duplicates: 0,
            rejected: Vec::new(),
            first: true,
        })
    }

    /// One row's first cell; `row` is 1-based as the spreadsheet shows it.
    fn cell(&mut self, row: usize, input: &str) {
        let input = input.trim();
        if input.is_empty() {
            return;
        }
        let first = std::mem::replace(&mut self.first, false);
        match self.normalizer.normalize(input) {
            Ok(number) => {
                if self.seen.contains(&number) {
                    self.duplicates += 1;
                } else {
                    self.seen.insert(number.clone());
                    self.numbers.push(number);
                }
            }
            Err(_) if first && is_header(input) => {}
            Err(reason) => self.rejected.push(RejectedRow {
                row,
                input: input.chars().take(64).collect(),
                reason,
            }),
        }
    }

    fn finish(self) -> Result<ImportResult, ImportError> {
        if self.numbers.len() > MAX_IMPORT_NUMBERS {
            return Err(ImportError::TooManyNumbers {
                count: self.numbers.len(),
            });
        }
        Ok(ImportResult {
            numbers: self.numbers,
            duplicates: self.duplicates,
            rejected: self.rejected,
        })
    }
}

/// A first row that names the column instead of holding a number ("Phone", "Mobile No.",
/// "電話號碼"): skipped, not rejected.
pub fn is_header(cell: &str) -> bool {
    const WORDS: [&str; 16] = [
        "phone",
        "mobile",
        "number",
        "tel",
        "msisdn",
        "cell",
        "recipient",
        "contact",
        "sms",
        "電話",
        "电话",
        "手機",
        "手机",
        "號碼",
        "号码",
        "流動",
    ];
    let lower = cell.to_lowercase();
    !lower.chars().any(|c| c.is_ascii_digit()) && WORDS.iter().any(|w| lower.contains(w))
}

/// Calls `f` with the line number and first cell of every CSV record.
pub fn for_each_csv_cell(bytes: &[u8], mut f: impl FnMut(usize, &str)) -> Result<(), ImportError> {
    for_each_csv_record(bytes, |line, record| {
        // The whole file is UTF-8 (checked first), and csv splits on ASCII only.
        f(
            line,
            std::str::from_utf8(record.get(0).unwrap_or_default()).unwrap_or_default(),
        )
    })
}

/// The cells of every CSV record with its 1-based line number, for files with several
/// columns (contacts, consent).
pub fn csv_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, ImportError> {
    let mut rows = Vec::new();
    for_each_csv_record(bytes, |line, record| {
        let cells = record
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_string())
            .collect();
        rows.push((line, cells));
    })?;
    Ok(rows)
}

/// Reads a UTF-8 CSV (BOM tolerated, delimiter guessed), calling `f` with each record and the
/// line it starts on.
pub fn for_each_csv_record(
    bytes: &[u8],
    mut f: impl FnMut(usize, &csv::ByteRecord),
) -> Result<(), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        return Err(ImportError::NotUtf8 { line });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(bytes))
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    // Line numbers are counted from the record's byte offset: the csv crate's own count
    // runs one behind on CRLF files.
    let (mut line, mut counted_to) = (1usize, 0usize);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
                // With CRLF the record's offset can point at the previous line's `\n`.
                while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
                    start += 1;
                }
                if let Some(skipped) = bytes.get(counted_to..start) {
                    line += skipped.iter().filter(|b| **b == b'\n').count();
                    counted_to = start;
                }
                f(line, &record);
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(ImportError::BrokenCsv {
                    line,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Comma, unless the first line is clearly separated by semicolons (European Excel) or tabs.
fn delimiter(bytes: &[u8]) -> u8 {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (count(*d), *d == b','))
        .unwrap_or(b',')
}

fn read_workbook(
    bytes: &[u8],
    kind: FileKind,
    collector: &mut Collector,
) -> Result<(), ImportError> {
    use calamine::{Reader, Xls, Xlsx};
    let cursor = std::io::Cursor::new(bytes);
    let broken = |e: &dyn std::fmt::Display| ImportError::BrokenWorkbook(short(e));
    // calamine is mature, but a crafted file must never take the server down with it.
    let range = std::panic::catch_unwind(|| -> Result<_, ImportError> {
        match kind {
            FileKind::Xlsx => {
                let mut book: Xlsx<_> =
                    calamine::open_workbook_from_rs(cursor).map_err(|e| broken(&e))?;
                let range = book.worksheet_range_at(0).ok_or(ImportError::NoSheet)?;
                range.map_err(|e| broken(&e))
            }
            _ => {
                let mut book: Xls<_> =
                    calamine::open_workbook_from_rs(cursor).map_err(|e| broken(&e))?;
                let range = book.worksheet_range_at(0).ok_or(ImportError::NoSheet)?;
                range.map_err(|e| broken(&e))
            }
        }
    })
    .map_err(|_| ImportError::BrokenWorkbook("unreadable structure".into()))??;
    let Some((first_row, _)) = range.start() else {
        return Ok(());
    };
    for (i, row) in range.rows().enumerate() {
        let Some(cell) = row.first() else { continue };
        let text = cell_text(cell);
        collector.cell(first_row as usize + i + 1, &text);
    }
    Ok(())
}

/// A cell as the customer typed it. Excel stores 91234567 as a number, so integral numbers
/// are written without a decimal point; anything else keeps its displayed form and is then
/// rejected with its reason.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e}"),
    }
}

fn short(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    if s.chars().count() > 120 {
        s.chars().take(120).collect::<String>() + "…"
    } else {
        s
    }
}

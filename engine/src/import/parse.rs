//! Reading a recipient file (§6 quick import): CSV, XLS or XLSX, one number per row in the
//! first column. Pure: bytes in, numbers and rejected rows out. The type is judged by the
//! content (a renamed file is read for what it is), and every way a file can be unreadable
//! ends in an [`ImportError`] that tells the customer what to do, never a panic.

use super::RejectedRow;
use super::{ImportResult, MAX_IMPORT_BYTES, MAX_IMPORT_NUMBERS};
use sms::Msisdn;
use std::collections::HashSet;
use std::ops::ControlFlow;

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
    #[error("This workbook is password-protected. Remove the password in Excel (File → Info → Protect Workbook), save, and try again.")]
    Encrypted,
    #[error("This is an Excel 95 or older workbook. Open it in Excel and save it as .xlsx, then try again.")]
    OldExcel,
    #[error("This workbook's {part} unpacks to more than {limit_mb} MB (it says {size_mb} MB), far more than a list of numbers needs; it may be damaged or built to overload a server. Save the numbers alone as CSV or .xlsx and try again.")]
    Bomb {
        part: String,
        size_mb: u64,
        limit_mb: u64,
    },
    #[error("The first column has more than {limit} filled rows; at most {MAX_IMPORT_NUMBERS} numbers can be imported at once. Split the file into smaller ones.")]
    TooManyRows { limit: usize },
    #[error("This CSV file could not be read at line {line}: {reason}.")]
    BrokenCsv { line: u64, reason: String },
    #[error("{0} is not a known default country code.")]
    UnknownCountryCode(u16),
}

impl ImportError {
    /// A workbook the reader could not make sense of, with the reader's words, shortened.
    pub fn broken(e: &dyn std::fmt::Display) -> ImportError {
        ImportError::BrokenWorkbook(short(e))
    }
}

/// Rows read from the first column at most: the number limit with room for a header,
/// duplicates and refused rows. Reading stops here, whatever the file's size.
pub const MAX_FIRST_COLUMN_CELLS: usize = 4 * MAX_IMPORT_NUMBERS;

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
    let mut on_cell = |row: usize, cell: &str| collector.cell(row, cell);
    match kind {
        FileKind::Csv => for_each_csv_cell(bytes, &mut on_cell)?,
        FileKind::Xlsx => super::xlsx::read_first_column(bytes, &mut on_cell)?,
        FileKind::Xls => super::xls::read_first_column(bytes, &mut on_cell)?,
    }
    collector.finish()
}

/// Gathers the numbers cell by cell: the header row, duplicates and rejections.
struct Collector {
    default_country_code: u16,
    seen: HashSet<String>,
    numbers: Vec<String>,
    duplicates: u64,
    rejected: Vec<RejectedRow>,
    /// No non-empty row has been read yet (the one that may be a header).
    first: bool,
    /// Non-empty rows seen; reading stops at [`MAX_FIRST_COLUMN_CELLS`].
    rows: usize,
}

impl Collector {
    fn new(default_country_code: u16) -> Result<Collector, ImportError> {
        Ok(Collector {
            default_country_code: sms::msisdn::is_known_country_code(default_country_code)
                .then_some(default_country_code)
                .ok_or(ImportError::UnknownCountryCode(default_country_code))?,
            seen: HashSet::new(),
            numbers: Vec::new(),
            duplicates: 0,
            rejected: Vec::new(),
            first: true,
            rows: 0,
        })
    }

    /// One row's first cell; `row` is 1-based as the spreadsheet shows it. Breaks once the
    /// file has more rows than an import may read.
    fn cell(&mut self, row: usize, input: &str) -> ControlFlow<()> {
        let input = input.trim();
        if input.is_empty() {
            return ControlFlow::Continue(());
        }
        self.rows += 1;
        if self.rows > MAX_FIRST_COLUMN_CELLS {
            return ControlFlow::Break(());
        }
        let first = std::mem::replace(&mut self.first, false);
        match Msisdn::parse(input, self.default_country_code)
            .map(String::from)
            .map_err(|e| e.to_string())
        {
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
        ControlFlow::Continue(())
    }

    fn finish(self) -> Result<ImportResult, ImportError> {
        if self.rows > MAX_FIRST_COLUMN_CELLS {
            return Err(ImportError::TooManyRows {
                limit: MAX_FIRST_COLUMN_CELLS,
            });
        }
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

/// Calls `f` with the line number and first cell of every CSV record, until it breaks.
pub fn for_each_csv_cell(
    bytes: &[u8],
    mut f: impl FnMut(usize, &str) -> ControlFlow<()>,
) -> Result<(), ImportError> {
    for_each_csv_record(bytes, |line, record| {
        // The whole file is UTF-8 (checked first), and csv splits on ASCII only.
        f(
            line,
            std::str::from_utf8(record.get(0).unwrap_or_default()).unwrap_or_default(),
        )
    })
}

/// Columns kept of a CSV row in files with several columns, and characters kept per cell.
const MAX_CSV_COLUMNS: usize = 8;
const MAX_CSV_CELL_CHARS: usize = 256;

/// The first cells of every CSV record with its 1-based line number, for files with several
/// columns (contacts, consent); at most `max_rows` non-empty rows, else `TooManyRows`.
pub fn csv_rows(bytes: &[u8], max_rows: usize) -> Result<Vec<(usize, Vec<String>)>, ImportError> {
    let mut rows = Vec::new();
    let mut too_many = false;
    for_each_csv_record(bytes, |line, record| {
        if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            return ControlFlow::Continue(());
        }
        if rows.len() == max_rows {
            too_many = true;
            return ControlFlow::Break(());
        }
        let cells = record
            .iter()
            .take(MAX_CSV_COLUMNS)
            .map(|c| {
                String::from_utf8_lossy(c)
                    .trim()
                    .chars()
                    .take(MAX_CSV_CELL_CHARS)
                    .collect()
            })
            .collect();
        rows.push((line, cells));
        ControlFlow::Continue(())
    })?;
    if too_many {
        return Err(ImportError::TooManyRows { limit: max_rows });
    }
    Ok(rows)
}

/// Reads a UTF-8 CSV (BOM tolerated, delimiter guessed), calling `f` with each record and the
/// line it starts on, until it breaks.
pub fn for_each_csv_record(
    bytes: &[u8],
    mut f: impl FnMut(usize, &csv::ByteRecord) -> ControlFlow<()>,
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
                if f(line, &record).is_break() {
                    break;
                }
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

/// A number cell's stored text as the customer typed it. Excel stores 91234567 as the number
/// `91234567` or `9.1234567E7`; integral values are written without a decimal point, anything
/// else keeps its form (and is then refused with its reason).
pub fn number_text(stored: &str) -> String {
    let stored = stored.trim();
    match stored.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e18 => format!("{}", f as i64),
        _ => stored.to_string(),
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

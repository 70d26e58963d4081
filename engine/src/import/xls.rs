//! The first column of an Excel 97–2003 workbook (BIFF8 records in the `Workbook` stream of an
//! OLE compound file), read record by record. Only the first worksheet's column-A cells and the
//! shared strings they name are kept; a cell far away in the grid costs nothing, and every
//! length in the file is checked against the bytes that are really there.
//!
//! Record layouts are from Microsoft's [MS-XLS] specification; the section of each is named
//! beside its code.
//!
//! [MS-XLS]: https://learn.microsoft.com/openspecs/office_file_formats/ms-xls

use super::parse::{number_text, ImportError, MAX_FIRST_COLUMN_CELLS};
use std::io::Read;
use std::ops::ControlFlow;

/// The workbook stream read at most (the upload itself is at most 6 MB).
const MAX_STREAM_BYTES: u64 = 16 * 1024 * 1024;
/// Characters kept of one cell's text.
const MAX_CELL_CHARS: usize = 256;

// Record types (MS-XLS 2.3).
const BOF: u16 = 0x0809; // 2.4.21
const EOF: u16 = 0x000A; // 2.4.103
const FILEPASS: u16 = 0x002F; // 2.4.117
const BOUNDSHEET8: u16 = 0x0085; // 2.4.28
const SST: u16 = 0x00FC; // 2.4.265
const CONTINUE: u16 = 0x003C; // 2.4.58
const LABELSST: u16 = 0x00FD; // 2.4.149
const LABEL: u16 = 0x0204; // 2.4.148
const RSTRING: u16 = 0x00D6; // 2.4.224 (BIFF5, still written by some tools)
const NUMBER: u16 = 0x0203; // 2.4.180
const RK: u16 = 0x027E; // 2.4.220
const MULRK: u16 = 0x00BD; // 2.4.175
const FORMULA: u16 = 0x0006; // 2.4.127
const STRING: u16 = 0x0207; // 2.4.268
const BOOLERR: u16 = 0x0205; // 2.4.24

const BIFF8: u16 = 0x0600;
const WORKBOOK_GLOBALS: u16 = 0x0005;
const WORKSHEET: u8 = 0x00;

/// Calls `on_cell` with the 1-based row and text of every non-empty cell in column A of the
/// workbook's first worksheet, in file order.
pub fn read_first_column(
    bytes: &[u8],
    on_cell: &mut dyn FnMut(usize, &str) -> ControlFlow<()>,
) -> Result<(), ImportError> {
    let stream = workbook_stream(bytes)?;
    let globals = Records::new(&stream, 0);
    let (sheet_offset, sst_at) = read_globals(globals)?;
    let cells = read_sheet(&stream, sheet_offset)?;
    let mut wanted: Vec<u32> = cells
        .iter()
        .filter_map(|(_, c)| match c {
            Cell::Shared(i) => Some(*i),
            Cell::Text(_) => None,
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let strings = match (wanted.is_empty(), sst_at) {
        (true, _) => Vec::new(),
        (false, Some(at)) => shared_strings(&stream, at, &wanted)?,
        (false, None) => {
            return Err(ImportError::BrokenWorkbook(
                "cells name shared strings, but the workbook has none".into(),
            ))
        }
    };
    for (row, cell) in cells {
        let text = match cell {
            Cell::Text(t) => t,
            Cell::Shared(i) => wanted
                .binary_search(&i)
                .ok()
                .and_then(|pos| strings.get(pos).cloned().flatten())
                .ok_or_else(|| {
                    ImportError::BrokenWorkbook(format!(
                        "row {row} names shared string {i}, which the file does not have"
                    ))
                })?,
        };
        if on_cell(row, &text).is_break() {
            break;
        }
    }
    Ok(())
}

/// The `Workbook` stream (or BIFF5's `Book`), read through a limit.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, ImportError> {
    let mut file = cfb::CompoundFile::open(std::io::Cursor::new(bytes))
        .map_err(|e| ImportError::broken(&e))?;
    let name = if file.is_stream("/Workbook") {
        "/Workbook"
    } else if file.is_stream("/Book") {
        return Err(ImportError::OldExcel);
    } else if file.is_stream("/EncryptedPackage") {
        return Err(ImportError::Encrypted);
    } else {
        return Err(ImportError::BrokenWorkbook(
            "it has no workbook stream; it may be a Word or other Office file".into(),
        ));
    };
    let stream = file
        .open_stream(name)
        .map_err(|e| ImportError::broken(&e))?;
    let mut out = Vec::new();
    stream
        .take(MAX_STREAM_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ImportError::broken(&e))?;
    if out.len() as u64 > MAX_STREAM_BYTES {
        return Err(ImportError::Bomb {
            part: "Workbook".into(),
            size_mb: MAX_STREAM_BYTES / (1024 * 1024) + 1,
            limit_mb: MAX_STREAM_BYTES / (1024 * 1024),
        });
    }
    Ok(out)
}

/// One BIFF record: its type, its data, and where it starts in the stream.
struct Record<'a> {
    kind: u16,
    data: &'a [u8],
}

/// The records of a stream from an offset; stops at the end of the bytes or at a record that
/// claims more bytes than are left.
struct Records<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    fn new(stream: &'a [u8], at: usize) -> Records<'a> {
        Records { stream, at }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        let header = self.stream.get(self.at..self.at.checked_add(4)?)?;
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let start = self.at + 4;
        let Some(data) = self.stream.get(start..start + len) else {
            self.at = self.stream.len();
            return Some(Err(ImportError::BrokenWorkbook(format!(
                "a record at byte {} runs past the end of the file",
                start - 4
            ))));
        };
        self.at = start + len;
        Some(Ok(Record { kind, data }))
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn short(kind: &str) -> ImportError {
    ImportError::BrokenWorkbook(format!("a {kind} record is too short"))
}

/// The workbook globals: the stream offset of the first worksheet, and where the shared
/// string table starts (if there is one).
fn read_globals(mut records: Records<'_>) -> Result<(usize, Option<usize>), ImportError> {
    match records.next() {
        Some(Ok(r)) if r.kind == BOF => {
            let version = u16_at(r.data, 0).ok_or_else(|| short("BOF"))?;
            let kind = u16_at(r.data, 2).ok_or_else(|| short("BOF"))?;
            if version != BIFF8 {
                return Err(ImportError::OldExcel);
            }
            if kind != WORKBOOK_GLOBALS {
                return Err(ImportError::BrokenWorkbook(
                    "it does not start with the workbook's globals".into(),
                ));
            }
        }
        Some(Err(e)) => return Err(e),
        _ => {
            return Err(ImportError::BrokenWorkbook(
                "it does not start like an Excel workbook".into(),
            ))
        }
    }
    let mut sheet = None;
    let mut sst = None;
    loop {
        let at = records.at;
        let Some(record) = records.next() else { break };
        let record = record?;
        match record.kind {
            FILEPASS => return Err(ImportError::Encrypted),
            BOUNDSHEET8 if sheet.is_none() => {
                let offset = u32_at(record.data, 0).ok_or_else(|| short("BOUNDSHEET"))?;
                let kind = *record.data.get(5).ok_or_else(|| short("BOUNDSHEET"))?;
                if kind == WORKSHEET {
                    sheet = Some(offset as usize);
                }
            }
            SST => sst = Some(at),
            EOF => break,
            _ => {}
        }
    }
    Ok((sheet.ok_or(ImportError::NoSheet)?, sst))
}

/// A column-A cell: its text, or an index into the shared strings.
enum Cell {
    Text(String),
    Shared(u32),
}

fn read_sheet(stream: &[u8], offset: usize) -> Result<Vec<(usize, Cell)>, ImportError> {
    let mut records = Records::new(stream, offset);
    match records.next() {
        Some(Ok(r)) if r.kind == BOF => {}
        Some(Err(e)) => return Err(e),
        _ => {
            return Err(ImportError::BrokenWorkbook(
                "the first sheet is not where the workbook says".into(),
            ))
        }
    }
    let mut cells = Vec::new();
    // A FORMULA whose cached value is a string: the value follows in a STRING record.
    let mut string_for_row: Option<u16> = None;
    for record in records {
        let record = record?;
        let d = record.data;
        // Every cell record starts with its row and column (MS-XLS 2.5.34 Cell).
        let (row, column) = match (u16_at(d, 0), u16_at(d, 2)) {
            (Some(r), Some(c)) => (r, c),
            _ => (0, u16::MAX),
        };
        match record.kind {
            EOF => break,
            LABELSST if column == 0 => {
                let index = u32_at(d, 6).ok_or_else(|| short("LABELSST"))?;
                push(&mut cells, row, Cell::Shared(index))?;
            }
            LABEL | RSTRING if column == 0 => {
                let text = unicode_string(d.get(6..).unwrap_or_default(), 2)
                    .ok_or_else(|| short("LABEL"))?;
                push(&mut cells, row, Cell::Text(text))?;
            }
            NUMBER if column == 0 => {
                let value = d
                    .get(6..14)
                    .and_then(|b| b.try_into().ok())
                    .map(f64::from_le_bytes)
                    .ok_or_else(|| short("NUMBER"))?;
                push(&mut cells, row, Cell::Text(number_text(&value.to_string())))?;
            }
            RK if column == 0 => {
                let rk = u32_at(d, 6).ok_or_else(|| short("RK"))?;
                push(&mut cells, row, Cell::Text(rk_text(rk)))?;
            }
            // Several RK cells of one row from `column` on: column A only when it starts there.
            MULRK if column == 0 => {
                let rk = u32_at(d, 6).ok_or_else(|| short("MULRK"))?;
                push(&mut cells, row, Cell::Text(rk_text(rk)))?;
            }
            FORMULA if column == 0 => {
                let value = d.get(6..14).ok_or_else(|| short("FORMULA"))?;
                if value[6] == 0xFF && value[7] == 0xFF {
                    match value[0] {
                        0 => string_for_row = Some(row),
                        1 => push(
                            &mut cells,
                            row,
                            Cell::Text(if value[2] != 0 { "TRUE" } else { "FALSE" }.into()),
                        )?,
                        _ => {} // an error value or an empty string
                    }
                } else {
                    let n = f64::from_le_bytes(value.try_into().map_err(|_| short("FORMULA"))?);
                    push(&mut cells, row, Cell::Text(number_text(&n.to_string())))?;
                }
            }
            STRING => {
                if let Some(row) = string_for_row.take() {
                    let text = unicode_string(d, 2).ok_or_else(|| short("STRING"))?;
                    push(&mut cells, row, Cell::Text(text))?;
                }
            }
            BOOLERR if column == 0 => {
                let (value, is_error) = (d.get(6).copied(), d.get(7).copied());
                let text = match (value, is_error) {
                    (Some(v), Some(0)) => if v != 0 { "TRUE" } else { "FALSE" }.to_string(),
                    (Some(_), Some(_)) => "#ERROR".to_string(),
                    _ => return Err(short("BOOLERR")),
                };
                push(&mut cells, row, Cell::Text(text))?;
            }
            _ => {}
        }
    }
    Ok(cells)
}

/// Keeps a column-A cell (`row` as stored, 0-based), up to [`MAX_FIRST_COLUMN_CELLS`].
fn push(cells: &mut Vec<(usize, Cell)>, row: u16, cell: Cell) -> Result<(), ImportError> {
    if cells.len() >= MAX_FIRST_COLUMN_CELLS {
        return Err(ImportError::TooManyRows {
            limit: MAX_FIRST_COLUMN_CELLS,
        });
    }
    cells.push((usize::from(row) + 1, cell));
    Ok(())
}

/// An RK number (MS-XLS 2.5.217): 30 bits of an integer or of a double's high bits, maybe ×100.
fn rk_text(rk: u32) -> String {
    let value = if rk & 0x02 != 0 {
        f64::from((rk as i32) >> 2)
    } else {
        f64::from_bits(u64::from(rk & 0xFFFF_FFFC) << 32)
    };
    let value = if rk & 0x01 != 0 { value / 100.0 } else { value };
    number_text(&value.to_string())
}

/// An XLUnicodeString (MS-XLS 2.5.294) with a `len_bytes`-byte character count: flags, then
/// Latin-1 bytes or UTF-16LE units. Kept to [`MAX_CELL_CHARS`].
fn unicode_string(d: &[u8], len_bytes: usize) -> Option<String> {
    let count = match len_bytes {
        1 => usize::from(*d.first()?),
        _ => usize::from(u16_at(d, 0)?),
    };
    let flags = *d.get(len_bytes)?;
    let chars = d.get(len_bytes + 1..)?;
    Some(decode_chars(chars, count, flags & 0x01 != 0).0)
}

/// `count` characters from `bytes` (Latin-1, or UTF-16LE when `wide`), as far as the bytes go;
/// also how many bytes that took.
fn decode_chars(bytes: &[u8], count: usize, wide: bool) -> (String, usize) {
    if wide {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .take(count)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let used = units.len() * 2;
        let text = char::decode_utf16(units.iter().take(MAX_CELL_CHARS * 2).copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .take(MAX_CELL_CHARS)
            .collect();
        (text, used)
    } else {
        let used = count.min(bytes.len());
        let text = bytes[..used]
            .iter()
            .take(MAX_CELL_CHARS)
            .map(|b| char::from(*b))
            .collect();
        (text, used)
    }
}

/// The shared strings at the `wanted` indices (sorted), from the SST record at `at` and the
/// CONTINUE records after it. A string may be split across records; each continuation starts
/// with a new flags byte for the rest of its characters (MS-XLS 2.4.58).
fn shared_strings(
    stream: &[u8],
    at: usize,
    wanted: &[u32],
) -> Result<Vec<Option<String>>, ImportError> {
    let mut records = Records::new(stream, at);
    let first = records.next().ok_or_else(|| short("SST"))??;
    let total = u32_at(first.data, 4).ok_or_else(|| short("SST"))?;
    let mut pieces = vec![first.data.get(8..).unwrap_or_default()];
    for record in records {
        let record = record?;
        if record.kind != CONTINUE {
            break;
        }
        pieces.push(record.data);
    }
    let mut reader = SstReader {
        pieces,
        piece: 0,
        at: 0,
    };
    let mut out = vec![None; wanted.len()];
    let mut next = 0;
    for index in 0..total {
        if next == wanted.len() {
            break;
        }
        let keep = wanted[next] == index;
        match reader.string(keep) {
            Some(text) => {
                if keep {
                    out[next] = Some(text);
                    next += 1;
                }
            }
            None => break, // the table ends early: missing strings are reported by the caller
        }
    }
    Ok(out)
}

/// Reads XLUnicodeRichExtendedString items (MS-XLS 2.5.293) across record boundaries.
struct SstReader<'a> {
    pieces: Vec<&'a [u8]>,
    piece: usize,
    at: usize,
}

impl SstReader<'_> {
    fn current(&mut self) -> Option<&[u8]> {
        while self.at >= self.pieces.get(self.piece)?.len() {
            self.piece += 1;
            self.at = 0;
        }
        self.pieces.get(self.piece).map(|p| &p[self.at..])
    }

    fn bytes(&mut self, n: usize) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(n.min(64));
        while out.len() < n {
            let left = n - out.len();
            let piece = self.current()?;
            let take = left.min(piece.len());
            out.extend_from_slice(&piece[..take]);
            self.at += take;
        }
        Some(out)
    }

    fn skip(&mut self, mut n: usize) -> Option<()> {
        while n > 0 {
            let piece = self.current()?;
            let take = n.min(piece.len());
            self.at += take;
            n -= take;
        }
        Some(())
    }

    /// One string; its text only when `keep` (skipped strings cost no allocation).
    fn string(&mut self, keep: bool) -> Option<String> {
        let header = self.bytes(3)?;
        let count = usize::from(u16::from_le_bytes([header[0], header[1]]));
        let mut flags = header[2];
        let runs = if flags & 0x08 != 0 {
            let b = self.bytes(2)?;
            usize::from(u16::from_le_bytes([b[0], b[1]]))
        } else {
            0
        };
        let ext = if flags & 0x04 != 0 {
            let b = self.bytes(4)?;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
        } else {
            0
        };
        let mut text = String::new();
        let mut left = count;
        while left > 0 {
            // The characters continue in the next record, behind a fresh flags byte.
            if self
                .pieces
                .get(self.piece)
                .is_some_and(|p| self.at >= p.len())
            {
                self.piece += 1;
                self.at = 0;
                flags = *self.pieces.get(self.piece)?.first()?;
                self.at = 1;
            }
            let wide = flags & 0x01 != 0;
            let piece = self.pieces.get(self.piece)?.get(self.at..)?;
            if piece.is_empty() {
                return None;
            }
            let in_piece = if wide { piece.len() / 2 } else { piece.len() }.min(left);
            if in_piece == 0 {
                return None;
            }
            let (chunk, used) = decode_chars(piece, in_piece, wide);
            if keep && text.chars().count() < MAX_CELL_CHARS {
                text.push_str(&chunk);
            }
            self.at += used;
            left -= in_piece;
        }
        self.skip(runs * 4)?;
        self.skip(ext)?;
        Some(if keep {
            text.chars().take(MAX_CELL_CHARS).collect()
        } else {
            String::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk_numbers_decode_as_integers_doubles_and_hundredths() {
        // 91234567 as an RK integer: value << 2 | 0b10.
        assert_eq!(rk_text((91_234_567 << 2) | 0x02), "91234567");
        // 1.0 as a double's high 32 bits.
        assert_eq!(rk_text((1.0f64.to_bits() >> 32) as u32), "1");
        // 12345 / 100, the ×100 flag.
        assert_eq!(rk_text((12_345 << 2) | 0x03), "123.45");
    }

    #[test]
    fn shared_strings_split_across_continue_records_keep_their_characters() {
        // Two strings: "91234567" (Latin-1) and "電話" (UTF-16) split after 1 character,
        // with the continuation's own flags byte.
        let first = [
            &[8u8, 0, 0][..],
            b"91234567",
            &[2, 0, 1],
            &"電"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>(),
        ]
        .concat();
        let second = [
            &[1u8][..],
            &"話"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>(),
        ]
        .concat();
        let mut reader = SstReader {
            pieces: vec![&first, &second],
            piece: 0,
            at: 0,
        };
        assert_eq!(reader.string(true).as_deref(), Some("91234567"));
        assert_eq!(reader.string(true).as_deref(), Some("電話"));
        assert_eq!(reader.string(true), None);
    }
}

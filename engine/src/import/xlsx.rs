//! The first column of an Excel 2007+ workbook (Office Open XML: a zip of XML parts), read as a
//! stream. Nothing is allocated from what the file claims about itself: the sheet's stated
//! dimension, the zip's stated sizes and the shared-string count are checked, never trusted.
//! Every part is decompressed through a byte limit, so a zip bomb ends in an error after at
//! most [`MAX_SHEET_XML_BYTES`] of work, and only the cells of column A are kept.

use super::parse::{number_text, ImportError, MAX_FIRST_COLUMN_CELLS};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;

/// Largest sheet XML read (decompressed). A 50,000-row sheet with a dozen columns is about
/// 10 MB; a customer export with 30 columns of text stays under this. It is also the most
/// memory one import can take (the XML reader buffers one element or text run at a time).
pub const MAX_SHEET_XML_BYTES: u64 = 64 * 1024 * 1024;
/// Largest shared-strings part read (decompressed).
pub const MAX_SHARED_STRINGS_BYTES: u64 = 32 * 1024 * 1024;
/// Largest workbook or relationships part read (decompressed): they list sheets, not cells.
const MAX_SMALL_PART_BYTES: u64 = 1024 * 1024;
/// A part that unpacks to more than this many times its packed size is a zip bomb: XML
/// deflates 5–20×, deflate's own ceiling is about 1,000×.
const MAX_COMPRESSION_RATIO: u64 = 200;
/// Parts smaller than this are not judged by their ratio (a tiny part compresses well).
const RATIO_CHECK_FROM_BYTES: u64 = 1024 * 1024;
/// Zip entries in a workbook: a real one has a few dozen.
const MAX_ENTRIES: usize = 10_000;
/// Characters kept of one cell's text (enough for any number and its reason).
const MAX_CELL_CHARS: usize = 256;
/// Excel's own grid: 1,048,576 rows × 16,384 columns (XFD).
const MAX_ROW: u64 = 1_048_576;
const MAX_COLUMN: u64 = 16_384;

/// Calls `on_cell` with the 1-based row and text of every non-empty cell in column A of the
/// workbook's first sheet, in row order.
pub fn read_first_column(
    bytes: &[u8],
    on_cell: &mut dyn FnMut(usize, &str) -> ControlFlow<()>,
) -> Result<(), ImportError> {
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| ImportError::broken(&e))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ImportError::BrokenWorkbook(format!(
            "{} parts in one file",
            zip.len()
        )));
    }
    let (sheet_path, shared_path) = first_sheet_paths(&mut zip)?;
    let pending = {
        let part = open_part(&mut zip, &sheet_path, MAX_SHEET_XML_BYTES)?;
        read_sheet(part)?
    };
    let wanted: Vec<u32> = {
        let mut v: Vec<u32> = pending
            .iter()
            .filter_map(|(_, c)| match c {
                Pending::Shared(i) => Some(*i),
                Pending::Text(_) => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let shared = if wanted.is_empty() {
        Vec::new()
    } else {
        let path = shared_path.unwrap_or_else(|| "xl/sharedStrings.xml".to_string());
        let part = open_part(&mut zip, &path, MAX_SHARED_STRINGS_BYTES)?;
        read_shared_strings(part, &wanted)?
    };
    for (row, cell) in pending {
        let text = match cell {
            Pending::Text(t) => t,
            Pending::Shared(i) => match wanted.binary_search(&i) {
                Ok(pos) => shared.get(pos).cloned().flatten().ok_or_else(|| {
                    ImportError::BrokenWorkbook(format!(
                        "row {row} names shared string {i}, which the file does not have"
                    ))
                })?,
                Err(_) => String::new(),
            },
        };
        if on_cell(row, &text).is_break() {
            break;
        }
    }
    Ok(())
}

/// A column-A cell as the sheet gives it: its text, or an index into the shared strings.
enum Pending {
    Text(String),
    Shared(u32),
}

type Zip<'a> = zip::ZipArchive<std::io::Cursor<&'a [u8]>>;
/// A part of the zip, decompressed through its limit.
type PartReader<'z, 'a> = BufReader<Limited<zip::read::ZipFile<'z, std::io::Cursor<&'a [u8]>>>>;

/// A part's decompressed bytes, refused up front when its stated size or ratio is absurd and
/// cut off when the stream runs past `limit` whatever the header said.
fn open_part<'z, 'a>(
    zip: &'z mut Zip<'a>,
    path: &str,
    limit: u64,
) -> Result<PartReader<'z, 'a>, ImportError> {
    let file = zip
        .by_name(path)
        .map_err(|_| ImportError::BrokenWorkbook(format!("the part {path} is missing")))?;
    let (size, packed) = (file.size(), file.compressed_size().max(1));
    if size > limit {
        return Err(ImportError::Bomb {
            part: path.to_string(),
            size_mb: size / (1024 * 1024),
            limit_mb: limit / (1024 * 1024),
        });
    }
    if size >= RATIO_CHECK_FROM_BYTES && size / packed > MAX_COMPRESSION_RATIO {
        return Err(ImportError::Bomb {
            part: path.to_string(),
            size_mb: size / (1024 * 1024),
            limit_mb: limit / (1024 * 1024),
        });
    }
    Ok(BufReader::new(Limited {
        inner: file,
        left: limit,
        part: path.to_string(),
    }))
}

/// A reader that fails once more than `left` bytes came out of it.
struct Limited<R> {
    inner: R,
    left: u64,
    part: String,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(LimitExceeded(self.part.clone())));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0} unpacks to more than its limit")]
struct LimitExceeded(String);

/// Turns a reader error into the customer's message: a part that outgrew its limit is a bomb.
fn xml_error(e: quick_xml::Error, limit: u64) -> ImportError {
    if let quick_xml::Error::Io(io) = &e {
        if let Some(exceeded) = io.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
            return ImportError::Bomb {
                part: exceeded.0.clone(),
                size_mb: limit / (1024 * 1024) + 1,
                limit_mb: limit / (1024 * 1024),
            };
        }
    }
    ImportError::broken(&e)
}

/// Reads a small XML part whole (workbook, relationships), bounded.
fn small_part(zip: &mut Zip<'_>, path: &str) -> Result<Option<Vec<u8>>, ImportError> {
    if zip.index_for_name(path).is_none() {
        return Ok(None);
    }
    let mut part = open_part(zip, path, MAX_SMALL_PART_BYTES)?;
    let mut out = Vec::new();
    part.read_to_end(&mut out).map_err(|e| {
        if e.get_ref().is_some_and(|i| i.is::<LimitExceeded>()) {
            ImportError::Bomb {
                part: path.to_string(),
                size_mb: 1,
                limit_mb: 1,
            }
        } else {
            ImportError::broken(&e)
        }
    })?;
    Ok(Some(out))
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// The first sheet's part and the shared-strings part, from the workbook and its
/// relationships; the conventional names when the file leaves them out.
fn first_sheet_paths(zip: &mut Zip<'_>) -> Result<(String, Option<String>), ImportError> {
    const DEFAULT_SHEET: &str = "xl/worksheets/sheet1.xml";
    let Some(workbook) = small_part(zip, "xl/workbook.xml")? else {
        return Err(ImportError::BrokenWorkbook(
            "it has no workbook part; it may be another kind of zip file".into(),
        ));
    };
    let mut first_rel = None;
    let mut reader = Reader::from_reader(workbook.as_slice());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"sheet" => {
                first_rel = attr(&e, b"r:id");
                break;
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(ImportError::broken(&e)),
        }
        buf.clear();
    }
    let mut sheet = None;
    let mut shared = None;
    if let Some(rels) = small_part(zip, "xl/_rels/workbook.xml.rels")? {
        let mut reader = Reader::from_reader(rels.as_slice());
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e))
                    if e.local_name().as_ref() == b"Relationship" =>
                {
                    let target = attr(&e, b"Target").map(|t| part_path(&t));
                    let kind = attr(&e, b"Type").unwrap_or_default();
                    if first_rel.is_some() && attr(&e, b"Id") == first_rel {
                        sheet = target;
                    } else if kind.ends_with("/sharedStrings") {
                        shared = target;
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => return Err(ImportError::broken(&e)),
            }
            buf.clear();
        }
    }
    match sheet {
        Some(path) => Ok((path, shared)),
        None if zip.index_for_name(DEFAULT_SHEET).is_some() => {
            Ok((DEFAULT_SHEET.to_string(), shared))
        }
        None => Err(ImportError::NoSheet),
    }
}

/// A relationship target as a path inside the zip: relative to `xl/`, or absolute from the root.
fn part_path(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    }
}

/// `A` → 1, `XFD` → 16,384; the row digits after the letters are returned too.
fn split_reference(r: &[u8]) -> Option<(u64, u64)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let column = r[..letters].iter().fold(0u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = std::str::from_utf8(&r[letters..]).ok()?.parse().ok()?;
    Some((column, row))
}

/// The stated used range `A1:XFD1048576`: refused only when it lies outside Excel's own grid
/// (nothing is allocated from it).
fn check_dimension(e: &BytesStart<'_>) -> Result<(), ImportError> {
    let Some(range) = attr(e, b"ref") else {
        return Ok(());
    };
    for corner in range.split(':') {
        match split_reference(corner.as_bytes()) {
            Some((column, row)) if column <= MAX_COLUMN && row <= MAX_ROW => {}
            _ => {
                return Err(ImportError::BrokenWorkbook(format!(
                    "its sheet claims the range {}, beyond Excel's 1,048,576 rows × XFD columns",
                    range.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    Ok(())
}

/// What kind of value a `<c>` holds (its `t` attribute).
#[derive(Clone, Copy, PartialEq)]
enum CellKind {
    Number,
    Shared,
    Inline,
    Text,
    Bool,
    Error,
}

fn read_sheet(part: impl std::io::BufRead) -> Result<Vec<(usize, Pending)>, ImportError> {
    let mut reader = Reader::from_reader(part);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut row: u64 = 0;
    let mut column: u64 = 0;
    // Inside a column-A cell: its kind and the text gathered so far from `<v>` / `<t>`.
    let mut cell: Option<(CellKind, String)> = None;
    let mut in_value = false;
    let mut in_phonetic = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(e, MAX_SHEET_XML_BYTES))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"dimension" => {
                check_dimension(&e)?;
            }
            Event::Start(e) if e.local_name().as_ref() == b"row" => {
                row = match attr(&e, b"r") {
                    Some(r) => r
                        .parse()
                        .ok()
                        .filter(|r| (1..=MAX_ROW).contains(r))
                        .ok_or_else(|| ImportError::BrokenWorkbook(format!("row number {r}")))?,
                    None => row + 1,
                };
                column = 0;
            }
            Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                row = attr(&e, b"r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(row + 1);
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"c" => {
                column = match attr(&e, b"r").and_then(|r| split_reference(r.as_bytes())) {
                    Some((c, r)) => {
                        if r != row && r > 0 {
                            row = r;
                        }
                        c
                    }
                    None => column + 1,
                };
                if column == 1 && !empty {
                    let kind = match attr(&e, b"t").as_deref() {
                        Some("s") => CellKind::Shared,
                        Some("inlineStr") => CellKind::Inline,
                        Some("str") | Some("d") => CellKind::Text,
                        Some("b") => CellKind::Bool,
                        Some("e") => CellKind::Error,
                        _ => CellKind::Number,
                    };
                    cell = Some((kind, String::new()));
                }
            }
            Event::Start(e) if cell.is_some() => {
                // `<v>` holds the value; inline strings keep theirs in `<is><t>` (and rich
                // runs `<r><t>`), never in phonetic `<rPh>` text.
                match e.local_name().as_ref() {
                    b"rPh" => in_phonetic = true,
                    b"v" | b"t" => in_value = !in_phonetic,
                    _ => {}
                }
            }
            Event::Text(t) if in_value => {
                if let Some((_, text)) = cell.as_mut() {
                    let s = t.xml10_content().map_err(|e| ImportError::broken(&e))?;
                    push_bounded(text, &s);
                }
            }
            Event::CData(t) if in_value => {
                if let Some((_, text)) = cell.as_mut() {
                    push_bounded(text, &String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) if in_value => {
                if let Some((_, text)) = cell.as_mut() {
                    push_bounded(text, &resolve_reference(&r)?);
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                if name.as_ref() == b"v" || name.as_ref() == b"t" {
                    in_value = false;
                } else if name.as_ref() == b"rPh" {
                    in_phonetic = false;
                } else if name.as_ref() == b"c" {
                    (in_value, in_phonetic) = (false, false);
                    if let Some((kind, text)) = cell.take() {
                        let pending = match kind {
                            CellKind::Shared => {
                                Pending::Shared(text.trim().parse().map_err(|_| {
                                    ImportError::BrokenWorkbook(format!(
                                        "cell A{row} names shared string {:?}",
                                        text.chars().take(20).collect::<String>()
                                    ))
                                })?)
                            }
                            CellKind::Number => Pending::Text(number_text(&text)),
                            CellKind::Bool => Pending::Text(
                                if text.trim() == "1" { "TRUE" } else { "FALSE" }.into(),
                            ),
                            CellKind::Inline | CellKind::Text | CellKind::Error => {
                                Pending::Text(text)
                            }
                        };
                        if out.len() >= MAX_FIRST_COLUMN_CELLS {
                            return Err(ImportError::TooManyRows {
                                limit: MAX_FIRST_COLUMN_CELLS,
                            });
                        }
                        let row = usize::try_from(row).unwrap_or(usize::MAX);
                        out.push((row, pending));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn push_bounded(text: &mut String, more: &str) {
    let room = MAX_CELL_CHARS.saturating_sub(text.chars().count());
    text.extend(more.chars().take(room));
}

/// `&amp;` and friends, and character references such as `&#9;`.
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<String, ImportError> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| ImportError::broken(&e))? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(|e| ImportError::broken(&e))?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_string)
        .ok_or_else(|| ImportError::BrokenWorkbook(format!("unknown entity &{name};")))
}

/// The shared strings at the `wanted` indices (sorted), in that order; `None` where the part
/// ends first. Strings nobody asked for are skipped without being kept.
fn read_shared_strings(
    part: impl std::io::BufRead,
    wanted: &[u32],
) -> Result<Vec<Option<String>>, ImportError> {
    let mut reader = Reader::from_reader(part);
    let mut buf = Vec::new();
    let mut out: Vec<Option<String>> = vec![None; wanted.len()];
    let mut index: u32 = 0;
    let mut next = 0usize; // position in `wanted` of the next index to keep
    let mut current: Option<String> = None;
    let mut in_text = false;
    let mut in_phonetic = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(e, MAX_SHARED_STRINGS_BYTES))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => {
                    current = (wanted.get(next) == Some(&index)).then(String::new);
                }
                b"rPh" => in_phonetic = true,
                b"t" => in_text = !in_phonetic,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => {
                if wanted.get(next) == Some(&index) {
                    out[next] = Some(String::new());
                    next += 1;
                }
                index = index.saturating_add(1);
            }
            Event::Text(t) if in_text => {
                if let Some(s) = current.as_mut() {
                    push_bounded(s, &t.xml10_content().map_err(|e| ImportError::broken(&e))?);
                }
            }
            Event::CData(t) if in_text => {
                if let Some(s) = current.as_mut() {
                    push_bounded(s, &String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) if in_text => {
                if let Some(s) = current.as_mut() {
                    push_bounded(s, &resolve_reference(&r)?);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"rPh" => in_phonetic = false,
                b"si" => {
                    if let Some(s) = current.take() {
                        out[next] = Some(s);
                        next += 1;
                    }
                    index = index.saturating_add(1);
                    if next == wanted.len() {
                        break;
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_column_and_row() {
        assert_eq!(split_reference(b"A1"), Some((1, 1)));
        assert_eq!(split_reference(b"XFD1048576"), Some((16_384, 1_048_576)));
        assert_eq!(split_reference(b"b12"), Some((2, 12)));
        assert_eq!(split_reference(b"12"), None);
        assert_eq!(split_reference(b"ABCD1"), None);
    }

    #[test]
    fn relationship_targets_become_zip_paths() {
        assert_eq!(
            part_path("worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(part_path("/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
    }
}

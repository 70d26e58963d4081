//! Hand-built hostile workbooks, shared by the import's own tests and the HTTP and
//! real-server hostile-input suites (feature `test-files`): a sheet with cells in opposite
//! corners of Excel's grid, zip bombs, and BIFF8 records assembled one by one.

use std::io::Write;

pub const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
pub const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
pub const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
pub const SHEET_END: &str = "</sheetData></worksheet>";

/// A part of a hand-built workbook: its name and its content, or `filler` bytes of spaces
/// (streamed into the zip, never held whole).
pub enum Part<'a> {
    Bytes(&'a str, Vec<u8>),
    Spaces {
        name: &'a str,
        before: String,
        filler: u64,
        after: String,
    },
}

pub fn zip_parts(parts: Vec<Part<'_>>) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    for part in parts {
        match part {
            Part::Bytes(name, bytes) => {
                w.start_file(name, options).expect("start");
                w.write_all(&bytes).expect("write");
            }
            Part::Spaces {
                name,
                before,
                filler,
                after,
            } => {
                w.start_file(name, options).expect("start");
                w.write_all(before.as_bytes()).expect("write");
                let chunk = vec![b' '; 1 << 20];
                let mut left = filler;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    w.write_all(&chunk[..n]).expect("write");
                    left -= n as u64;
                }
                w.write_all(after.as_bytes()).expect("write");
            }
        }
    }
    w.finish().expect("finish").into_inner()
}

pub fn workbook_with(sheet: Part<'_>, shared: Option<Part<'_>>) -> Vec<u8> {
    let mut parts = vec![
        Part::Bytes("xl/workbook.xml", WORKBOOK.into()),
        Part::Bytes("xl/_rels/workbook.xml.rels", RELS.into()),
        sheet,
    ];
    parts.extend(shared);
    zip_parts(parts)
}

pub fn sheet(cells: &str) -> Part<'static> {
    Part::Bytes(
        "xl/worksheets/sheet1.xml",
        format!("{SHEET_START}{cells}{SHEET_END}").into_bytes(),
    )
}

/// The issue's 2 KB file: cell A1 holds a number, cell XFD1048576 a word.
pub fn xlsx_far_corner() -> Vec<u8> {
    workbook_with(
        sheet(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>91234567</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#,
        ),
        None,
    )
}

/// A workbook whose sheet unpacks to `filler` bytes of spaces (a few hundred KB packed).
pub fn xlsx_sheet_bomb(filler: u64) -> Vec<u8> {
    workbook_with(
        Part::Spaces {
            name: "xl/worksheets/sheet1.xml",
            before: SHEET_START.into(),
            filler,
            after: SHEET_END.into(),
        },
        None,
    )
}

pub fn record(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut r = kind.to_le_bytes().to_vec();
    r.extend_from_slice(&(data.len() as u16).to_le_bytes());
    r.extend_from_slice(data);
    r
}

pub fn cell_head(row: u16, col: u16) -> Vec<u8> {
    [row.to_le_bytes(), col.to_le_bytes(), 0u16.to_le_bytes()].concat()
}

pub fn bof(kind: u16) -> Vec<u8> {
    let mut d = 0x0600u16.to_le_bytes().to_vec();
    d.extend_from_slice(&kind.to_le_bytes());
    d.extend_from_slice(&[0; 12]);
    record(0x0809, &d)
}

/// A minimal Excel 97 workbook: a shared-string table of `strings` and one worksheet of
/// `cells` (BIFF records), in a compound file.
pub fn xls(strings: &[&str], cells: &[Vec<u8>]) -> Vec<u8> {
    let mut sst = Vec::new();
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    for s in strings {
        sst.extend_from_slice(&(s.len() as u16).to_le_bytes());
        sst.push(0);
        sst.extend_from_slice(s.as_bytes());
    }
    let mut boundsheet = vec![0u8; 6];
    boundsheet.extend_from_slice(&[6, 0]);
    boundsheet.extend_from_slice(b"Sheet1");
    let mut globals = bof(0x0005);
    globals.extend(record(0x00FC, &sst));
    let boundsheet_at = globals.len() + 4;
    globals.extend(record(0x0085, &boundsheet));
    globals.extend(record(0x000A, &[]));
    let offset = globals.len() as u32;
    globals[boundsheet_at..boundsheet_at + 4].copy_from_slice(&offset.to_le_bytes());
    let mut stream = globals;
    stream.extend(bof(0x0010));
    for c in cells {
        stream.extend_from_slice(c);
    }
    stream.extend(record(0x000A, &[]));
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).expect("cfb");
    let mut s = file.create_stream("/Workbook").expect("stream");
    s.write_all(&stream).expect("write");
    drop(s);
    file.flush().expect("flush");
    file.into_inner().into_inner()
}

/// An Excel 97 workbook with "91234567" in A1 and a number in IV65536, the far corner.
pub fn xls_far_corner() -> Vec<u8> {
    let mut far = cell_head(65_535, 255);
    far.extend_from_slice(&7.0f64.to_le_bytes());
    let mut a1 = cell_head(0, 0);
    a1.extend_from_slice(&0u32.to_le_bytes());
    xls(&["91234567"], &[record(0x00FD, &a1), record(0x0203, &far)])
}

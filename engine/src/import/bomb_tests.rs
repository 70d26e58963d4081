//! Hostile workbooks (issue 12): files built to make a reader allocate or work far beyond their
//! size. Each must end in a clear error or a correct, small result, quickly, never an abort.

use super::parse::{import, ImportError};
use super::test_files::*;
use super::xlsx::{MAX_SHARED_STRINGS_BYTES, MAX_SHEET_XML_BYTES};
use std::time::{Duration, Instant};

/// Imports `bytes` and checks it took less than `limit` (a bomb must not cost minutes).
fn import_quickly(bytes: &[u8], limit: Duration) -> Result<super::ImportResult, ImportError> {
    let start = Instant::now();
    let result = import(bytes, 852);
    assert!(
        start.elapsed() < limit,
        "took {:?} for a {}-byte file",
        start.elapsed(),
        bytes.len()
    );
    result
}

#[test]
fn an_xlsx_with_cells_at_a1_and_xfd1048576_imports_a1_without_building_the_grid() {
    // The file from the issue: 2.3 KB, two cells; a reader that sizes its grid from the
    // cells' span asks for 16,384 × 1,048,576 cells (512 GiB) and the process aborts.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "91234567").expect("A1");
    sheet
        .write_string(1_048_575, 16_383, "x")
        .expect("XFD1048576");
    let bytes = book.save_to_buffer().expect("xlsx");
    assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
    let r = import_quickly(&bytes, Duration::from_secs(5)).expect("import");
    assert_eq!(r.numbers, vec!["85291234567"]);
    assert!(r.rejected.is_empty());
}

#[test]
fn a_sheet_claiming_a_range_beyond_excels_grid_is_refused_as_damaged() {
    let bytes = workbook_with(
        Part::Bytes(
            "xl/worksheets/sheet1.xml",
            br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFZ9999999"/><sheetData/></worksheet>"#.to_vec(),
        ),
        None,
    );
    let err = import(&bytes, 852).expect_err("refused").to_string();
    assert!(
        err.contains("XFZ9999999") && err.contains("damaged"),
        "{err}"
    );
}

#[test]
fn a_zip_bomb_in_the_sheet_is_refused_by_its_stated_size_before_it_is_unpacked() {
    let bytes = xlsx_sheet_bomb(MAX_SHEET_XML_BYTES + (1 << 20));
    assert!(
        bytes.len() < 2 * 1024 * 1024,
        "{} bytes packed",
        bytes.len()
    );
    let err = import_quickly(&bytes, Duration::from_secs(2))
        .expect_err("bomb")
        .to_string();
    assert!(err.contains("unpacks to more than 64 MB"), "{err}");
}

#[test]
fn a_part_packed_a_thousand_to_one_is_refused_as_a_bomb() {
    // 20 MB of spaces: under the size limit, but no spreadsheet compresses like that.
    let bytes = workbook_with(
        Part::Spaces {
            name: "xl/worksheets/sheet1.xml",
            before: SHEET_START.into(),
            filler: 20 << 20,
            after: SHEET_END.into(),
        },
        None,
    );
    let err = import_quickly(&bytes, Duration::from_secs(2))
        .expect_err("bomb")
        .to_string();
    assert!(err.contains("unpacks to more than"), "{err}");
}

#[test]
fn a_zip_bomb_that_understates_its_size_is_cut_off_at_the_limit() {
    let name = "xl/worksheets/sheet1.xml";
    let mut bytes = workbook_with(
        Part::Spaces {
            name,
            before: SHEET_START.into(),
            filler: MAX_SHEET_XML_BYTES + (8 << 20),
            after: SHEET_END.into(),
        },
        None,
    );
    // Rewrite the stated uncompressed size (local header and central directory) to 1 KB.
    let mut patched = 0;
    for (signature, size_at) in [(b"PK\x03\x04", 22usize), (b"PK\x01\x02", 24usize)] {
        let name_at = if signature == b"PK\x03\x04" { 30 } else { 46 };
        let mut i = 0;
        while let Some(pos) = bytes[i..].windows(4).position(|w| w == signature) {
            let at = i + pos;
            if bytes.get(at + name_at..at + name_at + name.len()) == Some(name.as_bytes()) {
                bytes[at + size_at..at + size_at + 4].copy_from_slice(&1024u32.to_le_bytes());
                patched += 1;
            }
            i = at + 4;
        }
    }
    assert_eq!(patched, 2);
    // Whatever the zip reader makes of the lie, the result is an error, found quickly.
    assert!(import_quickly(&bytes, Duration::from_secs(10)).is_err());
}

#[test]
fn a_shared_strings_bomb_is_refused() {
    let bytes = workbook_with(
        sheet(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#),
        Some(Part::Spaces {
            name: "xl/sharedStrings.xml",
            before:
                r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>"#
                    .into(),
            filler: MAX_SHARED_STRINGS_BYTES + (1 << 20),
            after: "</t></si></sst>".into(),
        }),
    );
    let err = import_quickly(&bytes, Duration::from_secs(2))
        .expect_err("bomb")
        .to_string();
    assert!(err.contains("sharedStrings"), "{err}");
}

#[test]
fn only_the_shared_strings_column_a_names_are_kept_and_rich_and_inline_text_is_read() {
    let bytes = workbook_with(
        sheet(concat!(
            r#"<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>0</v></c></row>"#,
            r#"<row r="2"><c r="A2" t="inlineStr"><is><r><t>9123</t></r><r><t>4568</t></r><rPh><t>ignored</t></rPh></is></c></row>"#,
            r#"<row r="3"><c r="A3"><v>9.1234569E7</v></c></row>"#,
            r#"<row r="5"><c t="str"><f>A1</f><v>91234570</v></c></row>"#,
            r#"<row r="6"><c r="A6" t="s"><v>2</v></c></row>"#,
        )),
        Some(Part::Bytes(
            "xl/sharedStrings.xml",
            br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Name</t></si><si><r><t>+852 </t></r><r><t>9123 4567</t></r></si><si><t>call&amp;me</t></si></sst>"#.to_vec(),
        )),
    );
    let r = import(&bytes, 852).expect("import");
    assert_eq!(
        r.numbers,
        vec!["85291234567", "85291234568", "85291234569", "85291234570"]
    );
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(
        (r.rejected[0].row, r.rejected[0].input.as_str()),
        (6, "call&me")
    );
}

#[test]
fn more_rows_than_an_import_may_read_stop_the_reader() {
    let rows: String = (1..=super::parse::MAX_FIRST_COLUMN_CELLS + 1)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c></row>"#))
        .collect();
    let bytes = workbook_with(sheet(&rows), None);
    let err = import(&bytes, 852).expect_err("too many").to_string();
    assert!(err.contains("more than 200000 filled rows"), "{err}");
}

#[test]
fn an_xls_with_a_cell_in_the_far_corner_imports_column_a_only() {
    let bytes = xls_far_corner();
    let r = import_quickly(&bytes, Duration::from_secs(2)).expect("import");
    assert_eq!(r.numbers, vec!["85291234567"]);
}

#[test]
fn xls_labels_numbers_rk_mulrk_and_formula_strings_are_read_from_column_a() {
    let label = {
        let mut d = cell_head(0, 0);
        d.extend_from_slice(&8u16.to_le_bytes());
        d.push(0);
        d.extend_from_slice(b"91234561");
        record(0x0204, &d)
    };
    let number = {
        let mut d = cell_head(1, 0);
        d.extend_from_slice(&91_234_562.0f64.to_le_bytes());
        record(0x0203, &d)
    };
    let rk = {
        let mut d = cell_head(2, 0);
        d.extend_from_slice(&((91_234_563u32 << 2) | 2).to_le_bytes());
        record(0x027E, &d)
    };
    let mulrk = {
        let mut d = 3u16.to_le_bytes().to_vec();
        d.extend_from_slice(&0u16.to_le_bytes());
        for n in [91_234_564u32, 5] {
            d.extend_from_slice(&0u16.to_le_bytes());
            d.extend_from_slice(&((n << 2) | 2).to_le_bytes());
        }
        d.extend_from_slice(&1u16.to_le_bytes());
        record(0x00BD, &d)
    };
    let formula = {
        let mut d = cell_head(4, 0);
        d.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
        d.extend_from_slice(&[0; 8]);
        record(0x0006, &d)
    };
    let string = {
        let mut d = 8u16.to_le_bytes().to_vec();
        d.push(1); // UTF-16
        d.extend("91234565".encode_utf16().flat_map(u16::to_le_bytes));
        record(0x0207, &d)
    };
    let other_column = {
        let mut d = cell_head(5, 1);
        d.extend_from_slice(&0u32.to_le_bytes());
        record(0x00FD, &d)
    };
    let bytes = xls(
        &["ignored"],
        &[label, number, rk, mulrk, formula, string, other_column],
    );
    let r = import(&bytes, 852).expect("import");
    assert_eq!(
        r.numbers,
        (1..=5)
            .map(|i| format!("8529123456{i}"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_cell_naming_a_shared_string_that_is_not_there_is_reported() {
    let mut d = cell_head(0, 0);
    d.extend_from_slice(&99u32.to_le_bytes());
    let err = import(&xls(&["91234567"], &[record(0x00FD, &d)]), 852)
        .expect_err("missing string")
        .to_string();
    assert!(err.contains("shared string 99"), "{err}");
}

/// Deterministic byte flips over a real file: every result is an error or a list, never a
/// panic, and never slow.
fn mutate_and_import(original: &[u8], rounds: usize) {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..rounds {
        let mut bytes = original.to_vec();
        for _ in 0..8 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let at = (seed >> 33) as usize % bytes.len();
            bytes[at] = (seed >> 17) as u8;
        }
        let _ = import_quickly(&bytes, Duration::from_secs(5));
    }
}

#[test]
fn mutated_workbooks_never_panic() {
    let xls_fixture = include_bytes!("../../tests/fixtures/recipients.xls");
    mutate_and_import(xls_fixture, 300);
    let xlsx_fixture = include_bytes!("../../tests/fixtures/recipients.xlsx");
    mutate_and_import(xlsx_fixture, 300);
}

//! Quick import with generated files: 50,000-row CSV and XLSX lists with invalid rows mixed
//! in, a committed XLS fixture, and every kind of unreadable file.

use super::parse::{import, ImportError};
use super::{ImportResult, MAX_IMPORT_BYTES, MAX_IMPORT_NUMBERS};

/// The n-th valid Hong Kong mobile of the generated lists (9100 0000 upwards).
fn mobile(i: usize) -> String {
    format!("{}", 91_000_000 + i)
}

/// A 50,000-number CSV with a header, mixed formatting, duplicates and invalid rows; returns
/// the file and the rows (1-based) that must be rejected.
pub fn big_csv(numbers: usize) -> (Vec<u8>, Vec<usize>) {
    let mut csv = String::from("Mobile,Name\r\n");
    let mut row = 1;
    let mut bad = Vec::new();
    for i in 0..numbers {
        row += 1;
        let n = mobile(i);
        match i % 4 {
            0 => csv.push_str(&format!("{n},Customer {i}\r\n")),
            1 => csv.push_str(&format!("\"+852 {} {}\",x\r\n", &n[..4], &n[4..])),
            2 => csv.push_str(&format!("{}-{}\r\n", &n[..4], &n[4..])),
            _ => csv.push_str(&format!("852{n}\r\n")),
        }
        if i.is_multiple_of(5_000) {
            row += 1;
            csv.push_str(&format!("{n}\r\n")); // duplicate
            row += 1;
            csv.push_str("not a number\r\n");
            bad.push(row);
            row += 1;
            csv.push_str("2123 4567\r\n"); // landline
            bad.push(row);
            row += 1;
            csv.push_str("\r\n"); // blank: skipped silently
        }
    }
    (csv.into_bytes(), bad)
}

pub fn big_xlsx(numbers: usize) -> (Vec<u8>, Vec<usize>) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Phone number").expect("header");
    let mut row: u32 = 0;
    let mut bad = Vec::new();
    for i in 0..numbers {
        row += 1;
        let n = mobile(i);
        if i.is_multiple_of(2) {
            sheet
                .write_number(row, 0, n.parse::<f64>().expect("digits"))
                .expect("cell");
        } else {
            sheet
                .write_string(row, 0, format!("+852 {} {}", &n[..4], &n[4..]))
                .expect("cell");
        }
        sheet
            .write_string(row, 1, format!("Customer {i}"))
            .expect("name");
        if i.is_multiple_of(5_000) {
            row += 1;
            sheet.write_string(row, 0, "n/a").expect("cell");
            bad.push(row as usize + 1);
            row += 1;
            sheet.write_number(row, 0, 9_123.5).expect("cell");
            bad.push(row as usize + 1);
        }
    }
    (book.save_to_buffer().expect("xlsx"), bad)
}

fn rejected_rows(r: &ImportResult) -> Vec<usize> {
    r.rejected.iter().map(|x| x.row).collect()
}

#[test]
fn a_50000_number_csv_imports_every_number_and_lists_every_rejected_row() {
    let (csv, bad) = big_csv(50_000);
    let r = import(&csv, 852).expect("import");
    assert_eq!(r.numbers.len(), 50_000);
    assert_eq!(r.numbers[0], "85291000000");
    assert_eq!(r.numbers[49_999], "85291049999");
    assert_eq!(r.duplicates, 10);
    assert_eq!(
        rejected_rows(&r),
        bad,
        "header skipped, every bad row listed"
    );
    assert!(r.rejected[0].reason.contains("'n'"), "{:?}", r.rejected[0]);
    assert!(
        r.rejected[1].reason.contains("landline"),
        "{:?}",
        r.rejected[1]
    );
}

#[test]
fn a_50000_number_xlsx_imports_numbers_stored_as_numbers_and_as_text() {
    let (xlsx, bad) = big_xlsx(50_000);
    let r = import(&xlsx, 852).expect("import");
    assert_eq!(r.numbers.len(), 50_000);
    assert_eq!(r.numbers[1], "85291000001");
    assert_eq!(r.duplicates, 0);
    assert_eq!(rejected_rows(&r), bad);
    assert_eq!(r.rejected[1].input, "9123.5");
}

#[test]
fn an_xls_workbook_is_read_from_its_first_column() {
    // app/tests/fixtures/make_recipients_xls.py says how this file was made.
    let xls = include_bytes!("../../tests/fixtures/recipients.xls");
    let r = import(xls, 852).expect("import");
    assert_eq!(r.numbers.len(), 1_000);
    assert_eq!(r.numbers[0], "85291000000");
    assert_eq!(r.numbers[1], "85291000001");
    assert_eq!(r.duplicates, 1);
    let rows: Vec<(usize, &str)> = r
        .rejected
        .iter()
        .map(|x| (x.row, x.input.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![(1003, "21234567"), (1004, "call me"), (1005, "91234")]
    );
}

#[test]
fn the_type_comes_from_the_content_not_the_name() {
    // The import never sees a name; an XLSX is an XLSX whatever it was called.
    let (xlsx, _) = big_xlsx(3);
    assert_eq!(import(&xlsx, 852).expect("xlsx").numbers.len(), 3);
    assert_eq!(
        super::parse::sniff(b"91234567\n").expect("csv"),
        super::parse::FileKind::Csv
    );
}

#[test]
fn a_header_row_is_skipped_only_when_it_names_the_column() {
    for header in ["Phone", "Mobile No.", "電話號碼", "number", "MSISDN"] {
        let r = import(format!("{header}\n91234567\n").as_bytes(), 852).expect("import");
        assert_eq!(r.numbers, vec!["85291234567"], "{header}");
        assert!(r.rejected.is_empty(), "{header}");
    }
    let r = import(b"hello\n91234567\n", 852).expect("import");
    assert_eq!(
        r.rejected.len(),
        1,
        "a first row that is not a header is rejected"
    );
    let r = import(b"91234567\nPhone\n", 852).expect("import");
    assert_eq!(r.rejected[0].row, 2, "only the first row can be a header");
}

#[test]
fn numbers_without_a_country_code_take_the_default_one() {
    let r = import(b"13800138000\n+852 9123 4567\n", 86).expect("import");
    assert_eq!(r.numbers, vec!["8613800138000", "85291234567"]);
    assert!(matches!(
        import(b"91234567\n", 999),
        Err(ImportError::UnknownCountryCode(999))
    ));
}

#[test]
fn semicolon_csv_and_utf8_bom_are_read() {
    let r = import("\u{feff}Mobile;Name\n91234567;Ann\n".as_bytes(), 852).expect("import");
    assert_eq!(r.numbers, vec!["85291234567"]);
}

#[test]
fn unreadable_files_get_a_clear_error_and_never_a_panic() {
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("binary junk", junk.clone(), "not a CSV, XLS or XLSX"),
        (
            "broken zip",
            [b"PK\x03\x04".as_slice(), &junk].concat(),
            "damaged or not a workbook",
        ),
        (
            "broken OLE",
            [
                [0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1].as_slice(),
                &junk,
            ]
            .concat(),
            "damaged or not a workbook",
        ),
        (
            "UTF-16 CSV with BOM",
            [0xFFu8, 0xFE]
                .into_iter()
                .chain(
                    "Mobile\r\n91234567\r\n"
                        .encode_utf16()
                        .flat_map(u16::to_le_bytes),
                )
                .collect(),
            "CSV UTF-8",
        ),
        (
            "UTF-16 CSV without BOM",
            "Mobile\r\n91234567\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
            "CSV UTF-8",
        ),
        (
            // "電話" in Big5, then numbers.
            "Big5 CSV",
            [b"\xB9\x71\xB8\xDC\r\n91234567\r\n".as_slice()].concat(),
            "Big5",
        ),
        ("empty", Vec::new(), "Choose a file"),
        (
            "over 6 MB",
            vec![b'9'; MAX_IMPORT_BYTES + 1],
            "the limit is 6 MB",
        ),
    ];
    for (what, bytes, expected) in cases {
        let err = import(&bytes, 852).expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: {err}");
    }
    // Truncated real workbooks, at many cut points.
    let (xlsx, _) = big_xlsx(200);
    let xls = include_bytes!("../../tests/fixtures/recipients.xls");
    for cut in (1..20).map(|i| i * xlsx.len() / 20) {
        assert!(import(&xlsx[..cut], 852).is_err(), "xlsx cut at {cut}");
    }
    for cut in (1..20).map(|i| i * xls.len() / 20) {
        let _ = import(&xls[..cut], 852); // an error or a partial sheet, never a panic
    }
}

#[test]
fn more_than_50000_numbers_are_refused_with_the_count() {
    let (csv, _) = big_csv(MAX_IMPORT_NUMBERS + 1);
    let err = import(&csv, 852).expect_err("too many").to_string();
    assert!(err.contains("50001 numbers"), "{err}");
    assert!(err.contains("limit is 50000"), "{err}");
    let (xlsx, _) = big_xlsx(MAX_IMPORT_NUMBERS + 5);
    let err = import(&xlsx, 852).expect_err("too many").to_string();
    assert!(err.contains("50005 numbers"), "{err}");
}

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them_with_any_line_ending() {
    for eol in ["\n", "\r\n"] {
        let csv = ["Mobile", "91000000", "", "oops", "\"9100\n0001\"", "bad"].join(eol);
        let r = import(csv.as_bytes(), 852).expect("import");
        assert_eq!(rejected_rows(&r), vec![4, 5, 7], "{eol:?}");
    }
}

/// The small XLSX the HTTP and browser tests upload (app/tests/fixtures/recipients.xlsx).
/// Regenerate with `cargo test -p app --features ssr --lib write_xlsx_fixture -- --ignored`.
pub fn fixture_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Mobile").expect("header");
    sheet.write_number(1, 0, 91_234_567.0).expect("cell");
    sheet.write_string(2, 0, "+852 6123 4567").expect("cell");
    sheet.write_string(3, 0, "hello").expect("cell");
    sheet.write_string(4, 0, "2123 4567").expect("cell");
    sheet.write_string(5, 0, "9123-4567").expect("cell");
    book.save_to_buffer().expect("xlsx")
}

#[test]
#[ignore = "writes the committed fixture"]
fn write_xlsx_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/recipients.xlsx"
    );
    std::fs::write(path, fixture_xlsx()).expect("write fixture");
}

#[test]
fn the_committed_xlsx_fixture_imports_two_numbers_and_two_rejected_rows() {
    let committed = include_bytes!("../../tests/fixtures/recipients.xlsx");
    let r = import(committed, 852).expect("import");
    assert_eq!(r.numbers, vec!["85291234567", "85261234567"]);
    assert_eq!(r.duplicates, 1);
    assert_eq!(rejected_rows(&r), vec![4, 5]);
}

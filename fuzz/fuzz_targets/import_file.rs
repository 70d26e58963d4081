//! A recipient file as the quick import (§6) reads it: the bytes are sniffed (CSV, XLS in an
//! OLE compound file, XLSX in a zip) and the first column read into numbers and refused rows.
//! Every unreadable file must end in an `ImportError`, never a panic, and the limits hold.

#![no_main]

use engine::import::parse::import;
use engine::import::{ImportResult, MAX_IMPORT_NUMBERS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ImportResult { numbers, .. }) = import(data, 852) {
        assert!(numbers.len() <= MAX_IMPORT_NUMBERS);
        for n in &numbers {
            assert!(n.bytes().all(|b| b.is_ascii_digit()), "{n:?}");
        }
    }
});

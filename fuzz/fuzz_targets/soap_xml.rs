//! A `POST /soap` body, read as the SOAP door reads it (`server::soap`): the bounded XML reader
//! (no DTD, bounded depth, elements and text), the SOAP 1.1 envelope and its one operation,
//! the operation's fields, and a `SendBatch` on through the JSON API's checks. Everything
//! before the database. Every fault it answers must itself be XML the reader accepts.

#![no_main]

use libfuzzer_sys::fuzz_target;
use server::fuzzing::{soap_is_accepted_xml, soap_request};

fuzz_target!(|data: &[u8]| {
    if let Err(fault) = soap_request(data) {
        assert!(
            soap_is_accepted_xml(&fault),
            "the fault is not well-formed: {}",
            String::from_utf8_lossy(&fault)
        );
    }
});

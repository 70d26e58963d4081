//! The JSON body of `POST /api/v1/messages` and `POST /api/v1/batches`, read as the server reads
//! it (`server::api::send`): parsed into the request type with the field at fault named, the
//! fields checked, then the text counted and the numbers parsed as the engine's check does.
//! Everything before the database. Both endpoints' limits (20 and 50,000 numbers).

#![no_main]

use libfuzzer_sys::fuzz_target;
use server::fuzzing::api_send_body;

fuzz_target!(|data: &[u8]| {
    let _ = api_send_body(data, 20);
    let _ = api_send_body(data, 50_000);
});

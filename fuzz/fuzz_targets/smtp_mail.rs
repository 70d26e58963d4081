//! A mail sent to the email API (the DATA of an SMTP transaction, dot-unstuffed), read as a
//! send (`server::smtp::mail`): the MIME parser, the Message-ID and `X-Ferry-Key` headers, the
//! plain-text (or HTML-turned-text) body, the signature cut and, for a mail to `bulk@`, the
//! numbers at the top of the body.

#![no_main]

use libfuzzer_sys::fuzz_target;
use server::fuzzing::smtp_mail;

fuzz_target!(|data: &[u8]| {
    let _ = smtp_mail(data, &["85291234567@sms.example.com".to_string()]);
    let _ = smtp_mail(data, &["bulk@sms.example.com".to_string()]);
});

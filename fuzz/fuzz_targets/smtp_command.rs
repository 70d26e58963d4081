//! What an SMTP client sends to the email API, as the server reads it (`server::smtp`): lines
//! cut by the connection's reader, each command through the session's state machine (EHLO,
//! STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, …), and each mail read dot-unstuffed and
//! parsed as a send. Without and with STARTTLS offered.
//!
//! Every reply must be well-formed on the wire: `NNN-text` lines then one `NNN text`, each
//! ended by CRLF, with no CR or LF of the client's inside.

#![no_main]

use libfuzzer_sys::fuzz_target;
use server::fuzzing::smtp_conversation;

fn check(reply: &str) {
    let lines: Vec<&str> = reply.split_inclusive("\r\n").collect();
    assert!(!lines.is_empty(), "an empty reply");
    for (i, line) in lines.iter().enumerate() {
        let body = line
            .strip_suffix("\r\n")
            .expect("a reply line ends in CRLF");
        assert!(!body.contains(['\r', '\n']), "a bare CR or LF in {reply:?}");
        let b = body.as_bytes();
        assert!(
            b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit),
            "{reply:?}"
        );
        let last = i + 1 == lines.len();
        assert_eq!(b[3], if last { b' ' } else { b'-' }, "{reply:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    for tls_offered in [false, true] {
        for reply in smtp_conversation(data, tls_offered, 4096) {
            check(&reply);
        }
    }
});

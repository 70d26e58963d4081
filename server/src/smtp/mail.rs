//! What an email means as a send (README, "Email API"):
//!
//! - **Recipients** are the local parts of the envelope recipients (`RCPT TO`), e.g.
//!   `85291234567@sms.example.com` or `+852-6123-4567@…` (the domain is not read). A mail to
//!   `bulk@…` takes its numbers from the top of the body instead: one per line, up to the first
//!   empty line, up to a batch's 50,000.
//! - **Text** is the body: the plain-text part (an HTML-only mail is turned into text), without
//!   a signature below a `-- ` line, and without the bulk numbers.
//! - **Sender ID** is the Subject (empty: none); the route is HK Business when there is a sender
//!   ID and HK Economic otherwise, unless an `X-Ferry-Route: HK_BUSINESS | HK_ECONOMIC` header
//!   says which.
//! - **Key**: AUTH on the connection, or else an `X-Ferry-Key` header (a mail relayed by the
//!   customer's own mail server arrives without AUTH).
//! - **Identity**: the `Message-ID` (a resent mail with the same one is not sent again); a mail
//!   without one is identified by the SHA-256 of its bytes.

use crate::api::send::{ApiPurpose, HkRoute, SendRequest};
use mail_parser::MessageParser;
use sha2::{Digest, Sha256};

/// The local part a mail goes to for numbers listed in its body.
pub const BULK_LOCAL_PART: &str = "bulk";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Number(String),
    Bulk,
}

/// What an envelope recipient names, or why it names nothing Ferry can send to.
pub fn recipient_local_part(path: &str) -> Result<Recipient, String> {
    let local = path.rsplit_once('@').map_or(path, |(local, _)| local);
    if local.eq_ignore_ascii_case(BULK_LOCAL_PART) {
        return Ok(Recipient::Bulk);
    }
    let digits = local.chars().filter(char::is_ascii_digit).count();
    let only_number_chars = local
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '(' | ')'));
    if only_number_chars && (6..=20).contains(&digits) {
        return Ok(Recipient::Number(local.to_string()));
    }
    Err(format!(
        "not a phone number: address mails to <number>@ (e.g. 85291234567@), or to {BULK_LOCAL_PART}@ with one number per line at the top of the body"
    ))
}

/// A mail turned into a send, with what identifies it.
#[derive(Debug)]
pub struct MailSend {
    pub request: SendRequest,
    /// SHA-256 (hex) of the Message-ID, or of the whole mail when it has none.
    pub identity: String,
    /// For the answer's `In-Reply-To`.
    pub message_id: Option<String>,
    /// The API key from `X-Ferry-Key`, for a mail sent without AUTH.
    pub key: Option<String>,
}

/// The header that carries the API key of a mail sent without AUTH.
pub const KEY_HEADER: &str = "X-Ferry-Key";

/// Why a mail cannot be read as a send.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailRefused {
    #[error("the mail could not be read as an RFC 5322 message")]
    Unreadable,
    #[error("X-Ferry-Route is HK_BUSINESS or HK_ECONOMIC, not {0:?}")]
    Route(String),
    #[error("the mail went to {BULK_LOCAL_PART}@ but its body starts with no numbers (one per line, then an empty line, then the text)")]
    NoBulkNumbers,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads `raw` (the DATA, dot-unstuffed) sent to `recipients`. CPU-bound for large mails:
/// call it off the async threads.
pub fn read(raw: &[u8], recipients: &[String]) -> Result<MailSend, MailRefused> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(MailRefused::Unreadable)?;
    let message_id = message
        .message_id()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty());
    let identity = match &message_id {
        Some(id) => sha256_hex(id.as_bytes()),
        None => sha256_hex(raw),
    };
    let key = message
        .header_raw(KEY_HEADER)
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    let subject = message.subject().unwrap_or("").trim().to_string();
    let body = message
        .body_text(0)
        .map(|b| b.replace("\r\n", "\n"))
        .unwrap_or_default();

    let mut to = Vec::new();
    let mut bulk = false;
    for r in recipients {
        match recipient_local_part(r) {
            Ok(Recipient::Number(n)) => to.push(n),
            Ok(Recipient::Bulk) => bulk = true,
            // Refused at RCPT already.
            Err(_) => {}
        }
    }
    let mut text = body.as_str();
    if bulk {
        let (numbers, rest) = match text.trim_start_matches('\n').split_once("\n\n") {
            Some((numbers, rest)) => (numbers, rest),
            None => return Err(MailRefused::NoBulkNumbers),
        };
        let before = to.len();
        to.extend(
            numbers
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
        if to.len() == before {
            return Err(MailRefused::NoBulkNumbers);
        }
        text = rest;
    }
    // A signature is not part of the SMS (RFC 3676's `-- ` delimiter).
    if let Some(at) = text.find("\n-- \n") {
        text = &text[..at];
    } else if text.starts_with("-- \n") {
        text = "";
    }
    let text = text.trim_matches(['\n', ' ', '\t']).to_string();

    let sender_id = (!subject.is_empty()).then_some(subject);
    let route = match message
        .header_raw("X-Ferry-Route")
        .map(|r| r.trim().to_ascii_uppercase())
    {
        Some(r) if r == "HK_BUSINESS" => HkRoute::HkBusiness,
        Some(r) if r == "HK_ECONOMIC" => HkRoute::HkEconomic,
        Some(other) => return Err(MailRefused::Route(other.chars().take(40).collect())),
        None if sender_id.is_some() => HkRoute::HkBusiness,
        None => HkRoute::HkEconomic,
    };
    Ok(MailSend {
        request: SendRequest {
            to,
            text,
            route,
            sender_id,
            purpose: ApiPurpose::Notification,
            schedule_at: None,
            validity_minutes: None,
            filter_dnc: false,
            default_country_code: None,
            callback_url: None,
        },
        identity,
        message_id,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_numbers_or_bulk() {
        assert_eq!(
            recipient_local_part("85291234567@sms.example"),
            Ok(Recipient::Number("85291234567".into()))
        );
        assert_eq!(
            recipient_local_part("+852-6123-4567@x"),
            Ok(Recipient::Number("+852-6123-4567".into()))
        );
        assert_eq!(recipient_local_part("BULK@x"), Ok(Recipient::Bulk));
        assert!(recipient_local_part("alice@example.com").is_err());
        assert!(recipient_local_part("123@x").is_err(), "too short");
        assert!(recipient_local_part("9123 4567@x").is_err());
    }

    #[test]
    fn a_plain_mail_becomes_a_send() {
        let raw = b"From: ops@example.com\r\nTo: 85291234567@sms.example\r\nSubject: ACMEBANK\r\nMessage-ID: <abc@example.com>\r\n\r\nYour code is 123456.\r\n\r\n-- \r\nACME Ops, 3/F\r\n";
        let mail = read(raw, &["85291234567@sms.example".into()]).expect("read");
        assert_eq!(mail.request.to, vec!["85291234567".to_string()]);
        assert_eq!(mail.request.text, "Your code is 123456.");
        assert_eq!(mail.request.sender_id.as_deref(), Some("ACMEBANK"));
        assert!(matches!(mail.request.route, HkRoute::HkBusiness));
        assert_eq!(mail.identity, sha256_hex(b"abc@example.com"));
        assert_eq!(mail.key, None);
        let raw = b"X-Ferry-Key:\r\n ferry_abc \r\nSubject: \r\n\r\nHi\r\n";
        let mail = read(raw, &["85291234567@x".into()]).expect("read");
        assert_eq!(mail.key.as_deref(), Some("ferry_abc"), "folded, trimmed");
    }

    #[test]
    fn bulk_numbers_come_from_the_top_of_the_body() {
        let raw = b"Subject: \r\nX-Ferry-Route: hk_economic\r\n\r\n91234567\r\n+852 6123 4567\r\n\r\nHello\r\nthere\r\n";
        let mail = read(raw, &["bulk@x".into()]).expect("read");
        assert_eq!(mail.request.to, vec!["91234567", "+852 6123 4567"]);
        assert_eq!(mail.request.text, "Hello\nthere");
        assert!(mail.request.sender_id.is_none());
        assert!(matches!(mail.request.route, HkRoute::HkEconomic));
        assert_eq!(mail.identity, sha256_hex(raw), "no Message-ID: the bytes");
        assert_eq!(
            read(b"Subject: x\r\n\r\nJust text\r\n", &["bulk@x".into()]).err(),
            Some(MailRefused::NoBulkNumbers)
        );
    }

    #[test]
    fn html_only_mail_is_read_as_text_and_a_bad_route_is_named() {
        let raw = b"Subject: \r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Your <b>parcel</b> is ready</p></body></html>\r\n";
        let mail = read(raw, &["85291234567@x".into()]).expect("read");
        assert!(!mail.request.text.contains('<'), "{}", mail.request.text);
        assert!(
            mail.request.text.contains("parcel"),
            "{}",
            mail.request.text
        );
        let raw = b"X-Ferry-Route: FAST\r\n\r\nHi\r\n";
        assert_eq!(
            read(raw, &["85291234567@x".into()]).err(),
            Some(MailRefused::Route("FAST".into()))
        );
    }
}

//! Two-way SMS (PRODUCT.md §10): replies (MO messages) from handsets to the inbound numbers
//! staff assign to accounts.
//!
//! A reply is stored before its `deliver_sm` is acknowledged, so the SMSC sends again whatever
//! Ferry did not store. The parts of a concatenated reply (UDH or `sar_*` TLVs, in any order)
//! wait in `reply_parts` until the last one arrives, or until `part_timeout` has passed, when
//! what arrived is kept with the gaps marked. A whole reply is routed by the number it was sent
//! to (and its first word, when staff assigned the number with a keyword), linked to the last
//! message that account sent to the sender, put on the account's opt-out list when it says
//! STOP (or an equivalent), and queued for the account's 2-way callback in the same
//! transaction. A reply to a number nobody holds is kept for staff as unrouted.
//!
//! An SMSC that did not get Ferry's acknowledgement delivers the same reply again. SMPP gives
//! a reply no identity of its own, so a reply with the same sender, number and bytes within
//! `duplicate_window` is counted (`copies`) on the first one instead of stored, called back and
//! opted out twice.

#[cfg(feature = "storage")]
pub mod store;
#[cfg(all(test, feature = "storage"))]
mod store_tests;

use serde::{Deserialize, Serialize};

/// Longest keyword staff may assign with a number.
pub const MAX_KEYWORD_CHARS: usize = 20;
/// Marks where parts of a reply never arrived.
pub const MISSING_PART: &str = "[…]";

/// How replies are handled; `[two_way]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoWaySettings {
    /// Replies that opt the sender out, compared whole (case and surrounding punctuation
    /// ignored).
    pub stop_words: Vec<String>,
    /// How long the parts of a concatenated reply wait for the rest.
    pub part_timeout_ms: i64,
    /// The same reply again within this is a redelivery, counted on the first.
    pub duplicate_window_ms: i64,
}

impl Default for TwoWaySettings {
    fn default() -> TwoWaySettings {
        TwoWaySettings {
            stop_words: vec!["STOP".into(), "T".into(), "退訂".into()],
            part_timeout_ms: 5 * 60_000,
            duplicate_window_ms: 10 * 60_000,
        }
    }
}

/// Trims spaces and the punctuation people type around a word ("Stop.", "退訂！").
fn bare(text: &str) -> &str {
    text.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '.' | '!' | '?' | ',' | '。' | '！' | '？' | '，' | '"' | '\''
            )
    })
}

/// Whether a reply asks to stop: the whole reply is one of `stop_words`.
pub fn is_stop(text: &str, stop_words: &[String]) -> bool {
    let said = bare(text).to_uppercase();
    !said.is_empty() && stop_words.iter().any(|w| bare(w).to_uppercase() == said)
}

/// The keyword a reply starts with (its first word, upper case) for routing by number +
/// keyword.
pub fn keyword_of(text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("");
    bare(first)
        .chars()
        .take(MAX_KEYWORD_CHARS)
        .collect::<String>()
        .to_uppercase()
}

/// An inbound number as staff type it and operators send it: its digits (`+852 6000 1234` and
/// `85260001234` are one number). Short codes are digits too.
pub fn inbound_number(input: &str) -> Result<String, String> {
    let digits: String = input
        .trim()
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the inbound number in digits, e.g. 85260001234 or a short code.".into());
    }
    if !(3..=15).contains(&digits.len()) {
        return Err("An inbound number has 3 to 15 digits.".into());
    }
    Ok(digits)
}

/// A keyword as staff type it: one word, stored upper case ('' for the whole number).
pub fn assigned_keyword(input: &str) -> Result<String, String> {
    let keyword = input.trim();
    if keyword.is_empty() {
        return Ok(String::new());
    }
    if keyword.split_whitespace().count() > 1 {
        return Err("A keyword is one word: replies are matched by their first word.".into());
    }
    if keyword.chars().count() > MAX_KEYWORD_CHARS {
        return Err(format!(
            "Use at most {MAX_KEYWORD_CHARS} characters for the keyword."
        ));
    }
    Ok(keyword_of(keyword))
}

/// The sender of a reply as Ferry stores numbers (E.164 digits), so it matches the messages
/// sent to it; left as its digits when it does not parse (an alphanumeric or short sender).
pub fn sender_number(addr: &str) -> String {
    match sms::Msisdn::parse(addr, sms::msisdn::HONG_KONG_CODE) {
        Ok(n) => n.as_str().to_string(),
        Err(_) => addr.trim().trim_start_matches('+').to_string(),
    }
}

/// One reply as the inbox, the API and callbacks show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub id: i64,
    /// The handset's number.
    pub sender: String,
    /// The inbound number it was sent to.
    pub recipient: String,
    pub text: String,
    pub parts: i64,
    /// Parts that never arrived (marked [`MISSING_PART`] in `text`).
    pub missing_parts: i64,
    /// Times the SMSC delivered it (more than 1: delivered again, kept once).
    pub copies: i64,
    /// The last message this account sent to the sender before the reply, if any.
    pub in_reply_to: Option<i64>,
    /// The reply put the sender on the account's opt-out list.
    pub opted_out: bool,
    pub received_at: i64,
    pub read: bool,
}

/// One line of a conversation with a number: a message the account sent, or a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConversationLine {
    Sent {
        message_id: i64,
        text: String,
        status: sms::DeliveryStatus,
        at: i64,
    },
    Received(Reply),
}

/// An inbound number's assignment (current or past).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundNumber {
    pub id: i64,
    pub number: String,
    /// '' when every reply to the number goes to the account.
    pub keyword: String,
    pub account_id: i64,
    pub account_login: String,
    pub assigned_by: String,
    pub assigned_at: i64,
    pub released_by: Option<String>,
    pub released_at: Option<i64>,
}

/// A reply to a number nobody holds, as staff see it (content masked, §13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnroutedReply {
    pub id: i64,
    pub sender: String,
    pub recipient: String,
    pub masked_text: String,
    pub smsc: String,
    pub received_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_match_the_whole_reply_in_any_case_and_punctuation() {
        let words = TwoWaySettings::default().stop_words;
        for yes in ["STOP", "stop", " Stop. ", "t", "退訂", "退訂！"] {
            assert!(is_stop(yes, &words), "{yes}");
        }
        for no in ["STOP IT NOW", "Please stop sending", "TT", "", "退"] {
            assert!(!is_stop(no, &words), "{no}");
        }
    }

    #[test]
    fn keywords_and_numbers_are_read_as_staff_and_operators_write_them() {
        assert_eq!(keyword_of("join, please"), "JOIN");
        assert_eq!(keyword_of("  優惠 code"), "優惠");
        assert_eq!(keyword_of(""), "");
        assert_eq!(inbound_number("+852 6000-1234"), Ok("85260001234".into()));
        assert_eq!(inbound_number("5001"), Ok("5001".into()));
        assert!(inbound_number("ACME").is_err());
        assert!(inbound_number("12").is_err());
        assert_eq!(assigned_keyword(" win "), Ok("WIN".into()));
        assert_eq!(assigned_keyword(""), Ok(String::new()));
        assert!(assigned_keyword("two words").is_err());
        assert_eq!(sender_number("91234567"), "85291234567");
        assert_eq!(sender_number("+85291234567"), "85291234567");
        assert_eq!(sender_number("INFO"), "INFO");
    }
}

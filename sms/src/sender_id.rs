//! Sender IDs: what the recipient's phone shows as the sender (spec §2).
//!
//! Three forms, each sent differently by the dispatcher (SMPP source address type):
//! - **Alphanumeric**: 1–11 characters of `A–Z a–z 0–9` (the SMS originator field holds at
//!   most 11 characters). Replies are impossible.
//! - **Numeric**: a mobile number with its country code, digits only (`85299887766`), sent as an
//!   international number so that recipients can reply to it.
//! - **Registered** (Hong Kong SMS Sender Registration Scheme): `#` followed by 1–10 characters
//!   of `A–Z a–z 0–9`. The `#` is part of what the phone shows and takes one of the 11
//!   characters, hence 10 after it. Parsing only recognizes the form; whether the account may
//!   use it is a staff decision (the "registered" mark) kept outside this crate.
//!
//! An all-digit ID is Numeric when it has the shape of a mobile number with country code (a
//! known code followed by a national number of a possible mobile length; the range need not be
//! allocated yet), otherwise an alphanumeric ID that happens to be digits (allowed up to 11
//! characters by the alphanumeric rule, e.g. `12345`).

use crate::msisdn::is_possible_mobile;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most characters an alphanumeric originator may have.
pub const MAX_ALPHANUMERIC_CHARS: usize = 11;
/// The most digits a numeric sender ID may have (E.164).
pub const MAX_NUMERIC_DIGITS: usize = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SenderIdKind {
    Alphanumeric,
    Numeric,
    Registered,
}

/// A sender ID in one of the accepted forms; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SenderId {
    value: String,
    kind: SenderIdKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SenderIdError {
    #[error("the sender ID is empty")]
    Empty,
    #[error("the sender ID may have at most 11 letters and digits (it has {0})")]
    TooLong(usize),
    #[error("a registered sender ID needs 1 to 10 letters or digits after the #")]
    RegisteredLength,
    #[error("write a number sender ID as digits with its country code, without + or - (e.g. 85299887766)")]
    NumberPunctuation,
    #[error("{0:?} is not allowed in a sender ID; use only A-Z, a-z and 0-9")]
    InvalidCharacter(char),
    #[error("a number sender ID must be a valid mobile number with its country code (at most 15 digits)")]
    InvalidNumber,
}

impl SenderId {
    /// Parses a sender ID as staff type it (surrounding spaces ignored).
    pub fn parse(input: &str) -> Result<SenderId, SenderIdError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(SenderIdError::Empty);
        }
        if let Some(rest) = s.strip_prefix('#') {
            check_alphanumeric(rest)?;
            let n = rest.chars().count();
            if n == 0 || n > MAX_ALPHANUMERIC_CHARS - 1 {
                return Err(SenderIdError::RegisteredLength);
            }
            return Ok(SenderId {
                value: s.to_string(),
                kind: SenderIdKind::Registered,
            });
        }
        // "+852 9988 7766" or "852-9988-7766": a number written with punctuation.
        let looks_like_number = s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| !c.is_ascii_digit());
        if looks_like_number {
            return Err(SenderIdError::NumberPunctuation);
        }
        check_alphanumeric(s)?;
        let n = s.len(); // ASCII only past this point
        if s.bytes().all(|b| b.is_ascii_digit()) {
            if n > MAX_NUMERIC_DIGITS {
                return Err(SenderIdError::InvalidNumber);
            }
            if is_possible_mobile(s) {
                return Ok(SenderId {
                    value: s.to_string(),
                    kind: SenderIdKind::Numeric,
                });
            }
            if n > MAX_ALPHANUMERIC_CHARS {
                return Err(SenderIdError::InvalidNumber);
            }
        } else if n > MAX_ALPHANUMERIC_CHARS {
            return Err(SenderIdError::TooLong(n));
        }
        Ok(SenderId {
            value: s.to_string(),
            kind: SenderIdKind::Alphanumeric,
        })
    }

    /// The ID as the phone shows it (with `#` for registered IDs).
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn kind(&self) -> SenderIdKind {
        self.kind
    }

    /// Whether this is a `#` Registered SMS Sender ID (allowed only when staff mark it).
    pub fn is_registered(&self) -> bool {
        self.kind == SenderIdKind::Registered
    }

    /// Whether recipients can reply to it.
    pub fn accepts_replies(&self) -> bool {
        self.kind == SenderIdKind::Numeric
    }
}

fn check_alphanumeric(s: &str) -> Result<(), SenderIdError> {
    match s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        Some(c) => Err(SenderIdError::InvalidCharacter(c)),
        None => Ok(()),
    }
}

impl fmt::Display for SenderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl TryFrom<String> for SenderId {
    type Error = SenderIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SenderId::parse(&s)
    }
}

impl From<SenderId> for String {
    fn from(s: SenderId) -> String {
        s.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Result<SenderIdKind, SenderIdError> {
        SenderId::parse(s).map(|id| id.kind())
    }

    #[test]
    fn alphanumeric_ids_of_1_to_11_characters_are_accepted() {
        assert_eq!(kind("A"), Ok(SenderIdKind::Alphanumeric));
        assert_eq!(kind("Ferry"), Ok(SenderIdKind::Alphanumeric));
        assert_eq!(kind("ABCDEFGHIJK"), Ok(SenderIdKind::Alphanumeric));
        assert_eq!(kind("Shop2024"), Ok(SenderIdKind::Alphanumeric));
        assert_eq!(
            SenderId::parse("  Ferry ").map(String::from),
            Ok("Ferry".into())
        );
    }

    #[test]
    fn alphanumeric_ids_longer_than_11_are_refused() {
        assert_eq!(kind("ABCDEFGHIJKL"), Err(SenderIdError::TooLong(12)));
        assert_eq!(
            SenderId::parse("ABCDEFGHIJKL").unwrap_err().to_string(),
            "the sender ID may have at most 11 letters and digits (it has 12)"
        );
    }

    #[test]
    fn other_characters_are_refused_by_name() {
        assert_eq!(kind("Ferry Ltd"), Err(SenderIdError::InvalidCharacter(' ')));
        assert_eq!(kind("Ferry_HK"), Err(SenderIdError::InvalidCharacter('_')));
        assert_eq!(kind("渡輪"), Err(SenderIdError::InvalidCharacter('渡')));
        assert_eq!(kind("Café"), Err(SenderIdError::InvalidCharacter('é')));
        assert_eq!(kind(""), Err(SenderIdError::Empty));
        assert_eq!(kind("   "), Err(SenderIdError::Empty));
    }

    #[test]
    fn mobile_numbers_with_country_code_are_numeric() {
        let id = SenderId::parse("85299887766").expect("valid");
        assert_eq!(id.kind(), SenderIdKind::Numeric);
        assert!(id.accepts_replies());
        assert_eq!(kind("8613800138000"), Ok(SenderIdKind::Numeric));
    }

    #[test]
    fn numbers_with_plus_or_dash_are_refused_with_the_right_form() {
        assert_eq!(kind("+85299887766"), Err(SenderIdError::NumberPunctuation));
        assert_eq!(kind("852-9988-7766"), Err(SenderIdError::NumberPunctuation));
        assert_eq!(kind("852 9988 7766"), Err(SenderIdError::NumberPunctuation));
    }

    #[test]
    fn long_digit_strings_must_be_valid_mobile_numbers() {
        assert_eq!(kind("123456789012"), Err(SenderIdError::InvalidNumber));
        assert_eq!(kind("1234567890123456"), Err(SenderIdError::InvalidNumber));
        // 11 digits or fewer that are not a mobile number: an all-digit alphanumeric ID.
        assert_eq!(kind("12345"), Ok(SenderIdKind::Alphanumeric));
        assert_eq!(kind("8521234"), Ok(SenderIdKind::Alphanumeric));
    }

    #[test]
    fn registered_ids_start_with_hash_and_have_up_to_10_more() {
        let id = SenderId::parse("#HKBank").expect("valid");
        assert!(id.is_registered());
        assert_eq!(id.as_str(), "#HKBank");
        assert_eq!(kind("#ABCDEFGHIJ"), Ok(SenderIdKind::Registered));
        assert_eq!(kind("#ABCDEFGHIJK"), Err(SenderIdError::RegisteredLength));
        assert_eq!(kind("#"), Err(SenderIdError::RegisteredLength));
        assert_eq!(kind("#HK Bank"), Err(SenderIdError::InvalidCharacter(' ')));
        assert_eq!(kind("##Bank"), Err(SenderIdError::InvalidCharacter('#')));
    }

    #[test]
    fn sender_ids_round_trip_through_json() {
        let id = SenderId::parse("#HKBank").expect("valid");
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(json, "\"#HKBank\"");
        assert_eq!(serde_json::from_str::<SenderId>(&json).ok(), Some(id));
        assert!(serde_json::from_str::<SenderId>("\"bad id\"").is_err());
    }
}

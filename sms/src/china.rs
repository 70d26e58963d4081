//! Composing a message for the mainland China route (spec §5).
//!
//! Mainland operators require every SMS to name its sender in the text, so the gateway prepends
//! a signature prefix `[Company]`, and appends the unsubscribe text `/退訂回T` when the last part
//! still has room for it (it is free to the customer, so it must never add a part).
//! Both count against the China table like the customer's own text.

use crate::segment::{segment, SegmentTable, Segmentation};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Appended when it fits without adding a part: "reply T to unsubscribe".
pub const UNSUBSCRIBE_SUFFIX: &str = "/退訂回T";

/// Fewest characters a signature may have.
pub const SIGNATURE_MIN_CHARS: usize = 3;
/// Most characters a signature may have.
pub const SIGNATURE_MAX_CHARS: usize = 6;

/// A company signature approved for the China route: 3–6 characters, each a Chinese character
/// (CJK unified or compatibility ideograph) or an English letter `A–Z a–z`.
///
/// Digits, spaces and punctuation are refused: the spec allows "Chinese/English characters"
/// only, and operators reject signatures that look like numbers or URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChinaSignature(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChinaSignatureError {
    #[error("the signature needs at least {SIGNATURE_MIN_CHARS} characters (it has {0})")]
    TooShort(usize),
    #[error("the signature may have at most {SIGNATURE_MAX_CHARS} characters (it has {0})")]
    TooLong(usize),
    #[error("the signature may contain only Chinese characters and English letters, not {0:?}")]
    NotAllowed(char),
}

impl ChinaSignature {
    /// Accepts the signature with or without its brackets (`公司` and `[公司]` / `【公司】` alike),
    /// surrounding spaces ignored.
    pub fn parse(input: &str) -> Result<ChinaSignature, ChinaSignatureError> {
        let s = input.trim();
        let s = strip_brackets(s, '[', ']')
            .or_else(|| strip_brackets(s, '【', '】'))
            .unwrap_or(s);
        if let Some(bad) = s.chars().find(|&c| !is_signature_char(c)) {
            return Err(ChinaSignatureError::NotAllowed(bad));
        }
        let n = s.chars().count();
        if n < SIGNATURE_MIN_CHARS {
            return Err(ChinaSignatureError::TooShort(n));
        }
        if n > SIGNATURE_MAX_CHARS {
            return Err(ChinaSignatureError::TooLong(n));
        }
        Ok(ChinaSignature(s.to_string()))
    }

    /// The signature without brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The prefix put before the text: `[Company]`.
    pub fn prefix(&self) -> String {
        format!("[{}]", self.0)
    }
}

fn strip_brackets(s: &str, open: char, close: char) -> Option<&str> {
    s.strip_prefix(open)?.strip_suffix(close).map(str::trim)
}

fn is_signature_char(c: char) -> bool {
    c.is_ascii_alphabetic() || is_chinese(c)
}

/// CJK ideographs: the unified blocks (with extensions A–G) and the compatibility block.
fn is_chinese(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{30000}'..='\u{3134F}')
}

impl fmt::Display for ChinaSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ChinaSignature {
    type Error = ChinaSignatureError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ChinaSignature::parse(&s)
    }
}

impl From<ChinaSignature> for String {
    fn from(s: ChinaSignature) -> String {
        s.0
    }
}

/// The text as the China gateway sends it, and how it segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChinaMessage {
    /// `[Signature]` + the customer's text (+ `/退訂回T` when it fit). Line breaks as typed;
    /// [`crate::segment::split`] turns them into CR LF when submitting.
    pub text: String,
    /// Segmentation of `text` on the China table: this is what is charged.
    pub segmentation: Segmentation,
    /// Whether the unsubscribe suffix was appended.
    pub unsubscribe_appended: bool,
}

/// Builds the final China text from the customer's `body` and the `signature` that applies (the
/// account's approved one, else the installation's default).
///
/// The suffix is appended only when the result needs no more parts than the text without it.
/// Note that `/退訂回T` is Chinese, so it turns a GSM-7 text into UCS-2; the comparison is made on
/// the real segmentation of both versions, so that switch is accounted for.
pub fn compose(body: &str, signature: &ChinaSignature) -> ChinaMessage {
    let mut text = signature.prefix();
    text.push_str(body);
    let without = segment(&text, SegmentTable::China);
    let with_text = format!("{text}{UNSUBSCRIBE_SUFFIX}");
    let with = segment(&with_text, SegmentTable::China);
    match (without.parts, with.parts) {
        (Some(a), Some(b)) if b <= a => ChinaMessage {
            text: with_text,
            segmentation: with,
            unsubscribe_appended: true,
        },
        _ => ChinaMessage {
            text,
            segmentation: without,
            unsubscribe_appended: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::Encoding;

    fn sig(s: &str) -> ChinaSignature {
        ChinaSignature::parse(s).expect("valid signature")
    }

    #[test]
    fn signatures_of_three_to_six_chinese_or_english_characters_are_accepted() {
        assert_eq!(sig("慧昇資訊").as_str(), "慧昇資訊");
        assert_eq!(sig("ABC").as_str(), "ABC");
        assert_eq!(sig("HK公司").as_str(), "HK公司");
        assert_eq!(sig("ABCDEF").as_str(), "ABCDEF");
    }

    #[test]
    fn brackets_and_spaces_around_a_signature_are_ignored() {
        assert_eq!(sig("[公司名]").as_str(), "公司名");
        assert_eq!(sig(" 【公司名】 ").as_str(), "公司名");
        assert_eq!(sig("公司名").prefix(), "[公司名]");
    }

    #[test]
    fn signatures_outside_three_to_six_characters_are_refused() {
        assert_eq!(
            ChinaSignature::parse("AB"),
            Err(ChinaSignatureError::TooShort(2))
        );
        assert_eq!(
            ChinaSignature::parse(""),
            Err(ChinaSignatureError::TooShort(0))
        );
        assert_eq!(
            ChinaSignature::parse("[]"),
            Err(ChinaSignatureError::TooShort(0))
        );
        assert_eq!(
            ChinaSignature::parse("ABCDEFG"),
            Err(ChinaSignatureError::TooLong(7))
        );
        assert_eq!(
            ChinaSignature::parse("一二三四五六七"),
            Err(ChinaSignatureError::TooLong(7))
        );
    }

    #[test]
    fn digits_spaces_and_punctuation_are_refused_in_signatures() {
        assert_eq!(
            ChinaSignature::parse("AB1"),
            Err(ChinaSignatureError::NotAllowed('1'))
        );
        assert_eq!(
            ChinaSignature::parse("A B C"),
            Err(ChinaSignatureError::NotAllowed(' '))
        );
        assert_eq!(
            ChinaSignature::parse("公司!"),
            Err(ChinaSignatureError::NotAllowed('!'))
        );
        assert_eq!(
            ChinaSignature::parse("AB1").unwrap_err().to_string(),
            "the signature may contain only Chinese characters and English letters, not '1'"
        );
    }

    #[test]
    fn signature_deserialization_validates() {
        assert!(serde_json::from_str::<ChinaSignature>("\"公司名\"").is_ok());
        assert!(serde_json::from_str::<ChinaSignature>("\"X\"").is_err());
    }

    #[test]
    fn the_suffix_is_appended_when_the_last_part_has_room() {
        let m = compose("您好", &sig("公司名"));
        assert_eq!(m.text, "[公司名]您好/退訂回T");
        assert!(m.unsubscribe_appended);
        assert_eq!(m.segmentation.units, 5 + 2 + 5);
        assert_eq!(m.segmentation.parts, Some(1));
    }

    #[test]
    fn the_suffix_is_left_off_when_it_would_add_a_part() {
        // [公司名] is 5 units; 5 + 53 = 58 units; the suffix (5) would make 63 > 62.
        let body = "中".repeat(53);
        let m = compose(&body, &sig("公司名"));
        assert!(!m.unsubscribe_appended);
        assert_eq!(m.text, format!("[公司名]{body}"));
        assert_eq!(m.segmentation.parts, Some(1));
        // One unit less and it fits exactly at 62.
        let body = "中".repeat(52);
        let m = compose(&body, &sig("公司名"));
        assert!(m.unsubscribe_appended);
        assert_eq!(m.segmentation.units, 62);
        assert_eq!(m.segmentation.parts, Some(1));
    }

    #[test]
    fn the_suffix_fills_a_later_part_without_adding_one() {
        // 5 + 100 = 105 units in 2 parts (≤ 120); +5 = 110 still 2 parts.
        let m = compose(&"中".repeat(100), &sig("公司名"));
        assert!(m.unsubscribe_appended);
        assert_eq!(m.segmentation.parts, Some(2));
    }

    #[test]
    fn the_suffix_turns_an_english_text_into_ucs2_only_when_parts_stay_the_same() {
        let m = compose("Hello", &sig("Ferry"));
        assert!(m.unsubscribe_appended);
        assert_eq!(m.segmentation.encoding, Encoding::Ucs2);
        // In UCS-2 the ASCII brackets count 1 each: [Ferry] 7 + Hello 5 + suffix 5.
        assert_eq!(m.segmentation.units, 17);
    }

    #[test]
    fn the_signature_counts_against_the_china_limit() {
        // 459 - 5 = 454 body units fit; 455 do not (and the suffix is never added then).
        let m = compose(&"中".repeat(454), &sig("公司名"));
        assert_eq!(m.segmentation.parts, Some(8));
        assert!(!m.unsubscribe_appended);
        let m = compose(&"中".repeat(455), &sig("公司名"));
        assert_eq!(m.segmentation.parts, None);
        assert!(m.segmentation.too_long.is_some());
        assert!(!m.unsubscribe_appended);
    }

    #[test]
    fn gsm_signature_brackets_are_extension_characters() {
        // "[ABC]" in GSM-7 is 2 + 3 + 2 = 7 units. Only GSM when the suffix is left off: fill to
        // the brim so the suffix does not fit.
        let body = "a".repeat(55); // 7 + 55 = 62
        let m = compose(&body, &sig("ABC"));
        assert!(!m.unsubscribe_appended);
        assert_eq!(m.segmentation.encoding, Encoding::Gsm7);
        assert_eq!(m.segmentation.units, 62);
        assert_eq!(m.segmentation.parts, Some(1));
    }
}

//! Which alphabet a text travels in, and how many units it costs (spec §4).
//!
//! An SMS is either **GSM-7** (the GSM 03.38 alphabet, 7 bits per character) or **UCS-2**
//! (16 bits per UTF-16 code unit). A text is GSM-7 only when *every* character is in the basic set
//! or the extension table; one curly quote pasted from a word processor turns the whole message
//! into UCS-2 and cuts its single-part capacity from 160 to 70. That is why [`non_gsm_chars`]
//! exists: the composer can point at the culprits and offer [`replace_lookalikes`].
//!
//! Units:
//! - GSM-7: a basic-set character is 1 septet; an extension-table character (`^ { } \ [ ~ ] | €`
//!   and form feed) is sent as ESC + character, so it is 2 (other gateways count it as 1 and
//!   under-charge or overflow: spec §14).
//! - UCS-2: each UTF-16 code unit is 1, so a character outside the Basic Multilingual Plane
//!   (most emoji) is a surrogate pair and counts 2.
//! - A line break counts 2 in both, whether typed as LF, CR or CRLF, because it is sent as CR LF
//!   (browsers submit CRLF, files and APIs often LF; the count must not depend on which).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The alphabet a message is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    /// GSM 03.38 default alphabet with its extension table.
    #[serde(rename = "GSM7")]
    Gsm7,
    /// UTF-16 code units (what operators call UCS-2; surrogate pairs pass through as two units).
    #[serde(rename = "UCS2")]
    Ucs2,
}

impl Encoding {
    /// The name used in APIs and the `ferry preview` contract.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM7",
            Encoding::Ucs2 => "UCS2",
        }
    }

    /// Picks GSM-7 when every character of `text` is in the GSM 03.38 alphabet, else UCS-2.
    pub fn detect(text: &str) -> Encoding {
        if text.chars().all(is_gsm) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is sent for every line break, however it was typed.
pub const LINE_BREAK: &str = "\r\n";

/// Units a line break costs in either encoding (CR + LF).
pub const LINE_BREAK_UNITS: usize = 2;

/// The extension table (each sent as ESC + one septet, so each counts 2).
pub const GSM_EXTENSION: [char; 10] = ['\u{0C}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

/// ASCII membership in the basic set, as a bitmap so the common case is one shift and mask
/// (no table search, no regex: this runs on every keystroke in the browser).
///
/// ASCII characters *not* in the basic set: control characters other than LF and CR, the
/// backtick, DEL, and the extension characters (counted separately).
const ASCII_BASIC: u128 = {
    let mut bits: u128 = 0;
    let mut c = 0x20u8;
    while c < 0x7F {
        bits |= 1u128 << c;
        c += 1;
    }
    bits |= 1u128 << b'\n';
    bits |= 1u128 << b'\r';
    // Extension-table characters are GSM but not basic.
    let ext = [b'^', b'{', b'}', b'\\', b'[', b'~', b']', b'|'];
    let mut i = 0;
    while i < ext.len() {
        bits &= !(1u128 << ext[i]);
        i += 1;
    }
    bits &= !(1u128 << b'`');
    bits
};

/// True when `c` is in the GSM 03.38 basic character set (counts 1).
///
/// ESC (0x1B) is deliberately excluded: it is the escape code itself, not a character a
/// customer can send, so a text containing it goes as UCS-2.
pub fn is_gsm_basic(c: char) -> bool {
    let code = c as u32;
    if code < 0x80 {
        return ASCII_BASIC & (1u128 << code) != 0;
    }
    matches!(
        c,
        '£' | '¥'
            | 'è'
            | 'é'
            | 'ù'
            | 'ì'
            | 'ò'
            | 'Ç'
            | 'Ø'
            | 'ø'
            | 'Å'
            | 'å'
            | 'Δ'
            | 'Φ'
            | 'Γ'
            | 'Λ'
            | 'Ω'
            | 'Π'
            | 'Ψ'
            | 'Σ'
            | 'Θ'
            | 'Ξ'
            | 'Æ'
            | 'æ'
            | 'ß'
            | 'É'
            | '¤'
            | '¡'
            | 'Ä'
            | 'Ö'
            | 'Ñ'
            | 'Ü'
            | '§'
            | '¿'
            | 'ä'
            | 'ö'
            | 'ñ'
            | 'ü'
            | 'à'
    )
}

/// True when `c` is in the GSM 03.38 extension table (counts 2).
pub fn is_gsm_extension(c: char) -> bool {
    matches!(
        c,
        '\u{0C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€'
    )
}

/// True when `c` can be sent in GSM-7 (basic set or extension table).
pub fn is_gsm(c: char) -> bool {
    is_gsm_basic(c) || is_gsm_extension(c)
}

/// Units `c` costs in `encoding`, line breaks aside (they are handled by [`units`]).
pub fn char_units(c: char, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Gsm7 if is_gsm_extension(c) => 2,
        Encoding::Gsm7 => 1,
        Encoding::Ucs2 => c.len_utf16(),
    }
}

/// One indivisible piece of a message: a character, or a line break (sent as CR LF).
///
/// A part boundary never falls inside a piece: not inside an escape pair, not inside a
/// surrogate pair, and not between the CR and LF of a line break (a handset would otherwise
/// show a stray CR at the end of one part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Char(char),
    LineBreak,
}

impl Piece {
    /// Units this piece costs in `encoding`.
    pub fn units(self, encoding: Encoding) -> usize {
        match self {
            Piece::Char(c) => char_units(c, encoding),
            Piece::LineBreak => LINE_BREAK_UNITS,
        }
    }

    /// Appends the piece as it is sent (line breaks as CR LF).
    pub fn push_to(self, out: &mut String) {
        match self {
            Piece::Char(c) => out.push(c),
            Piece::LineBreak => out.push_str(LINE_BREAK),
        }
    }
}

/// Splits `text` into [`Piece`]s, folding LF, CR and CRLF into one line break each.
pub fn pieces(text: &str) -> Pieces<'_> {
    Pieces {
        chars: text.chars().peekable(),
    }
}

/// Iterator returned by [`pieces`].
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Iterator for Pieces<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        match self.chars.next()? {
            '\r' => {
                self.chars.next_if_eq(&'\n');
                Some(Piece::LineBreak)
            }
            '\n' => Some(Piece::LineBreak),
            c => Some(Piece::Char(c)),
        }
    }
}

/// Total units of `text` in `encoding`, after the line-break rule.
pub fn units(text: &str, encoding: Encoding) -> usize {
    pieces(text).map(|p| p.units(encoding)).sum()
}

/// `text` with every line break as CR LF: what is actually submitted.
pub fn normalize_line_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for piece in pieces(text) {
        piece.push_to(&mut out);
    }
    out
}

/// A character that forces a text into UCS-2, located so the composer can highlight it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonGsmChar {
    /// The character itself.
    pub ch: char,
    /// Byte offset in the original text (for Rust string slicing).
    pub byte_offset: usize,
    /// Index counted in `char`s (Unicode scalar values).
    pub char_index: usize,
    /// Offset in UTF-16 code units: what a browser's `selectionStart` and `String.length` use.
    pub utf16_offset: usize,
    /// A GSM look-alike to replace it with, when there is an obvious one (`’` → `'`).
    /// An empty string means "remove it" (invisible characters such as a zero-width space).
    pub suggestion: Option<Cow<'static, str>>,
}

/// Every character in `text` that is not GSM-7, in order, with its positions and a suggested
/// replacement where one is obvious.
pub fn non_gsm_chars(text: &str) -> Vec<NonGsmChar> {
    let mut found = Vec::new();
    let mut utf16_offset = 0;
    for (char_index, (byte_offset, ch)) in text.char_indices().enumerate() {
        if !is_gsm(ch) {
            found.push(NonGsmChar {
                ch,
                byte_offset,
                char_index,
                utf16_offset,
                suggestion: gsm_lookalike(ch),
            });
        }
        utf16_offset += ch.len_utf16();
    }
    found
}

/// `text` with every non-GSM character that has a suggested look-alike replaced by it.
/// Characters without one are kept, so the result may still be UCS-2 (e.g. Chinese text).
pub fn replace_lookalikes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if is_gsm(ch) {
            out.push(ch);
        } else {
            match gsm_lookalike(ch) {
                Some(s) => out.push_str(&s),
                None => out.push(ch),
            }
        }
    }
    out
}

/// A GSM-7 replacement for a character that is commonly typed or pasted by accident:
/// typographic quotes and dashes from word processors, exotic spaces, and the full-width forms
/// that Chinese input methods produce (`，` `！` `？` `（`).
///
/// Only replacements that keep the meaning are offered; letters with accents not in GSM are
/// left alone because dropping an accent can change a word.
pub fn gsm_lookalike(ch: char) -> Option<Cow<'static, str>> {
    let s: &'static str = match ch {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' | '`' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\u{2022}' | '\u{00B7}' => "-",
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\t' => " ",
        '\u{200B}' | '\u{FEFF}' | '\u{00AD}' => "",
        '\u{2028}' | '\u{2029}' | '\u{0085}' => "\n",
        '\u{00D7}' => "x",
        '\u{3001}' => ",",
        '\u{3002}' => ".",
        // Full-width ASCII (U+FF01..U+FF5E) maps to ASCII by a fixed offset; keep the result only
        // when it is GSM (the full-width backtick is not).
        '\u{FF01}'..='\u{FF5E}' => {
            let ascii = char::from_u32(ch as u32 - 0xFF01 + 0x21)?;
            return is_gsm(ascii).then(|| Cow::Owned(ascii.to_string()));
        }
        _ => return None,
    };
    Some(Cow::Borrowed(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    #[test]
    fn the_whole_basic_set_is_gsm7_and_counts_one_each() {
        // 128 code points minus ESC = 127 characters, of which LF and CR are line breaks.
        assert_eq!(BASIC.chars().count(), 127);
        assert_eq!(Encoding::detect(BASIC), Encoding::Gsm7);
        assert_eq!(units(BASIC, Encoding::Gsm7), 125 + 2 * 2);
    }

    #[test]
    fn extension_characters_are_gsm7_and_count_two_each() {
        let ext = "\u{0C}^{}\\[~]|€";
        assert_eq!(Encoding::detect(ext), Encoding::Gsm7);
        assert_eq!(units(ext, Encoding::Gsm7), 20);
        for c in GSM_EXTENSION {
            assert!(is_gsm_extension(c) && !is_gsm_basic(c), "{c:?}");
            assert_eq!(char_units(c, Encoding::Gsm7), 2);
        }
    }

    #[test]
    fn characters_outside_gsm_force_ucs2() {
        for text in [
            "it’s",
            "“quote”",
            "a–b",
            "中文",
            "😀",
            "`",
            "ç",
            "\t",
            "\u{1B}",
        ] {
            assert_eq!(Encoding::detect(text), Encoding::Ucs2, "{text:?}");
        }
    }

    #[test]
    fn ucs2_counts_utf16_code_units() {
        assert_eq!(units("中文", Encoding::Ucs2), 2);
        assert_eq!(units("😀", Encoding::Ucs2), 2);
        assert_eq!(units("a😀b", Encoding::Ucs2), 4);
        // Extension characters are ordinary code units in UCS-2.
        assert_eq!(units("€[]", Encoding::Ucs2), 3);
    }

    #[test]
    fn every_kind_of_line_break_counts_two() {
        for enc in [Encoding::Gsm7, Encoding::Ucs2] {
            assert_eq!(units("a\nb", enc), 4);
            assert_eq!(units("a\rb", enc), 4);
            assert_eq!(units("a\r\nb", enc), 4);
            assert_eq!(units("\n\r", enc), 4, "LF then CR is two line breaks");
            assert_eq!(units("\r\n\r\n", enc), 4);
            assert_eq!(units("\r\r\n\n", enc), 6);
        }
    }

    #[test]
    fn line_breaks_are_sent_as_crlf() {
        assert_eq!(normalize_line_breaks("a\nb\rc\r\nd"), "a\r\nb\r\nc\r\nd");
        assert_eq!(normalize_line_breaks("\n\r"), "\r\n\r\n");
        assert_eq!(normalize_line_breaks("plain"), "plain");
    }

    #[test]
    fn non_gsm_characters_are_located_in_chars_utf16_and_bytes() {
        let found = non_gsm_chars("😀 it’s");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].ch, '😀');
        assert_eq!(
            (
                found[0].byte_offset,
                found[0].char_index,
                found[0].utf16_offset
            ),
            (0, 0, 0)
        );
        assert_eq!(found[0].suggestion, None);
        assert_eq!(found[1].ch, '’');
        assert_eq!(
            (
                found[1].byte_offset,
                found[1].char_index,
                found[1].utf16_offset
            ),
            (7, 4, 5)
        );
        assert_eq!(found[1].suggestion.as_deref(), Some("'"));
    }

    #[test]
    fn a_gsm_text_has_no_non_gsm_characters() {
        assert!(non_gsm_chars(BASIC).is_empty());
        assert!(non_gsm_chars("{€}").is_empty());
    }

    #[test]
    fn lookalikes_turn_word_processor_text_back_into_gsm7() {
        let pasted = "“Sale” – it’s 50% off… ＡＢＣ（１）！\u{00A0}\u{200B}end";
        let fixed = replace_lookalikes(pasted);
        assert_eq!(fixed, "\"Sale\" - it's 50% off... ABC(1)! end");
        assert_eq!(Encoding::detect(&fixed), Encoding::Gsm7);
    }

    #[test]
    fn lookalikes_never_suggest_a_non_gsm_character() {
        for code in 0..=0x3_0000u32 {
            if let Some(c) = char::from_u32(code) {
                if let Some(s) = gsm_lookalike(c) {
                    assert!(s.chars().all(is_gsm), "{c:?} -> {s:?}");
                }
            }
        }
    }

    #[test]
    fn chinese_has_no_lookalike() {
        assert_eq!(replace_lookalikes("你好"), "你好");
    }

    #[test]
    fn encoding_serializes_with_contract_names() {
        assert_eq!(serde_json::to_string(&Encoding::Gsm7).unwrap(), "\"GSM7\"");
        assert_eq!(serde_json::to_string(&Encoding::Ucs2).unwrap(), "\"UCS2\"");
        assert_eq!(Encoding::Ucs2.to_string(), "UCS2");
    }
}

//! GSM 03.38 default alphabet, as SMPP carries it with `data_coding` 0: **unpacked**, one byte
//! per septet.
//!
//! On the air interface GSM-7 text is packed (8 septets in 7 octets), but over SMPP almost every
//! SMSC expects one septet per octet and packs it itself; that is why a 160-character message is
//! 160 `short_message` bytes here, and 153 bytes + a 6-byte UDH for a part of a long message.
//!
//! The 10 extension-table characters (`^ { } \ [ ~ ] | €` and form feed) are sent as the escape
//! septet 0x1B followed by their code, which is why `sms::encoding` counts them as 2 units. The
//! encoder here and `sms::encoding::is_gsm` agree character for character (a property test checks).

/// The basic set, indexed by septet. 0x1B is the escape code and never a character.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The escape septet that introduces an extension-table character.
pub const ESC: u8 = 0x1B;

/// The extension table: (septet after ESC, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// A character that has no GSM-7 code (the caller should have chosen UCS-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not in the GSM 03.38 alphabet")]
pub struct NotGsm7(pub char);

/// The septet(s) for `c`: one for the basic set, ESC + code for the extension table.
pub fn encode_char(c: char) -> Option<(u8, Option<u8>)> {
    if c == '\u{1B}' {
        return None;
    }
    // ASCII letters and digits sit at their ASCII positions; the rest needs the table.
    if c.is_ascii_alphanumeric() {
        return Some((c as u8, None));
    }
    if let Some(&(code, _)) = EXTENSION.iter().find(|(_, e)| *e == c) {
        return Some((ESC, Some(code)));
    }
    BASIC.iter().position(|&b| b == c).map(|i| (i as u8, None)) // i < 128, so the cast is lossless
}

/// Encodes `text` as unpacked septets, or names the first character that cannot be sent.
pub fn encode(text: &str) -> Result<Vec<u8>, NotGsm7> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match encode_char(c) {
            Some((first, second)) => {
                out.push(first);
                out.extend(second);
            }
            None => return Err(NotGsm7(c)),
        }
    }
    Ok(out)
}

/// Decodes unpacked septets leniently: what a handset would show, never an error.
///
/// Bytes above 0x7F are masked to 7 bits (some SMSCs set the top bit); an escape followed by a
/// code that is not in the extension table shows the basic character, as 03.38 asks receivers
/// to do; a trailing lone escape becomes a space.
pub fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut bytes = septets.iter().map(|b| b & 0x7F);
    while let Some(b) = bytes.next() {
        if b == ESC {
            match bytes.next() {
                Some(code) => match EXTENSION.iter().find(|(c, _)| *c == code) {
                    Some(&(_, ch)) => out.push(ch),
                    None => out.push(BASIC[usize::from(code)]),
                },
                None => out.push(' '),
            }
        } else {
            out.push(BASIC[usize::from(b)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sms::encoding::{is_gsm, units, Encoding};

    #[test]
    fn ascii_text_is_its_own_septets_except_the_specials() {
        assert_eq!(encode("Hello 123").ok(), Some(b"Hello 123".to_vec()));
        // '@' is septet 0, '$' is 2, '_' is 0x11: the classic off-by-table bugs.
        assert_eq!(encode("@$_").ok(), Some(vec![0x00, 0x02, 0x11]));
    }

    #[test]
    fn extension_characters_are_escaped() {
        assert_eq!(
            encode("€[]").ok(),
            Some(vec![ESC, 0x65, ESC, 0x3C, ESC, 0x3E])
        );
        assert_eq!(decode(&[ESC, 0x65, ESC, 0x3C, ESC, 0x3E]), "€[]");
    }

    #[test]
    fn characters_outside_gsm_are_refused() {
        assert_eq!(encode("it’s"), Err(NotGsm7('’')));
        assert_eq!(encode("中"), Err(NotGsm7('中')));
        assert_eq!(encode("\u{1B}"), Err(NotGsm7('\u{1B}')));
    }

    #[test]
    fn decoding_is_lenient() {
        assert_eq!(decode(&[0xC1]), "A", "top bit masked");
        assert_eq!(
            decode(&[ESC, 0x41]),
            "A",
            "unknown escape shows the basic char"
        );
        assert_eq!(decode(&[0x41, ESC]), "A ", "trailing escape");
    }

    fn gsm_alphabet() -> Vec<char> {
        BASIC
            .iter()
            .copied()
            .filter(|&c| c != '\u{1B}')
            .chain(EXTENSION.iter().map(|&(_, c)| c))
            .collect()
    }

    proptest! {
        #[test]
        fn gsm_text_round_trips_in_as_many_septets_as_it_has_units(
            chars in prop::collection::vec(prop::sample::select(gsm_alphabet()), 0..200)
        ) {
            let text: String = chars.into_iter().collect();
            let septets = encode(&text);
            prop_assert!(septets.is_ok());
            let septets = septets.unwrap_or_default();
            let units: usize = text.chars().map(|c| sms::encoding::char_units(c, Encoding::Gsm7)).sum();
            prop_assert_eq!(septets.len(), units);
            prop_assert_eq!(decode(&septets), text);
        }

        #[test]
        fn encoder_agrees_with_the_sms_crate(text in "\\PC{0,40}") {
            let gsm = text.chars().all(is_gsm);
            match encode(&text) {
                Ok(septets) => {
                    prop_assert!(gsm);
                    // Each CR and LF is one septet here; `units` counts a line break as 2 only
                    // after normalising it to CR LF, so compare on normalised text.
                    let normalised = sms::encoding::normalize_line_breaks(&text);
                    let n = encode(&normalised).map(|s| s.len()).unwrap_or(usize::MAX);
                    prop_assert_eq!(n, units(&text, Encoding::Gsm7));
                    prop_assert_eq!(decode(&septets), text);
                }
                Err(NotGsm7(c)) => {
                    prop_assert!(!gsm);
                    prop_assert!(!is_gsm(c));
                }
            }
        }
    }
}

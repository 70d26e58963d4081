//! The China illegal-keyword check (spec §5): run live in the browser to highlight matches and
//! again on the server, which refuses a China message containing any.
//!
//! Matching uses one Aho-Corasick automaton over the whole library, so a text is scanned once
//! whatever the number of keywords (the library runs to tens of thousands).
//!
//! Rules, chosen so that the browser and the server always agree:
//! - **Case-insensitive** for every script that has case (Unicode lowercase, not only ASCII),
//!   and full-width Latin letters and digits (`ＦＯＯ`, from Chinese input methods) match their
//!   ASCII forms. Chinese has no case; Traditional and Simplified forms are different
//!   characters, so the library must list both.
//! - **Leftmost-longest, non-overlapping**: scanning left to right, the earliest match wins and,
//!   among those starting there, the longest. A keyword inside a longer reported match is not
//!   reported again. This gives clean, non-overlapping highlights, and it never hides a
//!   violation: if any keyword occurs, at least one match is reported.
//! - Blank keywords are ignored (they would match everywhere); keywords are trimmed.

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A compiled keyword library.
#[derive(Debug, Clone)]
pub struct KeywordSet {
    automaton: AhoCorasick,
    /// The keywords as staff entered them (trimmed), indexed like the automaton's patterns.
    keywords: Vec<String>,
}

/// One keyword found in a text, located three ways so every consumer can use it directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordMatch {
    /// The library keyword that matched (as entered, not as written in the text).
    pub keyword: String,
    /// Byte range in the text (for Rust slicing).
    pub bytes: Range<usize>,
    /// Range in `char`s (Unicode scalar values).
    pub chars: Range<usize>,
    /// Range in UTF-16 code units: what browser selections and `String.length` use.
    pub utf16: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordError {
    #[error("the keyword library is too large to compile: {0}")]
    TooLarge(String),
}

impl KeywordSet {
    /// Compiles a keyword library.
    pub fn new<I, S>(keywords: I) -> Result<KeywordSet, KeywordError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let keywords: Vec<String> = keywords
            .into_iter()
            .map(|k| k.as_ref().trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        let folded: Vec<String> = keywords.iter().map(|k| fold(k).text).collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&folded)
            .map_err(|e| KeywordError::TooLarge(e.to_string()))?;
        Ok(KeywordSet {
            automaton,
            keywords,
        })
    }

    /// Number of keywords in the library.
    pub fn len(&self) -> usize {
        self.keywords.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty()
    }

    /// Whether `text` contains any keyword: the server's accept/reject check.
    pub fn contains_any(&self, text: &str) -> bool {
        !self.keywords.is_empty() && self.automaton.is_match(&fold(text).text)
    }

    /// Every match in `text` (leftmost-longest, non-overlapping), in order.
    pub fn find_all(&self, text: &str) -> Vec<KeywordMatch> {
        if self.keywords.is_empty() {
            return Vec::new();
        }
        let folded = fold(text);
        self.automaton
            .find_iter(&folded.text)
            .filter_map(|m| {
                let keyword = self.keywords.get(m.pattern().as_usize())?.clone();
                let (start, end) = folded.original(m.start(), m.end());
                Some(KeywordMatch {
                    keyword,
                    bytes: start.byte..end.byte,
                    chars: start.char..end.char,
                    utf16: start.utf16..end.utf16,
                })
            })
            .collect()
    }
}

/// Where a character of the original text starts, in every unit, and in the folded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    folded: usize,
    byte: usize,
    char: usize,
    utf16: usize,
}

/// A case-folded text with the way back to original offsets.
struct Folded {
    text: String,
    /// One entry per original character plus one for the end; empty when the text is ASCII
    /// (then every offset is the same in all units and the folded text has the same length).
    positions: Vec<Position>,
}

impl Folded {
    /// Original positions of the folded byte range `start..end` (a match, so `start < end`).
    fn original(&self, start: usize, end: usize) -> (Position, Position) {
        if self.positions.is_empty() {
            let at = |i| Position {
                folded: i,
                byte: i,
                char: i,
                utf16: i,
            };
            return (at(start), at(end));
        }
        let p = &self.positions;
        // The character whose folded form contains `start`, and the first one starting at or
        // after `end` (a match may begin or end inside a character's multi-char lowercase).
        let first = p.partition_point(|q| q.folded <= start).saturating_sub(1);
        let after = p.partition_point(|q| q.folded < end).min(p.len() - 1);
        (p[first], p[after])
    }
}

fn fold(text: &str) -> Folded {
    if text.is_ascii() {
        return Folded {
            text: text.to_ascii_lowercase(),
            positions: Vec::new(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut positions = Vec::with_capacity(text.len() + 1);
    let mut utf16 = 0;
    let mut char_index = 0;
    for (byte, original) in text.char_indices() {
        positions.push(Position {
            folded: out.len(),
            byte,
            char: char_index,
            utf16,
        });
        let c = match original {
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(original as u32 - 0xFF01 + 0x21).unwrap_or(original)
            }
            '\u{3000}' => ' ',
            c => c,
        };
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
        utf16 += original.len_utf16();
        char_index += 1;
    }
    positions.push(Position {
        folded: out.len(),
        byte: text.len(),
        char: char_index,
        utf16,
    });
    Folded {
        text: out,
        positions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(words: &[&str]) -> KeywordSet {
        KeywordSet::new(words).expect("compiles")
    }

    #[test]
    fn finds_chinese_keywords_with_positions_in_every_unit() {
        let s = set(&["賭博", "發票"]);
        let text = "😀 網上賭博，代開發票";
        let found = s.find_all(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].keyword, "賭博");
        assert_eq!(&text[found[0].bytes.clone()], "賭博");
        assert_eq!(found[0].chars, 4..6);
        assert_eq!(found[0].utf16, 5..7, "the emoji is 2 UTF-16 units");
        assert_eq!(found[1].keyword, "發票");
        assert_eq!(found[1].chars, 9..11);
        assert_eq!(found[1].utf16, 10..12);
    }

    #[test]
    fn matching_ignores_case_in_every_script() {
        let s = set(&["Casino", "ΚΑΖΙΝΟ"]);
        let found = s.find_all("Visit CASINO or καζίνο? no: καζινο");
        assert_eq!(
            found.iter().map(|m| m.keyword.as_str()).collect::<Vec<_>>(),
            ["Casino", "ΚΑΖΙΝΟ"]
        );
        assert_eq!(found[0].bytes, 6..12);
        assert!(s.contains_any("casino"));
        assert!(!s.contains_any("casin0"));
    }

    #[test]
    fn full_width_letters_match_their_ascii_keyword() {
        let s = set(&["vpn"]);
        let text = "免費ＶＰＮ下載";
        let found = s.find_all(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].bytes.clone()], "ＶＰＮ");
        assert_eq!(found[0].chars, 2..5);
    }

    #[test]
    fn the_longest_keyword_at_the_leftmost_position_wins() {
        let s = set(&["代開", "代開發票", "發票"]);
        let found = s.find_all("專業代開發票");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].keyword, "代開發票");
        assert_eq!(found[0].chars, 2..6);
    }

    #[test]
    fn matches_do_not_overlap() {
        let s = set(&["abc", "cde"]);
        let found = s.find_all("abcde");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].keyword, "abc");
        assert!(s.contains_any("xxcdex"));
    }

    #[test]
    fn blank_keywords_are_ignored_and_keywords_are_trimmed() {
        let s = set(&["", "   ", " 賭博 "]);
        assert_eq!(s.len(), 1);
        assert_eq!(s.find_all("賭博")[0].keyword, "賭博");
        assert!(!set(&[]).contains_any("anything"));
        assert!(set(&["", " "]).find_all("anything").is_empty());
    }

    #[test]
    fn a_match_ending_inside_an_expanded_lowercase_maps_to_whole_characters() {
        // 'İ' lowercases to "i̇" (two chars); the keyword "i" matches its first half.
        let s = set(&["i"]);
        let text = "xİy";
        let found = s.find_all(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].bytes.clone()], "İ");
        assert_eq!(found[0].chars, 1..2);
    }

    #[test]
    fn scales_to_ten_thousand_keywords() {
        let words: Vec<String> = (0..10_000).map(|i| format!("關鍵{i:05}")).collect();
        let s = KeywordSet::new(&words).expect("compiles");
        assert_eq!(s.len(), 10_000);
        let found = s.find_all("text 關鍵09999 and 關鍵00000.");
        assert_eq!(
            found.iter().map(|m| m.keyword.as_str()).collect::<Vec<_>>(),
            ["關鍵09999", "關鍵00000"]
        );
    }

    proptest! {
        #[test]
        fn reported_ranges_are_consistent_in_every_unit(
            text in "[a-zA-Z中文😀ÀİΣß ]{0,40}",
            words in prop::collection::vec("[a-z中文σ]{1,3}", 1..5),
        ) {
            let s = KeywordSet::new(&words).expect("compiles");
            let mut last_end = 0;
            for m in s.find_all(&text) {
                prop_assert!(text.is_char_boundary(m.bytes.start));
                prop_assert!(text.is_char_boundary(m.bytes.end));
                prop_assert!(m.bytes.start >= last_end);
                last_end = m.bytes.end;
                let before = &text[..m.bytes.start];
                let slice = &text[m.bytes.clone()];
                prop_assert_eq!(m.chars.start, before.chars().count());
                prop_assert_eq!(m.chars.len(), slice.chars().count());
                prop_assert_eq!(m.utf16.start, before.encode_utf16().count());
                prop_assert_eq!(m.utf16.len(), slice.encode_utf16().count());
            }
        }
    }
}

//! How many parts a text is sent in, and the parts themselves (spec §4).
//!
//! The spec gives cumulative limits ("2 parts ≤ 306"). They come from how concatenated SMS work:
//! a message that needs more than one part carries a User Data Header in every part, which
//! leaves less room, so a part of a long message holds fewer units than a lone SMS:
//!
//! | table    | encoding | 1 part | each part of a longer message | max parts | max units |
//! |----------|----------|--------|-------------------------------|-----------|-----------|
//! | Standard | GSM-7    | 160    | 153 (306 = 2×153, 459 = 3×153) | 3        | 459       |
//! | Standard | UCS-2    | 70     | 67 (134 = 2×67, 201 = 3×67)   | 3         | 201       |
//! | China    | both     | 62     | 60 (120, 180 … 420)           | 8         | 459       |
//!
//! (China's 8th part would hold 480 by the per-part rule; the table caps it at 459.)
//!
//! A part never ends inside an escape pair, a surrogate pair or a CR LF line break, so a part
//! may carry one unit less than its capacity, and a text under the cumulative limit can still
//! need one more part. The count reported here is always the count the splitter produces
//! ([`segment`] and [`split`] share one layout routine), because it is what is charged.

use crate::encoding::{pieces, Encoding, Piece};
use serde::{Deserialize, Serialize};

/// Which part-size table applies: every route but China uses [`SegmentTable::Standard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SegmentTable {
    /// Hong Kong and international routes.
    Standard,
    /// Mainland China route.
    China,
}

/// Part sizes for one table and encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartLimits {
    /// Units a message sent as a single part may hold.
    pub single: usize,
    /// Units each part of a multi-part (concatenated) message may hold.
    pub per_part: usize,
    /// The most parts a message may be sent in.
    pub max_parts: u8,
    /// The most units a message may hold in total.
    pub max_units: usize,
}

impl PartLimits {
    /// The cumulative limit for `parts` parts as the spec states it (e.g. 306 for 2 GSM-7 parts),
    /// or `None` beyond the maximum. A given text may fit slightly less (see the module docs).
    pub fn limit_for(self, parts: u8) -> Option<usize> {
        match parts {
            0 => None,
            1 => Some(self.single),
            p if p <= self.max_parts => Some((self.per_part * usize::from(p)).min(self.max_units)),
            _ => None,
        }
    }
}

impl SegmentTable {
    /// The limits for `encoding` on this table.
    pub const fn limits(self, encoding: Encoding) -> PartLimits {
        match (self, encoding) {
            (SegmentTable::Standard, Encoding::Gsm7) => PartLimits {
                single: 160,
                per_part: 153,
                max_parts: 3,
                max_units: 459,
            },
            (SegmentTable::Standard, Encoding::Ucs2) => PartLimits {
                single: 70,
                per_part: 67,
                max_parts: 3,
                max_units: 201,
            },
            (SegmentTable::China, _) => PartLimits {
                single: 62,
                per_part: 60,
                max_parts: 8,
                max_units: 459,
            },
        }
    }
}

/// Why a text cannot be sent: it needs more than the route's maximum number of parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error(
    "the message is too long: {units} characters, but at most {limit} fit in {max_parts} parts"
)]
pub struct TooLong {
    /// Units of the whole text.
    pub units: usize,
    /// Units of *this* text that fit in `max_parts` parts: the table's maximum, less any unit a
    /// part had to leave empty so as not to split an escape or surrogate pair. Removing
    /// `units - limit` units from the end always makes the text fit.
    pub limit: usize,
    /// The route's maximum number of parts.
    pub max_parts: u8,
}

/// The outcome of counting a text against a route's table: what the composer shows live and
/// what the server recomputes before accepting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segmentation {
    pub encoding: Encoding,
    /// Units after the line-break rule (extension characters 2, surrogate pairs 2).
    pub units: usize,
    /// Parts actually submitted and charged; `None` when the text is too long to send.
    pub parts: Option<u8>,
    /// Units that can still be added without needing another part (0 when too long).
    pub units_left_in_part: usize,
    /// Set when the text is too long for the route.
    pub too_long: Option<TooLong>,
}

impl Segmentation {
    /// The parts to charge, or why the text cannot be sent.
    pub fn parts_or_err(&self) -> Result<u8, TooLong> {
        match (self.parts, self.too_long) {
            (Some(parts), _) => Ok(parts),
            (None, Some(err)) => Err(err),
            // Unreachable by construction; report the text as too long rather than panic.
            (None, None) => Err(TooLong {
                units: self.units,
                limit: 0,
                max_parts: 0,
            }),
        }
    }
}

/// One part as it is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The part's text, line breaks as CR LF.
    pub text: String,
    /// Units the part occupies.
    pub units: usize,
}

/// A text cut into the parts to submit, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitMessage {
    pub encoding: Encoding,
    pub parts: Vec<Part>,
}

/// Counts `text` against `table`: encoding, units, parts and room left.
///
/// An empty text is 0 units in 1 part: sending nothing is refused by the composer, not here.
pub fn segment(text: &str, table: SegmentTable) -> Segmentation {
    let encoding = Encoding::detect(text);
    let limits = table.limits(encoding);
    let layout = lay_out(text, encoding, limits, |_, _| {});
    layout.into_segmentation(encoding, limits)
}

/// Cuts `text` into the parts to submit on `table`, or says why it is too long.
///
/// Joining the parts' texts gives back `text` with its line breaks as CR LF; nothing is ever
/// dropped (other gateways silently truncate: spec §14).
pub fn split(text: &str, table: SegmentTable) -> Result<SplitMessage, TooLong> {
    let encoding = Encoding::detect(text);
    let limits = table.limits(encoding);
    let mut parts: Vec<Part> = Vec::new();
    let layout = lay_out(text, encoding, limits, |part_index, piece| {
        if parts.len() <= part_index {
            parts.push(Part {
                text: String::new(),
                units: 0,
            });
        }
        if let Some(part) = parts.last_mut() {
            piece.push_to(&mut part.text);
            part.units += piece.units(encoding);
        }
    });
    let segmentation = layout.into_segmentation(encoding, limits);
    segmentation.parts_or_err()?;
    if parts.is_empty() {
        // An empty text is one empty part, matching `segment`.
        parts.push(Part {
            text: String::new(),
            units: 0,
        });
    }
    Ok(SplitMessage { encoding, parts })
}

/// What the single layout pass learned.
struct Layout {
    units: usize,
    /// Parts in multi-part layout (only meaningful when `units > single`).
    multi_parts: usize,
    /// Units in the last multi-part part.
    last_part_units: usize,
    /// Units of the longest prefix that fits within the limits.
    fitting_units: usize,
}

impl Layout {
    fn into_segmentation(self, encoding: Encoding, limits: PartLimits) -> Segmentation {
        if self.units <= limits.single {
            return Segmentation {
                encoding,
                units: self.units,
                parts: Some(1),
                units_left_in_part: limits.single - self.units,
                too_long: None,
            };
        }
        let fits =
            self.units <= limits.max_units && self.multi_parts <= usize::from(limits.max_parts);
        match u8::try_from(self.multi_parts) {
            Ok(parts) if fits => Segmentation {
                encoding,
                units: self.units,
                parts: Some(parts),
                units_left_in_part: (limits.per_part - self.last_part_units)
                    .min(limits.max_units - self.units),
                too_long: None,
            },
            _ => Segmentation {
                encoding,
                units: self.units,
                parts: None,
                units_left_in_part: 0,
                too_long: Some(TooLong {
                    units: self.units,
                    limit: self.fitting_units,
                    max_parts: limits.max_parts,
                }),
            },
        }
    }
}

/// Lays `text` out greedily and calls `place(part_index, piece)` for every piece.
///
/// Greedy filling is optimal here: every piece must go in order, and starting a new part only
/// when the next piece does not fit can never produce more parts than any other cut.
///
/// When the whole text fits in a single part it is placed in part 0; otherwise it is laid out in
/// parts of `per_part` units. Pieces beyond the limits are still placed (in parts past the
/// maximum) so the count is exact, but `split` refuses to return them.
fn lay_out(
    text: &str,
    encoding: Encoding,
    limits: PartLimits,
    mut place: impl FnMut(usize, Piece),
) -> Layout {
    let units: usize = pieces(text).map(|p| p.units(encoding)).sum();
    if units <= limits.single {
        for piece in pieces(text) {
            place(0, piece);
        }
        return Layout {
            units,
            multi_parts: 1,
            last_part_units: units,
            fitting_units: units,
        };
    }
    let mut parts = 1;
    let mut used = 0;
    let mut total = 0;
    let mut fitting_units = 0;
    let mut still_fits = true;
    for piece in pieces(text) {
        let w = piece.units(encoding);
        if used + w > limits.per_part {
            parts += 1;
            used = 0;
        }
        used += w;
        total += w;
        still_fits =
            still_fits && parts <= usize::from(limits.max_parts) && total <= limits.max_units;
        if still_fits {
            fitting_units = total;
        }
        place(parts - 1, piece);
    }
    Layout {
        units,
        multi_parts: parts,
        last_part_units: used,
        fitting_units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::normalize_line_breaks;
    use proptest::prelude::*;

    fn gsm(n: usize) -> String {
        "a".repeat(n)
    }

    fn ucs(n: usize) -> String {
        "中".repeat(n)
    }

    fn parts(text: &str, table: SegmentTable) -> Option<u8> {
        segment(text, table).parts
    }

    #[test]
    fn standard_gsm7_boundaries() {
        use SegmentTable::Standard;
        assert_eq!(parts(&gsm(0), Standard), Some(1));
        assert_eq!(parts(&gsm(1), Standard), Some(1));
        assert_eq!(parts(&gsm(160), Standard), Some(1));
        assert_eq!(parts(&gsm(161), Standard), Some(2));
        assert_eq!(parts(&gsm(306), Standard), Some(2));
        assert_eq!(parts(&gsm(307), Standard), Some(3));
        assert_eq!(parts(&gsm(459), Standard), Some(3));
        assert_eq!(parts(&gsm(460), Standard), None);
    }

    #[test]
    fn standard_ucs2_boundaries() {
        use SegmentTable::Standard;
        assert_eq!(parts(&ucs(70), Standard), Some(1));
        assert_eq!(parts(&ucs(71), Standard), Some(2));
        assert_eq!(parts(&ucs(134), Standard), Some(2));
        assert_eq!(parts(&ucs(135), Standard), Some(3));
        assert_eq!(parts(&ucs(201), Standard), Some(3));
        assert_eq!(parts(&ucs(202), Standard), None);
    }

    #[test]
    fn china_boundaries_for_both_encodings() {
        let cases = [
            (62, 1),
            (63, 2),
            (120, 2),
            (121, 3),
            (180, 3),
            (181, 4),
            (240, 4),
            (241, 5),
            (300, 5),
            (301, 6),
            (360, 6),
            (361, 7),
            (420, 7),
            (421, 8),
            (459, 8),
        ];
        for (n, expected) in cases {
            assert_eq!(
                parts(&gsm(n), SegmentTable::China),
                Some(expected),
                "GSM {n}"
            );
            assert_eq!(
                parts(&ucs(n), SegmentTable::China),
                Some(expected),
                "UCS2 {n}"
            );
        }
        assert_eq!(parts(&gsm(460), SegmentTable::China), None);
        assert_eq!(parts(&ucs(460), SegmentTable::China), None);
    }

    #[test]
    fn the_table_matches_the_spec_cumulative_limits() {
        let std_gsm = SegmentTable::Standard.limits(Encoding::Gsm7);
        assert_eq!(
            (1..=4).map(|p| std_gsm.limit_for(p)).collect::<Vec<_>>(),
            [Some(160), Some(306), Some(459), None]
        );
        let std_ucs = SegmentTable::Standard.limits(Encoding::Ucs2);
        assert_eq!(
            (1..=4).map(|p| std_ucs.limit_for(p)).collect::<Vec<_>>(),
            [Some(70), Some(134), Some(201), None]
        );
        let china = SegmentTable::China.limits(Encoding::Ucs2);
        assert_eq!(
            (1..=9).map(|p| china.limit_for(p)).collect::<Vec<_>>(),
            [
                Some(62),
                Some(120),
                Some(180),
                Some(240),
                Some(300),
                Some(360),
                Some(420),
                Some(459),
                None
            ]
        );
        assert_eq!(china.limit_for(0), None);
    }

    #[test]
    fn too_long_reports_units_limit_and_how_much_to_remove() {
        let s = segment(&gsm(460), SegmentTable::Standard);
        assert_eq!(s.units_left_in_part, 0);
        let err = s.too_long.expect("too long");
        assert_eq!(
            err,
            TooLong {
                units: 460,
                limit: 459,
                max_parts: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "the message is too long: 460 characters, but at most 459 fit in 3 parts"
        );
        assert_eq!(split(&gsm(460), SegmentTable::Standard), Err(err));
    }

    #[test]
    fn units_left_counts_down_within_the_current_part() {
        let s = |t: &str| segment(t, SegmentTable::Standard).units_left_in_part;
        assert_eq!(s(""), 160);
        assert_eq!(s(&gsm(159)), 1);
        assert_eq!(s(&gsm(160)), 0);
        assert_eq!(s(&gsm(161)), 145); // 153 + 8 in part 2 → 145 left
        assert_eq!(s(&gsm(459)), 0);
        assert_eq!(
            segment(&gsm(458), SegmentTable::China).units_left_in_part,
            1
        );
        assert_eq!(
            segment(&gsm(421), SegmentTable::China).units_left_in_part,
            38
        );
    }

    #[test]
    fn an_extension_character_at_160_pushes_into_two_parts() {
        // 159 + € (2) = 161 units.
        let text = format!("{}€", gsm(159));
        let s = segment(&text, SegmentTable::Standard);
        assert_eq!((s.units, s.parts), (161, Some(2)));
        let text = format!("{}€", gsm(158));
        assert_eq!(segment(&text, SegmentTable::Standard).parts, Some(1));
    }

    #[test]
    fn an_escape_pair_is_never_split_across_parts() {
        // 152 'a' + '{' would straddle the 153rd unit of part 1: it moves whole to part 2.
        let text = format!("{}{{{}", gsm(152), gsm(10));
        let m = split(&text, SegmentTable::Standard).expect("fits");
        assert_eq!(m.parts.len(), 2);
        assert_eq!(m.parts[0].units, 152);
        assert_eq!(m.parts[0].text, gsm(152));
        assert!(m.parts[1].text.starts_with('{'));
        assert_eq!(m.parts[1].units, 12);
    }

    #[test]
    fn lost_room_at_a_boundary_can_cost_an_extra_part() {
        // 459 units exactly, but an escape pair straddling each part boundary loses one unit per
        // boundary: the splitter needs a 4th part, so the message is too long on Standard.
        // Part 1: 152 + (€ moves); part 2: € + 150 = 152 + (€ moves); part 3: € + 151; 2 left.
        let text = format!("{}€{}€{}", gsm(152), gsm(150), gsm(153));
        let s = segment(&text, SegmentTable::Standard);
        assert_eq!(s.units, 459);
        assert_eq!(s.parts, None);
        let err = s.too_long.expect("too long");
        assert_eq!(err.limit, 457);
        assert!(split(&text, SegmentTable::Standard).is_err());
        // Removing (units - limit) from the end makes it fit.
        let shorter: String = text.chars().take(text.chars().count() - 2).collect();
        assert_eq!(segment(&shorter, SegmentTable::Standard).parts, Some(3));
    }

    #[test]
    fn the_straddle_rule_raises_the_part_count_below_the_cumulative_limit() {
        // 306 units fit in 2 parts by the table, but '[' at 153 moves: 3 parts are submitted.
        let text = format!("{}[{}", gsm(152), gsm(152));
        let s = segment(&text, SegmentTable::Standard);
        assert_eq!((s.units, s.parts), (306, Some(3)));
        assert_eq!(
            split(&text, SegmentTable::Standard).map(|m| m.parts.len()),
            Ok(3)
        );
    }

    #[test]
    fn a_surrogate_pair_is_never_split_across_parts() {
        // 66 中 + 😀 (2 units) would straddle unit 67: the emoji moves to part 2.
        let text = format!("{}😀{}", ucs(66), ucs(5));
        let m = split(&text, SegmentTable::Standard).expect("fits");
        assert_eq!(m.encoding, Encoding::Ucs2);
        assert_eq!(m.parts[0].units, 66);
        assert_eq!(m.parts[1].text, format!("😀{}", ucs(5)));
        assert_eq!(m.parts[1].units, 7);
    }

    #[test]
    fn emoji_count_two_against_the_single_part_limit() {
        let text = format!("{}😀", ucs(68));
        assert_eq!(segment(&text, SegmentTable::Standard).parts, Some(1));
        let text = format!("{}😀", ucs(69));
        let s = segment(&text, SegmentTable::Standard);
        assert_eq!((s.units, s.parts), (71, Some(2)));
    }

    #[test]
    fn a_line_break_counts_two_and_is_never_split() {
        let text = format!("{}\n", gsm(158));
        assert_eq!(segment(&text, SegmentTable::Standard).parts, Some(1));
        let text = format!("{}\n", gsm(159));
        assert_eq!(segment(&text, SegmentTable::Standard).units, 161);
        // The CR LF at unit 153 of a multi-part message moves whole to part 2.
        let text = format!("{}\n{}", gsm(152), gsm(20));
        let m = split(&text, SegmentTable::Standard).expect("fits");
        assert_eq!(m.parts[0].text, gsm(152));
        assert_eq!(m.parts[1].text, format!("\r\n{}", gsm(20)));
    }

    #[test]
    fn cr_lf_and_crlf_give_the_same_segmentation() {
        let base = gsm(155);
        let by = |sep: &str| segment(&format!("{base}{sep}x"), SegmentTable::Standard);
        assert_eq!(by("\n"), by("\r"));
        assert_eq!(by("\n"), by("\r\n"));
        assert_eq!(by("\n").units, 158);
    }

    #[test]
    fn mixed_text_becomes_ucs2_as_a_whole() {
        let s = segment("Price: €5 😀\n", SegmentTable::Standard);
        assert_eq!(s.encoding, Encoding::Ucs2);
        // P r i c e : space € 5 space 😀(2) CRLF(2) = 10 + 2 + 2
        assert_eq!(s.units, 14);
    }

    #[test]
    fn china_single_part_holds_62_then_60_per_part() {
        let m = split(&gsm(63), SegmentTable::China).expect("fits");
        assert_eq!(m.parts.iter().map(|p| p.units).collect::<Vec<_>>(), [60, 3]);
        let m = split(&gsm(459), SegmentTable::China).expect("fits");
        assert_eq!(m.parts.len(), 8);
        assert_eq!(m.parts[7].units, 39);
    }

    #[test]
    fn a_single_part_message_is_one_part_even_with_extension_characters() {
        let text = "{}".repeat(40); // 160 units
        let m = split(&text, SegmentTable::Standard).expect("fits");
        assert_eq!(m.parts.len(), 1);
        assert_eq!(m.parts[0].units, 160);
    }

    #[test]
    fn an_empty_text_is_one_empty_part() {
        let m = split("", SegmentTable::Standard).expect("fits");
        assert_eq!(
            m.parts,
            [Part {
                text: String::new(),
                units: 0
            }]
        );
    }

    #[test]
    fn segmentation_round_trips_through_json() {
        let s = segment(&gsm(460), SegmentTable::Standard);
        let json = serde_json::to_string(&s).expect("serializes");
        assert_eq!(serde_json::from_str::<Segmentation>(&json).ok(), Some(s));
    }

    fn sms_text() -> impl Strategy<Value = String> {
        // Weighted toward the characters that make segmentation interesting.
        let piece = prop_oneof![
            6 => Just("a".to_string()),
            2 => Just("€".to_string()),
            1 => Just("{".to_string()),
            1 => Just("\n".to_string()),
            1 => Just("\r".to_string()),
            1 => Just("\r\n".to_string()),
            1 => Just("中".to_string()),
            1 => Just("😀".to_string()),
            1 => any::<char>().prop_map(|c| c.to_string()),
        ];
        prop_oneof![
            prop::collection::vec(piece.clone(), 0..520).prop_map(|v| v.concat()),
            // Pure-GSM texts, to exercise the 153-unit parts.
            prop::collection::vec(
                prop_oneof![4 => Just("a"), 1 => Just("€"), 1 => Just("\n")],
                0..480
            )
            .prop_map(|v| v.concat()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn split_parts_rejoin_into_the_normalized_text(text in sms_text()) {
            for table in [SegmentTable::Standard, SegmentTable::China] {
                if let Ok(m) = split(&text, table) {
                    let joined: String = m.parts.iter().map(|p| p.text.as_str()).collect();
                    prop_assert_eq!(joined, normalize_line_breaks(&text));
                }
            }
        }

        #[test]
        fn no_part_exceeds_its_capacity(text in sms_text()) {
            for table in [SegmentTable::Standard, SegmentTable::China] {
                if let Ok(m) = split(&text, table) {
                    let limits = table.limits(m.encoding);
                    let capacity = if m.parts.len() == 1 { limits.single } else { limits.per_part };
                    for part in &m.parts {
                        prop_assert!(part.units <= capacity);
                        prop_assert_eq!(part.units, crate::encoding::units(&part.text, m.encoding));
                    }
                    prop_assert!(m.parts.len() <= usize::from(limits.max_parts));
                }
            }
        }

        #[test]
        fn reported_parts_equal_split_parts(text in sms_text()) {
            for table in [SegmentTable::Standard, SegmentTable::China] {
                let s = segment(&text, table);
                match split(&text, table) {
                    Ok(m) => {
                        prop_assert_eq!(s.parts, u8::try_from(m.parts.len()).ok());
                        prop_assert_eq!(s.units, m.parts.iter().map(|p| p.units).sum::<usize>());
                        prop_assert!(s.too_long.is_none());
                    }
                    Err(e) => {
                        prop_assert_eq!(s.parts, None);
                        prop_assert_eq!(s.too_long, Some(e));
                        prop_assert!(e.limit < e.units);
                        prop_assert!(e.limit <= table.limits(s.encoding).max_units);
                    }
                }
            }
        }

        #[test]
        fn the_count_is_stable_under_normalization(text in sms_text()) {
            for table in [SegmentTable::Standard, SegmentTable::China] {
                let once = segment(&text, table);
                prop_assert_eq!(once, segment(&normalize_line_breaks(&text), table));
                prop_assert_eq!(once, segment(&text, table));
            }
        }

        #[test]
        fn cutting_the_excess_from_the_end_makes_it_fit(text in sms_text()) {
            for table in [SegmentTable::Standard, SegmentTable::China] {
                if let Some(err) = segment(&text, table).too_long {
                    let enc = Encoding::detect(&text);
                    let mut kept = String::new();
                    let mut units = 0;
                    for piece in crate::encoding::pieces(&text) {
                        let w = piece.units(enc);
                        if units + w > err.limit { break; }
                        units += w;
                        piece.push_to(&mut kept);
                    }
                    prop_assert_eq!(units, err.limit);
                    // Cutting the last non-GSM character can switch the text to GSM-7, where
                    // extension characters count 2 again; the promise holds per encoding.
                    if Encoding::detect(&kept) == enc {
                        prop_assert!(segment(&kept, table).parts.is_some());
                    }
                }
            }
        }
    }
}

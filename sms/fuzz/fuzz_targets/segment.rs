//! Segmentation and splitting on arbitrary UTF-8, on both tables, must keep the promises the
//! customer is charged by: the reported part count is the number of parts submitted, no part is
//! over capacity, and the parts rejoin into the (CR LF-normalized) text, never truncated.
//!
//! Run with `cargo +nightly fuzz run segment` from `sms/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sms::encoding::{normalize_line_breaks, units};
use sms::segment::{segment, split, SegmentTable};

fuzz_target!(|text: &str| {
    for table in [SegmentTable::Standard, SegmentTable::China] {
        let s = segment(text, table);
        let limits = table.limits(s.encoding);
        assert_eq!(s.units, units(text, s.encoding));
        assert_eq!(
            s,
            segment(&normalize_line_breaks(text), table),
            "count is stable"
        );
        match split(text, table) {
            Ok(m) => {
                assert!(s.too_long.is_none());
                assert_eq!(s.parts, u8::try_from(m.parts.len()).ok());
                assert!(m.parts.len() <= usize::from(limits.max_parts));
                let capacity = if m.parts.len() == 1 {
                    limits.single
                } else {
                    limits.per_part
                };
                let mut joined = String::new();
                for part in &m.parts {
                    assert!(part.units <= capacity);
                    assert_eq!(part.units, units(&part.text, m.encoding));
                    joined.push_str(&part.text);
                }
                assert_eq!(joined, normalize_line_breaks(text));
            }
            Err(e) => {
                assert_eq!(s.parts, None);
                assert_eq!(s.too_long, Some(e));
                assert!(e.limit < e.units);
                assert!(e.limit <= limits.max_units);
                assert_eq!(s.units_left_in_part, 0);
            }
        }
    }
});

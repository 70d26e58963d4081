//! Matching a receipt to the message it reports on (spec §14, "mismatch receipts").
//!
//! The SMSC names a message twice: in `submit_sm_resp` (`message_id`) and later in the receipt
//! (`receipted_message_id` TLV or the text's `id:`). Operators do not agree on whether these are
//! the same string. Seen in the wild:
//!
//! | submit_sm_resp | receipt      | what happened                         |
//! |----------------|--------------|---------------------------------------|
//! | `1A2B3C`       | `1A2B3C`     | same (most SMSCs)                     |
//! | `1A2B3C`       | `1715004`    | hex in the response, decimal in receipt |
//! | `1715004`      | `1a2b3c`     | the other way round                   |
//! | `0001715004`   | `1715004`    | zero-padded in one of them            |
//!
//! Kannel makes this a per-SMSC `msg-id-type`; Ferry has [`MsgIdMatching`] per connection. The
//! dispatcher stores the [`MsgIdMatching::submit_keys`] of each accepted part, and looks a
//! receipt up by its [`MsgIdMatching::receipt_keys`] **in order**, taking the first hit. Keys are
//! namespaced so that an interpretation never collides with a raw id:
//!
//! - the raw id, as is;
//! - `x:<n>`: the submit id read as hex has value n (the receipt, read as decimal, looks for it);
//! - `d:<n>`: the submit id read as decimal has value n (the receipt, read as hex, looks for it);
//! - `z:<id>`: lower-cased, leading zeros removed. `Auto` writes the hex and decimal readings
//!   in this form too (`z:` and the number in hex, or in decimal), which for an id that is
//!   one of those numbers is its own `z:` key: see [`MsgIdMatching::submit_keys`].
//!
//! A looser mode finds more matches but can, when the exact id is missing, match a different
//! message whose id happens to read the same under another base; that is why exact comes first
//! and why an SMSC known to behave one way should be configured to that one way.

use crate::pdu::DeliveryReceipt;
use std::collections::HashMap;

/// How receipt ids relate to `submit_sm_resp` ids on one SMSC connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MsgIdMatching {
    /// The same string.
    Exact,
    /// `submit_sm_resp` in hex, receipt in decimal.
    SubmitHexReceiptDecimal,
    /// `submit_sm_resp` in decimal, receipt in hex.
    SubmitDecimalReceiptHex,
    /// Equal after removing leading zeros, ignoring the case of hex letters.
    IgnoreLeadingZeros,
    /// Exact, then hex↔decimal either way, then without leading zeros.
    #[default]
    Auto,
}

impl MsgIdMatching {
    pub const ALL: [MsgIdMatching; 5] = [
        MsgIdMatching::Auto,
        MsgIdMatching::Exact,
        MsgIdMatching::SubmitHexReceiptDecimal,
        MsgIdMatching::SubmitDecimalReceiptHex,
        MsgIdMatching::IgnoreLeadingZeros,
    ];

    /// The name used in `ferry.toml` and the console.
    pub fn as_str(self) -> &'static str {
        match self {
            MsgIdMatching::Auto => "auto",
            MsgIdMatching::Exact => "exact",
            MsgIdMatching::SubmitHexReceiptDecimal => "submit_hex_receipt_decimal",
            MsgIdMatching::SubmitDecimalReceiptHex => "submit_decimal_receipt_hex",
            MsgIdMatching::IgnoreLeadingZeros => "ignore_leading_zeros",
        }
    }
}

/// A name that is not one of [`MsgIdMatching::as_str`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMatching;

impl std::str::FromStr for MsgIdMatching {
    type Err = UnknownMatching;

    /// One of [`MsgIdMatching::as_str`]'s names; empty is `auto`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(MsgIdMatching::Auto);
        }
        MsgIdMatching::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(UnknownMatching)
    }
}

fn from_hex(id: &str) -> Option<u128> {
    (!id.is_empty() && id.len() <= 32)
        .then(|| u128::from_str_radix(id, 16).ok())
        .flatten()
}

fn from_decimal(id: &str) -> Option<u128> {
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse::<u128>().ok())
        .flatten()
}

fn unpadded(id: &str) -> String {
    let trimmed = id.trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    format!("z:{}", trimmed.to_ascii_lowercase())
}

impl MsgIdMatching {
    /// Keys to store for an id from `submit_sm_resp` (`Auto`: the id and its `z:` form).
    pub fn submit_keys(self, id: &str) -> Vec<String> {
        self.keys(id, from_hex, from_decimal)
    }

    /// Keys to look a receipt up by, best first. The receipt reads its id the other way
    /// round: in decimal it finds a submit id that was hex, and vice versa.
    pub fn receipt_keys(self, id: &str) -> Vec<String> {
        self.keys(id, from_decimal, from_hex)
    }

    /// `id` itself, then the forms this matching allows: `x:N` is the number of a submit id
    /// written in hex, `d:N` of one written in decimal, `z:` the id without leading zeros.
    ///
    /// `Auto` writes the two numbers as `z:` forms instead, the number in hex and in decimal:
    /// an id that reads as hex with value n *is* n in hex once unpadded and lower-cased, so
    /// its hex reading and its `z:` form are one key (the same for decimal). A submit id then
    /// stores two keys, itself and its `z:` form, where `x:`/`d:` made three or four: each is
    /// a row the writer inserts per accepted part, and those rows were a fifth of its work per
    /// message. Parts stored with `x:`/`d:` keys by an earlier version have their `z:` key
    /// too, which these receipt keys find.
    ///
    /// Two differences from `x:`/`d:`, both at ids no SMSC writes: an id with a sign (`+1A`,
    /// which Rust's parser reads as a number) has no readings, so it matches only by itself
    /// and its `z:` form; and a zero-padded id longer than 32 characters, which had no
    /// readings (too long to parse), is found by a receipt that names its number in the other
    /// base, as a shorter one always was.
    fn keys(
        self,
        id: &str,
        x_number: fn(&str) -> Option<u128>,
        d_number: fn(&str) -> Option<u128>,
    ) -> Vec<String> {
        let id = id.trim();
        let mut keys = vec![id.to_owned()];
        let x = || x_number(id).map(|n| format!("x:{n}"));
        let d = || d_number(id).map(|n| format!("d:{n}"));
        match self {
            MsgIdMatching::Exact => {}
            MsgIdMatching::SubmitHexReceiptDecimal => keys.extend(x()),
            MsgIdMatching::SubmitDecimalReceiptHex => keys.extend(d()),
            MsgIdMatching::IgnoreLeadingZeros => keys.push(unpadded(id)),
            MsgIdMatching::Auto => {
                // A sign is not part of an SMSC's number: its readings would be `z:` forms of
                // a different id.
                let digits = id.bytes().all(|b| b.is_ascii_hexdigit());
                let forms = [
                    x_number(id).filter(|_| digits).map(|n| format!("z:{n:x}")),
                    d_number(id).filter(|_| digits).map(|n| format!("z:{n}")),
                    Some(unpadded(id)),
                ];
                for key in forms.into_iter().flatten() {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        keys.dedup();
        keys
    }

    /// The `Auto` lookup key an earlier version's `x:N`/`d:N` key stands for (a receipt parked
    /// by it, matched against parts stored with [`MsgIdMatching::submit_keys`]); `None` for
    /// any other key.
    pub fn current_form(key: &str) -> Option<String> {
        if let Some(n) = key.strip_prefix("x:") {
            return n.parse::<u128>().ok().map(|n| format!("z:{n:x}"));
        }
        key.strip_prefix("d:")
            .and_then(|n| n.parse::<u128>().ok())
            .map(|n| format!("z:{n}"))
    }
}

/// An in-memory receipt matcher for one connection: what the database does for the dispatcher,
/// for tests, benchmarks and small deployments. `T` is whatever identifies the message.
///
/// It also solves the race of a receipt overtaking its `submit_sm_resp`: an unmatched receipt
/// is parked until an accepted id claims it (bounded by `max_parked`, oldest dropped first).
#[derive(Debug)]
pub struct Correlator<T> {
    matching: MsgIdMatching,
    /// key → (message, the submit id that produced the key)
    by_key: HashMap<String, (T, String)>,
    keys_of: HashMap<String, Vec<String>>,
    parked: HashMap<String, usize>,
    parked_receipts: Vec<Option<DeliveryReceipt>>,
    parked_order: std::collections::VecDeque<usize>,
    max_parked: usize,
}

impl<T: Clone> Correlator<T> {
    pub fn new(matching: MsgIdMatching, max_parked: usize) -> Self {
        Correlator {
            matching,
            by_key: HashMap::new(),
            keys_of: HashMap::new(),
            parked: HashMap::new(),
            parked_receipts: Vec::new(),
            parked_order: Default::default(),
            max_parked,
        }
    }

    /// Records that the SMSC accepted `token`'s part under `message_id`. Returns the receipts
    /// that had arrived before this response.
    pub fn accepted(&mut self, message_id: &str, token: T) -> Vec<DeliveryReceipt> {
        let keys = self.matching.submit_keys(message_id);
        let mut early = Vec::new();
        for key in &keys {
            if let Some(slot) = self.parked.remove(key) {
                if let Some(receipt) = self.parked_receipts.get_mut(slot).and_then(Option::take) {
                    early.push(receipt);
                }
            }
            self.by_key
                .entry(key.clone())
                .or_insert_with(|| (token.clone(), message_id.to_owned()));
        }
        self.keys_of.insert(message_id.to_owned(), keys);
        let done = early.iter().any(|r| r.status.is_final());
        if done {
            self.forget(message_id);
        }
        early
    }

    /// Finds the message a receipt is about. `None` means parked until its id is accepted.
    /// A final receipt removes the message.
    pub fn receipt(&mut self, receipt: DeliveryReceipt) -> Option<(T, DeliveryReceipt)> {
        let candidates: Vec<String> = receipt
            .ids()
            .flat_map(|id| self.matching.receipt_keys(id))
            .collect();
        for key in &candidates {
            if let Some((token, id)) = self.by_key.get(key).cloned() {
                if receipt.status.is_final() {
                    self.forget(&id);
                }
                return Some((token, receipt));
            }
        }
        self.park(candidates, receipt);
        None
    }

    fn park(&mut self, keys: Vec<String>, receipt: DeliveryReceipt) {
        if self.parked_order.len() >= self.max_parked {
            if let Some(old) = self.parked_order.pop_front() {
                if let Some(slot) = self.parked_receipts.get_mut(old) {
                    *slot = None;
                }
            }
        }
        let slot = self.parked_receipts.len();
        self.parked_receipts.push(Some(receipt));
        self.parked_order.push_back(slot);
        for key in keys {
            self.parked.insert(key, slot);
        }
    }

    fn forget(&mut self, message_id: &str) {
        if let Some(keys) = self.keys_of.remove(message_id) {
            for key in keys {
                // Two ids can share a normalised key; only the owner's entry goes.
                if self
                    .by_key
                    .get(&key)
                    .is_some_and(|(_, id)| id == message_id)
                {
                    self.by_key.remove(&key);
                }
            }
        }
    }

    /// Messages still waiting for a final receipt.
    pub fn pending(&self) -> usize {
        self.keys_of.len()
    }

    /// Receipts that arrived before their id was known and are still unclaimed.
    pub fn parked(&self) -> usize {
        self.parked_receipts.iter().filter(|r| r.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(mode: MsgIdMatching, submit: &str, receipt: &str) -> bool {
        let stored = mode.submit_keys(submit);
        mode.receipt_keys(receipt)
            .iter()
            .any(|k| stored.contains(k))
    }

    #[test]
    fn every_matching_reads_back_its_own_name() {
        for m in MsgIdMatching::ALL {
            assert_eq!(m.as_str().parse::<MsgIdMatching>(), Ok(m));
        }
        assert_eq!("".parse::<MsgIdMatching>(), Ok(MsgIdMatching::Auto));
        assert_eq!("hex".parse::<MsgIdMatching>(), Err(UnknownMatching));
    }

    #[test]
    fn exact_matches_only_the_same_string() {
        assert!(matches(MsgIdMatching::Exact, "1A2B", "1A2B"));
        assert!(!matches(MsgIdMatching::Exact, "1A2B", "6699"));
        assert!(!matches(MsgIdMatching::Exact, "0042", "42"));
    }

    #[test]
    fn hex_and_decimal_match_in_the_configured_direction() {
        assert!(matches(
            MsgIdMatching::SubmitHexReceiptDecimal,
            "1A2B",
            "6699"
        ));
        assert!(!matches(
            MsgIdMatching::SubmitHexReceiptDecimal,
            "6699",
            "1A2B"
        ));
        assert!(matches(
            MsgIdMatching::SubmitDecimalReceiptHex,
            "6699",
            "1a2b"
        ));
        assert!(!matches(
            MsgIdMatching::SubmitDecimalReceiptHex,
            "1A2B",
            "6699"
        ));
    }

    #[test]
    fn leading_zeros_and_case_are_ignored_when_asked() {
        assert!(matches(MsgIdMatching::IgnoreLeadingZeros, "000042", "42"));
        assert!(matches(MsgIdMatching::IgnoreLeadingZeros, "42", "0042"));
        assert!(matches(MsgIdMatching::IgnoreLeadingZeros, "00ab", "AB"));
        assert!(!matches(MsgIdMatching::IgnoreLeadingZeros, "420", "42"));
    }

    #[test]
    fn auto_tries_every_interpretation_exact_first() {
        for (submit, receipt) in [
            ("1A2B3C", "1A2B3C"),
            ("1A2B3C", "1715004"),
            ("1715004", "1a2b3c"),
            ("0001715004", "1715004"),
            ("1715004", "0001715004"),
        ] {
            assert!(
                matches(MsgIdMatching::Auto, submit, receipt),
                "{submit} {receipt}"
            );
        }
        assert_eq!(MsgIdMatching::Auto.receipt_keys("42")[0], "42");
        assert!(!matches(MsgIdMatching::Auto, "abc-1", "abc-2"));
    }

    /// The `Auto` keys of the version before `z:` forms replaced `x:`/`d:`: the reference
    /// the current keys must match exactly like.
    fn earlier_auto_keys(id: &str, submit: bool) -> Vec<String> {
        type Reading = fn(&str) -> Option<u128>;
        let (x_number, d_number): (Reading, Reading) = if submit {
            (from_hex, from_decimal)
        } else {
            (from_decimal, from_hex)
        };
        let id = id.trim();
        let mut keys = vec![id.to_owned()];
        keys.extend(x_number(id).map(|n| format!("x:{n}")));
        keys.extend(d_number(id).map(|n| format!("d:{n}")));
        keys.push(unpadded(id));
        keys.dedup();
        keys
    }

    fn shares_a_key(a: &[String], b: &[String]) -> bool {
        a.iter().any(|k| b.contains(k))
    }

    /// Ids as SMSCs write them: hex in either case, decimal, zero-padded, and a few that are
    /// neither (without a sign and at most 32 characters: `keys` says what differs there).
    fn corpus() -> Vec<String> {
        let mut ids = vec![
            "abc-1".to_owned(),
            "abc-2".to_owned(),
            "0".to_owned(),
            "000".to_owned(),
            "ffffffffffffffffffffffffffffffff".to_owned(),
        ];
        for n in [
            0u128, 9, 10, 12, 18, 26, 255, 4660, 6699, 0x1a2b3c, 1_715_004, 99_999_999,
        ] {
            ids.push(format!("{n:X}"));
            ids.push(format!("{n:x}"));
            ids.push(format!("{n}"));
            ids.push(format!("{n:08X}"));
            ids.push(format!("{n:010}"));
        }
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn auto_stores_the_id_and_its_unpadded_form_for_usual_ids() {
        assert_eq!(MsgIdMatching::Auto.submit_keys("1A2B"), ["1A2B", "z:1a2b"]);
        assert_eq!(
            MsgIdMatching::Auto.submit_keys(" 0001715004 "),
            ["0001715004", "z:1715004"]
        );
        assert_eq!(
            MsgIdMatching::Auto.submit_keys("abc-1"),
            ["abc-1", "z:abc-1"]
        );
        // A sign is no part of a number: such an id matches only by itself and its z: form.
        assert_eq!(MsgIdMatching::Auto.submit_keys("+1A"), ["+1A", "z:+1a"]);
        assert!(!matches(MsgIdMatching::Auto, "+1A", "26"));
        assert!(!matches(MsgIdMatching::Auto, "+26", "1A"));
        assert!(matches(MsgIdMatching::Auto, "+1A", "+1a"));
        // Zero-padded past 32 characters: found by its number in the other base too.
        let long = format!("{}1A2B3C", "0".repeat(30));
        assert_eq!(MsgIdMatching::Auto.submit_keys(&long).len(), 2);
        assert!(matches(MsgIdMatching::Auto, &long, "1715004"));
        assert_eq!(
            MsgIdMatching::Auto.receipt_keys("1715004"),
            ["1715004", "z:1a2b3c", "z:24203268", "z:1715004"]
        );
    }

    #[test]
    fn auto_matches_exactly_the_pairs_the_x_and_d_keys_matched() {
        let ids = corpus();
        let mut matched = 0;
        for submit in &ids {
            for receipt in &ids {
                let before = shares_a_key(
                    &earlier_auto_keys(submit, true),
                    &earlier_auto_keys(receipt, false),
                );
                assert_eq!(
                    matches(MsgIdMatching::Auto, submit, receipt),
                    before,
                    "submit {submit}, receipt {receipt}"
                );
                // A part stored by the earlier version is found by today's receipt keys.
                assert_eq!(
                    shares_a_key(
                        &earlier_auto_keys(submit, true),
                        &MsgIdMatching::Auto.receipt_keys(receipt)
                    ),
                    before,
                    "stored before: submit {submit}, receipt {receipt}"
                );
                // A receipt parked by the earlier version finds today's parts once its
                // `x:`/`d:` keys have their current forms beside them.
                let mut parked = earlier_auto_keys(receipt, false);
                parked.extend(
                    parked
                        .clone()
                        .iter()
                        .filter_map(|k| MsgIdMatching::current_form(k)),
                );
                assert_eq!(
                    shares_a_key(&MsgIdMatching::Auto.submit_keys(submit), &parked),
                    before,
                    "parked before: submit {submit}, receipt {receipt}"
                );
                matched += usize::from(before);
            }
        }
        assert!(matched > ids.len(), "the corpus has cross-format pairs");
    }
}

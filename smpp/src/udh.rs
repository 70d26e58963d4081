//! The User Data Header that glues the parts of a long message together (3GPP TS 23.040 §9.2.3.24).
//!
//! When `esm_class` has the UDHI bit (0x40), `short_message` starts with a header:
//!
//! ```text
//! 05        UDHL: 5 header bytes follow
//! 00 03     IE 0x00 "concatenated SM, 8-bit reference", 3 bytes of data
//! 2A 03 01  reference 42, 3 parts in total, this is part 1
//! ```
//!
//! The handset waits until it has every part with the same (sender, reference, total) and shows
//! them in `seq` order. The reference must therefore be the same in all parts of one message and
//! differ between messages to the same handset that may be in flight at the same time.
//! Ferry sends the 8-bit form (6 bytes, which is why a GSM-7 part holds 153 septets: 160 − 7
//! septets for 6 octets). The 16-bit form (IE 0x08) is understood when parsing.

/// Where one part sits in a concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// Same in every part of one message.
    pub reference: u16,
    /// Number of parts, 1..=255.
    pub total: u8,
    /// This part's number, 1..=total.
    pub seq: u8,
}

/// IE identifier: concatenated short message, 8-bit reference.
pub const IE_CONCAT_8BIT: u8 = 0x00;
/// IE identifier: concatenated short message, 16-bit reference.
pub const IE_CONCAT_16BIT: u8 = 0x08;

impl Concat {
    /// The 6-byte header for this part (8-bit reference: the low byte of `reference`).
    pub fn header(self) -> [u8; 6] {
        [
            0x05,
            IE_CONCAT_8BIT,
            0x03,
            (self.reference & 0xFF) as u8,
            self.total,
            self.seq,
        ]
    }
}

/// A header that does not fit the user data it claims to head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed user data header")]
pub struct MalformedUdh;

/// Splits `short_message` (whose `esm_class` had the UDHI bit) into the concatenation info, if
/// any, and the payload after the header. Other information elements are skipped.
pub fn parse(short_message: &[u8]) -> Result<(Option<Concat>, &[u8]), MalformedUdh> {
    let (&udhl, rest) = short_message.split_first().ok_or(MalformedUdh)?;
    let udhl = usize::from(udhl);
    if rest.len() < udhl {
        return Err(MalformedUdh);
    }
    let (mut header, payload) = rest.split_at(udhl);
    let mut concat = None;
    while let [iei, len, tail @ ..] = header {
        let len = usize::from(*len);
        if tail.len() < len {
            return Err(MalformedUdh);
        }
        let (data, next) = tail.split_at(len);
        match (*iei, data) {
            (IE_CONCAT_8BIT, &[reference, total, seq]) => {
                concat = Some(Concat {
                    reference: u16::from(reference),
                    total,
                    seq,
                });
            }
            (IE_CONCAT_16BIT, &[hi, lo, total, seq]) => {
                concat = Some(Concat {
                    reference: u16::from_be_bytes([hi, lo]),
                    total,
                    seq,
                });
            }
            _ => {}
        }
        header = next;
    }
    if !header.is_empty() {
        return Err(MalformedUdh);
    }
    Ok((concat, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let c = Concat {
            reference: 42,
            total: 3,
            seq: 1,
        };
        let mut sm = c.header().to_vec();
        sm.extend_from_slice(b"hello");
        assert_eq!(parse(&sm), Ok((Some(c), &b"hello"[..])));
    }

    #[test]
    fn sixteen_bit_references_and_other_elements_are_understood() {
        // A port-addressing IE (0x05) before a 16-bit concatenation IE.
        let sm = [
            0x0C, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02, b'x',
        ];
        let (concat, payload) = parse(&sm).unwrap_or((None, &[]));
        assert_eq!(
            concat,
            Some(Concat {
                reference: 0x1234,
                total: 2,
                seq: 2
            })
        );
        assert_eq!(payload, b"x");
    }

    #[test]
    fn truncated_headers_are_refused() {
        assert_eq!(parse(&[]), Err(MalformedUdh));
        assert_eq!(parse(&[0x05, 0x00, 0x03]), Err(MalformedUdh));
        assert_eq!(parse(&[0x03, 0x00, 0x03, 0x01]), Err(MalformedUdh));
    }
}

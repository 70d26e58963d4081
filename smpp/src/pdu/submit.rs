//! Building `submit_sm`: one PDU per part of a message.
//!
//! The fields that matter for Ferry, in PDU order:
//!
//! | field                   | Ferry sends                                                    |
//! |-------------------------|----------------------------------------------------------------|
//! | source_addr_ton/npi     | 5/0 alphanumeric sender ID, 1/1 international number, 0/0 none |
//! | source_addr             | the sender ID, or empty on China (the operator sets its own)   |
//! | dest_addr_ton/npi       | 1/1: international, E.164 digits without `+`                   |
//! | esm_class               | 0x00, or 0x40 (UDHI) when `short_message` starts with a UDH    |
//! | validity_period         | relative `YYMMDDhhmmss000R` or absolute `YYMMDDhhmmss000+`     |
//! | registered_delivery     | 1: a receipt for the final outcome, success or failure         |
//! | data_coding             | 0 GSM-7 (unpacked septets), 8 UCS-2 (UTF-16BE)                 |
//! | short_message           | [UDH] + payload, at most 140 octets on the air                 |
//!
//! `esm_class` is always set explicitly: rusmpp 0.4's default is 0x08, which some SMSCs read as
//! a delivery acknowledgement and refuse.

use crate::gsm7::{self, NotGsm7};
use crate::udh::Concat;
use rusmpp::pdus::SubmitSm;
use rusmpp::types::{COctetString, EmptyOrFullCOctetString, OctetString};
use rusmpp::values::{
    DataCoding, EsmClass, Npi, PriorityFlag, RegisteredDelivery, ReplaceIfPresentFlag, ServiceType,
    Ton,
};
use sms::segment::{split, SegmentTable};
use sms::Encoding;
use std::time::Duration;

/// `esm_class` bit: `short_message` starts with a User Data Header.
pub const ESM_UDHI: u8 = 0x40;
/// `data_coding` for the SMSC default alphabet, which Ferry's SMSCs take as GSM 03.38.
pub const DATA_CODING_GSM7: u8 = 0x00;
/// `data_coding` for UCS-2 (UTF-16BE on the wire).
pub const DATA_CODING_UCS2: u8 = 0x08;

/// Who the message appears to come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceAddress {
    /// An alphanumeric sender ID such as `FERRY` (TON 5, NPI 0; at most 11 characters).
    Alphanumeric(String),
    /// A number in international format, digits only (TON 1, NPI 1).
    International(String),
    /// No sender: the operator puts its gateway number (China route).
    None,
}

impl SourceAddress {
    fn ton_npi(&self) -> (Ton, Npi, &str) {
        match self {
            SourceAddress::Alphanumeric(s) => (Ton::Alphanumeric, Npi::Unknown, s),
            SourceAddress::International(s) => (Ton::International, Npi::Isdn, s),
            SourceAddress::None => (Ton::Unknown, Npi::Unknown, ""),
        }
    }
}

/// How long the SMSC keeps trying before it gives up and reports EXPIRED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidityPeriod {
    /// From the time the SMSC accepts the message; whole seconds, at most 99 days.
    Relative(Duration),
    /// Until this instant (sent in UTC).
    Absolute(time::OffsetDateTime),
}

impl ValidityPeriod {
    /// The 16-character SMPP time string (§7.1.1 of the SMPP 3.4 spec): `YYMMDDhhmmsstnnp`,
    /// where `t` is tenths of a second, `nn` the offset from UTC in quarter hours and `p` is
    /// `+`/`-` for absolute times or `R` for a relative period (then `nn` is 00).
    pub fn to_smpp(self) -> Result<String, BuildError> {
        match self {
            ValidityPeriod::Relative(d) => {
                let secs = d.as_secs();
                let days = secs / 86_400;
                if days > 99 || secs == 0 {
                    return Err(BuildError::Validity(format!(
                        "a relative validity period must be 1 s to 99 days, not {secs} s"
                    )));
                }
                let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
                Ok(format!("0000{days:02}{h:02}{m:02}{s:02}000R"))
            }
            ValidityPeriod::Absolute(t) => {
                let t = t.to_offset(time::UtcOffset::UTC);
                let year = t.year();
                if !(2000..2100).contains(&year) {
                    return Err(BuildError::Validity(format!("year {year} is out of range")));
                }
                Ok(format!(
                    "{:02}{:02}{:02}{:02}{:02}{:02}000+",
                    year - 2000,
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ))
            }
        }
    }
}

/// Why a `submit_sm` could not be built. None of these reached an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    TooLong(#[from] sms::TooLong),
    #[error(transparent)]
    NotGsm7(#[from] NotGsm7),
    #[error("invalid destination {0:?}: 1 to 20 digits expected")]
    InvalidDestination(String),
    #[error("invalid source address {0:?}")]
    InvalidSource(String),
    #[error("{0}")]
    Validity(String),
    #[error("a part is {0} octets, more than the 255 short_message allows")]
    PartTooBig(usize),
}

/// What every part of a message shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub source: SourceAddress,
    /// E.164 digits without `+`.
    pub destination: String,
    pub validity: Option<ValidityPeriod>,
    /// Ask for a delivery receipt (false on routes without receipts, e.g. HK Economic).
    pub registered_delivery: bool,
}

/// A whole message, to be cut into parts by `sms::segment::split`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    pub envelope: Envelope,
    pub text: String,
    pub table: SegmentTable,
    /// Concatenation reference shared by the parts. Pick it so two long messages to the same
    /// handset in flight together differ (e.g. the low byte of the message's database id).
    pub reference: u8,
}

impl OutboundMessage {
    /// One [`SubmitRequest`] per part, in order; the count is the count charged.
    pub fn parts(&self) -> Result<Vec<SubmitRequest>, BuildError> {
        let split = split(&self.text, self.table)?;
        let total = split.parts.len();
        let total_u8 = u8::try_from(total).map_err(|_| BuildError::PartTooBig(total))?;
        split
            .parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let concat = (total > 1).then(|| Concat {
                    reference: u16::from(self.reference),
                    total: total_u8,
                    // i < total <= 255
                    seq: (i + 1) as u8,
                });
                SubmitRequest::part(&self.envelope, split.encoding, &part.text, concat)
            })
            .collect()
    }
}

/// One `submit_sm`, ready for [`crate::client::ClientHandle::submit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitRequest {
    pdu: SubmitSm,
}

fn c_octet<const MIN: usize, const MAX: usize>(
    s: &str,
    err: impl Fn() -> BuildError,
) -> Result<COctetString<MIN, MAX>, BuildError> {
    COctetString::from_string(s.to_owned()).map_err(|_| err())
}

impl SubmitRequest {
    /// Builds the `submit_sm` for one part: `text` is that part's text (already split, line
    /// breaks as CR LF), `concat` its place in a multi-part message.
    pub fn part(
        envelope: &Envelope,
        encoding: Encoding,
        text: &str,
        concat: Option<Concat>,
    ) -> Result<SubmitRequest, BuildError> {
        let dest = &envelope.destination;
        if dest.is_empty() || dest.len() > 20 || !dest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BuildError::InvalidDestination(dest.clone()));
        }
        let (source_ton, source_npi, source) = envelope.source.ton_npi();
        let source_ok = match &envelope.source {
            SourceAddress::Alphanumeric(s) => {
                !s.is_empty()
                    && s.len() <= 11
                    && s.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
            }
            SourceAddress::International(s) => {
                !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
            }
            SourceAddress::None => true,
        };
        if !source_ok {
            return Err(BuildError::InvalidSource(source.to_owned()));
        }

        let (data_coding, payload) = match encoding {
            Encoding::Gsm7 => (DATA_CODING_GSM7, gsm7::encode(text)?),
            Encoding::Ucs2 => (
                DATA_CODING_UCS2,
                text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ),
        };
        let mut short_message = Vec::with_capacity(payload.len() + 6);
        let mut esm_class = 0u8;
        if let Some(concat) = concat {
            esm_class |= ESM_UDHI;
            short_message.extend_from_slice(&concat.header());
        }
        short_message.extend_from_slice(&payload);
        let len = short_message.len();
        let short_message =
            OctetString::from_vec(short_message).map_err(|_| BuildError::PartTooBig(len))?;

        let validity = match envelope.validity {
            Some(v) => EmptyOrFullCOctetString::from_string(v.to_smpp()?)
                .map_err(|e| BuildError::Validity(e.to_string()))?,
            None => EmptyOrFullCOctetString::empty(),
        };

        let pdu = SubmitSm::builder()
            .service_type(ServiceType::default())
            .source_addr_ton(source_ton)
            .source_addr_npi(source_npi)
            .source_addr(c_octet(source, || {
                BuildError::InvalidSource(source.to_owned())
            })?)
            .dest_addr_ton(Ton::International)
            .dest_addr_npi(Npi::Isdn)
            .destination_addr(c_octet(dest, || {
                BuildError::InvalidDestination(dest.clone())
            })?)
            .esm_class(EsmClass::from(esm_class))
            .protocol_id(0)
            .priority_flag(PriorityFlag::default())
            .schedule_delivery_time(EmptyOrFullCOctetString::empty())
            .validity_period(validity)
            .registered_delivery(RegisteredDelivery::from(u8::from(
                envelope.registered_delivery,
            )))
            .replace_if_present_flag(ReplaceIfPresentFlag::DoNotReplace)
            .data_coding(DataCoding::from(data_coding))
            .sm_default_msg_id(0)
            .short_message(short_message)
            .build();
        Ok(SubmitRequest { pdu })
    }

    /// Wraps a hand-built PDU (tests, or fields Ferry does not normally set).
    pub fn from_pdu(pdu: SubmitSm) -> SubmitRequest {
        SubmitRequest { pdu }
    }

    pub fn pdu(&self) -> &SubmitSm {
        &self.pdu
    }

    pub fn into_pdu(self) -> SubmitSm {
        self.pdu
    }

    pub fn destination(&self) -> &str {
        self.pdu.destination_addr.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            source: SourceAddress::Alphanumeric("FERRY".into()),
            destination: "85291234567".into(),
            validity: Some(ValidityPeriod::Relative(Duration::from_secs(3 * 3600 + 5))),
            registered_delivery: true,
        }
    }

    fn message(text: &str) -> OutboundMessage {
        OutboundMessage {
            envelope: envelope(),
            text: text.into(),
            table: SegmentTable::Standard,
            reference: 42,
        }
    }

    #[test]
    fn a_short_gsm_message_is_one_plain_part() {
        let parts = message("Hi €").parts().unwrap_or_default();
        assert_eq!(parts.len(), 1);
        let pdu = parts[0].pdu();
        assert_eq!(u8::from(pdu.esm_class), 0x00);
        assert_eq!(u8::from(pdu.data_coding), 0x00);
        assert_eq!(u8::from(pdu.registered_delivery), 0x01);
        assert_eq!(u8::from(pdu.source_addr_ton), 5);
        assert_eq!(u8::from(pdu.source_addr_npi), 0);
        assert_eq!(u8::from(pdu.dest_addr_ton), 1);
        assert_eq!(u8::from(pdu.dest_addr_npi), 1);
        assert_eq!(
            pdu.short_message().as_ref(),
            &[b'H', b'i', 0x20, 0x1B, 0x65]
        );
        assert_eq!(pdu.validity_period.as_ref(), b"000000030005000R\0");
    }

    #[test]
    fn a_long_message_carries_the_same_reference_in_every_part() {
        let text = "x".repeat(400);
        let parts = message(&text).parts().unwrap_or_default();
        assert_eq!(parts.len(), 3);
        for (i, p) in parts.iter().enumerate() {
            let sm = p.pdu().short_message().as_ref();
            assert_eq!(u8::from(p.pdu().esm_class), 0x40);
            assert_eq!(&sm[..6], &[5, 0, 3, 42, 3, i as u8 + 1]);
            assert!(sm.len() - 6 <= 153);
        }
    }

    #[test]
    fn ucs2_is_utf16_big_endian_with_surrogates() {
        let parts = message("中😀").parts().unwrap_or_default();
        let pdu = parts[0].pdu();
        assert_eq!(u8::from(pdu.data_coding), 0x08);
        assert_eq!(
            pdu.short_message().as_ref(),
            &[0x4E, 0x2D, 0xD8, 0x3D, 0xDE, 0x00]
        );
    }

    #[test]
    fn too_long_is_refused_not_truncated() {
        assert!(matches!(
            message(&"x".repeat(460)).parts(),
            Err(BuildError::TooLong(_))
        ));
    }

    #[test]
    fn china_has_no_source_address() {
        let mut m = message("[Ferry]hello");
        m.envelope.source = SourceAddress::None;
        m.table = SegmentTable::China;
        let parts = m.parts().unwrap_or_default();
        let pdu = parts[0].pdu();
        assert!(pdu.source_addr.is_empty());
        assert_eq!(u8::from(pdu.source_addr_ton), 0);
    }

    #[test]
    fn bad_addresses_are_refused() {
        let mut m = message("hi");
        m.envelope.destination = "+85291234567".into();
        assert!(matches!(m.parts(), Err(BuildError::InvalidDestination(_))));
        let mut m = message("hi");
        m.envelope.source = SourceAddress::Alphanumeric("TWELVE_CHARS".into());
        assert!(matches!(m.parts(), Err(BuildError::InvalidSource(_))));
    }

    #[test]
    fn validity_periods_format() {
        let r = |s| ValidityPeriod::Relative(Duration::from_secs(s)).to_smpp();
        assert_eq!(r(48 * 3600).as_deref(), Ok("000002000000000R"));
        assert_eq!(r(59).as_deref(), Ok("000000000059000R"));
        assert!(r(0).is_err());
        assert!(r(100 * 86_400).is_err());
        let t = time::macros::datetime!(2026-03-04 05:06:07 +08:00);
        assert_eq!(
            ValidityPeriod::Absolute(t).to_smpp().as_deref(),
            Ok("260303210607000+")
        );
    }
}

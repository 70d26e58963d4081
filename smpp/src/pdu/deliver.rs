//! Reading `deliver_sm`: the SMSC sends both delivery receipts and mobile-originated (MO)
//! messages with it, told apart by `esm_class`:
//!
//! | esm_class bits 2–5 | meaning                                        |
//! |--------------------|------------------------------------------------|
//! | 0x04               | SMSC delivery receipt                          |
//! | 0x20               | intermediate delivery notification             |
//! | 0x00               | an ordinary message from a handset (MO)        |
//!
//! A receipt tells its outcome twice, and SMSCs differ in which they fill in:
//! - the **text** in `short_message`, in the de-facto format of SMPP 3.4 Appendix B:
//!   `id:X sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:...`
//!   (we accept any case, any order and missing fields);
//! - **TLVs**: `receipted_message_id` (0x001E), `message_state` (0x0427), `network_error_code`
//!   (0x0423). Where both exist, the TLVs win: they are typed, the text is free-form.
//!
//! ## State → Ferry status (spec §8)
//!
//! | stat / message_state          | status         | error code when `err` says nothing |
//! |-------------------------------|----------------|------------------------------------|
//! | DELIVRD / DELIVERED (2)       | DELIVERED      | none                               |
//! | EXPIRED (3)                   | EXPIRED        | 7 Expired                          |
//! | UNDELIV / UNDELIVERABLE (5)   | UNDELIVERABLE  | 17 Unknown                         |
//! | REJECTD / REJECTED (8)        | UNDELIVERABLE  | 5 Blocked As Spam (1)              |
//! | DELETED (4)                   | UNDELIVERABLE  | 17 Unknown                         |
//! | UNKNOWN (7)                   | UNDELIVERABLE  | 17 Unknown                         |
//! | ENROUTE (1), ACCEPTD (6), SCHEDULED (0), intermediate notification (0x20) | RETRY | none |
//! | anything else                 | RETRY (2)      | 17 Unknown                         |
//!
//! (1) A message the SMSC accepted and then rejected was, in practice, stopped by a content or
//! anti-spam filter; barring and unknown numbers come as UNDELIV with an `err`.
//! (2) Not claiming a final outcome we cannot read: a later receipt or the validity period ends it.
//! ACCEPTD is final in the SMPP spec ("read by customer service"), but operators use it as
//! "accepted for delivery", so it is treated as in progress.
//!
//! ## `err` → Ferry error code
//!
//! The `err` field (and a GSM `network_error_code`) carries, on the SMSCs we know, the GSM MAP
//! error (3GPP TS 29.002) in decimal. A specific `err` overrides the defaults above (an EXPIRED
//! receipt with err 027 is "expired, handset off"):
//!
//! | err      | MAP error                                   | Ferry error code          |
//! |----------|---------------------------------------------|---------------------------|
//! | 000      | none                                        | (default of the state)    |
//! | 001, 005 | unknownSubscriber, unidentifiedSubscriber   | 3 Unknown Subscriber      |
//! | 006, 027 | absentSubscriberSM, absentSubscriber        | 1 Handset Off             |
//! | 031      | subscriberBusyForMT-SMS                     | 1 Handset Off             |
//! | 009, 012, 013 | illegalSubscriber/Equipment, callBarred | 4 Barred                  |
//! | 011, 021 | teleserviceNotProvisioned, facilityNotSupported | 13 Cannot Receive SMS |
//! | 033      | messageWaitingListFull                      | 2 Memory Full             |
//! | 032, 034–036 | sm-DeliveryFailure, systemFailure, data errors | 6 Network Error     |
//! | other    |                                             | 17 Unknown                |

use crate::gsm7;
use crate::udh::{self, Concat};
use rusmpp::pdus::DeliverSm;
use rusmpp::tlvs::TlvValue;
use rusmpp::values::{ErrorCodeNetworkType, MessageState};
use sms::status::{DeliveryStatus, ErrorCode};

/// `esm_class` bit: delivery receipt.
pub const ESM_RECEIPT: u8 = 0x04;
/// `esm_class` bit: intermediate delivery notification.
pub const ESM_INTERMEDIATE: u8 = 0x20;

/// What a `deliver_sm` carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Receipt(DeliveryReceipt),
    Mo(MoMessage),
}

/// The state an SMSC reports for a message (`stat:` or `message_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptState {
    Scheduled,
    Enroute,
    Delivered,
    Expired,
    Deleted,
    Undeliverable,
    Accepted,
    Unknown,
    Rejected,
    Skipped,
    /// Neither a known `stat:` nor a `message_state` TLV; the raw text is kept.
    Other(String),
}

impl ReceiptState {
    /// Reads a `stat:` value, in any case, abbreviated (SMPP 3.4) or spelled out.
    pub fn from_stat(stat: &str) -> ReceiptState {
        match stat.to_ascii_uppercase().as_str() {
            "SCHEDULED" | "SCHEDUL" => ReceiptState::Scheduled,
            "ENROUTE" => ReceiptState::Enroute,
            "DELIVRD" | "DELIVERED" => ReceiptState::Delivered,
            "EXPIRED" => ReceiptState::Expired,
            "DELETED" => ReceiptState::Deleted,
            "UNDELIV" | "UNDELIVERABLE" => ReceiptState::Undeliverable,
            "ACCEPTD" | "ACCEPTED" => ReceiptState::Accepted,
            "UNKNOWN" => ReceiptState::Unknown,
            "REJECTD" | "REJECTED" => ReceiptState::Rejected,
            "SKIPPED" => ReceiptState::Skipped,
            _ => ReceiptState::Other(stat.to_owned()),
        }
    }

    fn from_message_state(state: MessageState) -> ReceiptState {
        match state {
            MessageState::Scheduled => ReceiptState::Scheduled,
            MessageState::Enroute => ReceiptState::Enroute,
            MessageState::Delivered => ReceiptState::Delivered,
            MessageState::Expired => ReceiptState::Expired,
            MessageState::Deleted => ReceiptState::Deleted,
            MessageState::Undeliverable => ReceiptState::Undeliverable,
            MessageState::Accepted => ReceiptState::Accepted,
            MessageState::Unknown => ReceiptState::Unknown,
            MessageState::Rejected => ReceiptState::Rejected,
            MessageState::Skipped => ReceiptState::Skipped,
            MessageState::Other(n) => ReceiptState::Other(format!("message_state {n}")),
        }
    }

    /// The `stat:` abbreviation an SMSC writes for this state.
    pub fn stat(&self) -> &str {
        match self {
            ReceiptState::Scheduled => "SCHEDULED",
            ReceiptState::Enroute => "ENROUTE",
            ReceiptState::Delivered => "DELIVRD",
            ReceiptState::Expired => "EXPIRED",
            ReceiptState::Deleted => "DELETED",
            ReceiptState::Undeliverable => "UNDELIV",
            ReceiptState::Accepted => "ACCEPTD",
            ReceiptState::Unknown => "UNKNOWN",
            ReceiptState::Rejected => "REJECTD",
            ReceiptState::Skipped => "SKIPPED",
            ReceiptState::Other(s) => s,
        }
    }
}

/// Ferry's error code for an `err` value (see the table in the module docs). `None` for 0.
pub fn error_for_err(err: u16) -> Option<ErrorCode> {
    Some(match err {
        0 => return None,
        1 | 5 => ErrorCode::UnknownSubscriber,
        6 | 27 | 31 => ErrorCode::HandsetOff,
        9 | 12 | 13 => ErrorCode::Barred,
        11 | 21 => ErrorCode::CannotReceiveSms,
        33 => ErrorCode::MemoryFull,
        32 | 34..=36 => ErrorCode::NetworkError,
        _ => ErrorCode::Unknown,
    })
}

/// Ferry's status for a receipt state, and the error code to use when `err` is silent.
pub fn status_for_state(
    state: &ReceiptState,
    intermediate: bool,
) -> (DeliveryStatus, Option<ErrorCode>) {
    use ReceiptState as S;
    if intermediate {
        return (DeliveryStatus::Retry, None);
    }
    match state {
        S::Delivered => (DeliveryStatus::Delivered, None),
        S::Expired => (DeliveryStatus::Expired, Some(ErrorCode::Expired)),
        S::Undeliverable | S::Deleted | S::Unknown => {
            (DeliveryStatus::Undeliverable, Some(ErrorCode::Unknown))
        }
        S::Rejected => (
            DeliveryStatus::Undeliverable,
            Some(ErrorCode::BlockedAsSpam),
        ),
        S::Enroute | S::Accepted | S::Scheduled => (DeliveryStatus::Retry, None),
        S::Skipped | S::Other(_) => (DeliveryStatus::Retry, Some(ErrorCode::Unknown)),
    }
}

/// A `network_error_code` TLV: which network's error table, and the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkError {
    /// 3 = GSM (MAP errors), 7 = SMPP error, 8 = SMSC specific, ...
    pub network_type: u8,
    pub code: u16,
}

/// A delivery receipt, read leniently, with Ferry's status and error code decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReceipt {
    /// The id to correlate with a `submit_sm_resp`: the `receipted_message_id` TLV if present,
    /// else the text's `id:`. Empty when the SMSC sent neither (such a receipt cannot be matched).
    pub message_id: String,
    /// The text's `id:`, kept because it may differ in format from the TLV.
    pub text_id: Option<String>,
    pub state: ReceiptState,
    pub status: DeliveryStatus,
    /// Why not (yet) delivered; `None` for DELIVERED and plain progress reports.
    pub error: Option<ErrorCode>,
    /// The raw `err:` value.
    pub err: Option<String>,
    pub network_error: Option<NetworkError>,
    pub submitted: Option<u32>,
    pub delivered: Option<u32>,
    /// `YYMMDDhhmm[ss]`, as sent.
    pub submit_date: Option<String>,
    pub done_date: Option<String>,
    /// The first characters of the original message, when the SMSC includes them.
    pub text: Option<String>,
    /// The handset the original message went to (the receipt's `source_addr`).
    pub recipient: String,
    /// An intermediate notification (esm_class 0x20): never final.
    pub intermediate: bool,
}

impl DeliveryReceipt {
    /// Every id this receipt could be matched by, the TLV first (see [`crate::msgid`]).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let tlv = (!self.message_id.is_empty()).then_some(self.message_id.as_str());
        let text = self
            .text_id
            .as_deref()
            .filter(|t| Some(*t) != tlv && !t.is_empty());
        tlv.into_iter().chain(text)
    }
}

/// A message a handset sent to one of our numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoMessage {
    /// The sender's number.
    pub from: String,
    /// Our number it was sent to.
    pub to: String,
    /// Decoded text (of this part, when `concat` is set).
    pub text: String,
    /// The user data as sent, without its header: the parts of a concatenated message are
    /// joined as bytes and decoded once ([`decode_text`]), since a UCS-2 character or a GSM-7
    /// escape may be split between two parts.
    pub body: Vec<u8>,
    pub data_coding: u8,
    /// Set when this is one part of a concatenated message (from the UDH, or else from the
    /// `sar_*` TLVs); the caller reassembles.
    pub concat: Option<Concat>,
}

/// The fields of a receipt's text, any order, any case.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReceiptText {
    pub id: Option<String>,
    pub sub: Option<String>,
    pub dlvrd: Option<String>,
    pub submit_date: Option<String>,
    pub done_date: Option<String>,
    pub stat: Option<String>,
    pub err: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

const KEYS: [(&str, Field); 10] = [
    ("id:", Field::Id),
    ("sub:", Field::Sub),
    ("dlvrd:", Field::Dlvrd),
    ("submit date:", Field::SubmitDate),
    ("submit_date:", Field::SubmitDate),
    ("done date:", Field::DoneDate),
    ("done_date:", Field::DoneDate),
    ("stat:", Field::Stat),
    ("err:", Field::Err),
    ("text:", Field::Text),
];

impl ReceiptText {
    /// Parses the Appendix B text. A key counts only at the start or after whitespace (so the
    /// `id:` inside `msgid:` is not one). `text:` runs to the end, except that keys not seen
    /// before it still count after it (some SMSCs put `text:` in the middle).
    pub fn parse(s: &str) -> ReceiptText {
        let lower = s.to_ascii_lowercase(); // same byte offsets as `s`
        let mut hits: Vec<(usize, usize, Field)> = Vec::new();
        for (pat, field) in KEYS {
            for (pos, _) in lower.match_indices(pat) {
                let at_boundary = pos == 0 || lower.as_bytes()[pos - 1].is_ascii_whitespace();
                if at_boundary {
                    hits.push((pos, pos + pat.len(), field));
                }
            }
        }
        hits.sort_by_key(|h| h.0);
        // The first occurrence of each key wins, so inside the text only keys that have not
        // appeared yet can start a new field.
        let mut kept: Vec<(usize, usize, Field)> = Vec::new();
        for hit in hits {
            if !kept.iter().any(|k| k.2 == hit.2) {
                kept.push(hit);
            }
        }
        let mut out = ReceiptText::default();
        for (i, &(_, value_start, field)) in kept.iter().enumerate() {
            let end = kept.get(i + 1).map_or(s.len(), |next| next.0);
            let raw = &s[value_start..end];
            let value = if field == Field::Text {
                raw.trim_start().trim_end_matches(['\0', ' ']).to_owned()
            } else {
                raw.split_whitespace().next().unwrap_or("").to_owned()
            };
            let slot = match field {
                Field::Id => &mut out.id,
                Field::Sub => &mut out.sub,
                Field::Dlvrd => &mut out.dlvrd,
                Field::SubmitDate => &mut out.submit_date,
                Field::DoneDate => &mut out.done_date,
                Field::Stat => &mut out.stat,
                Field::Err => &mut out.err,
                Field::Text => &mut out.text,
            };
            *slot = Some(value);
        }
        out
    }
}

/// Parses an `err:` value: decimal as Appendix B writes it, hex as a few SMSCs do.
fn parse_err(err: &str) -> Option<u16> {
    err.parse::<u16>()
        .ok()
        .or_else(|| u16::from_str_radix(err, 16).ok())
}

/// Decodes user data by `data_coding`: 0 GSM-7 (unpacked), 8 UCS-2/UTF-16BE, others Latin-1.
pub fn decode_text(data_coding: u8, bytes: &[u8]) -> String {
    match data_coding {
        0x00 => gsm7::decode(bytes),
        0x08 => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Classifies and parses a `deliver_sm`.
pub fn parse_deliver_sm(pdu: &DeliverSm) -> Inbound {
    let esm = u8::from(pdu.esm_class);
    let data_coding = u8::from(pdu.data_coding);
    let mut receipted_id = None;
    let mut message_state = None;
    let mut network_error = None;
    let mut payload = None;
    let (mut sar_ref, mut sar_total, mut sar_seq) = (None, None, None);
    for tlv in pdu.tlvs() {
        match tlv.value() {
            Some(TlvValue::ReceiptedMessageId(id)) => receipted_id = Some(id.as_str().to_owned()),
            Some(TlvValue::MessageState(s)) => message_state = Some(*s),
            Some(TlvValue::NetworkErrorCode(e)) => {
                network_error = Some(NetworkError {
                    network_type: u8::from(e.network_type),
                    code: e.error_code,
                })
            }
            Some(TlvValue::MessagePayload(p)) => payload = Some(p.value.to_vec()),
            Some(TlvValue::SarMsgRefNum(r)) => sar_ref = Some(*r),
            Some(TlvValue::SarTotalSegments(t)) => sar_total = Some(*t),
            Some(TlvValue::SarSegmentSeqnum(n)) => sar_seq = Some(*n),
            _ => {}
        }
    }
    let short_message: &[u8] = pdu.short_message().as_ref();
    let user_data: Vec<u8> = match payload {
        Some(p) if short_message.is_empty() => p,
        _ => short_message.to_vec(),
    };

    let is_receipt = esm & (ESM_RECEIPT | ESM_INTERMEDIATE) != 0 || receipted_id.is_some();
    if !is_receipt {
        let (concat, body) = if esm & crate::pdu::ESM_UDHI != 0 {
            match udh::parse(&user_data) {
                Ok((concat, body)) => (concat, body.to_vec()),
                Err(_) => (None, user_data.clone()),
            }
        } else {
            (None, user_data.clone())
        };
        // SMPP's own way of saying the same (§5.3.2.22-24), used when there is no UDH.
        let sar = match (sar_ref, sar_total, sar_seq) {
            (Some(reference), Some(total), Some(seq))
                if total >= 1 && (1..=total).contains(&seq) =>
            {
                Some(Concat {
                    reference,
                    total,
                    seq,
                })
            }
            _ => None,
        };
        return Inbound::Mo(MoMessage {
            from: pdu.source_addr.as_str().to_owned(),
            to: pdu.destination_addr.as_str().to_owned(),
            text: decode_text(data_coding, &body),
            body,
            data_coding,
            concat: concat.or(sar),
        });
    }

    // Receipt text is ASCII in practice; Latin-1 keeps every byte (GSM-7 would turn `_` into `§`).
    let text: String = user_data.iter().map(|&b| char::from(b)).collect();
    let fields = ReceiptText::parse(&text);
    let intermediate = esm & ESM_INTERMEDIATE != 0;
    let state = match (message_state, &fields.stat) {
        (Some(s), _) => ReceiptState::from_message_state(s),
        (None, Some(stat)) => ReceiptState::from_stat(stat),
        (None, None) => ReceiptState::Other(String::new()),
    };
    let (status, default_error) = status_for_state(&state, intermediate);
    let err_code = fields
        .err
        .as_deref()
        .and_then(parse_err)
        .filter(|&e| e != 0);
    let network_code = network_error
        .filter(|n| n.network_type == u8::from(ErrorCodeNetworkType::Gsm))
        .map(|n| n.code)
        .filter(|&c| c != 0);
    let specific = err_code.or(network_code).and_then(error_for_err);
    let error = match status {
        DeliveryStatus::Delivered => None,
        // A specific reason beats the state's default; "Unknown" never replaces a better default.
        _ => match (specific, default_error) {
            (Some(ErrorCode::Unknown), Some(d)) => Some(d),
            (Some(e), _) => Some(e),
            (None, d) => d,
        },
    };
    let message_id = receipted_id
        .clone()
        .or_else(|| fields.id.clone())
        .unwrap_or_default();
    Inbound::Receipt(DeliveryReceipt {
        message_id,
        text_id: fields.id,
        state,
        status,
        error,
        err: fields.err,
        network_error,
        submitted: fields.sub.and_then(|s| s.parse().ok()),
        delivered: fields.dlvrd.and_then(|s| s.parse().ok()),
        submit_date: fields.submit_date,
        done_date: fields.done_date,
        text: fields.text,
        recipient: pdu.source_addr.as_str().to_owned(),
        intermediate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusmpp::tlvs::MessageDeliveryRequestTlvValue as Tlv;
    use rusmpp::types::{COctetString, OctetString};
    use rusmpp::values::{EsmClass, NetworkErrorCode};

    fn deliver(esm: u8, text: &str, tlvs: Vec<Tlv>) -> DeliverSm {
        DeliverSm::builder()
            .source_addr(COctetString::from_string("85291234567".into()).unwrap_or_default())
            .destination_addr(COctetString::from_string("FERRY".into()).unwrap_or_default())
            .esm_class(EsmClass::from(esm))
            .short_message(OctetString::from_vec(text.as_bytes().to_vec()).unwrap_or_default())
            .tlvs(tlvs)
            .build()
    }

    fn receipt(esm: u8, text: &str, tlvs: Vec<Tlv>) -> DeliveryReceipt {
        match parse_deliver_sm(&deliver(esm, text, tlvs)) {
            Inbound::Receipt(r) => r,
            Inbound::Mo(m) => panic!("parsed as MO: {m:?}"),
        }
    }

    const STANDARD: &str = "id:0123456789 sub:001 dlvrd:001 submit date:2401011200 \
                            done date:2401011201 stat:DELIVRD err:000 text:Hello world";

    #[test]
    fn the_standard_text_is_read_field_by_field() {
        let r = receipt(0x04, STANDARD, vec![]);
        assert_eq!(r.message_id, "0123456789");
        assert_eq!(r.state, ReceiptState::Delivered);
        assert_eq!(r.status, DeliveryStatus::Delivered);
        assert_eq!(r.error, None);
        assert_eq!(r.submitted, Some(1));
        assert_eq!(r.delivered, Some(1));
        assert_eq!(r.submit_date.as_deref(), Some("2401011200"));
        assert_eq!(r.done_date.as_deref(), Some("2401011201"));
        assert_eq!(r.text.as_deref(), Some("Hello world"));
        assert_eq!(r.recipient, "85291234567");
    }

    #[test]
    fn case_order_and_missing_fields_do_not_matter() {
        let r = receipt(0x04, "STAT:undeliv ID:abc_1 Err:001", vec![]);
        assert_eq!(r.message_id, "abc_1", "Latin-1, not GSM-7: '_' stays '_'");
        assert_eq!(r.status, DeliveryStatus::Undeliverable);
        assert_eq!(r.error, Some(ErrorCode::UnknownSubscriber));
        assert_eq!(r.submitted, None);
    }

    #[test]
    fn keys_inside_other_words_or_the_text_are_not_fields() {
        let r = receipt(
            0x04,
            "msgid:zzz id:42 stat:DELIVRD err:000 text:stat:EXPIRED id:7",
            vec![],
        );
        assert_eq!(r.message_id, "42");
        assert_eq!(r.state, ReceiptState::Delivered);
        assert_eq!(r.text.as_deref(), Some("stat:EXPIRED id:7"));
    }

    #[test]
    fn every_state_maps_to_its_status_and_error() {
        use DeliveryStatus as S;
        use ErrorCode as E;
        #[rustfmt::skip]
        let cases = [
            ("DELIVRD", "000", S::Delivered, None),
            ("EXPIRED", "000", S::Expired, Some(E::Expired)),
            ("EXPIRED", "027", S::Expired, Some(E::HandsetOff)),
            ("UNDELIV", "001", S::Undeliverable, Some(E::UnknownSubscriber)),
            ("UNDELIV", "013", S::Undeliverable, Some(E::Barred)),
            ("UNDELIV", "033", S::Undeliverable, Some(E::MemoryFull)),
            ("UNDELIV", "999", S::Undeliverable, Some(E::Unknown)),
            ("REJECTD", "000", S::Undeliverable, Some(E::BlockedAsSpam)),
            ("DELETED", "000", S::Undeliverable, Some(E::Unknown)),
            ("UNKNOWN", "000", S::Undeliverable, Some(E::Unknown)),
            ("ENROUTE", "027", S::Retry, Some(E::HandsetOff)),
            ("ACCEPTD", "000", S::Retry, None),
            ("WEIRD", "000", S::Retry, Some(E::Unknown)),
        ];
        for (stat, err, status, error) in cases {
            let r = receipt(0x04, &format!("id:1 stat:{stat} err:{err}"), vec![]);
            assert_eq!((r.status, r.error), (status, error), "{stat} {err}");
        }
    }

    #[test]
    fn intermediate_notifications_are_never_final() {
        let r = receipt(0x20, "id:1 stat:DELIVRD err:000", vec![]);
        assert_eq!(r.status, DeliveryStatus::Retry);
        assert!(r.intermediate);
    }

    #[test]
    fn tlvs_win_over_the_text() {
        let r = receipt(
            0x04,
            "id:0A stat:DELIVRD err:000",
            vec![
                Tlv::ReceiptedMessageId(COctetString::from_string("10".into()).unwrap_or_default()),
                Tlv::MessageState(MessageState::Undeliverable),
                Tlv::NetworkErrorCode(NetworkErrorCode::new(ErrorCodeNetworkType::Gsm, 27)),
            ],
        );
        assert_eq!(r.message_id, "10");
        assert_eq!(r.ids().collect::<Vec<_>>(), ["10", "0A"]);
        assert_eq!(r.status, DeliveryStatus::Undeliverable);
        assert_eq!(r.error, Some(ErrorCode::HandsetOff));
    }

    #[test]
    fn a_receipt_with_only_tlvs_is_a_receipt() {
        let r = receipt(
            0x00,
            "",
            vec![
                Tlv::ReceiptedMessageId(COctetString::from_string("77".into()).unwrap_or_default()),
                Tlv::MessageState(MessageState::Expired),
            ],
        );
        assert_eq!(
            (r.message_id.as_str(), r.status),
            ("77", DeliveryStatus::Expired)
        );
    }

    #[test]
    fn an_ordinary_deliver_sm_is_an_mo_message() {
        match parse_deliver_sm(&deliver(0x00, "STOP", vec![])) {
            Inbound::Mo(m) => {
                assert_eq!(m.text, "STOP");
                assert_eq!(m.from, "85291234567");
                assert_eq!(m.to, "FERRY");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_decodes_by_data_coding() {
        assert_eq!(decode_text(0, &[0x00, 0x02, 0x1B, 0x65]), "@$€");
        assert_eq!(
            decode_text(8, &[0x4E, 0x2D, 0xD8, 0x3D, 0xDE, 0x00]),
            "中😀"
        );
        assert_eq!(decode_text(3, &[0xE9]), "é");
    }
}

//! The deliver_sm PDUs the simulator sends: receipts in the Appendix B text format (plus TLVs),
//! and MO messages.

use super::{DeliverKind, MoRequest, Outcome, Queued, ReceivedPart, SimulatorError, State};
use crate::pdu::deliver::{ReceiptState, ESM_RECEIPT};
use crate::pdu::{DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_UDHI};
use crate::udh::Concat;
use rusmpp::pdus::DeliverSm;
use rusmpp::tlvs::MessageDeliveryRequestTlvValue;
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, MessageState, Npi, Ton};
use std::sync::Arc;
use std::time::Duration;

/// MAP error "absent subscriber", what a switched-off handset produces.
const ERR_ABSENT_SUBSCRIBER: u16 = 27;
/// MAP error "unknown subscriber".
const ERR_UNKNOWN_SUBSCRIBER: u16 = 1;

fn smpp_date(t: time::OffsetDateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}",
        t.year().rem_euclid(100),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `id:… sub:001 dlvrd:… submit date:… done date:… stat:… err:… text:…` (SMPP 3.4 Appendix B).
pub fn receipt_text(
    id: &str,
    state: &ReceiptState,
    err: u16,
    submitted: time::OffsetDateTime,
    text: &str,
) -> String {
    let delivered = u8::from(*state == ReceiptState::Delivered);
    // The text field carries the first 20 characters; keep it ASCII so any ESME can read it.
    let excerpt: String = text
        .chars()
        .take(20)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!(
        "id:{id} sub:001 dlvrd:{delivered:03} submit date:{} done date:{} stat:{} err:{err:03} text:{excerpt}",
        smpp_date(submitted),
        smpp_date(time::OffsetDateTime::now_utc()),
        state.stat(),
    )
}

fn message_state(state: &ReceiptState) -> MessageState {
    match state {
        ReceiptState::Delivered => MessageState::Delivered,
        ReceiptState::Expired => MessageState::Expired,
        ReceiptState::Undeliverable => MessageState::Undeliverable,
        ReceiptState::Rejected => MessageState::Rejected,
        ReceiptState::Enroute => MessageState::Enroute,
        _ => MessageState::Unknown,
    }
}

fn addr(s: &str) -> COctetString<1, 21> {
    COctetString::from_string(s.chars().take(20).collect()).unwrap_or_default()
}

/// A receipt for `part`: from the handset (its destination) back to the part's source.
pub(super) fn receipt_pdu(
    part: &ReceivedPart,
    id: &str,
    state: &ReceiptState,
    err: u16,
    tlvs: bool,
    submitted: time::OffsetDateTime,
) -> DeliverSm {
    let text = receipt_text(id, state, err, submitted, &part.text);
    let mut builder = DeliverSm::builder()
        .source_addr_ton(Ton::International)
        .source_addr_npi(Npi::Isdn)
        .source_addr(addr(&part.destination))
        .dest_addr_ton(Ton::from(part.source_ton))
        .dest_addr_npi(Npi::from(part.source_npi))
        .destination_addr(addr(&part.source))
        .esm_class(EsmClass::from(ESM_RECEIPT))
        .data_coding(DataCoding::from(DATA_CODING_GSM7))
        .short_message(OctetString::from_vec(text.into_bytes()).unwrap_or_default());
    if tlvs {
        if let Ok(id) = COctetString::from_string(id.to_owned()) {
            builder = builder.push_tlv(MessageDeliveryRequestTlvValue::ReceiptedMessageId(id));
        }
        builder = builder.push_tlv(MessageDeliveryRequestTlvValue::MessageState(message_state(
            state,
        )));
    }
    builder.build()
}

/// Schedules the receipts `outcome` produces for an accepted part. With `immediately`, the
/// first receipt goes now on session `session` (the receipt-before-response mode).
pub(super) fn schedule(
    state: &Arc<State>,
    part: &ReceivedPart,
    id_number: u64,
    outcome: Outcome,
    session: u64,
    immediately: bool,
) {
    let behaviour = state.behaviour();
    let id = behaviour.receipt_id.format(id_number);
    let submitted = time::OffsetDateTime::now_utc();
    let tlvs = behaviour.receipt_tlvs;
    let (first, second): (_, Option<(ReceiptState, u16)>) = match outcome {
        Outcome::Delivered => ((ReceiptState::Delivered, 0), None),
        Outcome::UnknownSubscriber => ((ReceiptState::Undeliverable, ERR_UNKNOWN_SUBSCRIBER), None),
        Outcome::BlockedAsSpam => ((ReceiptState::Rejected, 0), None),
        Outcome::HandsetOffThenDelivered => (
            (ReceiptState::Enroute, ERR_ABSENT_SUBSCRIBER),
            Some((ReceiptState::Delivered, 0)),
        ),
        Outcome::HandsetOffThenExpired => (
            (ReceiptState::Enroute, ERR_ABSENT_SUBSCRIBER),
            Some((ReceiptState::Expired, ERR_ABSENT_SUBSCRIBER)),
        ),
    };
    let system_id = part.system_id.clone();
    let make = {
        let part = part.clone();
        move |(s, err): &(ReceiptState, u16)| Queued {
            pdu: receipt_pdu(&part, &id, s, *err, tlvs, submitted),
            kind: DeliverKind::Receipt,
        }
    };
    let delay = behaviour.receipt_delay;
    let retry_delay = behaviour.retry_delay;
    if (immediately || delay.is_zero()) && second.is_none() {
        state.deliver(Some(&system_id), make(&first), Some(session));
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        sleep_unless_zero(delay).await;
        state.deliver(Some(&system_id), make(&first), Some(session));
        if let Some(second) = second {
            sleep_unless_zero(retry_delay).await;
            state.deliver(Some(&system_id), make(&second), Some(session));
        }
    });
}

async fn sleep_unless_zero(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

/// The deliver_sm(s) for an MO message: GSM-7 when it fits the alphabet, else UCS-2;
/// concatenated when longer than one SMS.
pub(super) fn mo_deliver_sms(mo: &MoRequest) -> Result<Vec<DeliverSm>, SimulatorError> {
    let split = sms::segment::split(&mo.text, sms::SegmentTable::Standard)
        .map_err(|e| SimulatorError::Encode(e.to_string()))?;
    let total = split.parts.len();
    // A new reference per message, as a handset does, so that two long replies in flight
    // from one number are never mixed up (8-bit in the header: it wraps after 256).
    static NEXT_REFERENCE: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(1);
    let reference = NEXT_REFERENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0xFF;
    split
        .parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let (dc, mut payload) = match split.encoding {
                sms::Encoding::Gsm7 => (
                    DATA_CODING_GSM7,
                    crate::gsm7::encode(&part.text)
                        .map_err(|e| SimulatorError::Encode(e.to_string()))?,
                ),
                sms::Encoding::Ucs2 => (
                    DATA_CODING_UCS2,
                    part.text
                        .encode_utf16()
                        .flat_map(u16::to_be_bytes)
                        .collect(),
                ),
            };
            let mut esm = 0u8;
            if total > 1 {
                esm |= ESM_UDHI;
                let header = Concat {
                    reference,
                    total: total as u8,
                    seq: (i + 1) as u8,
                }
                .header();
                payload.splice(0..0, header);
            }
            Ok(DeliverSm::builder()
                .source_addr_ton(Ton::International)
                .source_addr_npi(Npi::Isdn)
                .source_addr(addr(&mo.from))
                .dest_addr_ton(Ton::International)
                .dest_addr_npi(Npi::Isdn)
                .destination_addr(addr(&mo.to))
                .esm_class(EsmClass::from(esm))
                .data_coding(DataCoding::from(dc))
                .short_message(
                    OctetString::from_vec(payload)
                        .map_err(|e| SimulatorError::Encode(e.to_string()))?,
                )
                .build())
        })
        .collect()
}

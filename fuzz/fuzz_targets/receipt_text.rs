//! The text-level parsers behind a `deliver_sm`, on arbitrary bytes: the Appendix B receipt
//! text (`id:… stat:DELIVRD err:000 text:…`), the UDH concatenation header, the user data
//! decoder for each `data_coding`, and the receipt-id matching across hex/decimal/zero-padding
//! (`smpp::msgid`).
//!
//! Promises checked: a parsed UDH header rebuilds to the same concatenation (in the 8-bit form
//! Ferry writes); an id always matches a receipt carrying the same id, under every matching mode.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smpp::pdu::deliver::{decode_text, error_for_err, ReceiptText};
use smpp::pdu::{DeliveryReceipt, ReceiptState};
use smpp::udh;
use smpp::{Correlator, MsgIdMatching};
use sms::status::DeliveryStatus;

fuzz_target!(|data: &[u8]| {
    // As the client reads a receipt: Latin-1, every byte kept.
    let latin1: String = data.iter().map(|&b| char::from(b)).collect();
    let fields = ReceiptText::parse(&latin1);
    if let Some(stat) = &fields.stat {
        let state = ReceiptState::from_stat(stat);
        let _ = state.stat();
    }
    if let Some(err) = fields.err.as_deref().and_then(|e| e.parse::<u16>().ok()) {
        let _ = error_for_err(err);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ReceiptText::parse(text);
    }

    if let Ok((Some(concat), _body)) = udh::parse(data) {
        // Ferry writes the 8-bit form: the reference's low byte.
        let written = udh::Concat {
            reference: concat.reference & 0xFF,
            ..concat
        };
        assert_eq!(udh::parse(&concat.header()), Ok((Some(written), &[][..])));
    }
    for data_coding in [0x00, 0x03, 0x08] {
        let _ = decode_text(data_coding, data);
    }

    // The same id on both sides always matches, whatever the mode.
    let id = fields.id.clone().unwrap_or_else(|| latin1.clone());
    for matching in [
        MsgIdMatching::Exact,
        MsgIdMatching::SubmitHexReceiptDecimal,
        MsgIdMatching::SubmitDecimalReceiptHex,
        MsgIdMatching::IgnoreLeadingZeros,
        MsgIdMatching::Auto,
    ] {
        let _ = matching.submit_keys(&latin1);
        let _ = matching.receipt_keys(&latin1);
        let mut correlator = Correlator::new(matching, 8);
        assert!(correlator.accepted(&id, 1u32).is_empty());
        let receipt = DeliveryReceipt {
            message_id: id.clone(),
            text_id: fields.id.clone(),
            state: ReceiptState::from_stat(fields.stat.as_deref().unwrap_or("")),
            status: DeliveryStatus::Delivered,
            error: None,
            err: fields.err.clone(),
            network_error: None,
            submitted: None,
            delivered: None,
            submit_date: fields.submit_date.clone(),
            done_date: fields.done_date.clone(),
            text: fields.text.clone(),
            recipient: String::new(),
            intermediate: false,
        };
        let matched = correlator.receipt(receipt).map(|(token, _)| token);
        if !id.is_empty() {
            assert_eq!(matched, Some(1), "{matching:?} {id:?}");
        }
    }
});

//! SMPP PDUs from a peer, as both ends of Ferry's SMPP layer read them. The client (Ferry as the
//! ESME, reading its operator's SMSC) and the simulator (Ferry's own SMSC, reading an ESME) cut
//! and decode frames with the same `smpp::pdu::PduCodec`; what happens next differs by side:
//!
//! - the client turns `deliver_sm` into a receipt or an MO message (`parse_deliver_sm`),
//! - the simulator turns `submit_sm` into what it records (`smpp::simulator::decode_part`) and
//!   reads a bind's system_id and password.
//!
//! The input is a byte stream: frames are cut one after another until it runs out or goes out
//! of sync, as a connection does. A frame that decodes must also encode. Seeds:
//! bind_transceiver, submit_sm (plain, UDH, message_payload), deliver_sm (receipt text, receipt
//! TLVs, MO with sar TLVs), enquire_link, responses, a bad body, a bad length.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rusmpp::Pdu;
use smpp::pdu::{parse_deliver_sm, Frame, PduCodec};
use tokio_util::codec::{Decoder, Encoder};

fuzz_target!(|data: &[u8]| {
    let mut codec = PduCodec::new();
    let mut stream = BytesMut::from(data);
    // Each decoded frame consumes at least a 16-byte header, so this ends.
    while let Ok(Some(frame)) = codec.decode(&mut stream) {
        let Frame::Command(command) = frame else {
            continue; // answered with generic_nack; the stream stays in sync
        };
        match command.pdu() {
            Some(Pdu::DeliverSm(pdu)) => {
                let _ = parse_deliver_sm(pdu);
            }
            Some(Pdu::SubmitSm(pdu)) => {
                let _ = smpp::simulator::decode_part("fuzz", pdu);
            }
            Some(Pdu::BindTransceiver(b)) => {
                let _ = (b.system_id.as_str(), b.password.as_str());
            }
            Some(Pdu::BindTransmitter(b)) => {
                let _ = (b.system_id.as_str(), b.password.as_str());
            }
            Some(Pdu::BindReceiver(b)) => {
                let _ = (b.system_id.as_str(), b.password.as_str());
            }
            _ => {}
        }
        // Encoding what was decoded must not panic. (Not compared: rusmpp does not round-trip
        // every PDU exactly, e.g. a failed bind_resp or a body-less command with stray bytes,
        // and Ferry never sends back a PDU it received.)
        let mut wire = BytesMut::new();
        let _ = codec.encode(command, &mut wire);
    }
});

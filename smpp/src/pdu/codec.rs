//! Framing: turning a TCP byte stream into SMPP PDUs and back.
//!
//! Every PDU starts with a 16-byte header, all big-endian `u32`s:
//!
//! ```text
//! command_length   whole PDU, header included
//! command_id       e.g. 0x00000004 submit_sm, 0x80000004 submit_sm_resp (top bit = response)
//! command_status   0 in requests; the result in responses (0 = ESME_ROK)
//! sequence_number  chosen by the sender of a request, echoed in its response
//! ```
//!
//! The body is decoded by `rusmpp`'s `CommandCodec`. We wrap it for two reasons:
//! - A PDU that rusmpp cannot decode (a malformed TLV from a quirky SMSC, an unknown value) must
//!   not kill the connection: we cut the frame out by its `command_length` *first*, then decode
//!   it, so the stream stays in sync and the session can answer with `generic_nack`.
//! - The default 8,192-byte cap is too small for `message_payload` PDUs; SMPP allows up to 64 KiB
//!   of payload, so we allow that plus room for the header and mandatory fields.

use bytes::BytesMut;
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::Command;
use tokio_util::codec::{Decoder, Encoder};

/// The header every PDU starts with.
pub const HEADER_LEN: usize = 16;

/// The largest PDU accepted: 64 KiB of `message_payload` plus headers and mandatory fields.
pub const MAX_PDU_LEN: usize = 65_536 + 1_024;

/// What the codec read: a decoded command, or a well-framed PDU whose body could not be decoded.
// A frame is moved once, from the codec to the session; boxing the common variant would cost an
// allocation per PDU to save copying a few hundred bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Frame {
    Command(Command),
    Invalid(InvalidPdu),
}

/// A PDU with a valid header but a body rusmpp refused; answered with `generic_nack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPdu {
    pub command_id: u32,
    pub command_status: u32,
    pub sequence_number: u32,
    pub reason: String,
}

/// Errors that end a connection: the byte stream can no longer be split into PDUs.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "command_length {0} is outside {HEADER_LEN}..={MAX_PDU_LEN}: the stream is out of sync"
    )]
    BadLength(usize),
}

/// SMPP framing over `rusmpp`'s codec; see the module docs.
#[derive(Debug)]
pub struct PduCodec {
    inner: CommandCodec,
}

impl PduCodec {
    pub fn new() -> Self {
        PduCodec {
            // We enforce the limit ourselves before handing a frame over.
            inner: CommandCodec::new().without_max_length(),
        }
    }
}

impl Default for PduCodec {
    fn default() -> Self {
        Self::new()
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[..4]);
    u32::from_be_bytes(b)
}

impl Decoder for PduCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let len = be_u32(src) as usize;
        if !(HEADER_LEN..=MAX_PDU_LEN).contains(&len) {
            return Err(CodecError::BadLength(len));
        }
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        let mut frame = src.split_to(len);
        let command_id = be_u32(&frame[4..]);
        let command_status = be_u32(&frame[8..]);
        let sequence_number = be_u32(&frame[12..]);
        let invalid = |reason: String| {
            Frame::Invalid(InvalidPdu {
                command_id,
                command_status,
                sequence_number,
                reason,
            })
        };
        Ok(Some(match self.inner.decode(&mut frame) {
            Ok(Some(command)) => Frame::Command(command),
            Ok(None) => invalid("truncated body".to_owned()),
            Err(e) => invalid(e.to_string()),
        }))
    }
}

impl Encoder<Command> for PduCodec {
    type Error = CodecError;

    fn encode(&mut self, command: Command, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.inner.encode(&command, dst).map_err(|e| match e {
            rusmpp::tokio_codec::EncodeError::Io(io) => CodecError::Io(io),
            other => CodecError::Io(std::io::Error::other(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusmpp::{CommandId, CommandStatus, Pdu};

    #[test]
    fn a_pdu_survives_encode_then_decode() {
        let mut codec = PduCodec::new();
        let mut buf = BytesMut::new();
        let sent = Command::new(CommandStatus::EsmeRok, 7, Pdu::EnquireLink);
        assert!(codec.encode(sent, &mut buf).is_ok());
        assert_eq!(buf.len(), HEADER_LEN);
        match codec.decode(&mut buf) {
            Ok(Some(Frame::Command(c))) => {
                assert_eq!(c.id(), CommandId::EnquireLink);
                assert_eq!(c.sequence_number(), 7);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_bad_body_is_reported_and_the_next_pdu_still_decodes() {
        let mut codec = PduCodec::new();
        let mut buf = BytesMut::new();
        // submit_sm_resp whose message_id is not NUL-terminated.
        buf.extend_from_slice(&[0, 0, 0, 19, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9]);
        buf.extend_from_slice(b"abc");
        let _ = codec.encode(
            Command::new(CommandStatus::EsmeRok, 10, Pdu::EnquireLink),
            &mut buf,
        );
        match codec.decode(&mut buf) {
            Ok(Some(Frame::Invalid(bad))) => {
                assert_eq!(bad.command_id, 0x8000_0004);
                assert_eq!(bad.sequence_number, 9);
            }
            other => panic!("unexpected {other:?}"),
        }
        match codec.decode(&mut buf) {
            Ok(Some(Frame::Command(c))) => assert_eq!(c.sequence_number(), 10),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_impossible_length_is_fatal() {
        let mut codec = PduCodec::new();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 3, 1, 2, 3, 4][..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(CodecError::BadLength(3))
        ));
        let mut buf = BytesMut::from(&[0x7Fu8, 0, 0, 0][..]);
        assert!(codec.decode(&mut buf).is_err());
    }

    #[test]
    fn a_partial_pdu_waits_for_more_bytes() {
        let mut codec = PduCodec::new();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 16, 0, 0, 0, 0x15][..]);
        assert!(matches!(codec.decode(&mut buf), Ok(None)));
        buf.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(matches!(
            codec.decode(&mut buf),
            Ok(Some(Frame::Command(_)))
        ));
    }
}

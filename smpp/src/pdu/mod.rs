//! The PDU layer: bytes ↔ SMPP commands, and Ferry's messages ↔ SMPP fields. No I/O here.
//!
//! - [`codec`]: framing on top of `rusmpp`'s `CommandCodec`
//! - [`submit`]: `submit_sm` for each part of a message
//! - [`deliver`]: `deliver_sm` → delivery receipt or MO message

pub mod codec;
pub mod deliver;
pub mod submit;

pub use codec::{CodecError, Frame, InvalidPdu, PduCodec};
pub use deliver::{parse_deliver_sm, DeliveryReceipt, Inbound, MoMessage, ReceiptState};
pub use submit::{
    BuildError, Envelope, OutboundMessage, SourceAddress, SubmitRequest, ValidityPeriod,
    DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_UDHI,
};

/// SMPP 3.4, sent as `interface_version` in binds (rusmpp defaults to 5.0).
pub const INTERFACE_VERSION_34: u8 = 0x34;

//! Ferry's SMPP 3.4 layer: how Ferry talks to operators' SMSCs (spec §12).
//!
//! # SMPP in one page
//!
//! SMPP runs over a TCP connection. Ferry is the **ESME** (External Short Message Entity); the
//! operator runs the **SMSC** (Short Message Service Centre). Every exchange is a request PDU
//! answered by a response PDU carrying the same `sequence_number`; either side may have many
//! requests outstanding (the **window**), and responses may come back in any order.
//!
//! 1. **Bind**: `bind_transceiver(system_id, password)` → `bind_transceiver_resp(status)`.
//!    A transceiver can both send and receive on one connection.
//! 2. **Submit**: `submit_sm(destination, text, …)` → `submit_sm_resp(message_id)`. A status of
//!    0 means the SMSC accepted the message (Ferry charges it then, spec §7); a non-zero
//!    `command_status` is a refusal (not charged). ESME_RTHROTTLED (0x58) means "too fast".
//! 3. **Receipts**: later, the SMSC sends `deliver_sm` with `esm_class` 0x04 and a text like
//!    `id:… stat:DELIVRD err:000`; Ferry answers `deliver_sm_resp`. Messages *from* handsets
//!    (MO) arrive the same way without the receipt bit.
//! 4. **Liveness**: either side sends `enquire_link` on an idle connection; no answer means a dead
//!    link. `unbind` ends a session politely.
//!
//! # Layout (PDU codec ≠ connection ≠ session, as in mini-redis)
//!
//! - [`gsm7`], [`udh`]: the bytes of a message's text and its concatenation header
//! - [`pdu`]: framing, `submit_sm` building, `deliver_sm` parsing (pure)
//! - [`msgid`]: matching receipt ids to submit ids across hex/decimal/zero-padding quirks
//! - [`connection`]: a TCP connection as a PDU reader plus a batching writer task
//! - [`client`]: the ESME session: bind, window, throttle, enquire_link, reconnect
//! - [`simulator`]: a real SMSC on loopback for tests, demos and fresh installs

pub mod client;
pub mod connection;
pub mod gsm7;
pub mod msgid;
pub mod pdu;
pub mod simulator;
pub mod udh;

pub use client::{
    Client, ClientConfig, ClientHandle, ConnectError, Event, InboundAck, SubmitError, SubmitOutcome,
};
pub use msgid::{Correlator, MsgIdMatching};
pub use pdu::{
    DeliveryReceipt, Envelope, MoMessage, OutboundMessage, ReceiptState, SourceAddress,
    SubmitRequest, ValidityPeriod,
};
pub use simulator::{
    run_simulator_forever, Behaviour, IdFormat, MoRequest, Outcome, PartRule, Simulator,
    SimulatorConfig, SimulatorError, SimulatorHandle, Stats,
};

//! How the simulator behaves: outcomes and their shares, message-id formats, scripted part
//! refusals, accounts, and the limits on what it keeps.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// What happens to an accepted message, as its receipts tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `stat:DELIVRD err:000`.
    Delivered,
    /// `stat:ENROUTE err:027` (absent subscriber), then `stat:DELIVRD`.
    HandsetOffThenDelivered,
    /// `stat:ENROUTE err:027`, then `stat:EXPIRED err:027`.
    HandsetOffThenExpired,
    /// `stat:UNDELIV err:001`.
    UnknownSubscriber,
    /// `stat:REJECTD err:000`.
    BlockedAsSpam,
}

/// How the simulator writes a message id (the same number in every format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFormat {
    Decimal,
    /// Upper-case hex.
    Hex,
    /// Decimal, left-padded with zeros to `width`.
    ZeroPadded {
        width: usize,
    },
}

impl IdFormat {
    pub fn format(self, n: u64) -> String {
        match self {
            IdFormat::Decimal => n.to_string(),
            IdFormat::Hex => format!("{n:X}"),
            IdFormat::ZeroPadded { width } => format!("{n:0width$}"),
        }
    }
}

/// What the simulator does; can be changed while it runs ([`SimulatorHandle::set_behaviour`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    /// Format of the id in `submit_sm_resp`.
    pub response_id: IdFormat,
    /// Format of the id in receipts (text `id:` and `receipted_message_id`).
    pub receipt_id: IdFormat,
    /// Also send `receipted_message_id` and `message_state` TLVs.
    pub receipt_tlvs: bool,
    /// From acceptance to the (first) receipt.
    pub receipt_delay: Duration,
    /// From the ENROUTE receipt to the final one, for handset-off outcomes.
    pub retry_delay: Duration,
    /// Weighted mix, applied in a fixed rotation so runs are repeatable.
    pub outcomes: Vec<(Outcome, u32)>,
    /// Outcome forced for given destinations (overrides the mix).
    pub outcome_by_destination: HashMap<String, Outcome>,
    /// Send the receipt on the same connection *before* the `submit_sm_resp` (single-receipt
    /// outcomes only).
    pub receipt_before_response: bool,
    /// Delay each `submit_sm_resp` (keeps submits outstanding, to exercise windows).
    pub response_delay: Duration,
    /// Drop every connection this long after it was accepted.
    pub drop_every: Option<Duration>,
    /// Share of submits answered with `reject_status` instead of accepted, 0..=100.
    pub reject_percent: u8,
    pub reject_status: u32,
    /// Send enquire_link to each bound ESME this often.
    pub enquire_link_every: Option<Duration>,
    /// Scripted answers for single parts (tests of what a gateway does when one part of a
    /// long message is refused or throttled).
    pub part_rules: Vec<PartRule>,
}

/// Answer submits of part `seq` of messages to `destination` with `status`, the first `times`
/// times; after that the part is treated like any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRule {
    pub destination: String,
    /// 1-based; 1 also matches a message of one part.
    pub seq: u8,
    pub status: u32,
    pub times: u32,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            response_id: IdFormat::Decimal,
            receipt_id: IdFormat::Decimal,
            receipt_tlvs: true,
            receipt_delay: Duration::from_millis(100),
            retry_delay: Duration::from_millis(200),
            outcomes: vec![(Outcome::Delivered, 1)],
            outcome_by_destination: HashMap::new(),
            receipt_before_response: false,
            response_delay: Duration::ZERO,
            drop_every: None,
            reject_percent: 0,
            reject_status: 0x08,
            enquire_link_every: None,
            part_rules: Vec::new(),
        }
    }
}

/// A login the simulator accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub system_id: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The simulator's own `system_id` in bind responses.
    pub system_id: String,
    /// Logins accepted; empty accepts any.
    pub accounts: Vec<Account>,
    pub behaviour: Behaviour,
    /// First message id issued (high enough that hex and decimal forms differ).
    pub first_message_id: u64,
    /// Most parts, messages, destinations and duplicate-detection keys kept in [`Stats`]
    /// (oldest dropped first), and receipts queued per system_id while nobody is bound: a
    /// simulator that runs for months inside `ferry serve` stays the same size.
    pub history_limit: usize,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            system_id: "FERRYSIM".into(),
            accounts: Vec::new(),
            behaviour: Behaviour::default(),
            first_message_id: 1_000_000,
            history_limit: 100_000,
        }
    }
}

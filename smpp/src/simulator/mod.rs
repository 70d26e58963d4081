//! A real SMPP 3.4 SMSC on loopback: the default route of a fresh install (spec §12), and the
//! counterpart of every client test.
//!
//! It binds ESMEs (transmitter, receiver or transceiver), acknowledges `submit_sm` with its own
//! message ids, sends delivery receipts after a delay with a configurable mix of outcomes, can
//! send MO messages, and can misbehave on purpose: drop connections, reject or throttle a share
//! of submits, send a receipt before the `submit_sm_resp`, or write ids in a different base in
//! the receipt than in the response. It counts everything it sees ([`Stats`]) so tests can
//! check the wire, not just the client's view of it.
//!
//! Receipts are kept per `system_id` until an ESME that can receive is bound and has answered
//! them with `deliver_sm_resp`, as a real SMSC keeps them: a dropped connection loses none.

mod config;
mod receipts;
mod session;

pub use config::*;
#[doc(hidden)]
pub use session::decode_part;

use crate::udh::Concat;
use rusmpp::pdus::DeliverSm;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use receipts::receipt_text;

/// Drops the oldest entries of `v` once it is a tenth over `limit` (amortised: one drain per
/// `limit / 10` pushes).
fn keep_newest<T>(v: &mut Vec<T>, limit: usize) {
    if v.len() > limit + limit / 10 {
        let excess = v.len() - limit;
        v.drain(..excess);
    }
}

/// One `submit_sm` as the simulator decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPart {
    /// The bind it came over.
    pub system_id: String,
    /// The sender ID or number as submitted, with its type of number (5 for an alphanumeric
    /// sender ID, 1 for an international number) and numbering plan.
    pub source: String,
    pub source_ton: u8,
    pub source_npi: u8,
    /// The recipient, with its type of number and numbering plan.
    pub destination: String,
    pub dest_ton: u8,
    pub dest_npi: u8,
    /// 0x40 when a UDH (concatenation) leads the user data.
    pub esm_class: u8,
    /// 0 for GSM 7-bit, 8 for UCS-2.
    pub data_coding: u8,
    /// 1 when a delivery receipt was asked for.
    pub registered_delivery: u8,
    /// Relative, as SMPP writes it; empty for the SMSC's default.
    pub validity_period: String,
    pub concat: Option<Concat>,
    /// The user data after the UDH, decoded by `data_coding`.
    pub text: String,
    /// The raw `short_message`.
    pub short_message: Vec<u8>,
    /// Empty when rejected.
    pub message_id: String,
}

/// A whole message, reassembled from its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub destination: String,
    pub text: String,
    pub parts: u8,
    pub data_coding: u8,
    pub reference: Option<u16>,
}

/// What the simulator has seen and done; a snapshot from [`SimulatorHandle::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub connections: u64,
    pub binds: u64,
    pub refused_binds: u64,
    pub dropped_connections: u64,
    pub submits: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Most submits received and not yet answered on one connection at any moment.
    pub max_outstanding: usize,
    /// enquire_link received from ESMEs.
    pub enquire_links: u64,
    /// Answers to the simulator's own enquire_link.
    pub enquire_link_resps: u64,
    pub receipts_sent: u64,
    /// Receipts the ESME answered with deliver_sm_resp OK.
    pub receipts_acked: u64,
    pub mo_sent: u64,
    pub mo_acked: u64,
    /// Accepted parts already accepted before, by (destination, text, UDH reference/seq).
    pub duplicates: u64,
    pub per_destination: HashMap<String, u64>,
    pub parts: Vec<ReceivedPart>,
    pub messages: Vec<ReceivedMessage>,
}

/// An MO message to inject, as if a handset had sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoRequest {
    /// The handset's number.
    pub from: String,
    /// The ESME's number it is sent to.
    pub to: String,
    pub text: String,
    /// Deliver to this ESME's binds; `None` picks any bound receiver.
    pub system_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("no ESME is bound to receive")]
    NotBound,
    #[error("cannot encode the MO message: {0}")]
    Encode(String),
}

/// What a deliver_sm carries, for counting its acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliverKind {
    Receipt,
    Mo,
}

#[derive(Debug)]
pub(crate) struct Queued {
    pub pdu: DeliverSm,
    pub kind: DeliverKind,
}

/// A bound session that can receive deliver_sm.
#[derive(Debug)]
pub(crate) struct Receiver {
    pub session_id: u64,
    pub system_id: String,
    pub outbox: crate::connection::Outbox,
    pub next_seq: AtomicU32,
    /// deliver_sm sent and not yet answered, by sequence number.
    pub awaiting: Mutex<HashMap<u32, Queued>>,
}

/// (source, destination, reference, total): the parts a handset would join.
type MessageKey = (String, String, u16, u8);
/// (destination, text, (reference, seq)): the same part accepted twice is a duplicate.
type PartKey = (String, String, Option<(u16, u8)>);

#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    /// Parts received so far: (text, data_coding) by seq − 1.
    pending: HashMap<MessageKey, Vec<Option<(String, u8)>>>,
    seen: HashSet<PartKey>,
    /// `seen` in the order keys arrived, to forget the oldest.
    seen_order: VecDeque<PartKey>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub config: SimulatorConfig,
    behaviour: RwLock<Arc<Behaviour>>,
    pub stats: Mutex<Stats>,
    reassembly: Mutex<Reassembly>,
    pub next_message_id: AtomicU64,
    pub submit_counter: AtomicU64,
    pub outcome_counter: AtomicU64,
    pub next_session_id: AtomicU64,
    receivers: Mutex<Vec<Arc<Receiver>>>,
    undelivered: Mutex<HashMap<String, VecDeque<Queued>>>,
    pub shutdown: CancellationToken,
    /// How many more times each of the behaviour's part rules applies.
    part_rules_left: Mutex<Vec<u32>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl State {
    pub fn behaviour(&self) -> Arc<Behaviour> {
        match self.behaviour.read() {
            Ok(b) => b.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        lock(&self.stats)
    }

    /// Records an accepted or rejected part, reassembling long messages.
    pub fn record_part(&self, part: ReceivedPart, accepted: bool) {
        let limit = self.config.history_limit.max(1);
        let mut stats = self.stats();
        stats.submits += 1;
        if accepted {
            stats.accepted += 1;
            if stats.per_destination.len() < limit
                || stats.per_destination.contains_key(&part.destination)
            {
                *stats
                    .per_destination
                    .entry(part.destination.clone())
                    .or_default() += 1;
            }
            let mut re = lock(&self.reassembly);
            let key = (
                part.destination.clone(),
                part.text.clone(),
                part.concat.map(|c| (c.reference, c.seq)),
            );
            if re.seen.insert(key.clone()) {
                re.seen_order.push_back(key);
                while re.seen_order.len() > limit {
                    if let Some(old) = re.seen_order.pop_front() {
                        re.seen.remove(&old);
                    }
                }
            } else {
                stats.duplicates += 1;
            }
            match part.concat {
                None => stats.messages.push(ReceivedMessage {
                    destination: part.destination.clone(),
                    text: part.text.clone(),
                    parts: 1,
                    data_coding: part.data_coding,
                    reference: None,
                }),
                Some(c) if c.seq >= 1 && c.seq <= c.total => {
                    let key = (
                        part.source.clone(),
                        part.destination.clone(),
                        c.reference,
                        c.total,
                    );
                    if re.pending.len() >= limit && !re.pending.contains_key(&key) {
                        // Messages whose other parts never came: forget one to make room.
                        if let Some(stale) = re.pending.keys().next().cloned() {
                            re.pending.remove(&stale);
                        }
                    }
                    let slots = re
                        .pending
                        .entry(key.clone())
                        .or_insert_with(|| vec![None; usize::from(c.total)]);
                    slots[usize::from(c.seq - 1)] = Some((part.text.clone(), part.data_coding));
                    if slots.iter().all(Option::is_some) {
                        let slots = re.pending.remove(&key).unwrap_or_default();
                        let text = slots.iter().flatten().map(|(t, _)| t.as_str()).collect();
                        stats.messages.push(ReceivedMessage {
                            destination: part.destination.clone(),
                            text,
                            parts: c.total,
                            data_coding: part.data_coding,
                            reference: Some(c.reference),
                        });
                    }
                }
                Some(_) => {} // a part number outside 1..=total never completes a message
            }
        } else {
            stats.rejected += 1;
        }
        stats.parts.push(part);
        keep_newest(&mut stats.parts, limit);
        keep_newest(&mut stats.messages, limit);
    }

    /// The scripted status for this part, if a rule still applies to it (and uses one up).
    pub fn part_rule_status(
        &self,
        behaviour: &Behaviour,
        destination: &str,
        seq: u8,
    ) -> Option<u32> {
        let mut left = lock(&self.part_rules_left);
        if left.len() != behaviour.part_rules.len() {
            *left = behaviour.part_rules.iter().map(|r| r.times).collect();
        }
        for (rule, n) in behaviour.part_rules.iter().zip(left.iter_mut()) {
            if rule.destination == destination && rule.seq == seq && *n > 0 {
                *n -= 1;
                return Some(rule.status);
            }
        }
        None
    }

    /// Picks the outcome for an accepted message.
    pub fn outcome_for(&self, behaviour: &Behaviour, destination: &str) -> Outcome {
        if let Some(o) = behaviour.outcome_by_destination.get(destination) {
            return *o;
        }
        let total: u64 = behaviour.outcomes.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return Outcome::Delivered;
        }
        let mut k = self.outcome_counter.fetch_add(1, Ordering::Relaxed) % total;
        for (o, w) in &behaviour.outcomes {
            if k < u64::from(*w) {
                return *o;
            }
            k -= u64::from(*w);
        }
        Outcome::Delivered
    }

    pub fn receivers_mutex(&self) -> &Mutex<Vec<Arc<Receiver>>> {
        &self.receivers
    }

    pub fn add_receiver(&self, r: Arc<Receiver>) {
        let queued: Vec<Queued> = lock(&self.undelivered)
            .remove(&r.system_id)
            .map(Vec::from)
            .unwrap_or_default();
        lock(&self.receivers).push(r.clone());
        for q in queued {
            self.send_to(&r, q);
        }
    }

    /// Removes a session; what it had not had acknowledged is queued again.
    pub fn remove_receiver(&self, session_id: u64) {
        let removed = {
            let mut rs = lock(&self.receivers);
            let pos = rs.iter().position(|r| r.session_id == session_id);
            pos.map(|p| rs.remove(p))
        };
        if let Some(r) = removed {
            let pending: Vec<Queued> = lock(&r.awaiting).drain().map(|(_, q)| q).collect();
            for q in pending {
                self.deliver(Some(&r.system_id), q, None);
            }
        }
    }

    fn send_to(&self, r: &Receiver, q: Queued) {
        let seq = r.next_seq.fetch_add(1, Ordering::Relaxed);
        let command = rusmpp::Command::new(
            rusmpp::CommandStatus::EsmeRok,
            seq,
            rusmpp::Pdu::DeliverSm(q.pdu.clone()),
        );
        {
            let mut stats = self.stats();
            match q.kind {
                DeliverKind::Receipt => stats.receipts_sent += 1,
                DeliverKind::Mo => stats.mo_sent += 1,
            }
        }
        let system_id = r.system_id.clone();
        lock(&r.awaiting).insert(seq, q);
        if r.outbox.send(command).is_err() {
            // The session is going away; it re-queues what it awaits when removed. If it was
            // removed already, re-queue here.
            if let Some(q) = lock(&r.awaiting).remove(&seq) {
                self.queue(&system_id, q);
            }
        }
    }

    fn queue(&self, system_id: &str, q: Queued) {
        let mut undelivered = lock(&self.undelivered);
        let queue = undelivered.entry(system_id.to_owned()).or_default();
        queue.push_back(q);
        // Nobody bound for a long time: the oldest receipts are dropped, as an SMSC's
        // store-and-forward drops what outlives its validity.
        while queue.len() > self.config.history_limit.max(1) {
            queue.pop_front();
        }
    }

    /// Sends a deliver_sm to a bound receiver of `system_id` (any, when `None`), preferring
    /// session `prefer`; queues it when none is bound. False when `system_id` is `None` and
    /// nobody at all is bound.
    pub fn deliver(&self, system_id: Option<&str>, q: Queued, prefer: Option<u64>) -> bool {
        let target = {
            let rs = lock(&self.receivers);
            let matching = |r: &&Arc<Receiver>| system_id.is_none_or(|s| r.system_id == s);
            prefer
                .and_then(|p| rs.iter().filter(matching).find(|r| r.session_id == p))
                .or_else(|| rs.iter().find(matching))
                .cloned()
        };
        match (target, system_id) {
            (Some(r), _) => {
                self.send_to(&r, q);
                true
            }
            (None, Some(s)) => {
                self.queue(s, q);
                true
            }
            (None, None) => false,
        }
    }
}

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

/// A running simulator.
#[derive(Debug, Clone)]
pub struct SimulatorHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Simulator {
    /// Listens and serves in the background until [`SimulatorHandle::shutdown`].
    pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle, SimulatorError> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            behaviour: RwLock::new(Arc::new(config.behaviour.clone())),
            next_message_id: AtomicU64::new(config.first_message_id),
            config,
            stats: Mutex::new(Stats::default()),
            reassembly: Mutex::new(Reassembly::default()),
            submit_counter: AtomicU64::new(0),
            outcome_counter: AtomicU64::new(0),
            next_session_id: AtomicU64::new(1),
            receivers: Mutex::new(Vec::new()),
            undelivered: Mutex::new(HashMap::new()),
            part_rules_left: Mutex::new(Vec::new()),
            shutdown: CancellationToken::new(),
        });
        tracing::info!(%addr, "SMSC simulator listening");
        tokio::spawn(accept_loop(listener, state.clone()));
        Ok(SimulatorHandle { addr, state })
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let accepted = tokio::select! {
            _ = state.shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                state.stats().connections += 1;
                tokio::spawn(session::serve(state.clone(), stream, peer));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(error = %e, "simulator accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

impl SimulatorHandle {
    /// A snapshot of the counters and everything received so far.
    pub fn stats(&self) -> Stats {
        self.state.stats().clone()
    }

    /// Changes behaviour for what happens next (connections already dropping keep their timer).
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        match self.state.behaviour.write() {
            Ok(mut b) => *b = Arc::new(behaviour),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(behaviour),
        }
    }

    pub fn behaviour(&self) -> Behaviour {
        (*self.state.behaviour()).clone()
    }

    /// Sends an MO message to a bound ESME (split into concatenated parts when long); returns
    /// how many parts.
    pub fn inject_mo(&self, mo: MoRequest) -> Result<usize, SimulatorError> {
        let pdus = receipts::mo_deliver_sms(&mo)?;
        let parts = pdus.len();
        for pdu in pdus {
            let q = Queued {
                pdu,
                kind: DeliverKind::Mo,
            };
            if !self.state.deliver(mo.system_id.as_deref(), q, None) {
                return Err(SimulatorError::NotBound);
            }
        }
        Ok(parts)
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(&self) {
        self.state.shutdown.cancel();
    }
}

/// Runs a simulator until the process ends (for `ferry simulator`). Logs where it listens.
pub async fn run_simulator_forever(config: SimulatorConfig) -> Result<(), SimulatorError> {
    let handle = Simulator::start(config).await?;
    tracing::info!(addr = %handle.addr, "SMSC simulator ready");
    handle.state.shutdown.cancelled().await;
    Ok(())
}

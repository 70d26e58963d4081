//! One ESME connection to the simulator: the SMSC side of the session state machine.
//!
//! OPEN accepts only binds (and enquire_link); anything else gets ESME_RINVBNDSTS. A bound
//! transmitter may submit, a receiver gets deliver_sm, a transceiver both.

use super::{receipts, DeliverKind, ReceivedPart, Receiver, State};
use crate::connection::{Connection, Outbox};
use crate::pdu::deliver::decode_text;
use crate::pdu::{Frame, ESM_UDHI, INTERFACE_VERSION_34};
use crate::udh;
use futures::StreamExt;
use rusmpp::pdus::{
    BindReceiverResp, BindTransceiverResp, BindTransmitterResp, SubmitSm, SubmitSmResp,
};
use rusmpp::tlvs::TlvValue;
use rusmpp::types::COctetString;
use rusmpp::values::InterfaceVersion;
use rusmpp::{Command, CommandId, CommandStatus, Pdu};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;

const ESME_RINVCMDID: u32 = 0x03;
const ESME_RINVBNDSTS: u32 = 0x04;
const ESME_RALYBND: u32 = 0x05;
const ESME_RSYSERR: u32 = 0x08;
const ESME_RINVDSTADR: u32 = 0x0B;
const ESME_RINVPASWD: u32 = 0x0E;
const ESME_RINVSYSID: u32 = 0x0F;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BindKind {
    Transmitter,
    Receiver,
    Transceiver,
}

struct Bound {
    system_id: String,
    kind: BindKind,
}

pub(super) async fn serve(state: Arc<State>, stream: TcpStream, peer: SocketAddr) {
    let conn = match Connection::new(stream) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "simulator could not set up a connection");
            return;
        }
    };
    let Connection {
        mut inbox,
        outbox,
        stop_writer,
        writer,
    } = conn;
    let session_id = state.next_session_id.fetch_add(1, Ordering::Relaxed);
    let outstanding = Arc::new(AtomicUsize::new(0));
    let mut bound: Option<Bound> = None;
    let drop_after = state.behaviour().drop_every;
    let drop_timer = async {
        match drop_after {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(drop_timer);
    let enquire_every = state.behaviour().enquire_link_every;
    let mut enquire = tokio::time::interval(enquire_every.unwrap_or(Duration::from_secs(3600)));
    enquire.tick().await; // the first tick is immediate
    let mut enquire_seq = 0x4000_0000u32;

    loop {
        tokio::select! {
            () = outbox.closed() => break,
            _ = state.shutdown.cancelled() => break,
            _ = &mut drop_timer => {
                state.stats().dropped_connections += 1;
                tracing::debug!(%peer, "simulator drops the connection on purpose");
                break;
            }
            _ = enquire.tick(), if enquire_every.is_some() && bound.is_some() => {
                enquire_seq = enquire_seq.wrapping_add(1);
                send(&outbox, 0, enquire_seq, Pdu::EnquireLink);
            }
            frame = inbox.next() => match frame {
                None => break,
                Some(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "simulator read error");
                    break;
                }
                Some(Ok(Frame::Invalid(bad))) => {
                    if bad.command_id & 0x8000_0000 == 0 {
                        send(&outbox, ESME_RSYSERR, bad.sequence_number, Pdu::GenericNack);
                    }
                }
                Some(Ok(Frame::Command(command))) => {
                    let keep_going = handle(&state, session_id, &outbox, &outstanding, &mut bound, command);
                    if !keep_going {
                        break;
                    }
                }
            }
        }
    }
    state.remove_receiver(session_id);
    // Abrupt by design for drops; for unbind the unbind_resp is already queued and drains first.
    stop_writer.cancel();
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(1), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

fn send(outbox: &Outbox, status: u32, seq: u32, pdu: impl Into<Pdu>) {
    let _ = outbox.send(Command::new(CommandStatus::from(status), seq, pdu));
}

/// Handles one PDU; false ends the session.
fn handle(
    state: &Arc<State>,
    session_id: u64,
    outbox: &Outbox,
    outstanding: &Arc<AtomicUsize>,
    bound: &mut Option<Bound>,
    command: Command,
) -> bool {
    let seq = command.sequence_number();
    let id = command.id();
    match (id, command.pdu()) {
        (CommandId::EnquireLink, _) => {
            state.stats().enquire_links += 1;
            send(outbox, 0, seq, Pdu::EnquireLinkResp);
        }
        (CommandId::BindTransmitter, Some(Pdu::BindTransmitter(b))) => {
            bind(
                state,
                session_id,
                outbox,
                bound,
                seq,
                BindKind::Transmitter,
                b.system_id.as_str(),
                b.password.as_str(),
            );
        }
        (CommandId::BindReceiver, Some(Pdu::BindReceiver(b))) => {
            bind(
                state,
                session_id,
                outbox,
                bound,
                seq,
                BindKind::Receiver,
                b.system_id.as_str(),
                b.password.as_str(),
            );
        }
        (CommandId::BindTransceiver, Some(Pdu::BindTransceiver(b))) => {
            bind(
                state,
                session_id,
                outbox,
                bound,
                seq,
                BindKind::Transceiver,
                b.system_id.as_str(),
                b.password.as_str(),
            );
        }
        (CommandId::Unbind, _) => {
            send(outbox, 0, seq, Pdu::UnbindResp);
            return false;
        }
        (CommandId::SubmitSm, Some(Pdu::SubmitSm(pdu))) => match bound {
            Some(b) if b.kind != BindKind::Receiver => {
                let system_id = b.system_id.clone();
                submit(state, session_id, outbox, outstanding, &system_id, seq, pdu);
            }
            _ => send(outbox, ESME_RINVBNDSTS, seq, SubmitSmResp::default()),
        },
        (CommandId::DeliverSmResp, _) => {
            let receiver = {
                let rs = super::lock(state.receivers_mutex());
                rs.iter().find(|r| r.session_id == session_id).cloned()
            };
            if let Some(r) = receiver {
                let q = super::lock(&r.awaiting).remove(&seq);
                if let Some(q) = q {
                    if u32::from(command.status()) == 0 {
                        let mut stats = state.stats();
                        match q.kind {
                            DeliverKind::Receipt => stats.receipts_acked += 1,
                            DeliverKind::Mo => stats.mo_acked += 1,
                        }
                    } else {
                        // The ESME could not take it now: keep it and try again shortly.
                        let state = state.clone();
                        let system_id = r.system_id.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            state.deliver(Some(&system_id), q, None);
                        });
                    }
                }
            }
        }
        (CommandId::EnquireLinkResp, _) => state.stats().enquire_link_resps += 1,
        (CommandId::GenericNack | CommandId::UnbindResp, _) => {}
        (other, _) => {
            if u32::from(other) & 0x8000_0000 == 0 {
                send(outbox, ESME_RINVCMDID, seq, Pdu::GenericNack);
            }
        }
    }
    true
}

#[allow(clippy::too_many_arguments)]
fn bind(
    state: &Arc<State>,
    session_id: u64,
    outbox: &Outbox,
    bound: &mut Option<Bound>,
    seq: u32,
    kind: BindKind,
    system_id: &str,
    password: &str,
) {
    let status = if bound.is_some() {
        ESME_RALYBND
    } else if state.config.accounts.is_empty() {
        0
    } else {
        match state
            .config
            .accounts
            .iter()
            .find(|a| a.system_id == system_id)
        {
            None => ESME_RINVSYSID,
            Some(a) if a.password != password => ESME_RINVPASWD,
            Some(_) => 0,
        }
    };
    {
        let mut stats = state.stats();
        if status == 0 {
            stats.binds += 1;
        } else {
            stats.refused_binds += 1;
        }
    }
    let our_id = COctetString::from_string(state.config.system_id.clone()).unwrap_or_default();
    let version = Some(InterfaceVersion::from(INTERFACE_VERSION_34));
    let pdu: Pdu = match kind {
        BindKind::Transmitter => BindTransmitterResp::builder()
            .system_id(our_id)
            .sc_interface_version(version)
            .build()
            .into(),
        BindKind::Receiver => BindReceiverResp::builder()
            .system_id(our_id)
            .sc_interface_version(version)
            .build()
            .into(),
        BindKind::Transceiver => BindTransceiverResp::builder()
            .system_id(our_id)
            .sc_interface_version(version)
            .build()
            .into(),
    };
    send(outbox, status, seq, pdu);
    if status != 0 {
        return;
    }
    *bound = Some(Bound {
        system_id: system_id.to_owned(),
        kind,
    });
    if kind != BindKind::Transmitter {
        state.add_receiver(Arc::new(Receiver {
            session_id,
            system_id: system_id.to_owned(),
            outbox: outbox.clone(),
            next_seq: AtomicU32::new(1),
            awaiting: Mutex::new(Default::default()),
        }));
    }
}

/// Decodes a submit_sm into what the stats record. Public (hidden) for the fuzz target in
/// `fuzz/`: the simulator's side of reading a PDU from an ESME.
pub fn decode_part(system_id: &str, pdu: &SubmitSm) -> ReceivedPart {
    let esm_class = u8::from(pdu.esm_class);
    let data_coding = u8::from(pdu.data_coding);
    let mut user_data: Vec<u8> = pdu.short_message().as_ref().to_vec();
    if user_data.is_empty() {
        for tlv in pdu.tlvs() {
            if let Some(TlvValue::MessagePayload(p)) = tlv.value() {
                user_data = p.value.to_vec();
            }
        }
    }
    // Real gateways send esm_class 0x03 (store and forward) or 0x43; only the UDHI bit matters.
    let (concat, body) = if esm_class & ESM_UDHI != 0 {
        match udh::parse(&user_data) {
            Ok((c, body)) => (c, body.to_vec()),
            Err(_) => (None, user_data.clone()),
        }
    } else {
        (None, user_data.clone())
    };
    ReceivedPart {
        system_id: system_id.to_owned(),
        source: pdu.source_addr.as_str().to_owned(),
        source_ton: u8::from(pdu.source_addr_ton),
        source_npi: u8::from(pdu.source_addr_npi),
        destination: pdu.destination_addr.as_str().to_owned(),
        dest_ton: u8::from(pdu.dest_addr_ton),
        dest_npi: u8::from(pdu.dest_addr_npi),
        esm_class,
        data_coding,
        registered_delivery: u8::from(pdu.registered_delivery),
        validity_period: String::from_utf8_lossy(pdu.validity_period.as_ref())
            .trim_end_matches('\0')
            .to_owned(),
        concat,
        text: decode_text(data_coding, &body),
        short_message: user_data,
        message_id: String::new(),
    }
}

fn submit(
    state: &Arc<State>,
    session_id: u64,
    outbox: &Outbox,
    outstanding: &Arc<AtomicUsize>,
    system_id: &str,
    seq: u32,
    pdu: &SubmitSm,
) {
    let now_outstanding = outstanding.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut stats = state.stats();
        stats.max_outstanding = stats.max_outstanding.max(now_outstanding);
    }
    let behaviour = state.behaviour();
    let mut part = decode_part(system_id, pdu);

    // Deterministic share: submit n is rejected when ⌊(n+1)·p/100⌋ > ⌊n·p/100⌋, which spreads
    // exactly p rejections over every 100 submits.
    let n = state.submit_counter.fetch_add(1, Ordering::Relaxed);
    let p = u64::from(behaviour.reject_percent.min(100));
    let part_seq = part.concat.map_or(1, |c| c.seq);
    let rejected_status = if part.destination.is_empty() {
        Some(ESME_RINVDSTADR)
    } else if let Some(status) = state.part_rule_status(&behaviour, &part.destination, part_seq) {
        Some(status)
    } else if (n + 1) * p / 100 > n * p / 100 {
        Some(behaviour.reject_status)
    } else {
        None
    };

    let (status, message_id, accepted_number) = match rejected_status {
        Some(status) => (status, String::new(), None),
        None => {
            let number = state.next_message_id.fetch_add(1, Ordering::Relaxed);
            (0, behaviour.response_id.format(number), Some(number))
        }
    };
    part.message_id = message_id.clone();
    let wants_receipt = part.registered_delivery & 0x03 != 0;
    let receipt_part = accepted_number
        .filter(|_| wants_receipt)
        .map(|n| (part.clone(), n));
    state.record_part(part, accepted_number.is_some());

    if let Some((part, number)) = &receipt_part {
        let outcome = state.outcome_for(&behaviour, &part.destination);
        receipts::schedule(
            state,
            part,
            *number,
            outcome,
            session_id,
            behaviour.receipt_before_response,
        );
    }

    let resp = SubmitSmResp::builder()
        .message_id(COctetString::from_string(message_id).unwrap_or_default())
        .build();
    let command = Command::new(CommandStatus::from(status), seq, resp);
    if behaviour.response_delay.is_zero() {
        let _ = outbox.send(command);
        outstanding.fetch_sub(1, Ordering::SeqCst);
    } else {
        let outbox = outbox.clone();
        let outstanding = outstanding.clone();
        let delay = behaviour.response_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = outbox.send(command);
            outstanding.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

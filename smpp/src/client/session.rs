//! The session state machine of one ESME connection:
//!
//! ```text
//! CLOSED ──connect──▶ OPEN ──bind_transceiver / resp OK──▶ BOUND_TRX ──unbind──▶ CLOSED
//!                        └── resp ≠ OK (e.g. ESME_RINVPASWD) ──▶ CLOSED, back off, retry
//! ```
//!
//! While bound, the SMSC may send us: `submit_sm_resp`/`generic_nack` (answers to our
//! requests), `deliver_sm` (receipts and MO, each needing a `deliver_sm_resp`), `enquire_link`
//! (needs `enquire_link_resp`), `unbind` (needs `unbind_resp`, then we close). We send
//! `enquire_link` when nothing has arrived for `enquire_link_interval`, and treat a missing
//! answer within `response_timeout` as a dead link (TCP alone can take minutes to notice).

use super::link::{Link, Response};
use super::{Event, InboundAck, Shared};
use crate::connection::{Connection, Outbox};
use crate::pdu::{parse_deliver_sm, Frame, Inbound, INTERFACE_VERSION_34};
use futures::StreamExt;
use rusmpp::pdus::BindTransceiver;
use rusmpp::types::COctetString;
use rusmpp::values::{InterfaceVersion, Npi, Ton};
use rusmpp::{Command, CommandId, CommandStatus, Pdu};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// generic_nack status for a request we do not implement.
const ESME_RINVCMDID: u32 = 0x03;
/// generic_nack status for a PDU we could not decode.
const ESME_RSYSERR: u32 = 0x08;

/// Why a connect-and-bind attempt failed.
#[derive(Debug)]
enum EstablishError {
    Io(String),
    Refused(u32),
}

/// Connects and reconnects until shutdown; see the module docs of [`super`].
pub(super) async fn supervise(shared: Arc<Shared>, events: mpsc::Sender<Event>) {
    let config = &shared.config;
    let mut backoff = config.reconnect_initial;
    let mut generation = 0u64;
    while !shared.shutdown.is_cancelled() {
        match establish(&shared).await {
            Ok(conn) => {
                generation += 1;
                backoff = config.reconnect_initial;
                // Sequence number 1 was the bind.
                let link = Arc::new(Link::new(conn.outbox.clone(), 2));
                shared.link.send_replace(Some(link.clone()));
                tracing::info!(addr = %config.addr, generation, "bound as transceiver");
                let _ = events.send(Event::Bound { generation }).await;
                let reason = run(conn, &link, &shared, &events).await;
                shared.link.send_replace(None);
                let in_flight = link.close();
                tracing::warn!(addr = %config.addr, %reason, in_flight, "SMPP connection ended");
                let _ = events.send(Event::Disconnected { reason, in_flight }).await;
            }
            Err(e) => {
                let (reason, command_status) = match e {
                    EstablishError::Io(reason) => (reason, None),
                    EstablishError::Refused(s) => {
                        (format!("bind refused: {}", super::status_name(s)), Some(s))
                    }
                };
                tracing::warn!(addr = %config.addr, %reason, ?backoff, "SMPP connect failed");
                let _ = events
                    .send(Event::ConnectFailed {
                        reason,
                        command_status,
                    })
                    .await;
                tokio::select! {
                    _ = shared.shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(config.reconnect_max);
                continue;
            }
        }
        // A session that was up ended: reconnect after the initial delay.
        tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            _ = tokio::time::sleep(config.reconnect_initial) => {}
        }
    }
}

fn c_octet<const MIN: usize, const MAX: usize>(
    s: &str,
    what: &str,
) -> Result<COctetString<MIN, MAX>, EstablishError> {
    COctetString::from_string(s.to_owned()).map_err(|e| {
        EstablishError::Io(format!(
            "{what} {s:?} does not fit SMPP ({e}); check the config"
        ))
    })
}

/// TCP connect, then bind_transceiver and wait for its response.
async fn establish(shared: &Shared) -> Result<Connection, EstablishError> {
    let config = &shared.config;
    let bind = BindTransceiver::builder()
        .system_id(c_octet(&config.system_id, "system_id")?)
        .password(c_octet(&config.password, "password")?)
        .system_type(c_octet(&config.system_type, "system_type")?)
        .interface_version(InterfaceVersion::from(INTERFACE_VERSION_34))
        .addr_ton(Ton::Unknown)
        .addr_npi(Npi::Unknown)
        .address_range(COctetString::empty())
        .build();
    let stream = tokio::time::timeout(config.connect_timeout, TcpStream::connect(&config.addr))
        .await
        .map_err(|_| EstablishError::Io("connect timed out".into()))?
        .map_err(|e| EstablishError::Io(format!("connect: {e}")))?;
    let mut conn = Connection::new(stream).map_err(|e| EstablishError::Io(e.to_string()))?;
    conn.outbox
        .send(Command::new(CommandStatus::EsmeRok, 1, bind))
        .map_err(|e| EstablishError::Io(e.to_string()))?;

    let deadline = Instant::now() + config.response_timeout;
    loop {
        let frame = tokio::select! {
            _ = shared.shutdown.cancelled() => return Err(EstablishError::Io("shut down".into())),
            f = tokio::time::timeout_at(deadline, conn.inbox.next()) => f,
        };
        let command = match frame {
            Err(_) => return Err(EstablishError::Io("no bind response in time".into())),
            Ok(None) => return Err(EstablishError::Io("SMSC closed the connection".into())),
            Ok(Some(Err(e))) => return Err(EstablishError::Io(e.to_string())),
            Ok(Some(Ok(Frame::Invalid(bad)))) => {
                return Err(EstablishError::Io(format!(
                    "bad PDU while binding: {}",
                    bad.reason
                )))
            }
            Ok(Some(Ok(Frame::Command(c)))) => c,
        };
        match command.id() {
            CommandId::BindTransceiverResp | CommandId::GenericNack => {
                let status = u32::from(command.status());
                if status != 0 {
                    // Dropping `conn` closes the socket.
                    return Err(EstablishError::Refused(status));
                }
                return Ok(conn);
            }
            CommandId::EnquireLink => {
                let _ = conn.outbox.send(Command::new(
                    CommandStatus::EsmeRok,
                    command.sequence_number(),
                    Pdu::EnquireLinkResp,
                ));
            }
            _ => {}
        }
    }
}

/// Runs a bound session until it ends; returns why.
async fn run(
    conn: Connection,
    link: &Link,
    shared: &Shared,
    events: &mpsc::Sender<Event>,
) -> String {
    let Connection {
        mut inbox,
        outbox,
        stop_writer,
        writer,
    } = conn;
    let config = &shared.config;
    let tick = (config.enquire_link_interval / 2).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(tick);
    let mut last_inbound = Instant::now();
    let mut enquire_sent: Option<Instant> = None;

    let reason = loop {
        tokio::select! {
            () = outbox.closed() => break "writer stopped".to_owned(),
            _ = shared.shutdown.cancelled() => {
                unbind(&mut inbox, &outbox, link, config.response_timeout.min(Duration::from_secs(2))).await;
                break "shut down".to_owned();
            }
            frame = inbox.next() => {
                last_inbound = Instant::now();
                match frame {
                    None => break "closed by the SMSC".to_owned(),
                    Some(Err(e)) => break format!("read error: {e}"),
                    Some(Ok(Frame::Invalid(bad))) => {
                        handle_invalid(&outbox, link, bad);
                    }
                    Some(Ok(Frame::Command(command))) => {
                        if command.id() == CommandId::EnquireLinkResp {
                            enquire_sent = None;
                        }
                        if let Some(end) = handle(command, &outbox, link, events).await {
                            break end;
                        }
                    }
                }
            }
            _ = ticker.tick() => {
                if let Some(sent) = enquire_sent {
                    if sent.elapsed() > config.response_timeout {
                        break "enquire_link unanswered".to_owned();
                    }
                } else if last_inbound.elapsed() >= config.enquire_link_interval {
                    let seq = link.next_seq();
                    if outbox.send(Command::new(CommandStatus::EsmeRok, seq, Pdu::EnquireLink)).is_err() {
                        break "writer stopped".to_owned();
                    }
                    enquire_sent = Some(Instant::now());
                }
            }
        }
    };
    // Let the writer drain what is queued (an unbind_resp, say), then stop it.
    stop_writer.cancel();
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(1), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    reason
}

/// Handles one PDU from the SMSC; `Some(reason)` ends the session.
async fn handle(
    command: Command,
    outbox: &Outbox,
    link: &Link,
    events: &mpsc::Sender<Event>,
) -> Option<String> {
    let seq = command.sequence_number();
    let status = u32::from(command.status());
    let reply = |status: u32, pdu: Pdu| {
        let _ = outbox.send(Command::new(CommandStatus::from(status), seq, pdu));
    };
    match command.id() {
        CommandId::SubmitSmResp => {
            let message_id = match command.pdu() {
                Some(Pdu::SubmitSmResp(r)) => r.message_id().as_str().to_owned(),
                _ => String::new(),
            };
            if !link.complete(seq, Response::Resp { status, message_id }) {
                tracing::debug!(seq, "submit_sm_resp for nobody (timed out?)");
            }
        }
        CommandId::GenericNack => {
            if !link.complete(seq, Response::Nack { status }) {
                tracing::debug!(seq, status, "generic_nack for no pending request");
            }
        }
        CommandId::DeliverSm => {
            let Some(Pdu::DeliverSm(pdu)) = command.pdu() else {
                reply(ESME_RSYSERR, Pdu::GenericNack);
                return None;
            };
            let ack = InboundAck::new(outbox.clone(), seq);
            let event = match parse_deliver_sm(pdu) {
                Inbound::Receipt(receipt) => Event::Receipt { receipt, ack },
                Inbound::Mo(message) => Event::Mo { message, ack },
            };
            // If the owner has gone, the event is dropped here, which acknowledges it.
            let _ = events.send(event).await;
        }
        CommandId::EnquireLink => reply(0, Pdu::EnquireLinkResp),
        CommandId::EnquireLinkResp => {}
        CommandId::Unbind => {
            reply(0, Pdu::UnbindResp);
            return Some("unbound by the SMSC".to_owned());
        }
        CommandId::UnbindResp => return Some("unbound".to_owned()),
        // No response is defined for alert_notification.
        CommandId::AlertNotification => {}
        id => {
            let raw = u32::from(id);
            if raw & 0x8000_0000 == 0 {
                tracing::debug!(?id, "unsupported request from SMSC");
                reply(ESME_RINVCMDID, Pdu::GenericNack);
            } else if !link.complete(
                seq,
                Response::Resp {
                    status,
                    message_id: String::new(),
                },
            ) {
                tracing::debug!(?id, seq, "unexpected response");
            }
        }
    }
    None
}

/// A PDU that did not decode: answer requests with generic_nack; let a waiting submit know.
fn handle_invalid(outbox: &Outbox, link: &Link, bad: crate::pdu::InvalidPdu) {
    tracing::warn!(command_id = bad.command_id, seq = bad.sequence_number, reason = %bad.reason, "undecodable PDU");
    if bad.command_id & 0x8000_0000 == 0 {
        let _ = outbox.send(Command::new(
            CommandStatus::from(ESME_RSYSERR),
            bad.sequence_number,
            Pdu::GenericNack,
        ));
    } else {
        link.complete(
            bad.sequence_number,
            Response::Resp {
                status: bad.command_status,
                message_id: String::new(),
            },
        );
    }
}

/// Sends unbind and waits briefly for unbind_resp, still answering what arrives meanwhile.
async fn unbind(
    inbox: &mut crate::connection::Inbox,
    outbox: &Outbox,
    link: &Link,
    wait: Duration,
) {
    let seq = link.next_seq();
    if outbox
        .send(Command::new(CommandStatus::EsmeRok, seq, Pdu::Unbind))
        .is_err()
    {
        return;
    }
    let deadline = Instant::now() + wait;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, inbox.next()).await {
        if let Frame::Command(c) = frame {
            match c.id() {
                CommandId::UnbindResp => return,
                CommandId::SubmitSmResp | CommandId::GenericNack => {
                    let message_id = match c.pdu() {
                        Some(Pdu::SubmitSmResp(r)) => r.message_id().as_str().to_owned(),
                        _ => String::new(),
                    };
                    let status = u32::from(c.status());
                    link.complete(c.sequence_number(), Response::Resp { status, message_id });
                }
                _ => {}
            }
        }
    }
}

//! The ESME side: Ferry connecting to an operator's SMSC as a transceiver.
//!
//! ```text
//!   dispatcher tasks ──submit()──▶ window ─▶ throttle ─▶ Link (current bound session)
//!          ▲                     (semaphore) (GCRA)      │ submit_sm (seq n) ─▶ SMSC
//!          └──────── SubmitOutcome ◀── oneshot(n) ◀──────┘ submit_sm_resp (seq n)
//!
//!   supervisor: connect ─▶ bind_transceiver ─▶ run session ─▶ (dropped) ─▶ back off ─▶ connect…
//!   session:    reads PDUs, answers enquire_link/deliver_sm/unbind, sends enquire_link when idle
//!   events:     Bound / ConnectFailed / Disconnected / Receipt / Mo  ──▶ mpsc::Receiver<Event>
//! ```
//!
//! Guarantees the dispatcher can build on:
//! - At most `window` submits are outstanding (sent, response not yet received).
//! - Every `submit` ends in exactly one [`SubmitOutcome`] or [`SubmitError`]. An `Err` was never
//!   sent. `ConnectionLost`/`TimedOut` mean *unknown*: the SMSC may have accepted the part, so
//!   resubmitting may deliver it twice; the dispatcher decides.
//! - ESME_RTHROTTLED and ESME_RMSGQFUL are retried here after a pause (the whole connection
//!   pauses), and reported as `Deferred` only after `max_deferrals` attempts.
//! - Receipts and MO messages are acknowledged (`deliver_sm_resp`) only when the dispatcher drops
//!   (or calls `ack()` on) the [`InboundAck`] that comes with them, so one that was never stored
//!   is redelivered by the SMSC after a crash. Drain the event channel in its own task: a full
//!   channel stops the session from reading, which also stalls submit responses.

mod link;
mod session;
pub mod throttle;

use crate::connection::Outbox;
use crate::pdu::{DeliveryReceipt, MoMessage, SubmitRequest};
use link::{Link, Response};
use rusmpp::{Command, CommandStatus, Pdu};
use sms::status::ErrorCode;
use std::sync::Arc;
use std::time::Duration;
use throttle::Throttle;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// ESME_RMSGQFUL: the SMSC's queue for this ESME is full; try later.
pub const ESME_RMSGQFUL: u32 = 0x14;
/// ESME_RTHROTTLED: over the contracted rate; slow down.
pub const ESME_RTHROTTLED: u32 = 0x58;
/// ESME_RINVDSTADR: invalid destination address.
pub const ESME_RINVDSTADR: u32 = 0x0B;
/// ESME_RINVPASWD: wrong password in a bind.
pub const ESME_RINVPASWD: u32 = 0x0E;
/// ESME_RX_T_APPN: "temporary application error": the SMSC should redeliver later.
pub const ESME_RX_T_APPN: u32 = 0x64;

/// The SMPP name of a `command_status`, e.g. `EsmeRthrottled`, for logs and operator UIs.
pub fn status_name(status: u32) -> String {
    format!("{:?}", CommandStatus::from(status))
}

/// Ferry's error code for a submit the SMSC refused (never handed over, so never charged).
pub fn rejection_error(status: u32) -> ErrorCode {
    match status {
        ESME_RINVDSTADR => ErrorCode::InvalidNumber,
        _ => ErrorCode::OperatorRejected,
    }
}

/// One SMSC connection's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// `host:port`.
    pub addr: String,
    /// At most 15 characters.
    pub system_id: String,
    /// At most 8 characters.
    pub password: String,
    /// At most 12 characters; often empty.
    pub system_type: String,
    /// Most submits outstanding at once.
    pub window: usize,
    /// Contracted submit_sm per second (`None` = unlimited).
    pub max_per_second: Option<f64>,
    /// Sends allowed back to back before the rate applies.
    pub burst: u32,
    /// Idle time after which we send enquire_link.
    pub enquire_link_interval: Duration,
    /// How long to wait for any response (bind, submit, enquire_link).
    pub response_timeout: Duration,
    pub connect_timeout: Duration,
    /// First reconnect delay; doubles per failed attempt up to `reconnect_max`.
    pub reconnect_initial: Duration,
    pub reconnect_max: Duration,
    /// Pause after ESME_RTHROTTLED / ESME_RMSGQFUL; doubles per repeat for the same submit.
    pub throttle_backoff: Duration,
    /// Throttling answers for one submit before it is reported `Deferred`.
    pub max_deferrals: u32,
    /// How long `submit` waits for a bound connection before `SubmitError::NotConnected`.
    pub wait_for_bind: Duration,
    /// Capacity of the event channel.
    pub event_buffer: usize,
}

impl ClientConfig {
    pub fn new(addr: impl Into<String>, system_id: &str, password: &str) -> ClientConfig {
        ClientConfig {
            addr: addr.into(),
            system_id: system_id.to_owned(),
            password: password.to_owned(),
            system_type: String::new(),
            window: 100,
            max_per_second: None,
            burst: 10,
            enquire_link_interval: Duration::from_secs(30),
            response_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            reconnect_initial: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            throttle_backoff: Duration::from_secs(1),
            max_deferrals: 10,
            wait_for_bind: Duration::from_secs(30),
            event_buffer: 10_000,
        }
    }
}

/// How one submit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// The SMSC took it: charge it, and expect a receipt naming `message_id`.
    Accepted { message_id: String },
    /// The SMSC refused it for good (`command_status` ≠ 0): not handed over, not charged.
    Rejected { command_status: u32 },
    /// The SMSC kept answering "throttled" / "queue full": not accepted, safe to resubmit later.
    Deferred { command_status: u32 },
    /// Sent, but the connection dropped before the response: outcome unknown.
    ConnectionLost,
    /// Sent, but no response within `response_timeout`: outcome unknown.
    TimedOut,
}

impl SubmitOutcome {
    /// The SMSC may or may not have the part; resubmitting risks a duplicate.
    pub fn is_unknown(&self) -> bool {
        matches!(
            self,
            SubmitOutcome::ConnectionLost | SubmitOutcome::TimedOut
        )
    }
}

/// A submit that was never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error("no bound SMSC connection within the wait time")]
    NotConnected,
    #[error("the client is shut down")]
    ShutDown,
}

/// Acknowledges one `deliver_sm`. Dropping it acknowledges (ESME_ROK); call
/// [`InboundAck::retry_later`] when it could not be stored, so the SMSC sends it again.
#[derive(Debug)]
pub struct InboundAck {
    outbox: Outbox,
    sequence_number: u32,
    done: bool,
}

impl InboundAck {
    fn new(outbox: Outbox, sequence_number: u32) -> InboundAck {
        InboundAck {
            outbox,
            sequence_number,
            done: false,
        }
    }

    fn respond(&mut self, status: u32) {
        if !self.done {
            self.done = true;
            let resp = Pdu::DeliverSmResp(Default::default());
            let _ = self.outbox.send(Command::new(
                CommandStatus::from(status),
                self.sequence_number,
                resp,
            ));
        }
    }

    pub fn ack(mut self) {
        self.respond(0);
    }

    /// Answers ESME_RX_T_APPN: the SMSC keeps it and delivers it again later.
    pub fn retry_later(mut self) {
        self.respond(ESME_RX_T_APPN);
    }
}

impl Drop for InboundAck {
    fn drop(&mut self) {
        self.respond(0);
    }
}

/// What the client tells its owner.
#[derive(Debug)]
pub enum Event {
    /// Bound; `generation` counts connections since start.
    Bound {
        generation: u64,
    },
    /// A connect or bind attempt failed; `command_status` is set when the SMSC refused the bind
    /// (e.g. ESME_RINVPASWD). The client keeps retrying with back-off.
    ConnectFailed {
        reason: String,
        command_status: Option<u32>,
    },
    /// A bound connection ended; `in_flight` submits were reported `ConnectionLost`.
    Disconnected {
        reason: String,
        in_flight: usize,
    },
    Receipt {
        receipt: DeliveryReceipt,
        ack: InboundAck,
    },
    Mo {
        message: MoMessage,
        ack: InboundAck,
    },
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ClientConfig,
    pub window: Semaphore,
    pub throttle: Throttle,
    pub link: watch::Sender<Option<Arc<Link>>>,
    pub shutdown: CancellationToken,
}

/// Submits through one SMSC connection; clone it into as many tasks as you like.
#[derive(Debug, Clone)]
pub struct ClientHandle {
    shared: Arc<Shared>,
    supervisor: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

/// Starts SMSC connections.
#[derive(Debug)]
pub struct Client;

/// The first bind did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("bind refused by the SMSC: {}", status_name(*.0))]
    BindRefused(u32),
    #[error("could not connect: {0}")]
    Unreachable(String),
}

impl Client {
    /// Starts connecting in the background and returns at once. The client (re)connects until
    /// [`ClientHandle::shutdown`]; watch the events for `Bound`.
    pub fn start(config: ClientConfig) -> (ClientHandle, mpsc::Receiver<Event>) {
        let (events_tx, events_rx) = mpsc::channel(config.event_buffer.max(1));
        let shared = Arc::new(Shared {
            window: Semaphore::new(config.window.max(1)),
            throttle: Throttle::new(config.max_per_second, config.burst.max(1)),
            link: watch::Sender::new(None),
            shutdown: CancellationToken::new(),
            config,
        });
        let supervisor = tokio::spawn(session::supervise(shared.clone(), events_tx));
        (
            ClientHandle {
                shared,
                supervisor: Arc::new(std::sync::Mutex::new(Some(supervisor))),
            },
            events_rx,
        )
    }

    /// Starts the client and waits for the first bind: `Err` when it is refused or the SMSC
    /// cannot be reached (then the client is shut down again).
    pub async fn connect(
        config: ClientConfig,
    ) -> Result<(ClientHandle, mpsc::Receiver<Event>), ConnectError> {
        let (handle, mut events) = Client::start(config);
        loop {
            match events.recv().await {
                Some(Event::Bound { .. }) => return Ok((handle, events)),
                Some(Event::ConnectFailed {
                    reason,
                    command_status,
                }) => {
                    handle.shutdown().await;
                    return Err(match command_status {
                        Some(s) => ConnectError::BindRefused(s),
                        None => ConnectError::Unreachable(reason),
                    });
                }
                Some(_) => continue,
                None => return Err(ConnectError::Unreachable("client stopped".into())),
            }
        }
    }
}

impl ClientHandle {
    /// Submits one part and waits for the SMSC's answer (see [`SubmitOutcome`]).
    pub async fn submit(&self, request: &SubmitRequest) -> Result<SubmitOutcome, SubmitError> {
        let shared = &self.shared;
        let _permit = shared
            .window
            .acquire()
            .await
            .map_err(|_| SubmitError::ShutDown)?;
        let mut deferrals = 0u32;
        loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => return Err(SubmitError::ShutDown),
                _ = shared.throttle.acquire() => {}
            }
            let link = self.bound_link().await?;
            let Ok((seq, response)) = link.request(Pdu::SubmitSm(request.pdu().clone())) else {
                // The link died before we could send: nothing went out, wait for the next one.
                continue;
            };
            let response =
                match tokio::time::timeout(shared.config.response_timeout, response).await {
                    Err(_) => {
                        link.forget(seq);
                        tracing::warn!(seq, "no submit_sm_resp in time");
                        return Ok(SubmitOutcome::TimedOut);
                    }
                    Ok(Err(_)) => return Ok(SubmitOutcome::ConnectionLost),
                    Ok(Ok(r)) => r,
                };
            let (status, message_id) = match response {
                Response::Resp { status, message_id } => (status, message_id),
                Response::Nack { status } => (status, String::new()),
            };
            match status {
                0 => return Ok(SubmitOutcome::Accepted { message_id }),
                ESME_RTHROTTLED | ESME_RMSGQFUL => {
                    deferrals += 1;
                    if deferrals > shared.config.max_deferrals {
                        return Ok(SubmitOutcome::Deferred {
                            command_status: status,
                        });
                    }
                    let pause = shared.config.throttle_backoff * 2u32.pow((deferrals - 1).min(5));
                    tracing::debug!(status = %status_name(status), ?pause, "SMSC asks us to slow down");
                    shared.throttle.pause_for(pause);
                }
                _ => {
                    return Ok(SubmitOutcome::Rejected {
                        command_status: status,
                    })
                }
            }
        }
    }

    /// The current bound link, waiting up to `wait_for_bind` for one.
    async fn bound_link(&self) -> Result<Arc<Link>, SubmitError> {
        let shared = &self.shared;
        let mut rx = shared.link.subscribe();
        let deadline = tokio::time::Instant::now() + shared.config.wait_for_bind;
        loop {
            if let Some(link) = rx.borrow_and_update().clone() {
                if !link.is_closed() {
                    return Ok(link);
                }
            }
            tokio::select! {
                _ = shared.shutdown.cancelled() => return Err(SubmitError::ShutDown),
                changed = tokio::time::timeout_at(deadline, rx.changed()) => match changed {
                    Err(_) => return Err(SubmitError::NotConnected),
                    Ok(Err(_)) => return Err(SubmitError::ShutDown),
                    Ok(Ok(())) => {}
                },
            }
        }
    }

    /// True while a bound connection is up.
    pub fn is_bound(&self) -> bool {
        self.shared
            .link
            .borrow()
            .as_ref()
            .is_some_and(|l| !l.is_closed())
    }

    /// Submits sent and still waiting for their response.
    pub fn in_flight(&self) -> usize {
        self.shared
            .link
            .borrow()
            .as_ref()
            .map_or(0, |l| l.in_flight())
    }

    /// Unbinds and stops reconnecting. Waiting submits end with `ShutDown` or `ConnectionLost`.
    pub async fn shutdown(&self) {
        self.shared.shutdown.cancel();
        self.shared.window.close();
        let task = match self.supervisor.lock() {
            Ok(mut s) => s.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

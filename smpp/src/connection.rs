//! One TCP connection carrying PDUs: a framed reader, and a writer task fed by a channel.
//!
//! Both the client and the simulator use it. The writer is a task of its own so that any part
//! of a session (submitters, the receipt acknowledger, the enquire_link timer) can send without
//! sharing the socket, and so that PDUs queued together go out in one write: it drains the
//! channel before flushing, which is what lets a window of 100 submits travel in a few packets.
//!
//! `TCP_NODELAY` is set on every SMPP socket: SMPP is request/response with small PDUs, and with
//! Nagle's algorithm on, each response waits for the peer's delayed ACK (~1k msg/s instead of
//! ~100k, see smpp-notes).

use crate::pdu::{CodecError, PduCodec};
use futures::SinkExt;
use rusmpp::Command;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

/// Sends PDUs on a connection; cheap to clone. Sending never waits: the SMPP window, not this
/// queue, bounds how much is in flight.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Command>,
}

/// The connection's writer has stopped; nothing more can be sent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the connection is closed")]
pub struct Closed;

impl Outbox {
    pub fn send(&self, command: Command) -> Result<(), Closed> {
        self.tx.send(command).map_err(|_| Closed)
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Reads PDUs from a connection.
pub type Inbox = FramedRead<OwnedReadHalf, PduCodec>;

/// A connection split into its reading and writing sides.
#[derive(Debug)]
pub struct Connection {
    pub inbox: Inbox,
    pub outbox: Outbox,
    /// Stops the writer once the queue is empty, then closes the socket's write side.
    pub stop_writer: CancellationToken,
    pub writer: JoinHandle<Result<(), CodecError>>,
}

impl Connection {
    pub fn new(stream: TcpStream) -> std::io::Result<Connection> {
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        let (tx, rx) = mpsc::unbounded_channel();
        let stop_writer = CancellationToken::new();
        let writer = tokio::spawn(write_loop(
            FramedWrite::new(write, PduCodec::new()),
            rx,
            stop_writer.clone(),
        ));
        Ok(Connection {
            inbox: FramedRead::new(read, PduCodec::new()),
            outbox: Outbox { tx },
            stop_writer,
            writer,
        })
    }
}

async fn write_loop(
    mut sink: FramedWrite<OwnedWriteHalf, PduCodec>,
    mut rx: mpsc::UnboundedReceiver<Command>,
    stop: CancellationToken,
) -> Result<(), CodecError> {
    loop {
        // Queued PDUs go before a stop is honoured, so a final unbind_resp still leaves.
        let first = tokio::select! {
            biased;
            next = rx.recv() => match next {
                Some(command) => command,
                None => break,
            },
            _ = stop.cancelled() => break,
        };
        sink.feed(first).await?;
        // Batch whatever else is already queued into the same write.
        while let Ok(command) = rx.try_recv() {
            sink.feed(command).await?;
        }
        sink.flush().await?;
    }
    let _ = sink.close().await;
    Ok(())
}

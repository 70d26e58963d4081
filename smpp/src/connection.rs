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

/// PDUs queued on one connection at most. The window bounds our own requests; this bounds
/// the answers we owe a peer that sends faster than it reads.
pub const OUTBOX_CAPACITY: usize = 8_192;

/// Sends PDUs on a connection; cheap to clone. Sending never waits: the SMPP window, not this
/// queue, bounds how much is in flight. A peer that stops reading until [`OUTBOX_CAPACITY`]
/// PDUs are queued loses the connection (and the session reconnects) rather than our memory.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Command>,
    overflow: CancellationToken,
}

/// The connection's writer has stopped; nothing more can be sent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the connection is closed")]
pub struct Closed;

impl Outbox {
    pub fn send(&self, command: Command) -> Result<(), Closed> {
        match self.tx.try_send(command) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("SMPP peer is not reading: {OUTBOX_CAPACITY} PDUs queued; closing the connection");
                self.overflow.cancel();
                Err(Closed)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Closed),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Resolves once the writer has stopped (the peer stopped reading, or the socket failed).
    pub async fn closed(&self) {
        self.tx.closed().await
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
        let (tx, rx) = mpsc::channel(OUTBOX_CAPACITY);
        let stop_writer = CancellationToken::new();
        let overflow = CancellationToken::new();
        let writer = tokio::spawn(write_loop(
            FramedWrite::new(write, PduCodec::new()),
            rx,
            stop_writer.clone(),
            overflow.clone(),
        ));
        Ok(Connection {
            inbox: FramedRead::new(read, PduCodec::new()),
            outbox: Outbox { tx, overflow },
            stop_writer,
            writer,
        })
    }
}

async fn write_loop(
    mut sink: FramedWrite<OwnedWriteHalf, PduCodec>,
    mut rx: mpsc::Receiver<Command>,
    stop: CancellationToken,
    overflow: CancellationToken,
) -> Result<(), CodecError> {
    loop {
        // Queued PDUs go before a stop is honoured, so a final unbind_resp still leaves; an
        // overflow ends the connection at once.
        let first = tokio::select! {
            biased;
            _ = overflow.cancelled() => return Ok(()),
            next = rx.recv() => match next {
                Some(command) => command,
                None => break,
            },
            _ = stop.cancelled() => break,
        };
        // A peer that stops reading leaves this write waiting on a full socket; the overflow
        // must still be able to end it (dropping the socket's write side closes it).
        let written = tokio::select! {
            biased;
            _ = overflow.cancelled() => return Ok(()),
            written = async {
                sink.feed(first).await?;
                // Batch whatever else is already queued into the same write.
                while let Ok(command) = rx.try_recv() {
                    sink.feed(command).await?;
                }
                sink.flush().await
            } => written,
        };
        written?;
    }
    let _ = sink.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusmpp::{CommandStatus, Pdu};

    #[tokio::test]
    async fn a_peer_that_never_reads_costs_a_bounded_queue_then_the_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The peer accepts and then never reads a byte.
        let peer = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            drop(socket);
        });
        let conn = Connection::new(TcpStream::connect(addr).await.expect("connect")).expect("conn");
        let mut sent = 0u64;
        let refused = loop {
            let pdu = Command::new(CommandStatus::EsmeRok, 1, Pdu::EnquireLinkResp);
            if conn.outbox.send(pdu).is_err() {
                break true;
            }
            sent += 1;
            if sent.is_multiple_of(1_000) {
                // Let the writer fill the socket's buffers.
                tokio::task::yield_now().await;
            }
            if sent > 50_000_000 {
                break false;
            }
        };
        assert!(refused, "the queue never filled");
        tokio::time::timeout(std::time::Duration::from_secs(5), conn.outbox.closed())
            .await
            .expect("the writer stops once the queue overflows");
        peer.abort();
    }
}

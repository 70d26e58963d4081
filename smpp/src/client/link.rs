//! One bound connection as the submitters see it: where to send, and who waits for which
//! response. Requests and responses are matched by `sequence_number`, which the ESME chooses
//! (1..=0x7FFFFFFF, wrapping) and the SMSC echoes.

use crate::connection::{Closed, Outbox};
use rusmpp::{Command, CommandStatus, Pdu};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// What came back for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Response {
    /// The matching `*_resp`; `message_id` is set for `submit_sm_resp`.
    Resp { status: u32, message_id: String },
    /// `generic_nack`: the SMSC could not even parse the request.
    Nack { status: u32 },
}

#[derive(Debug, Default)]
struct Pending {
    closed: bool,
    waiters: HashMap<u32, oneshot::Sender<Response>>,
}

#[derive(Debug)]
pub(crate) struct Link {
    pub outbox: Outbox,
    next_seq: AtomicU32,
    pending: Mutex<Pending>,
}

impl Link {
    pub fn new(outbox: Outbox, first_seq: u32) -> Link {
        Link {
            outbox,
            next_seq: AtomicU32::new(first_seq),
            pending: Mutex::new(Pending::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        match self.pending.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The next sequence number; 0 and the top half are never used.
    pub fn next_seq(&self) -> u32 {
        loop {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed) & 0x7FFF_FFFF;
            if seq != 0 {
                return seq;
            }
        }
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed || self.outbox.is_closed()
    }

    /// Sends a request and returns its sequence number and where its response will arrive.
    /// `Err` means it was not sent: safe to send again elsewhere.
    pub fn request(&self, pdu: Pdu) -> Result<(u32, oneshot::Receiver<Response>), Closed> {
        let seq = self.next_seq();
        let (tx, rx) = oneshot::channel();
        {
            let mut p = self.lock();
            if p.closed {
                return Err(Closed);
            }
            p.waiters.insert(seq, tx);
        }
        if let Err(e) = self
            .outbox
            .send(Command::new(CommandStatus::EsmeRok, seq, pdu))
        {
            self.lock().waiters.remove(&seq);
            return Err(e);
        }
        Ok((seq, rx))
    }

    /// Delivers a response to its waiter; false when nobody waits for `seq`.
    pub fn complete(&self, seq: u32, response: Response) -> bool {
        match self.lock().waiters.remove(&seq) {
            Some(tx) => {
                let _ = tx.send(response);
                true
            }
            None => false,
        }
    }

    /// Stops waiting for `seq` (response timeout).
    pub fn forget(&self, seq: u32) {
        self.lock().waiters.remove(&seq);
    }

    pub fn in_flight(&self) -> usize {
        self.lock().waiters.len()
    }

    /// Marks the link dead; every waiter learns that its outcome is unknown. Returns how many.
    pub fn close(&self) -> usize {
        let mut p = self.lock();
        p.closed = true;
        let n = p.waiters.len();
        p.waiters.clear(); // dropping the senders wakes the waiters with an error
        n
    }
}

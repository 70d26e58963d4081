//! How many rows each write transaction of the sending path carries, and how long it takes
//! from `BEGIN` to `COMMIT` (for `/metrics`, issue 17). Every commit is a disk sync, so rows
//! per transaction is what decides how many messages a second one database can take: a
//! dispatcher that keeps up groups many rows into each (a "tick"); one that writes a row at a
//! time is slow whatever the hardware.
//!
//! Process-wide, like a Prometheus client's registry: the writers record, `/metrics` reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

/// What a write transaction stores; in the order the writer runs them within a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WriteKind {
    /// Batches from the portal and the APIs, counted in messages.
    Intake,
    /// Due messages claimed by a dispatcher worker (on SQLite with their charges held, in
    /// the same job).
    Claim,
    /// Charges held before submit, when they are a write of their own (PostgreSQL).
    Hold,
    /// Submit outcomes (acceptances and their charges, retries, refusals).
    Outcome,
    /// Delivery receipts.
    Receipt,
    /// Reply (MO) parts.
    Reply,
    /// Early receipts applied once their part is known, and expiries.
    Housekeeping,
    /// The API access log, stored in groups.
    AccessLog,
    /// A whole tick of the writer: every write above that shared its transaction.
    Tick,
    /// A tick's `COMMIT` alone (on SQLite: the WAL append, its sync, and a checkpoint when
    /// one is due), counted in the tick's rows.
    Commit,
}

impl WriteKind {
    pub const ALL: [WriteKind; 10] = [
        WriteKind::Intake,
        WriteKind::Claim,
        WriteKind::Hold,
        WriteKind::Outcome,
        WriteKind::Receipt,
        WriteKind::Reply,
        WriteKind::Housekeeping,
        WriteKind::AccessLog,
        WriteKind::Tick,
        WriteKind::Commit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WriteKind::Intake => "intake",
            WriteKind::Claim => "claim",
            WriteKind::Hold => "hold",
            WriteKind::Outcome => "outcome",
            WriteKind::Receipt => "receipt",
            WriteKind::Reply => "reply",
            WriteKind::Housekeeping => "housekeeping",
            WriteKind::AccessLog => "access_log",
            WriteKind::Tick => "tick",
            WriteKind::Commit => "commit",
        }
    }

    fn index(self) -> usize {
        WriteKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Upper bounds of the rows-per-transaction buckets.
pub const ROW_BUCKETS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

#[derive(Default)]
struct Sizes {
    buckets: [AtomicU64; ROW_BUCKETS.len()],
    transactions: AtomicU64,
    rows: AtomicU64,
    micros: AtomicU64,
}

static REGISTRY: LazyLock<[Sizes; WriteKind::ALL.len()]> = LazyLock::new(Default::default);

/// One committed transaction of `kind` with `rows` rows, `elapsed` from begin to commit.
pub fn record(kind: WriteKind, rows: usize, elapsed: Duration) {
    let s = &REGISTRY[kind.index()];
    let rows = rows as u64;
    if let Some(i) = ROW_BUCKETS.iter().position(|b| rows <= *b) {
        s.buckets[i].fetch_add(1, Ordering::Relaxed);
    }
    s.transactions.fetch_add(1, Ordering::Relaxed);
    s.rows.fetch_add(rows, Ordering::Relaxed);
    s.micros.fetch_add(
        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// What one kind of write has done since the process started.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSizes {
    pub kind: WriteKind,
    /// Transactions with at most `ROW_BUCKETS[i]` rows (not cumulative).
    pub buckets: [u64; ROW_BUCKETS.len()],
    pub transactions: u64,
    pub rows: u64,
    /// Time spent from begin to commit, in total.
    pub seconds: f64,
}

pub fn snapshot() -> Vec<WriteSizes> {
    WriteKind::ALL
        .iter()
        .zip(REGISTRY.iter())
        .map(|(kind, s)| WriteSizes {
            kind: *kind,
            buckets: std::array::from_fn(|i| s.buckets[i].load(Ordering::Relaxed)),
            transactions: s.transactions.load(Ordering::Relaxed),
            rows: s.rows.load(Ordering::Relaxed),
            seconds: s.micros.load(Ordering::Relaxed) as f64 / 1e6,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_lands_in_the_smallest_bucket_that_holds_it() {
        let before = snapshot()[WriteKind::Reply.index()].clone();
        record(WriteKind::Reply, 1, Duration::from_millis(2));
        record(WriteKind::Reply, 30, Duration::from_millis(3));
        record(WriteKind::Reply, 5_000, Duration::from_millis(5));
        let after = &snapshot()[WriteKind::Reply.index()];
        let added = |i: usize| after.buckets[i] - before.buckets[i];
        assert_eq!(added(0), 1, "1 row: the first bucket");
        assert_eq!(added(5), 1, "30 rows: up to 50");
        assert_eq!(after.transactions - before.transactions, 3);
        assert_eq!(after.rows - before.rows, 5_031);
        assert!(after.seconds - before.seconds >= 0.009);
    }
}

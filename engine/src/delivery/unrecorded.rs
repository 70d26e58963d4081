//! Parts an operator has accepted whose outcome is not committed yet, by the keys their
//! receipts will be matched under.
//!
//! An SMSC may send a part's receipt right after its `submit_sm_resp`, before the dispatcher
//! has committed the acceptance that records the part's id. Such a receipt used to be parked
//! as unmatched (a row and its key rows), then found by the housekeeping join and applied, then
//! deleted: three writes instead of one. In the benchmarks nearly every receipt on PostgreSQL,
//! and about half on SQLite, went that way. The receipt loop now waits for acceptances this
//! process is about to record (a writer tick, at most [`WAIT_LIMIT`]) before it stores its
//! receipts, so they find their part. Nothing is acknowledged earlier than before, only later;
//! a receipt whose part is unknown here (another process's, or a key this matching does not
//! produce) is parked as before.

use super::store::Receipt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The longest a receipt waits for its part's acceptance to be committed; after that it is
/// parked as unmatched (the commit failed or is slow, and the SMSC is waiting for its answer).
pub const WAIT_LIMIT: Duration = Duration::from_secs(2);

/// How long a key is waited for at all, whatever happens to its registration: a safety net
/// (a registration leaked by a bug would otherwise make its receipts wait [`WAIT_LIMIT`] for
/// ever after). Longer than any submit takes: the SMPP response timeout is 20 s.
const FORGET_AFTER: Duration = Duration::from_secs(120);

type Pending = HashMap<(String, String), (usize, Instant)>;

/// Keys (`(smsc, key)`) of accepted parts not yet committed, counted (two parts may share a
/// key form), with when the last of them was accepted.
#[derive(Default)]
pub struct Unrecorded {
    keys: Mutex<Pending>,
    recorded: Notify,
}

/// One accepted part's keys, awaited until this is dropped ([`Unrecorded::accepted`]).
pub struct Registration {
    unrecorded: Arc<Unrecorded>,
    smsc: String,
    keys: Vec<String>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.unrecorded.settle(&self.smsc, &self.keys);
    }
}

impl Unrecorded {
    /// A part `smsc` accepted, under the keys its receipt may name it by. It stays awaited
    /// until the returned registration is dropped: after the outcome's commit, or when the
    /// outcome will not be recorded (a failed commit, an aborted or panicked submit task),
    /// whichever way the dispatcher's code leaves.
    pub fn accepted(self: &Arc<Self>, smsc: &str, keys: &[String]) -> Registration {
        let now = Instant::now();
        let mut pending = self.lock();
        for key in keys {
            let entry = pending
                .entry((smsc.to_owned(), key.clone()))
                .or_insert((0, now));
            *entry = (entry.0 + 1, now);
        }
        Registration {
            unrecorded: self.clone(),
            smsc: smsc.to_owned(),
            keys: keys.to_vec(),
        }
    }

    fn settle(&self, smsc: &str, keys: &[String]) {
        {
            let mut pending = self.lock();
            for key in keys {
                let entry = (smsc.to_owned(), key.clone());
                if let Some((n, _)) = pending.get_mut(&entry) {
                    *n -= 1;
                    if *n == 0 {
                        pending.remove(&entry);
                    }
                }
            }
        }
        self.recorded.notify_waiters();
    }

    /// Whether any of the receipts names a part whose acceptance is still to be committed.
    fn awaited(&self, receipts: &[Receipt]) -> bool {
        let mut pending = self.lock();
        if pending.is_empty() {
            return false;
        }
        pending.retain(|_, (_, accepted)| accepted.elapsed() < FORGET_AFTER);
        receipts.iter().any(|r| {
            r.keys
                .iter()
                .any(|k| pending.contains_key(&(r.smsc.clone(), k.clone())))
        })
    }

    /// Returns once no receipt of `receipts` names a part still being recorded, or after
    /// [`WAIT_LIMIT`].
    pub async fn wait_for(&self, receipts: &[Receipt]) {
        let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
        loop {
            // Registered before the check, so a commit between the two is not missed.
            let recorded = self.recorded.notified();
            tokio::pin!(recorded);
            recorded.as_mut().enable();
            if !self.awaited(receipts) {
                return;
            }
            if tokio::time::timeout_at(deadline, recorded).await.is_err() {
                tracing::debug!("receipts stopped waiting for their parts' acceptance");
                return;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic while holding it leaves only counts behind; they stay usable.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sms::DeliveryStatus;

    fn receipt(key: &str) -> Receipt {
        Receipt {
            smsc: "op".into(),
            keys: vec![key.into()],
            status: DeliveryStatus::Delivered,
            error: None,
        }
    }

    fn part(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    #[tokio::test]
    async fn a_receipt_waits_until_its_part_is_recorded_and_others_do_not_wait() {
        let unrecorded = Arc::new(Unrecorded::default());
        let registration = unrecorded.accepted("op", &part(&["abc", "x:1"]));
        // Another SMSC's key of the same text, and an unknown key, do not wait.
        let other = Receipt {
            smsc: "other".into(),
            ..receipt("abc")
        };
        tokio::time::timeout(Duration::from_millis(100), unrecorded.wait_for(&[other]))
            .await
            .expect("not awaited");
        let waiting = {
            let unrecorded = unrecorded.clone();
            tokio::spawn(async move { unrecorded.wait_for(&[receipt("x:1")]).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "waits while the part is unrecorded");
        drop(registration);
        tokio::time::timeout(Duration::from_millis(500), waiting)
            .await
            .expect("released by the commit")
            .expect("task");
        assert!(unrecorded.lock().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_receipt_stops_waiting_after_the_limit() {
        let unrecorded = Arc::new(Unrecorded::default());
        let _registration = unrecorded.accepted("op", &["k".to_string()]);
        let started = tokio::time::Instant::now();
        unrecorded.wait_for(&[receipt("k")]).await;
        assert_eq!(started.elapsed(), WAIT_LIMIT);
    }

    #[test]
    fn keys_shared_by_two_parts_stay_until_both_are_settled() {
        let unrecorded = Arc::new(Unrecorded::default());
        let a = unrecorded.accepted("op", &part(&["k"]));
        let b = unrecorded.accepted("op", &part(&["k"]));
        drop(a);
        assert!(unrecorded.awaited(&[receipt("k")]));
        drop(b);
        assert!(!unrecorded.awaited(&[receipt("k")]));
    }

    #[tokio::test]
    async fn a_submit_task_that_is_aborted_releases_its_parts() {
        let unrecorded = Arc::new(Unrecorded::default());
        let task = {
            let unrecorded = unrecorded.clone();
            tokio::spawn(async move {
                let _registration = unrecorded.accepted("op", &part(&["k"]));
                std::future::pending::<()>().await;
            })
        };
        while !unrecorded.awaited(&[receipt("k")]) {
            tokio::task::yield_now().await;
        }
        task.abort();
        let _ = task.await;
        assert!(!unrecorded.awaited(&[receipt("k")]));
    }
}

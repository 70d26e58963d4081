//! The per-connection throughput limit: operators contract a rate (say 50 messages/s per bind)
//! and answer with ESME_RTHROTTLED when it is exceeded.
//!
//! This is GCRA ("virtual scheduling"), equivalent to a token bucket: each send is scheduled
//! at `max(now, TAT − τ)` where TAT (theoretical arrival time) advances by `1/rate` per send and
//! τ is the burst tolerance. Schedules, not actual wake-ups, advance TAT, so timer granularity
//! (tokio sleeps in whole milliseconds) does not lower the average rate.
//!
//! A throttling answer from the SMSC pauses every sender on the connection (`pause_for`), not
//! only the one that was told off: the SMSC is telling us about the connection's rate.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug)]
pub struct Throttle {
    /// Seconds between sends, or `None` when unlimited.
    interval: Option<Duration>,
    tolerance: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    tat: Instant,
    paused_until: Instant,
}

impl Throttle {
    /// `per_second`: the contracted rate (`None` = unlimited); `burst`: sends allowed at once.
    pub fn new(per_second: Option<f64>, burst: u32) -> Throttle {
        let interval = per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        let tolerance = interval.map_or(Duration::ZERO, |i| i * burst.saturating_sub(1));
        let now = Instant::now();
        Throttle {
            interval,
            tolerance,
            state: Mutex::new(State {
                tat: now,
                paused_until: now,
            }),
        }
    }

    /// When the next send may go; the caller sleeps until then.
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut s = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let earliest = now.max(s.paused_until);
        let Some(interval) = self.interval else {
            return earliest;
        };
        let send_at = earliest.max(s.tat.checked_sub(self.tolerance).unwrap_or(s.tat));
        s.tat = s.tat.max(send_at) + interval;
        send_at
    }

    /// Waits for this send's slot.
    pub async fn acquire(&self) {
        let at = self.reserve();
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Holds every sender back for `d` (after ESME_RTHROTTLED / ESME_RMSGQFUL).
    pub fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut s = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        s.paused_until = s.paused_until.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_spaced_by_the_rate_after_the_burst() {
        let t = Throttle::new(Some(100.0), 5);
        let start = Instant::now();
        let slots: Vec<Duration> = (0..25).map(|_| t.reserve() - start).collect();
        // The first 5 go at once, then one every 10 ms.
        assert!(slots[4] < Duration::from_millis(2), "{slots:?}");
        let last = slots[24];
        assert!(
            last >= Duration::from_millis(195) && last <= Duration::from_millis(215),
            "{last:?}"
        );
    }

    #[test]
    fn unlimited_never_waits_and_pause_holds_everyone() {
        let t = Throttle::new(None, 1);
        let now = Instant::now();
        assert!(t.reserve() <= now + Duration::from_millis(1));
        t.pause_for(Duration::from_millis(50));
        assert!(t.reserve() >= now + Duration::from_millis(50));
    }
}

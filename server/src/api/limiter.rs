//! Per-key rate limits: a token bucket per API key in this process, refilled at the configured
//! rate up to the burst. Over the limit a request is answered 429 with how long to wait.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys idle this long are forgotten (their bucket would be full again anyway).
const FORGET_AFTER: Duration = Duration::from_secs(600);

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<Buckets>,
}

#[derive(Default)]
struct Buckets {
    by_key: HashMap<i64, (f64, Instant)>,
    last_sweep: Option<Instant>,
}

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how long until one is there.
    pub fn check(&self, key: i64) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: i64, now: Instant) -> Result<(), Duration> {
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets
            .last_sweep
            .is_none_or(|t| now.duration_since(t) > FORGET_AFTER)
        {
            buckets
                .by_key
                .retain(|_, (_, at)| now.duration_since(*at) < FORGET_AFTER);
            buckets.last_sweep = Some(now);
        }
        let (tokens, at) = buckets.by_key.entry(key).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate_each_key_on_its_own() {
        let limiter = RateLimiter::new(10, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(1, t0), Ok(()));
        }
        let wait = limiter.check_at(1, t0).expect_err("over the burst");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert_eq!(
            limiter.check_at(2, t0),
            Ok(()),
            "another key has its own bucket"
        );
        // 100 ms later one more request is allowed, and only one.
        let later = t0 + Duration::from_millis(100);
        assert_eq!(limiter.check_at(1, later), Ok(()));
        assert!(limiter.check_at(1, later).is_err());
    }
}

//! Delivery-status callbacks (§11): when a message sent with a callback URL reaches a final
//! status, a signed POST tells the customer's system, from a durable outbox, retried with
//! exponential back-off until the receiver answers 2xx or 24 hours have passed.
//!
//! How a message gets to the outbox: its batch stores the URL at intake and each message that
//! owes a callback carries `callback_pending = 1`. [`store::enqueue_finished`] moves the ones
//! whose status is final into `status_callbacks` (one row per message, `UNIQUE(message_id)`) in
//! the transaction that clears their flag. So no code that sets a final status has to remember
//! callbacks, and a crash at any moment leaves either the flag or the outbox row, never neither.
//!
//! Delivery is at least once: a process killed after the receiver answered but before the
//! answer was recorded sends again. Every POST carries `Ferry-Event-Id` (the same on each
//! attempt) for receivers to drop repeats.
//!
//! Signing: `Ferry-Timestamp: <unix seconds>` and `Ferry-Signature: v1=<hex>`, the hex
//! HMAC-SHA256, keyed with the account's callback secret, of `<timestamp>.<body>`. Signing the
//! time with the body lets a receiver refuse a replayed old request ([`verify`]).

use serde::{Deserialize, Serialize};

/// Longest callback URL accepted.
pub const MAX_URL_LEN: usize = 500;
pub const EVENT_ID_HEADER: &str = "Ferry-Event-Id";
pub const TIMESTAMP_HEADER: &str = "Ferry-Timestamp";
pub const SIGNATURE_HEADER: &str = "Ferry-Signature";

/// An absolute `http://` or `https://` URL that fits in a header line: what a callback is
/// POSTed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackUrl(String);

impl CallbackUrl {
    /// Parses a URL as typed (surrounding spaces ignored), saying what is wrong with it.
    pub fn parse(input: &str) -> Result<CallbackUrl, String> {
        let url = input.trim();
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &url[8..]
        } else if lower.starts_with("http://") {
            &url[7..]
        } else {
            return Err("The callback URL must start with https:// (or http://).".into());
        };
        if url.len() > MAX_URL_LEN {
            return Err(format!(
                "Use at most {MAX_URL_LEN} characters for the callback URL."
            ));
        }
        if let Some(bad) = url.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "The callback URL holds {}: write spaces as %20 and non-ASCII characters percent-encoded.",
                if bad.is_whitespace() {
                    "a space".to_string()
                } else {
                    format!("the character {bad:?}")
                }
            ));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err("The callback URL has no host name after the scheme.".into());
        }
        Ok(CallbackUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When a failed callback is tried again: `first_retry_ms` after the first failure, doubling
/// after each, never more than `max_retry_ms` apart, and never later than `give_up_after_ms`
/// after the message became final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_retry_ms: i64,
    pub max_retry_ms: i64,
    pub give_up_after_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            first_retry_ms: 10_000,
            max_retry_ms: 3_600_000,
            give_up_after_ms: 24 * 3_600_000,
        }
    }
}

impl RetryPolicy {
    /// When to try again after `failed` failed attempts (1 for the first) of a callback queued
    /// at `queued_at`, or `None` to give up.
    pub fn next_attempt(&self, queued_at: i64, now: i64, failed: i64) -> Option<i64> {
        let doublings = u32::try_from((failed - 1).clamp(0, 40)).unwrap_or(40);
        let delay = self
            .first_retry_ms
            .max(1)
            .saturating_mul(2_i64.saturating_pow(doublings))
            .min(self.max_retry_ms.max(1));
        let at = now.saturating_add(delay);
        (at <= queued_at.saturating_add(self.give_up_after_ms)).then_some(at)
    }
}

/// Where a callback stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallbackState {
    /// Not yet answered with a 2xx; another attempt is due at `next_attempt_at`.
    Waiting,
    Delivered,
    /// No 2xx within the 24 hours.
    GaveUp,
}

impl CallbackState {
    pub fn from_code(code: i64) -> CallbackState {
        match code {
            1 => CallbackState::Delivered,
            2 => CallbackState::GaveUp,
            _ => CallbackState::Waiting,
        }
    }

    pub fn code(self) -> i64 {
        match self {
            CallbackState::Waiting => 0,
            CallbackState::Delivered => 1,
            CallbackState::GaveUp => 2,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CallbackState::Waiting => "Retrying",
            CallbackState::Delivered => "Delivered",
            CallbackState::GaveUp => "Gave up",
        }
    }
}

/// One callback as the portal lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRow {
    pub id: i64,
    /// What it tells: a message's final status, or a reply (two-way, §10).
    pub message_id: Option<i64>,
    pub reply_id: Option<i64>,
    pub url: String,
    pub state: CallbackState,
    pub attempts: i64,
    pub queued_at: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    /// `HTTP 503`, `timed out after 10 s`, …
    pub last_result: Option<String>,
    pub delivered_at: Option<i64>,
}

/// An account's callbacks by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackCounts {
    pub waiting: i64,
    pub delivered: i64,
    pub gave_up: i64,
}

/// The `Ferry-Signature` value for `body` sent at `timestamp` (unix seconds).
#[cfg(feature = "storage")]
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a receiver does with a callback: true when `signature` is `body`'s at `timestamp` under
/// `secret` (compared in constant time) and `timestamp` is within `tolerance_s` of `now_s`.
#[cfg(feature = "storage")]
pub fn verify(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_s: i64,
    tolerance_s: i64,
) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(t) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    let Some(Ok(given)) = signature.trim().strip_prefix("v1=").map(hex::decode) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    (now_s - t).abs() <= tolerance_s && mac.verify_slice(&given).is_ok()
}

#[cfg(feature = "storage")]
pub mod store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_url_is_absolute_http_and_says_what_is_wrong() {
        assert_eq!(
            CallbackUrl::parse(" https://example.com/hooks?a=1 ").map(|u| u.0),
            Ok("https://example.com/hooks?a=1".to_string())
        );
        assert!(CallbackUrl::parse("HTTP://127.0.0.1:8080").is_ok());
        for (bad, says) in [
            ("ftp://example.com", "must start with https://"),
            ("example.com/hook", "must start with https://"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://user@/x", "no host"),
            ("https://exa mple.com", "a space"),
            ("https://例子.com", "percent-encoded"),
        ] {
            let err = CallbackUrl::parse(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(CallbackUrl::parse(&long)
            .expect_err("too long")
            .contains("at most 500"));
    }

    #[test]
    fn retries_double_up_to_the_cap_and_stop_after_the_deadline() {
        let p = RetryPolicy::default();
        assert_eq!(p.next_attempt(0, 0, 1), Some(10_000));
        assert_eq!(p.next_attempt(0, 10_000, 2), Some(30_000));
        assert_eq!(p.next_attempt(0, 30_000, 3), Some(70_000));
        // Capped at an hour apart however many attempts failed.
        assert_eq!(p.next_attempt(0, 1_000_000, 30), Some(4_600_000));
        assert_eq!(p.next_attempt(0, 1_000_000, i64::MAX), Some(4_600_000));
        // Nothing after 24 hours.
        let day = 24 * 3_600_000;
        assert_eq!(p.next_attempt(0, day - 10_000, 1), Some(day));
        assert_eq!(p.next_attempt(0, day - 9_999, 1), None);
    }

    #[cfg(feature = "storage")]
    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let body = br#"{"message":{"id":1}}"#;
        let sig = signature("whsec_test", 1_700_000_000, body);
        assert!(sig.starts_with("v1=") && sig.len() == 3 + 64);
        let ok =
            |secret: &str, t: &str, body: &[u8], now: i64| verify(secret, t, &sig, body, now, 300);
        assert!(ok("whsec_test", "1700000000", body, 1_700_000_100));
        assert!(!ok("whsec_other", "1700000000", body, 1_700_000_100));
        assert!(!ok("whsec_test", "1700000001", body, 1_700_000_100));
        assert!(!ok("whsec_test", "1700000000", b"{}", 1_700_000_100));
        // A replay outside the tolerance.
        assert!(!ok("whsec_test", "1700000000", body, 1_700_000_301));
        assert!(!verify("whsec_test", "x", &sig, body, 0, i64::MAX));
        assert!(!verify(
            "whsec_test",
            "1700000000",
            "v1=zz",
            body,
            1_700_000_000,
            300
        ));
    }
}

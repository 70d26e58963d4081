//! Attempt throttles for everything a stranger can try many times: sign-in, password-reset
//! requests and codes, sign-up, mobile verification, password changes.
//!
//! An attempt *claims* a slot before any work is done (before Argon2, before an SMS is sent):
//! the count of recent events for each key and the insert of the new one happen in one write
//! transaction (SQLite `BEGIN IMMEDIATE`; a transaction-scoped advisory lock per key on
//! PostgreSQL), so N parallel attempts against a limit of L let exactly L through. An attempt
//! that turns out fine gives its slot back ([`release`]); a failed one keeps it.

use crate::db::{now_ms, Backend, Db};
use std::net::IpAddr;

/// One limit: at most `max` events for `key` in the last `window_ms`.
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub max: i64,
    pub window_ms: i64,
    /// Who is limited, for the message: "this account", "your network address".
    pub whom: &'static str,
}

impl Limit {
    pub fn new(key: impl Into<String>, max: i64, window_ms: i64, whom: &'static str) -> Limit {
        Limit {
            key: key.into(),
            max,
            window_ms,
            whom,
        }
    }
}

/// The events an attempt recorded, to give back if it succeeds.
#[derive(Debug, Default)]
#[must_use = "release the claim when the attempt succeeds"]
pub struct Claim {
    ids: Vec<i64>,
}

/// Why an attempt was refused: the limit it hit and when the next attempt can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub whom: &'static str,
    pub retry_after_ms: i64,
}

impl Refusal {
    pub fn minutes(&self) -> i64 {
        ((self.retry_after_ms + 59_999) / 60_000).max(1)
    }

    /// "Try again in 15 minutes." / "… in 1 minute."
    pub fn try_again(&self) -> String {
        let minutes = self.minutes();
        if minutes >= 120 {
            let hours = (minutes + 59) / 60;
            format!("Try again in {hours} hours.")
        } else {
            format!(
                "Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )
        }
    }
}

/// The part of an address that identifies one client: an IPv4 address, or an IPv6 /64 (one
/// customer's subnet, as ISPs hand them out).
pub fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Claims one attempt under every limit, or refuses without recording anything.
pub async fn claim(db: &Db, limits: &[Limit]) -> Result<Result<Claim, Refusal>, sqlx::Error> {
    let now = now_ms();
    let mut keys: Vec<&str> = limits.iter().map(|l| l.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        // In key order, so two claims on overlapping keys never wait on each other in a cycle.
        for key in &keys {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
                .bind(*key)
                .execute(&mut *tx)
                .await?;
        }
    }
    let mut refusal: Option<Refusal> = None;
    for limit in limits {
        let since = now - limit.window_ms;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM throttle_events WHERE key = $1 AND at > $2")
                .bind(&limit.key)
                .bind(since)
                .fetch_one(&mut *tx)
                .await?;
        if count >= limit.max {
            // The limit has room again once enough events have left the window.
            let leaving: i64 = sqlx::query_scalar(
                "SELECT at FROM throttle_events WHERE key = $1 AND at > $2 ORDER BY at LIMIT 1 OFFSET $3",
            )
            .bind(&limit.key)
            .bind(since)
            .bind(count - limit.max)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(now);
            let wait = (leaving + limit.window_ms - now).max(1_000);
            if refusal.as_ref().is_none_or(|r| r.retry_after_ms < wait) {
                refusal = Some(Refusal {
                    whom: limit.whom,
                    retry_after_ms: wait,
                });
            }
        }
    }
    if let Some(refusal) = refusal {
        tx.rollback().await?;
        return Ok(Err(refusal));
    }
    let mut claim = Claim::default();
    for key in keys {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO throttle_events (key, at) VALUES ($1, $2) RETURNING id",
        )
        .bind(key)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        claim.ids.push(id);
    }
    tx.commit().await?;
    Ok(Ok(claim))
}

/// Gives a claim's slots back: the attempt succeeded and does not count against anyone.
pub async fn release(db: &Db, claim: Claim) -> Result<(), sqlx::Error> {
    if claim.ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM throttle_events WHERE id IN ({})",
        crate::db::id_list(&claim.ids)
    );
    sqlx::query(&sql).execute(db.pool()).await?;
    Ok(())
}

/// Forgets every event of `key` (a successful sign-in clears its own login-and-address count).
pub async fn forget(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttle_events WHERE key = $1")
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Deletes events older than any window (a day); run by the retention job.
pub async fn prune(db: &Db, older_than_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM throttle_events WHERE at < $1")
        .bind(now_ms() - older_than_ms)
        .execute(db.pool())
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::all_backends;

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        assert_eq!(ip_key("::ffff:192.0.2.1".parse().expect("ip")), "192.0.2.1");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_claims_let_exactly_the_limit_through() {
        for t in all_backends().await {
            let limits = vec![Limit::new("test:parallel", 5, 60_000, "this test")];
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let db = t.db.clone();
                    let limits = limits.clone();
                    tokio::spawn(async move { claim(&db, &limits).await.expect("claim").is_ok() })
                })
                .collect();
            let mut passed = 0;
            for task in tasks {
                if task.await.expect("task") {
                    passed += 1;
                }
            }
            assert_eq!(passed, 5, "{}", t.name);
        }
    }

    #[tokio::test]
    async fn a_released_claim_gives_its_slot_back_and_refusals_say_when() {
        for t in all_backends().await {
            let limits = vec![Limit::new("test:release", 2, 15 * 60_000, "this account")];
            let first = claim(&t.db, &limits).await.expect("db").expect("room");
            release(&t.db, first).await.expect("release");
            let _a = claim(&t.db, &limits).await.expect("db").expect("room");
            let _b = claim(&t.db, &limits).await.expect("db").expect("room");
            let refusal = claim(&t.db, &limits).await.expect("db").expect_err("full");
            assert_eq!(refusal.whom, "this account");
            assert_eq!(refusal.minutes(), 15, "{}", t.name);
            forget(&t.db, "test:release").await.expect("forget");
            let _c = claim(&t.db, &limits)
                .await
                .expect("db")
                .expect("room again");
        }
    }
}

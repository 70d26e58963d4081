//! Retention (PRODUCT.md §9): messages, with their parts and SMSC ids, are deleted once they
//! have been final for longer than the retention period (2 months by default); so are
//! receipts that never matched a message, batches left without messages, and replies (two-way,
//! §10) received before the cutoff. The opt-out list a STOP reply made is kept: it is the
//! number's wish, not a record of traffic. Ledger entries
//! are never deleted: a statement always adds up.
//!
//! The job deletes in small chunks, each its own short transaction with a pause after it, so
//! the dispatcher's writes (which take the same SQLite write lock) wait milliseconds, not the
//! length of the whole purge. Messages still waiting or in flight are never touched, however
//! old: a batch scheduled a year ahead keeps its messages.

use crate::db::{id_list, Db};
use crate::delivery::store::sql_final;
use std::time::Duration;

/// Rows deleted per transaction.
pub const CHUNK: i64 = 1_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub messages: u64,
    pub batches: u64,
    pub unmatched_receipts: u64,
    pub replies: u64,
}

/// The instant `months` calendar months before `now` (Hong Kong calendar; a day that does not
/// exist in the earlier month, such as 31 April, becomes that month's last day).
pub fn cutoff(now_ms: i64, months: u32) -> i64 {
    use time::{Duration as TimeDuration, OffsetDateTime, UtcOffset};
    let hkt = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    let Ok(now) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000) else {
        return now_ms;
    };
    let now = now.to_offset(hkt);
    let total = now.year() * 12 + i32::from(u8::from(now.month())) - 1 - months as i32;
    let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let Ok(month) = time::Month::try_from(month) else {
        return now_ms;
    };
    let day = now.day().min(month.length(year));
    match time::Date::from_calendar_date(year, month, day) {
        Ok(date) => {
            let then = now.replace_date(date);
            let delta: TimeDuration = now - then;
            now_ms - delta.whole_milliseconds() as i64
        }
        Err(_) => now_ms,
    }
}

/// Deletes everything older than `before` (Unix ms) that retention covers, `chunk` rows per
/// transaction, sleeping `pause` between chunks.
pub async fn purge(
    db: &Db,
    before: i64,
    chunk: i64,
    pause: Duration,
) -> Result<Purged, sqlx::Error> {
    let mut purged = Purged::default();
    let final_statuses = sql_final();
    purged.messages = purge_by_ids(
        db,
        &format!(
            "SELECT id FROM messages WHERE done_at < $1 AND status IN {final_statuses} ORDER BY done_at LIMIT $2"
        ),
        &[
            "DELETE FROM smsc_keys WHERE message_id IN ({list})",
            "DELETE FROM message_parts WHERE message_id IN ({list})",
            "DELETE FROM status_callbacks WHERE message_id IN ({list})",
            "DELETE FROM messages WHERE id IN ({list})",
        ],
        (before, chunk, pause),
    )
    .await?;
    loop {
        let mut tx = db.begin_write().await?;
        let n = sqlx::query(
            "DELETE FROM unmatched_receipts WHERE id IN \
             (SELECT id FROM unmatched_receipts WHERE received_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(chunk)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // The key rows cascade on PostgreSQL; SQLite only cascades with foreign keys on, so
        // orphans are removed explicitly on both.
        sqlx::query(
            "DELETE FROM unmatched_receipt_keys WHERE receipt_id NOT IN (SELECT id FROM unmatched_receipts)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        purged.unmatched_receipts += n;
        if n == 0 {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    purged.replies = purge_by_ids(
        db,
        "SELECT id FROM replies WHERE received_at < $1 ORDER BY id LIMIT $2",
        &[
            "DELETE FROM status_callbacks WHERE reply_id IN ({list})",
            "DELETE FROM replies WHERE id IN ({list})",
        ],
        (before, chunk, pause),
    )
    .await?;
    // Parts of a reply whose rest never came are long stored as an incomplete reply; any left
    // this old are dropped.
    sqlx::query("DELETE FROM reply_parts WHERE received_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    // Batches older than the cutoff with no message left (deleted scheduled batches too).
    purged.batches = purge_by_ids(
        db,
        "SELECT b.id FROM batches b WHERE b.created_at < $1 AND b.scheduled_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.batch_id = b.id) ORDER BY b.id LIMIT $2",
        &[
            "UPDATE batches SET resent_from = NULL WHERE resent_from IN ({list})",
            "DELETE FROM password_resets WHERE batch_id IN ({list})",
            "DELETE FROM batches WHERE id IN ({list})",
        ],
        (before, chunk, pause),
    )
    .await?;
    Ok(purged)
}

/// Deletes a chunk at a time what `select` finds (ids; `$1` is the cutoff, `$2` the chunk
/// size): each chunk runs `statements` with `{list}` standing for its ids, in one transaction,
/// then pauses. Returns how many rows the last statement of each chunk removed in all.
async fn purge_by_ids(
    db: &Db,
    select: &str,
    statements: &[&str],
    (before, chunk, pause): (i64, i64, Duration),
) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let ids: Vec<i64> = sqlx::query_scalar(select)
            .bind(before)
            .bind(chunk)
            .fetch_all(&mut *tx)
            .await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(removed);
        }
        // Ids come from the database as integers; listing them inline keeps one statement per
        // table whatever the chunk size (no bind-parameter limit to mind).
        let list = id_list(&ids);
        let mut last = 0;
        for statement in statements {
            last = sqlx::query(&statement.replace("{list}", &list))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        removed += last;
        tx.commit().await?;
        tokio::time::sleep(pause).await;
    }
}

/// Runs the purge now and then every `every`, until the task is dropped. Failures are logged
/// and retried at the next run: retention is housekeeping and must never stop sending.
pub async fn run_daily(db: Db, months: u32, every: Duration) {
    loop {
        let before = cutoff(crate::db::now_ms(), months);
        let started = std::time::Instant::now();
        match purge(&db, before, CHUNK, Duration::from_millis(20)).await {
            Ok(p) => tracing::info!(
                messages = p.messages,
                batches = p.batches,
                unmatched_receipts = p.unmatched_receipts,
                elapsed_ms = started.elapsed().as_millis() as u64,
                months,
                "retention: deleted records past the retention period"
            ),
            Err(e) => tracing::error!(error = %e, "retention run failed; retrying at the next run"),
        }
        // Throttle records matter for a day at most.
        match crate::auth::throttle::prune(&db, 2 * 86_400_000).await {
            Ok(n) if n > 0 => {
                tracing::info!(deleted = n, "retention: old throttle records deleted")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning throttle records failed"),
        }
        match crate::idempotency::purge_expired(&db).await {
            Ok(n) if n > 0 => {
                tracing::info!(
                    deleted = n,
                    "retention: idempotency answers older than a day deleted"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning idempotency answers failed"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::cutoff;

    fn ms(s: &str) -> i64 {
        let (d, t) = s.split_once(' ').expect("date time");
        crate::ledger::parse_hkt_datetime(&format!("{d} {t}")).expect("valid")
        // HKT
    }

    #[test]
    fn two_months_back_on_the_hong_kong_calendar() {
        assert_eq!(cutoff(ms("2026-11-26 10:00"), 2), ms("2026-09-26 10:00"));
        // Across a year boundary.
        assert_eq!(cutoff(ms("2026-01-15 00:30"), 2), ms("2025-11-15 00:30"));
        // 30 April has no 31 February: the last day of February.
        assert_eq!(cutoff(ms("2026-04-30 12:00"), 2), ms("2026-02-28 12:00"));
        assert_eq!(cutoff(ms("2026-11-26 10:00"), 0), ms("2026-11-26 10:00"));
    }
}

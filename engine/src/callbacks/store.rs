//! The callback outbox's storage: moving final messages in, claiming due callbacks with a
//! lease, recording each attempt, the account's signing secret, and what the portal lists.

use super::{CallbackCounts, CallbackRow, CallbackState, RetryPolicy};
use crate::db::{id_list, now_ms, Backend, Db};
use crate::delivery::store::sql_final;

/// The account's signing secret, made on first use.
pub async fn secret(db: &Db, account_id: i64) -> Result<String, sqlx::Error> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT callback_secret FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?;
    match current {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => {
            // Two first uses at once both write; the one that lands first is kept by both.
            sqlx::query(
                "UPDATE accounts SET callback_secret = $1 WHERE id = $2 AND callback_secret = ''",
            )
            .bind(new_secret())
            .bind(account_id)
            .execute(db.pool())
            .await?;
            sqlx::query_scalar("SELECT callback_secret FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_one(db.pool())
                .await
        }
        None => Err(sqlx::Error::RowNotFound),
    }
}

/// Replaces the account's signing secret (when the old one leaked); callbacks sent from now on
/// are signed with the new one.
pub async fn rotate_secret(db: &Db, account_id: i64) -> Result<String, sqlx::Error> {
    let secret = new_secret();
    let changed = sqlx::query("UPDATE accounts SET callback_secret = $1 WHERE id = $2")
        .bind(&secret)
        .bind(account_id)
        .execute(db.pool())
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(sqlx::Error::RowNotFound);
    }
    Ok(secret)
}

fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// Moves up to `limit` messages that owe a callback and have reached a final status into the
/// outbox, clearing their flag in the same transaction. Returns how many moved.
pub async fn enqueue_finished(db: &Db, limit: i64) -> Result<usize, sqlx::Error> {
    // Looked up before taking the write lock: an idle outbox costs a read, not a write.
    let ready: Vec<(i64, i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT m.id, m.account_id, b.callback_url FROM messages m JOIN batches b ON b.id = m.batch_id \
         WHERE m.callback_pending = 1 AND m.status IN {} ORDER BY m.id LIMIT $1",
        sql_final()
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    if ready.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    for chunk in ready.chunks(100) {
        let with_url: Vec<&(i64, i64, Option<String>)> =
            chunk.iter().filter(|(_, _, url)| url.is_some()).collect();
        if !with_url.is_empty() {
            let values: Vec<String> = with_url
                .iter()
                .enumerate()
                .map(|(i, (message, account, _))| {
                    format!("({account}, {message}, ${}, 0, 0, {now}, {now})", i + 1)
                })
                .collect();
            // Another process may have moved the same message first: it is queued once.
            let sql = format!(
                "INSERT INTO status_callbacks (account_id, message_id, url, state, attempts, created_at, next_attempt_at) \
                 VALUES {} ON CONFLICT (message_id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (_, _, url) in &with_url {
                q = q.bind(url.as_deref());
            }
            q.execute(&mut *tx).await?;
        }
        let ids: Vec<i64> = chunk.iter().map(|(id, _, _)| *id).collect();
        sqlx::query(&format!(
            "UPDATE messages SET callback_pending = 0 WHERE id IN ({})",
            id_list(&ids)
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(ready.len())
}

/// A callback to attempt now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueCallback {
    pub id: i64,
    pub account_id: i64,
    /// A message's final status, or (with `reply_id`) a reply; exactly one is set.
    pub message_id: Option<i64>,
    pub reply_id: Option<i64>,
    pub url: String,
    /// Attempts before this one.
    pub attempts: i64,
    pub created_at: i64,
}

/// Claims up to `limit` due callbacks for `lease_ms`: until then no other process (nor this
/// one) takes them; if this process dies, they are due again when the lease runs out.
pub async fn claim_due(
    db: &Db,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<DueCallback>, sqlx::Error> {
    let now = now_ms();
    let lock = if db.backend() == Backend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM status_callbacks WHERE state = 0 AND next_attempt_at <= $1 LIMIT 1",
    )
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin_write().await?;
    let claimed: Vec<DueCallback> = sqlx::query_as(&format!(
        "UPDATE status_callbacks SET next_attempt_at = $1 WHERE id IN \
           (SELECT id FROM status_callbacks WHERE state = 0 AND next_attempt_at <= $2 \
            ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
         RETURNING id, account_id, message_id, reply_id, url, attempts, created_at"
    ))
    .bind(now + lease_ms)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx (the status, e.g. `HTTP 200`).
    Delivered(String),
    /// Anything else: the status or the error, e.g. `HTTP 503`, `timed out after 10 s`.
    Failed(String),
    /// Nothing left to send (the message is gone): given up at once.
    Abandoned(String),
}

/// Records the attempts made on claimed callbacks: delivered, due again after the back-off, or
/// given up past the policy's deadline.
pub async fn record(
    db: &Db,
    policy: &RetryPolicy,
    attempts: &[(DueCallback, Attempt)],
) -> Result<(), sqlx::Error> {
    if attempts.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    for (callback, attempt) in attempts {
        let tried = callback.attempts + 1;
        let (state, next, result, delivered_at) = match attempt {
            Attempt::Delivered(result) => (CallbackState::Delivered, now, result, Some(now)),
            Attempt::Failed(result) => match policy.next_attempt(callback.created_at, now, tried) {
                Some(at) => (CallbackState::Waiting, at, result, None),
                None => (CallbackState::GaveUp, now, result, None),
            },
            Attempt::Abandoned(result) => (CallbackState::GaveUp, now, result, None),
        };
        let result: String = result.chars().take(200).collect();
        sqlx::query(
            "UPDATE status_callbacks SET state = $1, attempts = $2, next_attempt_at = $3, \
             last_attempt_at = $4, last_result = $5, delivered_at = $6 WHERE id = $7 AND state = 0",
        )
        .bind(state.code())
        .bind(tried)
        .bind(next)
        .bind(now)
        .bind(result)
        .bind(delivered_at)
        .bind(callback.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    message_id: Option<i64>,
    reply_id: Option<i64>,
    url: String,
    state: i64,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    last_attempt_at: Option<i64>,
    last_result: Option<String>,
    delivered_at: Option<i64>,
}

/// The account's latest callbacks, newest first.
pub async fn recent(db: &Db, account_id: i64, limit: i64) -> Result<Vec<CallbackRow>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, message_id, reply_id, url, state, attempts, created_at, next_attempt_at, last_attempt_at, last_result, delivered_at \
         FROM status_callbacks WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CallbackRow {
            id: r.id,
            message_id: r.message_id,
            reply_id: r.reply_id,
            url: r.url,
            state: CallbackState::from_code(r.state),
            attempts: r.attempts,
            queued_at: r.created_at,
            next_attempt_at: r.next_attempt_at,
            last_attempt_at: r.last_attempt_at,
            last_result: r.last_result,
            delivered_at: r.delivered_at,
        })
        .collect())
}

/// The account's callbacks by state.
pub async fn counts(db: &Db, account_id: i64) -> Result<CallbackCounts, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) FROM status_callbacks WHERE account_id = $1 GROUP BY state",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    let mut counts = CallbackCounts::default();
    for (state, n) in rows {
        match CallbackState::from_code(state) {
            CallbackState::Waiting => counts.waiting += n,
            CallbackState::Delivered => counts.delivered += n,
            CallbackState::GaveUp => counts.gave_up += n,
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests;

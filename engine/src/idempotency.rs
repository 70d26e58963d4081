//! Idempotency keys for API requests (§11): a request sent again with the same
//! `Idempotency-Key` gets the first answer (same status, same body) instead of being carried
//! out twice, for 24 hours, per API key. A key reused for a different request is refused.
//!
//! The first request claims the key before it does anything (an insert that only one of two
//! racing requests wins); the loser waits for the winner's answer. A claim whose request never
//! answered (its process died) is taken over after [`ABANDONED_AFTER_MS`]; a batch stores the
//! claim it was sent under ([`batch_ref`]) in its own transaction, so the request that takes
//! over finds a batch the dead one committed ([`batch_sent_under`]) and does not send it again.

use crate::db::{now_ms, Db};

/// How long an answer is kept.
pub const KEEP_MS: i64 = 24 * 3_600_000;
/// A claim older than this without an answer belongs to a request that died (the HTTP stack
/// answers every request within 5 minutes).
pub const ABANDONED_AFTER_MS: i64 = 6 * 60_000;
/// The longest idempotency key.
pub const MAX_KEY_LEN: usize = 255;

/// What to do with a request that carries an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The first time: carry it out, then [`finish`] (or [`release`] on a failure worth
    /// retrying).
    New,
    /// Answered before: send this again.
    Answered { status: u16, body: String },
    /// The same request is being answered right now by another call.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
    /// Claimed now, from a request that died without answering (claimed at `claimed_at`): it
    /// may have done its work, so look for it ([`batch_sent_under`]) before doing it again.
    Abandoned { claimed_at: i64 },
}

/// What a batch stores of the claim it was sent under.
pub fn batch_ref(api_key_id: i64, key: &str) -> String {
    format!("{api_key_id}:{key}")
}

/// The batch of `account_id` sent under the claim `reference` since `since` (ms), if any.
pub async fn batch_sent_under(
    db: &Db,
    account_id: i64,
    reference: &str,
    since: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM batches WHERE idempotency_ref = $1 AND account_id = $2 AND created_at >= $3 \
         ORDER BY id LIMIT 1",
    )
    .bind(reference)
    .bind(account_id)
    .bind(since)
    .fetch_optional(db.pool())
    .await
}

#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: String,
    status: Option<i64>,
    body: Option<String>,
    created_at: i64,
}

/// Claims `key` for the request whose body hashes to `request_hash`.
pub async fn claim(
    db: &Db,
    api_key_id: i64,
    key: &str,
    request_hash: &str,
) -> Result<Claim, sqlx::Error> {
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO idempotent_requests (api_key_id, idempotency_key, request_hash, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(api_key_id)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let Some(stored) = sqlx::query_as::<_, Stored>(
        "SELECT request_hash, status, body, created_at FROM idempotent_requests \
         WHERE api_key_id = $1 AND idempotency_key = $2",
    )
    .bind(api_key_id)
    .bind(key)
    .fetch_optional(db.pool())
    .await?
    else {
        // Released between the insert and the read: try again from the start.
        return Box::pin(claim(db, api_key_id, key, request_hash)).await;
    };
    let expired = stored.created_at < now - KEEP_MS;
    if !expired && stored.request_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    let abandoned = stored.status.is_none() && stored.created_at < now - ABANDONED_AFTER_MS;
    if expired || abandoned {
        // Take it over; of two callers doing so at once, the guard on `created_at` lets one.
        let taken = sqlx::query(
            "UPDATE idempotent_requests SET request_hash = $1, status = NULL, body = NULL, created_at = $2 \
             WHERE api_key_id = $3 AND idempotency_key = $4 AND created_at = $5",
        )
        .bind(request_hash)
        .bind(now)
        .bind(api_key_id)
        .bind(key)
        .bind(stored.created_at)
        .execute(db.pool())
        .await?
        .rows_affected();
        return Ok(match (taken == 1, expired) {
            (false, _) => Claim::InProgress,
            (true, true) => Claim::New,
            (true, false) => Claim::Abandoned {
                claimed_at: stored.created_at,
            },
        });
    }
    Ok(match (stored.status, stored.body) {
        (Some(status), Some(body)) => Claim::Answered {
            status: u16::try_from(status).unwrap_or(500),
            body,
        },
        _ => Claim::InProgress,
    })
}

/// Stores the answer to a claimed request.
pub async fn finish(
    db: &Db,
    api_key_id: i64,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotent_requests SET status = $1, body = $2 \
         WHERE api_key_id = $3 AND idempotency_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(api_key_id)
    .bind(key)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Gives a claim up without an answer (the request failed in a way a retry may fix), so the
/// next request with the key is carried out.
pub async fn release(db: &Db, api_key_id: i64, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotent_requests WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL",
    )
    .bind(api_key_id)
    .bind(key)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Deletes answers older than [`KEEP_MS`] (the retention job).
pub async fn purge_expired(db: &Db) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM idempotent_requests WHERE created_at < $1")
            .bind(now_ms() - KEEP_MS)
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AccountStatus;
    use crate::db::testing::all_backends;
    use crate::testing::customer_account;

    #[tokio::test]
    async fn a_key_is_claimed_once_answered_again_and_refused_for_another_request() {
        for t in all_backends().await {
            let account = customer_account(&t.db, "idem", "Idem Ltd", AccountStatus::Normal).await;
            let key = crate::api_keys::store::create(&t.db, account, "k")
                .await
                .expect("key")
                .key
                .id;
            assert_eq!(claim(&t.db, key, "k1", "h1").await.expect("c"), Claim::New);
            assert_eq!(
                claim(&t.db, key, "k1", "h1").await.expect("c"),
                Claim::InProgress,
                "{}",
                t.name
            );
            finish(&t.db, key, "k1", 201, "{\"ok\":1}")
                .await
                .expect("finish");
            assert_eq!(
                claim(&t.db, key, "k1", "h1").await.expect("c"),
                Claim::Answered {
                    status: 201,
                    body: "{\"ok\":1}".into()
                }
            );
            assert_eq!(
                claim(&t.db, key, "k1", "other body").await.expect("c"),
                Claim::Mismatch
            );
            // A released claim (a failure worth retrying) is carried out again.
            assert_eq!(claim(&t.db, key, "k2", "h").await.expect("c"), Claim::New);
            release(&t.db, key, "k2").await.expect("release");
            assert_eq!(claim(&t.db, key, "k2", "h").await.expect("c"), Claim::New);
            // A claim nobody answered for longer than a request can take is taken over; an
            // answer older than a day is forgotten.
            sqlx::query(
                "UPDATE idempotent_requests SET created_at = created_at - $1 WHERE idempotency_key = 'k2'",
            )
            .bind(ABANDONED_AFTER_MS + 1)
            .execute(t.db.pool())
            .await
            .expect("age");
            // Another request under the abandoned key is still refused; the same one takes it
            // over, told that the first may have done its work.
            assert_eq!(
                claim(&t.db, key, "k2", "other").await.expect("c"),
                Claim::Mismatch
            );
            assert!(matches!(
                claim(&t.db, key, "k2", "h").await.expect("c"),
                Claim::Abandoned { .. }
            ));
            sqlx::query(
                "UPDATE idempotent_requests SET created_at = created_at - $1 WHERE idempotency_key = 'k1'",
            )
            .bind(KEEP_MS + 1)
            .execute(t.db.pool())
            .await
            .expect("age");
            assert_eq!(purge_expired(&t.db).await.expect("purge"), 1);
            assert_eq!(
                claim(&t.db, key, "k1", "another").await.expect("c"),
                Claim::New,
                "{}",
                t.name
            );
        }
    }
}

//! Mails accepted by the email API (§11: "a resent email (same Message-ID) never sends
//! twice"). A mail is claimed by its account and identity before it is sent; the claim records
//! the batch it became. A mail seen again finds the claim: sent already (its batch), or still
//! being handled. A claim whose process died is resolved by looking for the batch it may have
//! stored ([`batch_ref`] is written with the batch, in the batch's transaction), and is taken
//! over only when there is none.

use crate::db::{now_ms, Db};

/// A claim without a batch this old belongs to a process that died: handling a mail (reading
/// it, storing its batch) is bounded well below this.
pub const ABANDONED_AFTER_MS: i64 = 3 * 60_000;

/// What a batch stores of the mail it came from.
pub fn batch_ref(identity: &str) -> String {
    format!("smtp:{identity}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Not seen before (or its earlier handling died before storing anything): send it, then
    /// [`record_sent`] or [`release`].
    New,
    /// Sent before, as this batch.
    Sent { batch_id: i64 },
    /// The same mail is being handled right now.
    InProgress,
}

#[derive(sqlx::FromRow)]
struct Claimed {
    claimed_at: i64,
    batch_id: Option<i64>,
}

/// Claims the mail `identity` of `account_id`.
pub async fn claim(db: &Db, account_id: i64, identity: &str) -> Result<Intake, sqlx::Error> {
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO email_intake (account_id, identity, claimed_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(identity)
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Intake::New);
    }
    let Some(claimed) = sqlx::query_as::<_, Claimed>(
        "SELECT claimed_at, batch_id FROM email_intake WHERE account_id = $1 AND identity = $2",
    )
    .bind(account_id)
    .bind(identity)
    .fetch_optional(db.pool())
    .await?
    else {
        // Released between the insert and the read: start again.
        return Box::pin(claim(db, account_id, identity)).await;
    };
    if let Some(batch_id) = claimed.batch_id {
        return Ok(Intake::Sent { batch_id });
    }
    // The handler may have died after its batch committed and before it recorded it.
    let stored: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM batches WHERE idempotency_ref = $1 AND account_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(batch_ref(identity))
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?;
    if let Some(batch_id) = stored {
        record_sent(db, account_id, identity, batch_id).await?;
        return Ok(Intake::Sent { batch_id });
    }
    if claimed.claimed_at >= now - ABANDONED_AFTER_MS {
        return Ok(Intake::InProgress);
    }
    // Died before storing anything: take it over (of two doing so at once, one wins).
    let taken = sqlx::query(
        "UPDATE email_intake SET claimed_at = $1 \
         WHERE account_id = $2 AND identity = $3 AND claimed_at = $4 AND batch_id IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(identity)
    .bind(claimed.claimed_at)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(if taken == 1 {
        Intake::New
    } else {
        Intake::InProgress
    })
}

/// The claimed mail became `batch_id`.
pub async fn record_sent(
    db: &Db,
    account_id: i64,
    identity: &str,
    batch_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE email_intake SET batch_id = $1 WHERE account_id = $2 AND identity = $3")
        .bind(batch_id)
        .bind(account_id)
        .bind(identity)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The claimed mail was refused (nothing stored): the same mail sent again, e.g. after a
/// top-up, is handled afresh.
pub async fn release(db: &Db, account_id: i64, identity: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM email_intake WHERE account_id = $1 AND identity = $2 AND batch_id IS NULL",
    )
    .bind(account_id)
    .bind(identity)
    .execute(db.pool())
    .await?;
    Ok(())
}

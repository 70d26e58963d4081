//! Ferry's answers to mails (§11: the email API "replies with the message IDs"): a durable
//! outbox. An answer is stored before the SMTP conversation is answered, and handed to the
//! configured relay by the server's reply sender, retried with back-off until the relay takes
//! it or a day has passed.

use crate::db::{now_ms, Db};

/// How long an answer is retried before it is given up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;

/// An answer to store.
#[derive(Debug, Clone)]
pub struct NewReply<'a> {
    pub account_id: i64,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The Message-ID of the mail answered, for `In-Reply-To`.
    pub in_reply_to: Option<&'a str>,
    /// No valid key vouched for the mail answered (see [`stranger_answer_allowed`]).
    pub unvouched: bool,
}

pub async fn enqueue(db: &Db, reply: &NewReply<'_>) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query_scalar(
        "INSERT INTO email_replies (account_id, to_address, subject, body, in_reply_to, created_at, next_attempt_at, unvouched) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
    )
    .bind(reply.account_id)
    .bind(reply.to_address)
    .bind(reply.subject)
    .bind(reply.body)
    .bind(reply.in_reply_to)
    .bind(now)
    .bind(i64::from(reply.unvouched))
    .fetch_one(db.pool())
    .await
}

/// An answer due to be sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReply {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub in_reply_to: Option<String>,
    pub created_at: i64,
    pub attempts: i64,
}

/// Up to `limit` answers whose next attempt is due, oldest first.
pub async fn due(db: &Db, limit: i64) -> Result<Vec<DueReply>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, to_address, subject, body, in_reply_to, created_at, attempts FROM email_replies \
         WHERE sent_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now_ms())
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

pub async fn mark_sent(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE email_replies SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
    )
    .bind(now_ms())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A failed attempt: tried again after `retry_in_ms`, or given up once a day has passed.
pub async fn mark_failed(
    db: &Db,
    reply: &DueReply,
    retry_in_ms: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let error: String = error.chars().take(500).collect();
    if now + retry_in_ms > reply.created_at + GIVE_UP_AFTER_MS {
        sqlx::query(
            "UPDATE email_replies SET given_up_at = $1, attempts = attempts + 1, last_error = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(&error)
        .bind(reply.id)
        .execute(db.pool())
        .await?;
    } else {
        sqlx::query(
            "UPDATE email_replies SET next_attempt_at = $1, attempts = attempts + 1, last_error = $2 WHERE id = $3",
        )
        .bind(now + retry_in_ms)
        .bind(&error)
        .bind(reply.id)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Answers by mail an hour to one address for mails no key vouched for.
pub const STRANGER_ANSWERS_PER_HOUR: i64 = 5;

/// Whether a refusal of a mail that came without a valid key may be mailed to `address`, and
/// under which account: only to an address a customer account registered as its contact (the
/// lowest such account), and at most [`STRANGER_ANSWERS_PER_HOUR`] an hour, since anyone can
/// forge the address a mail came from.
pub async fn stranger_answer_allowed(db: &Db, address: &str) -> Result<Option<i64>, sqlx::Error> {
    let account: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(id) FROM accounts WHERE role = 'customer' AND LOWER(contact_email) = LOWER($1)",
    )
    .bind(address)
    .fetch_one(db.pool())
    .await?;
    let Some(account) = account else {
        return Ok(None);
    };
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_replies WHERE to_address = $1 AND created_at > $2 AND unvouched = 1",
    )
    .bind(address)
    .bind(now_ms() - 3_600_000)
    .fetch_one(db.pool())
    .await?;
    Ok((recent < STRANGER_ANSWERS_PER_HOUR).then_some(account))
}

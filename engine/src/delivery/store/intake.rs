//! Storing a batch: its messages, rows refused at upload, and the charge held for it, in one
//! transaction; the group-commit writer that lets many requests share one disk sync; and
//! deleting a scheduled batch before it starts.

use super::insert_rows;
use crate::db::{now_ms, Db};
use crate::delivery::write_sizes::WriteKind;
use crate::ledger::store::LedgerError;
use futures::FutureExt;
use sms::{DeliveryStatus, ErrorCode, Money};
use sqlx::AnyConnection;

mod native;

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("insufficient balance: the batch costs {total}, {available} is available; {shortfall} more is needed")]
    InsufficientBalance {
        total: Money,
        available: Money,
        shortfall: Money,
    },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// From the SQLite writer's own connection.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("the batch writer has stopped")]
    WriterStopped,
}

/// A batch to store: everything already validated and priced by the caller.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub account_id: i64,
    /// The customer's route choice for Hong Kong numbers (each message has its own route).
    pub route: sms::Route,
    pub sender_id: Option<String>,
    pub purpose: String,
    pub content: String,
    /// The text Hong Kong and international recipients receive…
    pub final_text: String,
    /// …and mainland recipients (signature and suffix), when the batch has any.
    pub china_text: Option<String>,
    /// How `final_text` counts.
    pub encoding: sms::Encoding,
    pub parts: u8,
    pub validity_minutes: i64,
    /// When to send; `None` = now.
    pub scheduled_at: Option<i64>,
    pub recipients: Vec<Recipient>,
    /// Recipients stored with the batch in a final status but never sent and never charged
    /// (refused rows, repeats, do-not-call, …), so the result accounts for every row (§6, §14).
    pub unsent: Vec<Unsent>,
    pub resent_from: Option<i64>,
    /// Where each message's final status is POSTed (§11), when anywhere.
    pub callback_url: Option<String>,
    /// The idempotency claim the batch was sent under ([`crate::idempotency::batch_ref`]).
    pub idempotency_ref: Option<String>,
}

impl NewBatch {
    /// A batch of `text` to numbers that all take `route`, each at its given price: sent now,
    /// no sender ID, valid 2 hours (codes the installation sends, benchmarks, tests; change
    /// the rest with struct update syntax).
    pub fn on_route(
        account_id: i64,
        route: sms::Route,
        text: &str,
        numbers: impl IntoIterator<Item = (String, Money)>,
    ) -> NewBatch {
        let seg = sms::segment(text, route.segment_table());
        let parts = seg.parts.unwrap_or(1);
        NewBatch {
            account_id,
            route,
            sender_id: None,
            purpose: "notification".into(),
            content: text.into(),
            final_text: text.into(),
            china_text: (route == sms::Route::China).then(|| text.to_string()),
            encoding: seg.encoding,
            parts,
            validity_minutes: 120,
            scheduled_at: None,
            recipients: numbers
                .into_iter()
                .map(|(number, price)| Recipient::on(route, parts, number, price))
                .collect(),
            unsent: Vec::new(),
            resent_from: None,
            callback_url: None,
            idempotency_ref: None,
        }
    }
}

/// One number to send: its route (from its prefix), the parts its text takes on that route and
/// its price per part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// E.164 digits.
    pub number: String,
    pub route: sms::Route,
    pub parts: u8,
    pub unit_price: Money,
}

impl Recipient {
    /// A recipient of a batch whose every number takes `route` and `parts` (codes, resends of
    /// one route, tests).
    pub fn on(
        route: sms::Route,
        parts: u8,
        number: impl Into<String>,
        unit_price: Money,
    ) -> Recipient {
        Recipient {
            number: number.into(),
            route,
            parts,
            unit_price,
        }
    }

    pub fn cost(&self) -> Option<Money> {
        self.unit_price.checked_mul(i64::from(self.parts))
    }
}

/// What a batch will cost at its unit prices.
pub fn batch_cost(recipients: &[Recipient]) -> Option<Money> {
    recipients.iter().try_fold(Money::ZERO, |acc, r| {
        r.cost().and_then(|c| acc.checked_add(c))
    })
}

/// The `purpose` of the batches that carry mobile verification codes: sent free on the
/// installation's behalf, kept out of the account's Delivery Results.
pub const VERIFICATION_PURPOSE: &str = "verification";

/// A recipient stored with its batch but never handed to an operator: its final status, the
/// error code that says why, and for a refused row where it was and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsent {
    /// E.164 digits, or what the customer typed when it is not a number.
    pub destination: String,
    /// UPLOAD FAILED or UNDELIVERABLE.
    pub status: DeliveryStatus,
    pub error: Option<ErrorCode>,
    /// 1-based row of the pasted or uploaded list.
    pub row: Option<usize>,
    pub reason: Option<String>,
}

impl Unsent {
    /// A number the do-not-call filter left out (UNDELIVERABLE, `10 Do-Not-Call`).
    pub fn do_not_call(number: String) -> Unsent {
        Unsent {
            destination: number,
            status: DeliveryStatus::Undeliverable,
            error: Some(ErrorCode::DoNotCall),
            row: None,
            reason: None,
        }
    }

    /// A number on the account's own opt-out list (a reply said STOP): UNDELIVERABLE,
    /// `18 Opted Out`.
    pub fn opted_out(number: String) -> Unsent {
        Unsent {
            error: Some(ErrorCode::OptedOut),
            ..Unsent::do_not_call(number)
        }
    }

    /// A number whose charge the balance cannot cover (UNDELIVERABLE, `16 Insufficient
    /// Balance`).
    pub fn insufficient_balance(number: String) -> Unsent {
        Unsent {
            destination: number,
            status: DeliveryStatus::Undeliverable,
            error: Some(ErrorCode::InsufficientBalance),
            row: None,
            reason: None,
        }
    }
}

/// Stores the batch and one message per recipient in one transaction, after checking that the
/// account's available balance (balance, less holds, less what its waiting messages will
/// cost) covers it. The account row is locked first, so concurrent submissions are checked one
/// after the other and cannot together promise more than the balance (§14, playSMS #522).
pub async fn create_batch(db: &Db, batch: &NewBatch) -> Result<i64, BatchError> {
    let stored = store_batch(db, batch).await;
    if stored.is_ok() && is_due_now(batch) {
        db.note_due();
    }
    stored
}

/// Whether a batch's messages are due as soon as it is stored (not scheduled for later).
fn is_due_now(batch: &NewBatch) -> bool {
    batch.scheduled_at.is_none_or(|at| at <= now_ms())
}

async fn store_batch(db: &Db, batch: &NewBatch) -> Result<i64, BatchError> {
    let batch = batch.clone();
    if db.writes_natively() {
        return db
            .write_native(
                WriteKind::Intake,
                |(_, n): &(i64, usize)| *n,
                move |conn| Ok((native::insert_batch(conn, &batch)?, batch.recipients.len())),
            )
            .await
            .map(|(id, _)| id);
    }
    db.write(
        WriteKind::Intake,
        |(_, n): &(i64, usize)| *n,
        move |tx| {
            async move { Ok((insert_batch(tx, &batch).await?, batch.recipients.len())) }.boxed()
        },
    )
    .await
    .map(|(id, _)| id)
}

/// [`create_batch`] inside the caller's transaction. An insufficient balance is found before
/// anything is written, so the transaction can go on with other batches.
pub(super) async fn insert_batch(
    tx: &mut AnyConnection,
    batch: &NewBatch,
) -> Result<i64, BatchError> {
    let now = now_ms();
    let total = batch_total(batch);
    // The check and the reservation are one statement, which locks the account row: concurrent
    // batches are checked one after the other.
    let reserved = sqlx::query(RESERVE)
        .bind(total.minor())
        .bind(batch.account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if reserved == 0 {
        let available: i64 = sqlx::query_scalar(AVAILABLE)
            .bind(batch.account_id)
            .fetch_one(&mut *tx)
            .await?;
        return Err(insufficient(total, Money::from_minor(available)));
    }
    let Timing {
        due,
        is_scheduled,
        status,
    } = Timing::of(batch, now);
    let batch_id: i64 = sqlx::query_scalar(
        "INSERT INTO batches (account_id, route, sender_id, purpose, content, final_text, encoding, parts, \
         validity_minutes, scheduled_at, is_scheduled, status, total_messages, estimated_cost_minor, resent_from, created_at, china_text, callback_url, idempotency_ref) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(batch.account_id)
    .bind(batch.route.as_str())
    .bind(batch.sender_id.clone())
    .bind(&batch.purpose)
    .bind(&batch.content)
    .bind(&batch.final_text)
    .bind(batch.encoding.as_str())
    .bind(i64::from(batch.parts))
    .bind(batch.validity_minutes)
    .bind(due)
    .bind(i64::from(is_scheduled))
    .bind((batch.recipients.len() + batch.unsent.len()) as i64)
    .bind(total.minor())
    .bind(batch.resent_from)
    .bind(now)
    .bind(batch.china_text.as_deref())
    .bind(batch.callback_url.as_deref())
    .bind(batch.idempotency_ref.as_deref())
    .fetch_one(&mut *tx)
    .await?;
    // Every message the sender was given an id for owes one callback, refused rows excepted.
    let owes_callback = |status: DeliveryStatus| {
        i64::from(batch.callback_url.is_some() && status != DeliveryStatus::UploadFailed)
    };
    // Multi-row inserts: 50,000 messages in 500 statements rather than 50,000 (playSMS #443
    // lost rows on big files; here they are all written in the same transaction or none are).
    // 100 rows each: SQLite finds `$N` placeholders by a linear search, so binding costs grow
    // with the square of a statement's placeholders.
    for chunk in batch.recipients.chunks(100) {
        // Route and parts come from our own types, not from input.
        let sql = insert_rows(
            "INSERT INTO messages (batch_id, account_id, destination, route, parts, unit_price_minor, status, due_at, created_at, updated_at, callback_pending) VALUES ",
            chunk,
            |i, r| {
                let (account, route, parts) = (batch.account_id, r.route.as_str(), r.parts);
                let (number, price) = (2 * i + 1, 2 * i + 2);
                let callback = owes_callback(DeliveryStatus::UploadSuccess);
                format!("({batch_id}, {account}, ${number}, '{route}', {parts}, ${price}, {status}, {due}, {now}, {now}, {callback})")
            },
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q.bind(r.number.as_str()).bind(r.unit_price.minor());
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in batch.unsent.chunks(100) {
        let sql = insert_rows(
            "INSERT INTO messages (batch_id, account_id, destination, parts, unit_price_minor, status, error_code, input_row, reason, due_at, done_at, created_at, updated_at, callback_pending) VALUES ",
            chunk,
            |i, u| {
                let (account, parts, status) = (batch.account_id, batch.parts, u.status.code());
                let error = u.error.map_or("NULL".to_string(), |e| e.code().to_string());
                let (destination, row, reason) = (3 * i + 1, 3 * i + 2, 3 * i + 3);
                let callback = owes_callback(u.status);
                format!("({batch_id}, {account}, ${destination}, {parts}, 0, {status}, {error}, ${row}, ${reason}, {now}, {now}, {now}, {now}, {callback})")
            },
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q
                .bind(u.destination.as_str())
                .bind(u.row.map(|r| r as i64))
                .bind(u.reason.as_deref());
        }
        q.execute(&mut *tx).await?;
    }
    Ok(batch_id)
}

/// What an account has for new batches: its balance, less holds, less what its waiting
/// messages will cost (kept on the row, migration 0020). `$1` the account.
pub(super) const AVAILABLE: &str =
    "SELECT balance_minor - held_minor - waiting_minor FROM accounts WHERE id = $1";

/// Reserves a batch's cost (`$1`) among the account's (`$2`) waiting messages if what it has
/// for new batches covers it; changes nothing (no row) otherwise.
pub(super) const RESERVE: &str = "UPDATE accounts SET waiting_minor = waiting_minor + $1 \
     WHERE id = $2 AND balance_minor - held_minor - waiting_minor >= $1";

/// What the batch costs (an overflow costs more than any balance).
fn batch_total(batch: &NewBatch) -> Money {
    batch_cost(&batch.recipients).unwrap_or(Money::from_minor(i64::MAX))
}

/// The refusal of a batch whose reservation failed: what it costs and what the account has.
fn insufficient(total: Money, available: Money) -> BatchError {
    BatchError::InsufficientBalance {
        total,
        available,
        shortfall: total.checked_sub(available).unwrap_or(total),
    }
}

/// When a batch's messages are due, and the status they wait in.
struct Timing {
    due: i64,
    is_scheduled: bool,
    status: i64,
}

impl Timing {
    fn of(batch: &NewBatch, now: i64) -> Timing {
        let is_scheduled = batch.scheduled_at.is_some_and(|t| t > now);
        Timing {
            due: batch.scheduled_at.unwrap_or(now).max(now),
            is_scheduled,
            status: i64::from(if is_scheduled {
                DeliveryStatus::Scheduling
            } else {
                DeliveryStatus::UploadSuccess
            }),
        }
    }
}

/// Group commit for batch submissions: requests queue their batch, one task stores everything
/// queued in one transaction and answers each request only after that commit (a batch is
/// accepted only once durable). Under load, hundreds of single-message requests share one
/// disk sync instead of paying one each.
#[derive(Debug, Clone)]
pub struct BatchWriter {
    queue: tokio::sync::mpsc::Sender<Queued>,
}

/// A batch waiting for the writer: how many of its messages to answer with, and where.
type Queued = (
    NewBatch,
    usize,
    tokio::sync::oneshot::Sender<Result<StoredBatch, BatchError>>,
);

/// A stored batch: its id and, when asked for, its first messages as committed.
#[derive(Debug, Clone)]
pub struct StoredBatch {
    pub id: i64,
    pub messages: Vec<crate::delivery::MessageRow>,
}

/// Batches stored per transaction at most.
pub(super) const GROUP: usize = 256;

impl BatchWriter {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(db: Db) -> BatchWriter {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<Queued>(4 * GROUP);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP {
                    match rx.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                store_group(&db, group).await;
            }
        });
        BatchWriter { queue }
    }

    /// Stores `batch` (with others queued at the same time) and returns its id once committed.
    pub async fn submit(&self, batch: NewBatch) -> Result<i64, BatchError> {
        Ok(self.submit_answered(batch, 0).await?.id)
    }

    /// [`BatchWriter::submit`], also answering with the batch's first `messages` messages (in
    /// id order, as [`super::messages_after`] reads them) as its transaction stored them: read
    /// on the writer's connection before the commit, where a read after it would begin a read
    /// transaction and find its page cache stale (the API's send answers with its messages).
    pub async fn submit_answered(
        &self,
        batch: NewBatch,
        messages: usize,
    ) -> Result<StoredBatch, BatchError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send((batch, messages, reply))
            .await
            .map_err(|_| BatchError::WriterStopped)?;
        answer.await.map_err(|_| BatchError::WriterStopped)?
    }
}

pub(super) async fn store_group(db: &Db, group: Vec<Queued>) {
    let (mut batches, mut answered, mut replies) = (Vec::new(), Vec::new(), Vec::new());
    for (batch, messages, reply) in group {
        batches.push(batch);
        answered.push(i64::try_from(messages).unwrap_or(i64::MAX));
        replies.push(reply);
    }
    let (batches, answered) = (std::sync::Arc::new(batches), std::sync::Arc::new(answered));
    let stored = if db.writes_natively() {
        let (batches, answered) = (batches.clone(), answered.clone());
        db.write_native(WriteKind::Intake, stored_messages, move |conn| {
            let mut outcomes = Vec::with_capacity(batches.len());
            for (batch, &messages) in batches.iter().zip(answered.iter()) {
                match native::insert_batch(conn, batch) {
                    Ok(id) => {
                        let rows = if messages > 0 {
                            native::first_messages(conn, batch.account_id, id, messages)?
                        } else {
                            Vec::new()
                        };
                        outcomes.push(Ok((id, batch.recipients.len(), rows)));
                    }
                    Err(e @ BatchError::InsufficientBalance { .. }) => outcomes.push(Err(e)),
                    Err(e) => return Err(e),
                }
            }
            Ok::<_, BatchError>(outcomes)
        })
        .await
    } else {
        let (batches, answered) = (batches.clone(), answered.clone());
        db.write(WriteKind::Intake, stored_messages, move |tx| {
            async move {
                let mut outcomes = Vec::with_capacity(batches.len());
                for (batch, &messages) in batches.iter().zip(answered.iter()) {
                    match insert_batch(&mut *tx, batch).await {
                        Ok(id) => {
                            let rows = if messages > 0 {
                                super::queries::first_messages_in(
                                    &mut *tx,
                                    batch.account_id,
                                    id,
                                    messages,
                                )
                                .await?
                            } else {
                                Vec::new()
                            };
                            outcomes.push(Ok((id, batch.recipients.len(), rows)));
                        }
                        Err(e @ BatchError::InsufficientBalance { .. }) => outcomes.push(Err(e)),
                        Err(e) => return Err(e),
                    }
                }
                Ok::<_, BatchError>(outcomes)
            }
            .boxed()
        })
        .await
    };
    match stored {
        Ok(outcomes) => {
            if batches
                .iter()
                .zip(&outcomes)
                .any(|(batch, outcome)| outcome.is_ok() && is_due_now(batch))
            {
                db.note_due();
            }
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(outcome.map(|(id, _, messages)| StoredBatch { id, messages }));
            }
        }
        Err(e) => {
            // One request's failure must not fail the others: store them one by one.
            tracing::warn!(error = %e, batches = replies.len(), "group insert failed; storing one by one");
            for ((batch, &messages), reply) in batches.iter().zip(answered.iter()).zip(replies) {
                let stored = match create_batch(db, batch).await {
                    Ok(id) if messages > 0 => {
                        super::messages_after(db, batch.account_id, id, 0, messages)
                            .await
                            .map(|messages| StoredBatch { id, messages })
                            .map_err(BatchError::from)
                    }
                    Ok(id) => Ok(StoredBatch {
                        id,
                        messages: Vec::new(),
                    }),
                    Err(e) => Err(e),
                };
                let _ = reply.send(stored);
            }
        }
    }
}

/// Messages stored by a group: what its transaction is measured in.
// The writer's row counter is a `fn(&T)` of the job's own result type, a `Vec` here.
#[allow(clippy::ptr_arg)]
fn stored_messages(outcomes: &Vec<Result<StoredRows, BatchError>>) -> usize {
    outcomes
        .iter()
        .flatten()
        .map(|(_, messages, _)| messages)
        .sum()
}

/// A batch stored by a group: its id, how many messages it sends, and the messages it
/// answers with.
type StoredRows = (i64, usize, Vec<crate::delivery::MessageRow>);

#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    TooLate,
}

/// Deletes a scheduled batch whose time is more than an hour away. Its messages leave the
/// queue in the same transaction; the guard on `due_at` means the dispatcher can never have
/// started on them.
pub async fn delete_batch(
    db: &Db,
    account_id: i64,
    batch_id: i64,
) -> Result<DeleteOutcome, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE batches SET status = 'deleted' WHERE id = $1 AND account_id = $2 AND status = 'active' \
         AND is_scheduled = 1 AND scheduled_at > $3",
    )
    .bind(batch_id)
    .bind(account_id)
    .bind(now + crate::delivery::DELETE_WINDOW_MS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        let exists = sqlx::query("SELECT 1 FROM batches WHERE id = $1 AND account_id = $2")
            .bind(batch_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        return Ok(if exists.is_some() {
            DeleteOutcome::TooLate
        } else {
            DeleteOutcome::NotFound
        });
    }
    let deleted: Vec<(i64, i64)> = sqlx::query_as(
        "DELETE FROM messages WHERE batch_id = $1 AND status = $2 AND due_at > $3 \
         RETURNING account_id, parts * unit_price_minor",
    )
    .bind(batch_id)
    .bind(i64::from(DeliveryStatus::Scheduling))
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    // They were reserved among the account's waiting messages at intake.
    for (account, total) in super::cost_by_account(deleted) {
        sqlx::query(crate::ledger::store::UNRESERVE)
            .bind(total)
            .bind(account)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(DeleteOutcome::Deleted)
}

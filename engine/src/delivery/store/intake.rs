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

/// Group commit for batch submissions: requests queue their batch, and everything queued is
/// stored in one transaction, each request answered only after that commit (a batch is
/// accepted only once durable). Under load, hundreds of single-message requests share one
/// disk sync instead of paying one each.
///
/// On SQLite the group is formed by the writer itself: a batch waits in a list, and the
/// writer's job takes the list when its tick runs, so every batch that arrived while the
/// previous tick ran goes into the next one. (A task that gathered a group, handed it over
/// and waited for its commit before gathering the next made a request wait for up to three
/// ticks: the one running, the one its group missed while the task waited, and its own.)
/// On PostgreSQL, where each group is a transaction of its own, one task stores one group
/// at a time.
#[derive(Debug, Clone)]
pub struct BatchWriter {
    db: Db,
    way: Way,
}

#[derive(Debug, Clone)]
enum Way {
    /// SQLite: the batches waiting for the writer's next tick.
    Waiting(std::sync::Arc<Waiting>),
    /// PostgreSQL: the queue of the task that stores one group at a time.
    Queue(tokio::sync::mpsc::Sender<Queued>),
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

/// The batches waiting for the SQLite writer, in arrival order. There is always a job on its
/// way for every [`GROUP`] of them (or part of one): the batch that makes the list one longer
/// than a multiple of [`GROUP`] starts one, and each job takes at most [`GROUP`].
#[derive(Debug, Default)]
struct Waiting(std::sync::Mutex<Vec<Queued>>);

impl Waiting {
    /// Adds a batch; true when it needs a job of its own.
    fn push(&self, queued: Queued) -> bool {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        list.push(queued);
        list.len() % GROUP == 1
    }

    /// The oldest [`GROUP`] batches at most.
    fn take(&self) -> Vec<Queued> {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = list.len().min(GROUP);
        list.drain(..n).collect()
    }
}

impl BatchWriter {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(db: Db) -> BatchWriter {
        if db.writes_natively() {
            return BatchWriter {
                db,
                way: Way::Waiting(Default::default()),
            };
        }
        let (queue, mut rx) = tokio::sync::mpsc::channel::<Queued>(4 * GROUP);
        let task_db = db.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP {
                    match rx.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                store_group(&task_db, group).await;
            }
        });
        BatchWriter {
            db,
            way: Way::Queue(queue),
        }
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
        match &self.way {
            Way::Waiting(waiting) => {
                if waiting.push((batch, messages, reply)) {
                    // A task of its own: the batches of the group are stored and answered
                    // even if this request is dropped meanwhile.
                    let (db, waiting) = (self.db.clone(), std::sync::Arc::clone(waiting));
                    tokio::spawn(async move { store_waiting(&db, waiting).await });
                }
            }
            Way::Queue(queue) => queue
                .send((batch, messages, reply))
                .await
                .map_err(|_| BatchError::WriterStopped)?,
        }
        answer.await.map_err(|_| BatchError::WriterStopped)?
    }
}

/// One job of the SQLite writer: the waiting batches its tick finds, stored in it.
async fn store_waiting(db: &Db, waiting: std::sync::Arc<Waiting>) {
    // The group the job took, kept here so that whatever happens to the job (its commit
    // fails, it panics) its batches are answered.
    let taken: std::sync::Arc<std::sync::Mutex<Option<Vec<Queued>>>> = Default::default();
    let slot = std::sync::Arc::clone(&taken);
    let job_waiting = std::sync::Arc::clone(&waiting);
    let stored = db
        .write_native(WriteKind::Intake, stored_messages, move |conn| {
            let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
            let group = slot.insert(job_waiting.take());
            let mut outcomes = Vec::with_capacity(group.len());
            for (batch, messages, _) in group.iter() {
                outcomes.push(insert_native(conn, batch, *messages)?);
            }
            Ok::<_, BatchError>(outcomes)
        })
        .await;
    let taken = taken.lock().unwrap_or_else(|e| e.into_inner()).take();
    // A job that never ran (the writer has stopped) leaves its group waiting: answered here.
    let group = taken.unwrap_or_else(|| waiting.take());
    answer_group(db, group, stored).await;
}

/// One batch of a group on the writer's connection; a batch refused for the balance is
/// answered so without failing the others.
fn insert_native(
    conn: &rusqlite::Connection,
    batch: &NewBatch,
    messages: usize,
) -> Result<Result<StoredRows, BatchError>, BatchError> {
    match native::insert_batch(conn, batch) {
        Ok(id) => {
            let messages = i64::try_from(messages).unwrap_or(i64::MAX);
            let rows = if messages > 0 {
                native::first_messages(conn, batch.account_id, id, messages)?
            } else {
                Vec::new()
            };
            Ok(Ok((id, batch.recipients.len(), rows)))
        }
        Err(e @ BatchError::InsufficientBalance { .. }) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

/// PostgreSQL: one group in a transaction of its own.
pub(super) async fn store_group(db: &Db, group: Vec<Queued>) {
    let (mut jobs, mut replies) = (
        Vec::with_capacity(group.len()),
        Vec::with_capacity(group.len()),
    );
    for (batch, messages, reply) in group {
        jobs.push((batch, messages));
        replies.push(reply);
    }
    let jobs = std::sync::Arc::new(jobs);
    let job_batches = std::sync::Arc::clone(&jobs);
    let stored = db
        .write(WriteKind::Intake, stored_messages, move |tx| {
            async move {
                let mut outcomes = Vec::with_capacity(job_batches.len());
                for (batch, messages) in job_batches.iter() {
                    match insert_batch(&mut *tx, batch).await {
                        Ok(id) => {
                            let rows = if *messages > 0 {
                                super::queries::first_messages_in(
                                    &mut *tx,
                                    batch.account_id,
                                    id,
                                    i64::try_from(*messages).unwrap_or(i64::MAX),
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
        .await;
    // The job (and its handle on the batches) is gone once its transaction has ended.
    let jobs = std::sync::Arc::try_unwrap(jobs).unwrap_or_else(|jobs| (*jobs).clone());
    let group = jobs
        .into_iter()
        .zip(replies)
        .map(|((batch, messages), reply)| (batch, messages, reply))
        .collect();
    answer_group(db, group, stored).await;
}

/// Answers each batch of a group with what its transaction did; when the transaction as a
/// whole failed, one request's failure must not fail the others: they are stored one by one.
async fn answer_group(
    db: &Db,
    group: Vec<Queued>,
    stored: Result<Vec<Result<StoredRows, BatchError>>, BatchError>,
) {
    match stored {
        Ok(outcomes) => {
            if group
                .iter()
                .zip(&outcomes)
                .any(|((batch, _, _), outcome)| outcome.is_ok() && is_due_now(batch))
            {
                db.note_due();
            }
            for ((_, _, reply), outcome) in group.into_iter().zip(outcomes) {
                let _ = reply.send(outcome.map(|(id, _, messages)| StoredBatch { id, messages }));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, batches = group.len(), "group insert failed; storing one by one");
            for (batch, messages, reply) in group {
                let stored = match create_batch(db, &batch).await {
                    Ok(id) if messages > 0 => {
                        let messages = i64::try_from(messages).unwrap_or(i64::MAX);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::all_backends;
    use crate::testing::{count, customer, staff};
    use futures::FutureExt;

    const PRICE: Money = Money::from_minor(300);

    fn one_number(account_id: i64, i: u64) -> NewBatch {
        NewBatch::on_route(
            account_id,
            sms::Route::HkBusiness,
            &format!("burst {i}"),
            [(format!("8526{i:07}"), PRICE)],
        )
    }

    /// More requests at once than one group takes: every one is stored once and answered
    /// with its own batch and message (on SQLite the writer's ticks take the waiting batches
    /// a group at a time).
    #[tokio::test]
    async fn a_burst_larger_than_a_group_is_stored_and_answered_one_batch_each() {
        const N: u64 = 2 * GROUP as u64 + 37;
        for t in all_backends().await {
            let staff_id = staff(&t.db, "admin").await;
            let account = customer(&t.db, "burst", staff_id, Money::from_minor(1_000_000)).await;
            let writer = BatchWriter::start(t.db.clone());
            let tasks: Vec<_> = (0..N)
                .map(|i| {
                    let writer = writer.clone();
                    tokio::spawn(async move {
                        (i, writer.submit_answered(one_number(account, i), 1).await)
                    })
                })
                .collect();
            let mut ids = std::collections::HashSet::new();
            let answers = tokio::time::timeout(
                std::time::Duration::from_secs(60),
                futures::future::join_all(tasks),
            )
            .await
            .unwrap_or_else(|_| panic!("{}: a request was never answered", t.name));
            for answer in answers {
                let (i, stored) = answer.expect("task");
                let stored = stored.unwrap_or_else(|e| panic!("{}: #{i}: {e}", t.name));
                assert!(
                    ids.insert(stored.id),
                    "{}: batch {} twice",
                    t.name,
                    stored.id
                );
                assert_eq!(stored.messages.len(), 1, "{}", t.name);
                assert_eq!(
                    stored.messages[0].destination,
                    format!("8526{i:07}"),
                    "{}: #{i} answered with another request's message",
                    t.name
                );
            }
            assert_eq!(
                count(
                    &t.db,
                    "SELECT COUNT(*) FROM messages WHERE account_id = $1",
                    account
                )
                .await,
                i64::try_from(N).expect("n"),
                "{}",
                t.name
            );
        }
    }

    /// A request that goes away once its batch is queued (its client hung up) does not take
    /// the batch with it: a queued batch is stored as if it had waited.
    #[tokio::test]
    async fn a_queued_batch_is_stored_when_its_request_goes_away() {
        for t in all_backends().await {
            let staff_id = staff(&t.db, "admin").await;
            let account = customer(&t.db, "gone", staff_id, Money::from_minor(10_000)).await;
            let writer = BatchWriter::start(t.db.clone());
            // Polled once (the batch is queued), then dropped.
            assert!(writer
                .submit_answered(one_number(account, 1), 0)
                .now_or_never()
                .is_none());
            let stored = async {
                loop {
                    let n = count(
                        &t.db,
                        "SELECT COUNT(*) FROM messages WHERE account_id = $1",
                        account,
                    )
                    .await;
                    if n == 1 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(10), stored)
                .await
                .unwrap_or_else(|_| panic!("{}: the dropped request's batch was lost", t.name));
            // The writer goes on: the next request is answered.
            writer
                .submit(one_number(account, 2))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        }
    }
    /// What a dispatcher reads of the batches it claimed, for more batches than one read on
    /// SQLite's own connections takes: every one found, with its own text.
    #[tokio::test]
    async fn the_batches_a_claim_sends_are_read_whatever_their_number() {
        for t in all_backends().await {
            let staff_id = staff(&t.db, "admin").await;
            let account = customer(&t.db, "many", staff_id, Money::from_minor(1_000_000)).await;
            let writer = BatchWriter::start(t.db.clone());
            let mut ids = Vec::new();
            for i in 0..150 {
                ids.push(writer.submit(one_number(account, i)).await.expect("stored"));
            }
            let mut asked = ids.clone();
            asked.push(ids[149] + 1_000);
            let found = crate::delivery::store::batches_for_sending(&t.db, &asked)
                .await
                .expect("read");
            assert_eq!(found.len(), 150, "{}", t.name);
            for (i, id) in ids.iter().enumerate() {
                let batch = found[id].as_ref().expect("a batch on a known route");
                assert_eq!(batch.final_text, format!("burst {i}"), "{}", t.name);
                assert_eq!(batch.route, sms::Route::HkBusiness, "{}", t.name);
            }
        }
    }
}

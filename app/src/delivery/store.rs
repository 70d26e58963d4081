//! The delivery engine's queries. Every state change of a message is one guarded UPDATE (or one
//! transaction) so that several dispatcher tasks, and several Ferry processes on PostgreSQL,
//! can work on the same tables without sending or charging anything twice.

use super::code::*;
use super::{
    BatchDetail, BatchFilter, BatchList, BatchSummary, MessageFilter, MessageRow, StatusCount,
};
use crate::db::{id_list, now_ms, Backend, Db};
use crate::ledger::store::{
    charge_held, charge_held_many, hold, post, release, HeldCharge, LedgerError, Posting,
};
use crate::ledger::EntryKind;
use sms::{ErrorCode, Money};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

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
    /// `UPLOAD_FAILED` (1) or `UNDELIVERABLE` (21).
    pub status: i64,
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
            status: UNDELIVERABLE,
            error: Some(ErrorCode::DoNotCall),
            row: None,
            reason: None,
        }
    }

    /// A number whose charge the balance cannot cover (UNDELIVERABLE, `16 Insufficient
    /// Balance`).
    pub fn insufficient_balance(number: String) -> Unsent {
        Unsent {
            destination: number,
            status: UNDELIVERABLE,
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
    let mut tx = db.begin_write().await?;
    let id = insert_batch(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`create_batch`] inside the caller's transaction. An insufficient balance is found before
/// anything is written, so the transaction can go on with other batches.
async fn insert_batch(tx: &mut AnyConnection, batch: &NewBatch) -> Result<i64, BatchError> {
    let now = now_ms();
    let total = batch_cost(&batch.recipients).unwrap_or(Money::from_minor(i64::MAX));
    sqlx::query("UPDATE accounts SET balance_minor = balance_minor WHERE id = $1")
        .bind(batch.account_id)
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query(
        "SELECT a.balance_minor - a.held_minor - \
           CAST(COALESCE((SELECT SUM(m.parts * m.unit_price_minor) FROM messages m \
                          WHERE m.account_id = a.id AND m.status IN (2, 3)), 0) AS BIGINT) \
         FROM accounts a WHERE a.id = $1",
    )
    .bind(batch.account_id)
    .fetch_one(&mut *tx)
    .await?;
    let available = Money::from_minor(row.try_get(0)?);
    if total > available {
        return Err(BatchError::InsufficientBalance {
            total,
            available,
            shortfall: total.checked_sub(available).unwrap_or(total),
        });
    }
    let due = batch.scheduled_at.unwrap_or(now).max(now);
    let is_scheduled = batch.scheduled_at.is_some_and(|t| t > now);
    let batch_id: i64 = sqlx::query(
        "INSERT INTO batches (account_id, route, sender_id, purpose, content, final_text, encoding, parts, \
         validity_minutes, scheduled_at, is_scheduled, status, total_messages, estimated_cost_minor, resent_from, created_at, china_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $13, $14, $15, $16) RETURNING id",
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
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let status = if is_scheduled {
        SCHEDULING
    } else {
        UPLOAD_SUCCESS
    };
    // Multi-row inserts: 50,000 messages in 500 statements rather than 50,000 (playSMS #443
    // lost rows on big files; here they are all written in the same transaction or none are).
    // 100 rows each: SQLite finds `$N` placeholders by a linear search, so binding costs grow
    // with the square of a statement's placeholders.
    for chunk in batch.recipients.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO messages (batch_id, account_id, destination, route, parts, unit_price_minor, status, due_at, created_at, updated_at) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 2;
            // Route and parts come from our own types, not from input.
            sql.push_str(&format!(
                "({batch_id}, {}, ${}, '{}', {}, ${}, {status}, {due}, {now}, {now})",
                batch.account_id,
                b + 1,
                r.route.as_str(),
                r.parts,
                b + 2,
            ));
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q.bind(r.number.as_str()).bind(r.unit_price.minor());
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in batch.unsent.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO messages (batch_id, account_id, destination, parts, unit_price_minor, status, error_code, input_row, reason, due_at, done_at, created_at, updated_at) VALUES ",
        );
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 3;
            sql.push_str(&format!(
                "({batch_id}, {}, ${}, {}, 0, {}, {}, ${}, ${}, {now}, {now}, {now}, {now})",
                batch.account_id,
                b + 1,
                batch.parts,
                u.status,
                u.error.map_or("NULL".to_string(), |e| e.code().to_string()),
                b + 2,
                b + 3,
            ));
        }
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

/// Group commit for batch submissions: requests queue their batch, one task stores everything
/// queued in one transaction and answers each request only after that commit (a batch is
/// accepted only once durable). Under load, hundreds of single-message requests share one
/// disk sync instead of paying one each.
#[derive(Debug, Clone)]
pub struct BatchWriter {
    queue: tokio::sync::mpsc::Sender<(
        NewBatch,
        tokio::sync::oneshot::Sender<Result<i64, BatchError>>,
    )>,
}

/// Batches stored per transaction at most.
const GROUP: usize = 256;

impl BatchWriter {
    /// Starts the writer on the current Tokio runtime.
    pub fn start(db: Db) -> BatchWriter {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<(
            NewBatch,
            tokio::sync::oneshot::Sender<Result<i64, BatchError>>,
        )>(4 * GROUP);
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
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send((batch, reply))
            .await
            .map_err(|_| BatchError::WriterStopped)?;
        answer.await.map_err(|_| BatchError::WriterStopped)?
    }
}

async fn store_group(
    db: &Db,
    group: Vec<(
        NewBatch,
        tokio::sync::oneshot::Sender<Result<i64, BatchError>>,
    )>,
) {
    let together = async {
        let mut tx = db.begin_write().await?;
        let mut outcomes = Vec::with_capacity(group.len());
        for (batch, _) in &group {
            match insert_batch(&mut tx, batch).await {
                Ok(id) => outcomes.push(Ok(id)),
                Err(e @ BatchError::InsufficientBalance { .. }) => outcomes.push(Err(e)),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok::<_, BatchError>(outcomes)
    };
    match together.await {
        Ok(outcomes) => {
            for ((_, reply), outcome) in group.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            // One request's failure must not fail the others: store them one by one.
            tracing::warn!(error = %e, batches = group.len(), "group insert failed; storing one by one");
            for (batch, reply) in group {
                let _ = reply.send(create_batch(db, &batch).await);
            }
        }
    }
}

fn summary_from(
    row: &sqlx::any::AnyRow,
    counts: Vec<StatusCount>,
    total_charge: Money,
) -> Result<BatchSummary, sqlx::Error> {
    let finished = counts
        .iter()
        .filter(|c| sms::DeliveryStatus::from_code(c.status).is_some_and(|s| s.is_final()))
        .map(|c| c.count)
        .sum();
    Ok(BatchSummary {
        id: row.try_get(0)?,
        created_at: row.try_get(1)?,
        scheduled_at: row.try_get(2)?,
        is_scheduled: row.try_get::<i64, _>(3)? != 0,
        deleted: row.try_get::<String, _>(4)? == "deleted",
        route: row.try_get(5)?,
        sender_id: row.try_get(6)?,
        content: row.try_get(7)?,
        parts: row.try_get(8)?,
        total_messages: row.try_get(9)?,
        total_charge,
        counts,
        finished,
    })
}

const BATCH_COLUMNS: &str = "id, created_at, scheduled_at, is_scheduled, status, route, sender_id, content, parts, total_messages";

/// The batch `batch_id` if it belongs to `account_id` (other accounts get `None`, shown as 404).
pub async fn summary(
    db: &Db,
    account_id: i64,
    batch_id: i64,
) -> Result<Option<BatchSummary>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1 AND account_id = $2"
    ))
    .bind(batch_id)
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (counts, charge) = counts_and_charges(db, &[batch_id])
        .await?
        .remove(&batch_id)
        .unwrap_or_default();
    Ok(Some(summary_from(&row, counts, charge)?))
}

/// One value bound to a query assembled from optional filters.
enum Bind {
    Int(i64),
    Text(String),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind(*v),
            Bind::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}

/// A `WHERE` clause built from filters, numbering its placeholders as it goes.
#[derive(Default)]
struct Filters {
    sql: String,
    binds: Vec<Bind>,
}

impl Filters {
    /// Adds `condition`, where `?` stands for the next placeholder.
    fn add(&mut self, condition: &str, value: Bind) {
        self.binds.push(value);
        let placeholder = format!("${}", self.binds.len());
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(&condition.replace('?', &placeholder));
    }
}

/// The account's batches matching `search`, newest first, a page at a time, with their counts
/// and charges from one grouped query for the whole page.
pub async fn search(
    db: &Db,
    account_id: i64,
    search: &BatchFilter,
) -> Result<BatchList, sqlx::Error> {
    let mut filters = Filters::default();
    filters.add("b.account_id = ?", Bind::Int(account_id));
    // Free verification codes are the installation's messages, not the account's sends.
    filters.add("b.purpose <> ?", Bind::Text(VERIFICATION_PURPOSE.into()));
    if let Some(from) = search.from {
        filters.add("b.scheduled_at >= ?", Bind::Int(from));
    }
    if let Some(to) = search.to {
        filters.add("b.scheduled_at < ?", Bind::Int(to));
    }
    if let Some(sender_id) = &search.sender_id {
        filters.add("b.sender_id = ?", Bind::Text(sender_id.clone()));
    }
    if let Some(status) = search.status {
        filters.add(
            "EXISTS (SELECT 1 FROM messages m WHERE m.batch_id = b.id AND m.status = ?)",
            Bind::Int(status),
        );
    }
    let total: i64 = bind_all(
        sqlx::query(&format!("SELECT COUNT(*) FROM batches b{}", filters.sql)),
        &filters.binds,
    )
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    let pages = (total + LIST_PAGE_SIZE - 1) / LIST_PAGE_SIZE;
    let page = search.page.clamp(1, pages.max(1));
    let rows = bind_all(
        sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM batches b{} ORDER BY b.created_at DESC, b.id DESC LIMIT {LIST_PAGE_SIZE} OFFSET {}",
            filters.sql,
            (page - 1) * LIST_PAGE_SIZE
        )),
        &filters.binds,
    )
    .fetch_all(db.pool())
    .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut counts = counts_and_charges(db, &ids).await?;
    let batches = rows
        .iter()
        .zip(&ids)
        .map(|(row, id)| {
            let (c, charge) = counts.remove(id).unwrap_or_default();
            summary_from(row, c, charge)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sender_ids = sqlx::query(
        "SELECT DISTINCT sender_id FROM batches WHERE account_id = $1 AND sender_id IS NOT NULL ORDER BY sender_id",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    Ok(BatchList {
        batches,
        total,
        page,
        pages,
        sender_ids,
    })
}

/// Status counts and total charge of each of `batch_ids`, in one query.
async fn counts_and_charges(
    db: &Db,
    batch_ids: &[i64],
) -> Result<std::collections::HashMap<i64, (Vec<StatusCount>, Money)>, sqlx::Error> {
    let mut out: std::collections::HashMap<i64, (Vec<StatusCount>, Money)> =
        std::collections::HashMap::new();
    if batch_ids.is_empty() {
        return Ok(out);
    }
    let ids = id_list(batch_ids);
    let rows = sqlx::query(&format!(
        "SELECT batch_id, status, COUNT(*), CAST(COALESCE(SUM(charge_minor), 0) AS BIGINT) FROM messages \
         WHERE batch_id IN ({ids}) GROUP BY batch_id, status ORDER BY batch_id, status"
    ))
    .fetch_all(db.pool())
    .await?;
    for r in rows {
        let status = u16::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0);
        let entry = out.entry(r.try_get(0)?).or_default();
        entry.0.push(StatusCount {
            status,
            label: super::status_label(status),
            count: r.try_get(2)?,
        });
        entry.1 = Money::from_minor(entry.1.minor() + r.try_get::<i64, _>(3)?);
    }
    Ok(out)
}

pub const PAGE_SIZE: i64 = 100;
pub const LIST_PAGE_SIZE: i64 = 50;

/// One batch's messages matching `filter`, a page at a time (pages are read through the
/// `(batch_id, status, id)` and `(batch_id, error_code, id)` indexes, so the last page of a
/// 50,000-message batch costs about what the first does).
pub async fn detail(
    db: &Db,
    account_id: i64,
    batch_id: i64,
    filter: &MessageFilter,
    page: i64,
) -> Result<Option<BatchDetail>, sqlx::Error> {
    let Some(summary) = summary(db, account_id, batch_id).await? else {
        return Ok(None);
    };
    let mut filters = Filters::default();
    filters.add("batch_id = ?", Bind::Int(batch_id));
    filters.add("account_id = ?", Bind::Int(account_id));
    if let Some(status) = filter.status {
        filters.add("status = ?", Bind::Int(status));
    }
    if let Some(code) = filter.error_code {
        filters.add("error_code = ?", Bind::Int(code));
    }
    if let Some(digits) = &filter.number {
        filters.add("destination LIKE ?", Bind::Text(format!("%{digits}%")));
    }
    let matching: i64 = if filter.is_empty() {
        summary.total_messages
    } else {
        bind_all(
            sqlx::query(&format!("SELECT COUNT(*) FROM messages{}", filters.sql)),
            &filters.binds,
        )
        .fetch_one(db.pool())
        .await?
        .try_get(0)?
    };
    let pages = (matching + PAGE_SIZE - 1) / PAGE_SIZE;
    let page = page.clamp(1, pages.max(1));
    let rows = bind_all(
        sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m{} ORDER BY m.id LIMIT {PAGE_SIZE} OFFSET {}",
            filters.sql,
            (page - 1) * PAGE_SIZE
        )),
        &filters.binds,
    )
    .fetch_all(db.pool())
    .await?;
    let messages = rows
        .iter()
        .map(message_from)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let errors = sqlx::query(
        "SELECT error_code, COUNT(*) FROM messages WHERE batch_id = $1 AND error_code IS NOT NULL \
         GROUP BY error_code ORDER BY error_code",
    )
    .bind(batch_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|r| {
        let code = u16::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0);
        Ok(super::ErrorCount {
            code,
            label: ErrorCode::from_code(code)
                .map(|e| e.label().to_string())
                .unwrap_or_else(|| format!("error {code}")),
            count: r.try_get(1)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let can_delete = summary.is_scheduled
        && !summary.deleted
        && summary.scheduled_at > now_ms() + super::DELETE_WINDOW_MS;
    Ok(Some(BatchDetail {
        summary,
        messages,
        matching,
        errors,
        page,
        pages,
        can_delete,
    }))
}

const MESSAGE_COLUMNS: &str =
    "m.id, m.destination, m.parts, m.status, m.error_code, m.charge_minor, m.created_at, m.submitted_at, m.done_at, \
     CASE WHEN m.status = 1 THEN NULL ELSE COALESCE(m.route, (SELECT b.route FROM batches b WHERE b.id = m.batch_id)) END, \
     m.input_row, m.reason";

fn message_from(r: &sqlx::any::AnyRow) -> Result<MessageRow, sqlx::Error> {
    let route: Option<String> = r.try_get(9)?;
    Ok(MessageRow {
        id: r.try_get(0)?,
        destination: r.try_get(1)?,
        parts: r.try_get(2)?,
        status: u16::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
        error_code: r
            .try_get::<Option<i64>, _>(4)?
            .and_then(|c| u16::try_from(c).ok()),
        charge: Money::from_minor(r.try_get(5)?),
        created_at: r.try_get(6)?,
        submitted_at: r.try_get(7)?,
        done_at: r.try_get(8)?,
        route: route.and_then(|r| r.parse().ok()),
        input_row: r
            .try_get::<Option<i64>, _>(10)?
            .and_then(|r| usize::try_from(r).ok()),
        reason: r.try_get(11)?,
    })
}

/// Every message of a batch in id order, `chunk` at a time from after `after_id` (keyset
/// pagination, for the streamed CSV export). `None` when the batch is not the account's.
pub async fn messages_after(
    db: &Db,
    account_id: i64,
    batch_id: i64,
    after_id: i64,
    chunk: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.batch_id = $1 AND m.account_id = $2 AND m.id > $3 ORDER BY m.id LIMIT $4"
    ))
    .bind(batch_id)
    .bind(account_id)
    .bind(after_id)
    .bind(chunk)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(message_from)
    .collect()
}

/// How the batch's messages moved through the statuses: cumulative counts at the end of each
/// of `buckets` equal slices of time from the batch's send time to its last final status
/// (or now, while it runs).
pub async fn timeline(
    db: &Db,
    account_id: i64,
    batch_id: i64,
    buckets: i64,
    now: i64,
) -> Result<Option<super::StatusTimeline>, sqlx::Error> {
    let Some(summary) = summary(db, account_id, batch_id).await? else {
        return Ok(None);
    };
    let start = summary.scheduled_at;
    let last_done: Option<i64> =
        sqlx::query("SELECT MAX(done_at) FROM messages WHERE batch_id = $1")
            .bind(batch_id)
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
    let end = if summary.finished >= summary.total_messages {
        last_done.unwrap_or(now).max(start + 1000)
    } else {
        now.max(start + 1000)
    };
    let buckets = buckets.max(1);
    let width = ((end - start) + buckets - 1) / buckets;
    let bucket_of = |b: i64| b.clamp(0, buckets - 1) as usize;
    let mut submitted = vec![0i64; buckets as usize];
    for r in sqlx::query(
        "SELECT (submitted_at - $2) / $3, COUNT(*) FROM messages WHERE batch_id = $1 AND submitted_at IS NOT NULL GROUP BY 1",
    )
    .bind(batch_id)
    .bind(start)
    .bind(width)
    .fetch_all(db.pool())
    .await?
    {
        submitted[bucket_of(r.try_get(0)?)] += r.try_get::<i64, _>(1)?;
    }
    let finals = [DELIVERED, SUBMITTED, UNDELIVERABLE, EXPIRED];
    let mut final_counts = vec![vec![0i64; buckets as usize]; finals.len()];
    let mut final_after_submit = vec![0i64; buckets as usize];
    for r in sqlx::query(
        "SELECT (done_at - $2) / $3, status, CASE WHEN submitted_at IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM messages \
         WHERE batch_id = $1 AND done_at IS NOT NULL GROUP BY 1, 2, 3",
    )
    .bind(batch_id)
    .bind(start)
    .bind(width)
    .fetch_all(db.pool())
    .await?
    {
        let b = bucket_of(r.try_get(0)?);
        let status: i64 = r.try_get(1)?;
        let n: i64 = r.try_get(3)?;
        if let Some(i) = finals.iter().position(|s| *s == status) {
            final_counts[i][b] += n;
        }
        if r.try_get::<i64, _>(2)? == 1 {
            final_after_submit[b] += n;
        }
    }
    let cumulative = |v: &[i64]| {
        v.iter()
            .scan(0i64, |acc, x| {
                *acc += x;
                Some(*acc)
            })
            .collect::<Vec<_>>()
    };
    let submitted = cumulative(&submitted);
    let final_after_submit = cumulative(&final_after_submit);
    let finals_cum: Vec<Vec<i64>> = final_counts.iter().map(|v| cumulative(v)).collect();
    let in_flight: Vec<i64> = submitted
        .iter()
        .zip(&final_after_submit)
        .map(|(s, f)| (s - f).max(0))
        .collect();
    let waiting: Vec<i64> = (0..buckets as usize)
        .map(|i| {
            let done: i64 = finals_cum.iter().map(|v| v[i]).sum();
            (summary.total_messages - done - in_flight[i]).max(0)
        })
        .collect();
    let mut series = vec![
        super::TimelineSeries {
            status: UPLOAD_SUCCESS as u16,
            label: "Waiting".into(),
            counts: waiting,
        },
        super::TimelineSeries {
            status: PROCESSING as u16,
            label: "Processing".into(),
            counts: in_flight,
        },
    ];
    for (status, counts) in finals.iter().zip(finals_cum) {
        if counts.last().copied().unwrap_or(0) > 0 {
            series.push(super::TimelineSeries {
                status: *status as u16,
                label: super::status_label(*status as u16),
                counts,
            });
        }
    }
    Ok(Some(super::StatusTimeline {
        start,
        bucket_ms: width,
        total: summary.total_messages,
        series,
    }))
}

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
    .bind(now + super::DELETE_WINDOW_MS)
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
    sqlx::query("DELETE FROM messages WHERE batch_id = $1 AND status = 3 AND due_at > $2")
        .bind(batch_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(DeleteOutcome::Deleted)
}

/// The recipients of `batch_id` whose messages ended with one of `error_codes` (for resend),
/// each with its route (`None` for messages stored before routes were per message).
pub async fn recipients_with_errors(
    db: &Db,
    account_id: i64,
    batch_id: i64,
    error_codes: &[u16],
) -> Result<Option<Vec<(String, Option<String>)>>, sqlx::Error> {
    let exists = sqlx::query("SELECT 1 FROM batches WHERE id = $1 AND account_id = $2")
        .bind(batch_id)
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    // Refused rows (UPLOAD FAILED) were never numbers to send; only messages that ended.
    let rows = sqlx::query(
        "SELECT destination, error_code, route FROM messages WHERE batch_id = $1 AND account_id = $2 \
         AND error_code IS NOT NULL AND status <> 1 ORDER BY id",
    )
    .bind(batch_id)
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let code: i64 = r.try_get(1)?;
        if error_codes.iter().any(|c| i64::from(*c) == code) {
            out.push((r.try_get(0)?, r.try_get(2)?));
        }
    }
    Ok(Some(out))
}

// ----- the dispatcher's side -----

/// A message claimed for sending, with what is needed to build and charge it.
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub id: i64,
    pub batch_id: i64,
    pub account_id: i64,
    pub destination: String,
    /// The message's own route; `None` for messages stored before routes were per message,
    /// which take their batch's ([`ClaimedMessage::route_in`]).
    pub route: Option<sms::Route>,
    pub parts: i64,
    pub unit_price: Money,
    pub status: i64,
    pub hold: Money,
    /// Claims so far, this one included (the back-off between retries grows with it).
    pub attempts: i64,
    /// Parts the operator already accepted in an earlier attempt: never submitted again
    /// (§ concatenated messages are all-or-nothing only in what the handset shows).
    pub accepted_parts: Vec<i64>,
}

impl ClaimedMessage {
    pub fn charge(&self) -> Money {
        Money::from_minor(self.unit_price.minor().saturating_mul(self.parts))
    }

    /// The route this message takes in `batch`.
    pub fn route_in(&self, batch: &BatchForSending) -> sms::Route {
        self.route.unwrap_or(batch.route)
    }

    /// What `n` of its parts cost.
    pub fn charge_for_parts(&self, n: usize) -> Money {
        Money::from_minor(self.unit_price.minor().saturating_mul(n as i64))
    }
}

/// Records this process as alive; claims of processes that stop beating can be taken over.
pub async fn heartbeat(db: &Db, node_id: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    // One statement: the workers of one process may beat at the same moment.
    sqlx::query(
        "INSERT INTO dispatcher_nodes (node_id, heartbeat_at) VALUES ($1, $2) \
         ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
    )
    .bind(node_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    // Forget nodes gone for a day.
    sqlx::query("DELETE FROM dispatcher_nodes WHERE heartbeat_at < $1")
        .bind(now - 86_400_000)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A node is presumed dead this long after its last heartbeat.
pub const NODE_TIMEOUT_MS: i64 = 10_000;

/// Claims up to `limit` due messages for `node_id` until `lease_ms` from now: waiting ones
/// (UPLOAD SUCCESS, SCHEDULING) and held ones whose submit outcome is unknown (a crash or a lost
/// connection). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several processes claim at once
/// without taking the same rows; SQLite has one writer at a time, so the UPDATE is atomic.
/// A process never takes over its own claims: a heartbeat delayed by a busy moment must not
/// make its workers resubmit each other's messages.
pub async fn claim(
    db: &Db,
    node_id: &str,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<ClaimedMessage>, sqlx::Error> {
    let now = now_ms();
    let lock = if db.backend() == Backend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE messages SET claimed_until = $1, claimed_by = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM messages \
            WHERE (status IN (2, 3) OR (status = 4 AND hold_minor > 0)) AND due_at <= $3 \
            AND (claimed_until < $3 OR claimed_by IS NULL OR (claimed_by <> $2 AND claimed_by NOT IN \
                 (SELECT node_id FROM dispatcher_nodes WHERE heartbeat_at > $4))) \
            ORDER BY due_at, id LIMIT $5 {lock}) \
         RETURNING id, batch_id, account_id, destination, parts, unit_price_minor, status, hold_minor, route, attempts"
    );
    let rows = sqlx::query(&sql)
        .bind(now + lease_ms)
        .bind(node_id)
        .bind(now)
        .bind(now - NODE_TIMEOUT_MS)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    let mut claimed = rows
        .into_iter()
        .map(|r| {
            let route: Option<String> = r.try_get(8)?;
            Ok(ClaimedMessage {
                id: r.try_get(0)?,
                batch_id: r.try_get(1)?,
                account_id: r.try_get(2)?,
                destination: r.try_get(3)?,
                route: route.and_then(|r| r.parse().ok()),
                parts: r.try_get(4)?,
                unit_price: Money::from_minor(r.try_get(5)?),
                status: r.try_get(6)?,
                hold: Money::from_minor(r.try_get(7)?),
                attempts: r.try_get(9)?,
                accepted_parts: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // Parts accepted in an earlier attempt (only messages still holding their charge have any).
    let retried: Vec<i64> = claimed
        .iter()
        .filter(|m| m.status == PROCESSING)
        .map(|m| m.id)
        .collect();
    if !retried.is_empty() {
        let mut accepted: HashMap<i64, Vec<i64>> = HashMap::new();
        for chunk in retried.chunks(500) {
            for row in sqlx::query(&format!(
                "SELECT message_id, part FROM message_parts WHERE message_id IN ({}) ORDER BY part",
                id_list(chunk)
            ))
            .fetch_all(db.pool())
            .await?
            {
                accepted
                    .entry(row.try_get(0)?)
                    .or_default()
                    .push(row.try_get(1)?);
            }
        }
        for m in &mut claimed {
            if let Some(parts) = accepted.remove(&m.id) {
                m.accepted_parts = parts;
            }
        }
    }
    Ok(claimed)
}

/// The batch facts the dispatcher needs to build a message (batches never change once stored).
#[derive(Debug, Clone)]
pub struct BatchForSending {
    /// The batch's Hong Kong choice (the route of messages without one of their own).
    pub route: sms::Route,
    pub sender_id: Option<String>,
    pub final_text: String,
    /// What mainland recipients receive (signature and suffix).
    pub china_text: Option<String>,
    pub validity_minutes: i64,
    pub single_sms_limit: Option<Money>,
    /// When the batch was due to go out: the validity period counts from here.
    pub due_at: i64,
}

impl BatchForSending {
    /// The text a message on `route` carries.
    pub fn text_for(&self, route: sms::Route) -> &str {
        match (route, &self.china_text) {
            (sms::Route::China, Some(text)) => text,
            _ => &self.final_text,
        }
    }

    /// Until when a message on `route` may still be tried: its validity period from the
    /// batch's send time (China has none on the wire; operators keep trying for a day).
    pub fn deadline(&self, route: sms::Route) -> i64 {
        let validity_ms = if route.uses_validity_period() {
            self.validity_minutes.max(1) * 60_000
        } else {
            24 * 60 * 60_000
        };
        self.due_at + validity_ms
    }
}

pub async fn batch_for_sending(
    db: &Db,
    batch_id: i64,
) -> Result<Option<BatchForSending>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT b.route, b.sender_id, b.final_text, b.validity_minutes, a.single_sms_limit_minor, b.china_text, b.scheduled_at \
         FROM batches b JOIN accounts a ON a.id = b.account_id WHERE b.id = $1",
    )
    .bind(batch_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let route: String = r.try_get(0)?;
    let Ok(route) = route.parse::<sms::Route>() else {
        return Ok(None);
    };
    Ok(Some(BatchForSending {
        route,
        sender_id: r.try_get(1)?,
        final_text: r.try_get(2)?,
        china_text: r.try_get(5)?,
        validity_minutes: r.try_get(3)?,
        single_sms_limit: r.try_get::<Option<i64>, _>(4)?.map(Money::from_minor),
        due_at: r.try_get(6)?,
    }))
}

/// What the dispatcher decided before submitting a claimed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// Held (now or before a crash): submit it.
    Send,
    /// Not sent, final, not charged (limit or balance).
    Refused(ErrorCode),
}

/// Holds each message's charge (messages that already hold it, from an interrupted attempt,
/// keep their hold), or refuses it: over the account's single-SMS limit, or not covered by the
/// available balance (§7: UNDELIVERABLE, `16 Insufficient Balance`, not charged, not retried).
/// One transaction for the whole chunk.
pub async fn prepare(
    db: &Db,
    messages: &[ClaimedMessage],
    limits: &(dyn Fn(i64) -> Option<Money> + Sync),
) -> Result<Vec<Prepared>, LedgerError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let mut out: Vec<Option<Prepared>> = vec![None; messages.len()];
    // Messages that hold their charge from an interrupted attempt are sent as they are.
    let mut by_account: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        if m.status == PROCESSING && m.hold.minor() > 0 {
            out[i] = Some(Prepared::Send);
        } else if limits(m.batch_id).is_some_and(|limit| m.charge() > limit) {
            out[i] = Some(Prepared::Refused(ErrorCode::OverChargeLimit));
        } else {
            by_account.entry(m.account_id).or_default().push(i);
        }
    }
    // One hold for all of an account's messages when its balance covers them (the usual
    // case); otherwise one message at a time, in queue order, until the balance runs out.
    let mut newly_held = Vec::new();
    for (account_id, indexes) in by_account {
        let total: i64 = indexes.iter().map(|&i| messages[i].charge().minor()).sum();
        if hold(&mut tx, account_id, Money::from_minor(total)).await? {
            for i in indexes {
                out[i] = Some(Prepared::Send);
                newly_held.push(messages[i].id);
            }
            continue;
        }
        for i in indexes {
            let m = &messages[i];
            if hold(&mut tx, m.account_id, m.charge()).await? {
                out[i] = Some(Prepared::Send);
                newly_held.push(m.id);
            } else {
                out[i] = Some(Prepared::Refused(ErrorCode::InsufficientBalance));
            }
        }
    }
    for chunk in newly_held.chunks(500) {
        let list = id_list(chunk);
        sqlx::query(&format!(
            "UPDATE messages SET status = {PROCESSING}, hold_minor = unit_price_minor * parts, updated_at = $1 WHERE id IN ({list})"
        ))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (m, decision) in messages.iter().zip(&out) {
        if let Some(Prepared::Refused(error)) = decision {
            sqlx::query(
                "UPDATE messages SET status = 21, error_code = $1, done_at = $2, updated_at = $2, claimed_until = 0 WHERE id = $3",
            )
            .bind(i64::from(error.code()))
            .bind(now)
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(out
        .into_iter()
        .map(|d| d.unwrap_or(Prepared::Refused(ErrorCode::Unknown)))
        .collect())
}

/// One part the operator accepted: (part number, SMSC message id, its lookup keys).
pub type AcceptedPart = (i64, String, Vec<String>);

/// How a submitted message ended its attempt. `accepted` lists the parts the operator took in
/// this attempt; parts taken in earlier attempts are in [`ClaimedMessage::accepted_parts`].
#[derive(Debug, Clone)]
pub enum SubmitResult {
    /// Every remaining part accepted.
    Accepted {
        smsc: String,
        parts: Vec<AcceptedPart>,
        /// Routes without delivery reports end at SUBMITTED (§5, HK Economic).
        final_on_acceptance: bool,
        expires_at: i64,
    },
    /// Refused by the operator: UNDELIVERABLE with `error`. Nothing refused is charged (§7,
    /// Jasmin #603); parts accepted before the refusal reached the handset and are charged.
    Rejected {
        error: ErrorCode,
        smsc: String,
        accepted: Vec<AcceptedPart>,
    },
    /// Not finished (connection lost, timeout, operator throttling, no SMSC bound): the hold
    /// stays, the accepted parts are recorded, and the rest is tried again at `retry_at`.
    Retry {
        retry_at: i64,
        smsc: String,
        accepted: Vec<AcceptedPart>,
    },
    /// The validity period ran out before every part was handed over: EXPIRED (error 7),
    /// parts accepted before are charged.
    Expired {
        smsc: String,
        accepted: Vec<AcceptedPart>,
    },
}

impl SubmitResult {
    /// A refusal before anything reached an operator.
    pub fn refused(error: ErrorCode) -> SubmitResult {
        SubmitResult::Rejected {
            error,
            smsc: String::new(),
            accepted: Vec::new(),
        }
    }
}

/// How long a message waits before its `attempts`-th retry: 2 s, doubling, at most 5 minutes.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 16) - 1;
    (2_000i64 << doublings).min(5 * 60_000)
}

/// Records the outcome of one attempt. Acceptance turns the hold into the message's one charge
/// and records its parts' SMSC ids (receipts that arrived first are applied by
/// [`apply_unmatched_receipts`]).
/// Records many outcomes in one transaction (one disk sync for a whole chunk). Acceptances,
/// nearly all of them, are written set-wise: a handful of statements for the whole group
/// instead of a dozen per message, which is what lets one SQLite writer keep up with the SMSC.
pub async fn record_many(
    db: &Db,
    results: &[(ClaimedMessage, SubmitResult)],
) -> Result<(), LedgerError> {
    let mut tx = db.begin_write().await?;
    // Guard: only messages still holding their charge are recorded (a message recorded by an
    // earlier attempt, or taken over after a crash, is left alone).
    let ids = id_list(&results.iter().map(|(m, _)| m.id).collect::<Vec<_>>());
    let mut holding: HashMap<i64, i64> = HashMap::new();
    // On PostgreSQL the rows are locked, so a second recorder of the same message (a claim
    // taken over from a process presumed dead) waits, then finds the hold gone and skips it.
    let lock = if db.backend() == Backend::Postgres {
        "FOR UPDATE"
    } else {
        ""
    };
    if !results.is_empty() {
        for row in sqlx::query(&format!(
            "SELECT id, hold_minor FROM messages WHERE id IN ({ids}) AND status = {PROCESSING} AND hold_minor > 0 {lock}"
        ))
        .fetch_all(&mut *tx)
        .await?
        {
            holding.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    let mut accepted = Vec::new();
    for (m, result) in results {
        let Some(held) = holding.remove(&m.id) else {
            continue;
        };
        match result {
            SubmitResult::Accepted {
                smsc,
                parts,
                final_on_acceptance,
                expires_at,
            } => accepted.push(Acceptance {
                message: m,
                held: Money::from_minor(held),
                smsc,
                parts,
                final_on_acceptance: *final_on_acceptance,
                expires_at: *expires_at,
            }),
            other => record_in(&mut tx, m, Money::from_minor(held), other).await?,
        }
    }
    record_acceptances(&mut tx, &accepted).await?;
    tx.commit().await?;
    Ok(())
}

struct Acceptance<'a> {
    message: &'a ClaimedMessage,
    held: Money,
    smsc: &'a str,
    parts: &'a [(i64, String, Vec<String>)],
    final_on_acceptance: bool,
    expires_at: i64,
}

/// Acceptance turns each hold into the message's one charge (per account, one balance update
/// and one multi-row ledger insert) and records the parts' SMSC ids and lookup keys.
async fn record_acceptances(
    tx: &mut AnyConnection,
    accepted: &[Acceptance<'_>],
) -> Result<(), LedgerError> {
    if accepted.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut by_account: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, a) in accepted.iter().enumerate() {
        by_account.entry(a.message.account_id).or_default().push(i);
    }
    let mut charged = vec![false; accepted.len()];
    for (account_id, indexes) in &by_account {
        let charges: Vec<HeldCharge> = indexes
            .iter()
            .map(|&i| {
                let m = accepted[i].message;
                HeldCharge {
                    amount: accepted[i].held,
                    description: format!("SMS to +{} (batch #{})", m.destination, m.batch_id),
                    reference: format!("msg-{}", m.id),
                }
            })
            .collect();
        let posted = charge_held_many(&mut *tx, *account_id, &charges).await?;
        for (&i, p) in indexes.iter().zip(posted) {
            charged[i] = p;
        }
    }
    // One UPDATE per (batch, final or not, charged now or not): the members share every value
    // but their ids. A batch's expiry times differ by the milliseconds between submits; the
    // group takes its earliest.
    let mut groups: HashMap<(i64, bool, bool), (i64, Vec<i64>)> = HashMap::new();
    for (a, was_charged) in accepted.iter().zip(&charged) {
        let g = groups
            .entry((a.message.batch_id, a.final_on_acceptance, *was_charged))
            .or_insert((a.expires_at, Vec::new()));
        g.0 = g.0.min(a.expires_at);
        g.1.push(a.message.id);
    }
    for ((_, final_on_acceptance, was_charged), (expires_at, ids)) in groups {
        let status = if final_on_acceptance {
            SUBMITTED
        } else {
            PROCESSING
        };
        let charge = if was_charged {
            "charge_minor + hold_minor"
        } else {
            "charge_minor"
        };
        let list = id_list(&ids);
        sqlx::query(&format!(
            "UPDATE messages SET status = $1, charge_minor = {charge}, hold_minor = 0, submitted_at = $2, \
             expires_at = $3, done_at = $4, claimed_until = 0, updated_at = $2 WHERE id IN ({list})"
        ))
        .bind(status)
        .bind(now)
        .bind(expires_at)
        .bind(final_on_acceptance.then_some(now))
        .execute(&mut *tx)
        .await?;
    }
    // The parts and their lookup keys, many rows per statement.
    let parts: Vec<(i64, i64, &str, &str)> = accepted
        .iter()
        .flat_map(|a| {
            a.parts
                .iter()
                .map(move |(part, id, _)| (a.message.id, *part, a.smsc, id.as_str()))
        })
        .collect();
    for chunk in parts.chunks(64) {
        let mut sql = String::from(
            "INSERT INTO message_parts (message_id, part, smsc, smsc_message_id, status) VALUES ",
        );
        for (i, (message_id, part, _, _)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "({message_id}, {part}, ${}, ${}, {PROCESSING})",
                2 * i + 1,
                2 * i + 2
            ));
        }
        sql.push_str(
            " ON CONFLICT (message_id, part) DO UPDATE SET smsc = excluded.smsc, smsc_message_id = excluded.smsc_message_id, status = 4",
        );
        let mut query = sqlx::query(&sql);
        for (_, _, smsc, id) in chunk {
            query = query.bind(*smsc).bind(*id);
        }
        query.execute(&mut *tx).await?;
    }
    let keys: Vec<(i64, i64, &str, &str)> = accepted
        .iter()
        .flat_map(|a| {
            a.parts.iter().flat_map(move |(part, _, keys)| {
                keys.iter()
                    .map(move |k| (a.message.id, *part, a.smsc, k.as_str()))
            })
        })
        .collect();
    for chunk in keys.chunks(64) {
        let mut sql = String::from("INSERT INTO smsc_keys (smsc, key, message_id, part) VALUES ");
        for (i, (message_id, part, _, _)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, {message_id}, {part})",
                2 * i + 1,
                2 * i + 2
            ));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut query = sqlx::query(&sql);
        for (_, _, smsc, key) in chunk {
            query = query.bind(*smsc).bind(*key);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Records an attempt that did not end with every part accepted: its accepted parts are
/// stored; a refusal or an expiry ends the message, charging only the parts the operator took;
/// a retry keeps the hold for the parts still to go.
async fn record_in(
    tx: &mut AnyConnection,
    m: &ClaimedMessage,
    held: Money,
    result: &SubmitResult,
) -> Result<(), LedgerError> {
    let now = now_ms();
    let (final_status, error, smsc, accepted) = match result {
        SubmitResult::Accepted {
            smsc,
            parts,
            final_on_acceptance,
            expires_at,
        } => {
            return record_acceptances(
                tx,
                &[Acceptance {
                    message: m,
                    held,
                    smsc,
                    parts,
                    final_on_acceptance: *final_on_acceptance,
                    expires_at: *expires_at,
                }],
            )
            .await;
        }
        SubmitResult::Retry {
            retry_at,
            smsc,
            accepted,
        } => {
            insert_parts(tx, m.id, smsc, accepted).await?;
            sqlx::query(
                "UPDATE messages SET due_at = $1, claimed_until = 0, updated_at = $2 WHERE id = $3",
            )
            .bind(retry_at)
            .bind(now)
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
            return Ok(());
        }
        SubmitResult::Rejected {
            error,
            smsc,
            accepted,
        } => (UNDELIVERABLE, *error, smsc, accepted),
        SubmitResult::Expired { smsc, accepted } => (EXPIRED, ErrorCode::Expired, smsc, accepted),
    };
    insert_parts(tx, m.id, smsc, accepted).await?;
    // China knows only DELIVERED and UNDELIVERABLE, and UNDELIVERABLE is refunded (§5): a
    // mainland message that ends here is not charged at all.
    let is_china = m.route == Some(sms::Route::China);
    let status = if is_china {
        UNDELIVERABLE
    } else {
        final_status
    };
    let delivered_parts = if is_china {
        0
    } else {
        m.accepted_parts.len() + accepted.len()
    };
    let charge = m.charge_for_parts(delivered_parts).min(held);
    if charge.minor() > 0 {
        charge_held(
            &mut *tx,
            m.account_id,
            charge,
            &format!(
                "SMS to +{} (batch #{}, {delivered_parts} of {} parts delivered)",
                m.destination, m.batch_id, m.parts
            ),
            &format!("msg-{}", m.id),
        )
        .await?;
    }
    let rest = held.checked_sub(charge).unwrap_or(Money::ZERO);
    if rest.minor() > 0 {
        release(&mut *tx, m.account_id, rest).await?;
    }
    sqlx::query(
        "UPDATE messages SET status = $1, error_code = $2, charge_minor = charge_minor + $3, hold_minor = 0, \
         done_at = $4, claimed_until = 0, updated_at = $4 WHERE id = $5",
    )
    .bind(status)
    .bind(i64::from(error.code()))
    .bind(charge.minor())
    .bind(now)
    .bind(m.id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Stores parts the operator accepted in an attempt that did not finish the message (their
/// receipts can then be matched, and a retry skips them).
async fn insert_parts(
    tx: &mut AnyConnection,
    message_id: i64,
    smsc: &str,
    parts: &[AcceptedPart],
) -> Result<(), sqlx::Error> {
    for (part, smsc_id, keys) in parts {
        sqlx::query(
            "INSERT INTO message_parts (message_id, part, smsc, smsc_message_id, status) VALUES ($1, $2, $3, $4, 4) \
             ON CONFLICT (message_id, part) DO UPDATE SET smsc = excluded.smsc, smsc_message_id = excluded.smsc_message_id",
        )
        .bind(message_id)
        .bind(part)
        .bind(smsc)
        .bind(smsc_id)
        .execute(&mut *tx)
        .await?;
        for key in keys {
            sqlx::query(
                "INSERT INTO smsc_keys (smsc, key, message_id, part) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(smsc)
            .bind(key)
            .bind(message_id)
            .bind(part)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Gives claimed-but-unsent messages back to the queue (shutdown, or the batch vanished).
pub async fn unclaim(db: &Db, ids: &[i64]) -> Result<(), sqlx::Error> {
    for id in ids {
        sqlx::query("UPDATE messages SET claimed_until = 0 WHERE id = $1")
            .bind(id)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// A delivery receipt as the dispatcher hands it over: every key it may be found under, in
/// order, and the outcome.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub smsc: String,
    pub keys: Vec<String>,
    pub status: i64,
    pub error: Option<ErrorCode>,
}

/// Applies receipts in one transaction. Receipts whose part is not recorded yet are kept in
/// `unmatched_receipts` and applied when it is. Returns how many matched a part.
pub async fn apply_receipts(db: &Db, receipts: &[Receipt]) -> Result<usize, LedgerError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    // Every key of every receipt, looked up at once per SMSC, among messages still waiting for
    // a final status: a looser key (hex<->decimal, unpadded) must not land on an older,
    // finished message that happens to share it. Should two waiting messages share a key, the
    // newest wins.
    let mut parts_by_key: HashMap<(&str, &str), (i64, i64)> = HashMap::new();
    let mut keys_by_smsc: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in receipts {
        keys_by_smsc
            .entry(r.smsc.as_str())
            .or_default()
            .extend(r.keys.iter().map(String::as_str));
    }
    // Two index lookups rather than one join: the planner, offered messages by status, would
    // otherwise start from every message in flight.
    let mut candidates: Vec<(&str, &str, i64, i64)> = Vec::new();
    for (smsc, mut keys) in keys_by_smsc {
        keys.sort_unstable();
        keys.dedup();
        for chunk in keys.chunks(100) {
            let placeholders = (0..chunk.len())
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT key, message_id, part FROM smsc_keys WHERE smsc = $1 AND key IN ({placeholders})"
            );
            let mut query = sqlx::query(&sql).bind(smsc);
            for k in chunk {
                query = query.bind(*k);
            }
            for row in query.fetch_all(&mut *tx).await? {
                let key: String = row.try_get(0)?;
                if let Some(key) = chunk.iter().find(|k| **k == key) {
                    candidates.push((smsc, key, row.try_get(1)?, row.try_get(2)?));
                }
            }
        }
    }
    let mut waiting = std::collections::HashSet::new();
    let mut ids: Vec<i64> = candidates.iter().map(|c| c.2).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let list = id_list(chunk);
        for row in sqlx::query(&format!(
            "SELECT id FROM messages WHERE id IN ({list}) AND status IN (4, 19)"
        ))
        .fetch_all(&mut *tx)
        .await?
        {
            waiting.insert(row.try_get::<i64, _>(0)?);
        }
    }
    for (smsc, key, message_id, part) in candidates {
        if !waiting.contains(&message_id) {
            continue;
        }
        let slot = parts_by_key
            .entry((smsc, key))
            .or_insert((message_id, part));
        if message_id > slot.0 {
            *slot = (message_id, part);
        }
    }
    // Receipts in arrival order, in rounds: a part named twice in this group (a RETRY, then
    // the final report) gets its second receipt in the next round, as if applied one by one.
    let mut rounds: Vec<Vec<PartUpdate>> = Vec::new();
    let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
    let mut matched = 0;
    for r in receipts {
        let target = r
            .keys
            .iter()
            .find_map(|k| parts_by_key.get(&(r.smsc.as_str(), k.as_str())).copied());
        match target {
            Some((message_id, part)) => {
                let round = seen.entry((message_id, part)).or_insert(0);
                if rounds.len() <= *round {
                    rounds.push(Vec::new());
                }
                rounds[*round].push(PartUpdate {
                    message_id,
                    part,
                    status: r.status,
                    error: r.error.map(|e| i64::from(e.code())),
                });
                *round += 1;
                matched += 1;
            }
            None => store_unmatched(&mut tx, r, now).await?,
        }
    }
    for round in &rounds {
        apply_part_updates(&mut tx, round, now).await?;
    }
    tx.commit().await?;
    Ok(matched)
}

async fn store_unmatched(tx: &mut AnyConnection, r: &Receipt, now: i64) -> Result<(), sqlx::Error> {
    let id: i64 = sqlx::query(
        "INSERT INTO unmatched_receipts (smsc, status, error_code, received_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&r.smsc)
    .bind(r.status)
    .bind(r.error.map(|e| i64::from(e.code())))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    for (position, key) in r.keys.iter().enumerate() {
        sqlx::query(
            "INSERT INTO unmatched_receipt_keys (smsc, key, receipt_id, position) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&r.smsc)
        .bind(key)
        .bind(id)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A receipt's outcome for one part.
struct PartUpdate {
    message_id: i64,
    part: i64,
    status: i64,
    error: Option<i64>,
}

/// Sets each part's status (each part at most once per call), then derives the status of every
/// message concerned from all its parts: a few statements for hundreds of receipts.
async fn apply_part_updates(
    tx: &mut AnyConnection,
    updates: &[PartUpdate],
    now: i64,
) -> Result<(), LedgerError> {
    // Grouped by outcome and part number, so each UPDATE reaches its rows by primary key.
    let mut by_outcome: HashMap<(i64, Option<i64>, i64), Vec<i64>> = HashMap::new();
    for u in updates {
        by_outcome
            .entry((u.status, u.error, u.part))
            .or_default()
            .push(u.message_id);
    }
    for ((status, error, part), message_ids) in by_outcome {
        for chunk in message_ids.chunks(500) {
            let list = id_list(chunk);
            sqlx::query(&format!(
                "UPDATE message_parts SET status = $1, error_code = $2 \
                 WHERE message_id IN ({list}) AND part = $3 AND status NOT IN (20, 21, 22)"
            ))
            .bind(status)
            .bind(error)
            .bind(part)
            .execute(&mut *tx)
            .await?;
        }
    }
    let mut ids: Vec<i64> = updates.iter().map(|u| u.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let list = id_list(chunk);
        let mut parts: HashMap<i64, Vec<(i64, Option<i64>)>> = HashMap::new();
        for row in sqlx::query(&format!(
            "SELECT message_id, status, error_code FROM message_parts WHERE message_id IN ({list}) ORDER BY message_id, part"
        ))
        .fetch_all(&mut *tx)
        .await?
        {
            parts
                .entry(row.try_get(0)?)
                .or_default()
                .push((row.try_get(1)?, row.try_get(2)?));
        }
        let messages = sqlx::query(&format!(
            "SELECT m.status, m.parts, m.account_id, m.charge_minor, m.destination, COALESCE(m.route, b.route), m.batch_id, m.id \
             FROM messages m JOIN batches b ON b.id = m.batch_id WHERE m.id IN ({list})"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut changes: HashMap<(i64, Option<i64>), Vec<i64>> = HashMap::new();
        let mut refunds = Vec::new();
        for msg in &messages {
            let current: i64 = msg.try_get(0)?;
            if matches!(current, SUBMITTED | EXPIRED | UNDELIVERABLE | DELIVERED) {
                continue;
            }
            let id: i64 = msg.try_get(7)?;
            let route: String = msg.try_get(5)?;
            let is_china = route == sms::Route::China.as_str();
            let (status, error) = derive_status(
                parts.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                msg.try_get(1)?,
                is_china,
            );
            if (status, error) == (current, None) && status == PROCESSING {
                continue;
            }
            changes.entry((status, error)).or_default().push(id);
            if is_china && status == UNDELIVERABLE {
                refunds.push(msg);
            }
        }
        for ((status, error), ids) in changes {
            let is_final = matches!(status, EXPIRED | UNDELIVERABLE | DELIVERED);
            let list = id_list(&ids);
            sqlx::query(&format!(
                "UPDATE messages SET status = $1, error_code = $2, done_at = $3, updated_at = $4 WHERE id IN ({list})"
            ))
            .bind(status)
            .bind(error)
            .bind(is_final.then_some(now))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for msg in refunds {
            refund(tx, msg.try_get(7)?, msg).await?;
        }
    }
    Ok(())
}

/// A message's status from its parts' (in part order): any UNDELIVERABLE part makes it
/// UNDELIVERABLE, else any EXPIRED part EXPIRED, all parts DELIVERED makes it DELIVERED, any
/// RETRY makes it RETRY, else it is still PROCESSING. China has only DELIVERED and
/// UNDELIVERABLE as final statuses (§5): an expiry there is UNDELIVERABLE with error 7.
pub fn derive_status(
    parts: &[(i64, Option<i64>)],
    total_parts: i64,
    is_china: bool,
) -> (i64, Option<i64>) {
    let (status, error) = if let Some((_, e)) = parts.iter().find(|(s, _)| *s == UNDELIVERABLE) {
        (UNDELIVERABLE, *e)
    } else if let Some((_, e)) = parts.iter().find(|(s, _)| *s == EXPIRED) {
        (EXPIRED, *e)
    } else if parts.len() as i64 == total_parts && parts.iter().all(|(s, _)| *s == DELIVERED) {
        (DELIVERED, None)
    } else if let Some((_, e)) = parts.iter().find(|(s, _)| *s == RETRY) {
        (RETRY, *e)
    } else {
        (PROCESSING, None)
    };
    if is_china && status == EXPIRED {
        (
            UNDELIVERABLE,
            error.or(Some(i64::from(ErrorCode::Expired.code()))),
        )
    } else {
        (status, error)
    }
}

/// Applies stored receipts whose part is known by now (a receipt can overtake its
/// `submit_sm_resp`, or race the transaction that records it): an indexed join of their keys
/// with the parts' keys, best key first. Receipts nobody claims for a week are dropped (they
/// belong to submits whose acceptance was never recorded, e.g. before a crash, and were
/// resubmitted). Returns how many were applied.
pub async fn apply_unmatched_receipts(db: &Db) -> Result<usize, LedgerError> {
    // The usual case, checked every 200 ms: nothing waits.
    if sqlx::query("SELECT 1 FROM unmatched_receipts LIMIT 1")
        .fetch_optional(db.pool())
        .await?
        .is_none()
    {
        return Ok(0);
    }
    // `+m.status`: start from the few waiting receipts' keys, not from every message in
    // flight (which the index on status would otherwise invite).
    let rows = sqlx::query(
        "SELECT u.receipt_id, k.message_id, k.part, r.status, r.error_code, u.position \
         FROM unmatched_receipt_keys u \
         JOIN smsc_keys k ON k.smsc = u.smsc AND k.key = u.key \
         JOIN messages m ON m.id = k.message_id AND +m.status IN (4, 19) \
         JOIN unmatched_receipts r ON r.id = u.receipt_id \
         ORDER BY u.receipt_id, u.position LIMIT 2000",
    )
    .fetch_all(db.pool())
    .await?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM unmatched_receipts WHERE received_at < $1")
        .bind(now - 7 * 86_400_000)
        .execute(&mut *tx)
        .await?;
    let mut applied = 0;
    let mut done = std::collections::HashSet::new();
    for row in rows {
        let receipt_id: i64 = row.try_get(0)?;
        if !done.insert(receipt_id) {
            continue;
        }
        let error = row
            .try_get::<Option<i64>, _>(4)?
            .and_then(|c| u16::try_from(c).ok())
            .and_then(ErrorCode::from_code);
        apply_part_status(
            &mut tx,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            error,
            now,
        )
        .await?;
        sqlx::query("DELETE FROM unmatched_receipt_keys WHERE receipt_id = $1")
            .bind(receipt_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM unmatched_receipts WHERE id = $1")
            .bind(receipt_id)
            .execute(&mut *tx)
            .await?;
        applied += 1;
    }
    tx.commit().await?;
    Ok(applied)
}

/// Sets one part's status and derives the message's: any UNDELIVERABLE part makes it
/// UNDELIVERABLE, else any EXPIRED part EXPIRED, all DELIVERED makes it DELIVERED, any RETRY
/// makes it RETRY. A final message does not change again. China messages that end
/// UNDELIVERABLE are refunded (§5).
async fn apply_part_status(
    tx: &mut AnyConnection,
    message_id: i64,
    part: i64,
    status: i64,
    error: Option<ErrorCode>,
    now: i64,
) -> Result<(), LedgerError> {
    apply_part_updates(
        tx,
        &[PartUpdate {
            message_id,
            part,
            status,
            error: error.map(|e| i64::from(e.code())),
        }],
        now,
    )
    .await
}

async fn refund(
    tx: &mut AnyConnection,
    message_id: i64,
    msg: &sqlx::any::AnyRow,
) -> Result<(), LedgerError> {
    let account_id: i64 = msg.try_get(2)?;
    let charge = Money::from_minor(msg.try_get(3)?);
    let destination: String = msg.try_get(4)?;
    let batch_id: i64 = msg.try_get(6)?;
    if charge.minor() <= 0 {
        return Ok(());
    }
    let reference = format!("msg-{message_id}-refund");
    let exists = sqlx::query(
        "SELECT 1 FROM ledger_entries WHERE account_id = $1 AND kind = 'refund' AND reference = $2",
    )
    .bind(account_id)
    .bind(&reference)
    .fetch_optional(&mut *tx)
    .await?;
    if exists.is_some() {
        return Ok(());
    }
    post(
        tx,
        Posting {
            account_id,
            kind: EntryKind::Refund,
            amount: charge,
            description: &format!(
                "Refund: undeliverable China SMS to +{destination} (batch #{batch_id})"
            ),
            reference: Some(&reference),
            created_by: None,
        },
    )
    .await?;
    sqlx::query("UPDATE messages SET charge_minor = 0 WHERE id = $1")
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Messages with no final receipt after their validity period (and a grace period) end
/// EXPIRED; on the China route UNDELIVERABLE and refunded. Returns how many.
pub async fn expire_overdue(db: &Db) -> Result<u64, LedgerError> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT id FROM messages WHERE status IN (4, 19) AND hold_minor = 0 AND expires_at IS NOT NULL AND expires_at < $1 LIMIT 1000",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut n = 0;
    for row in rows {
        let id: i64 = row.try_get(0)?;
        let mut tx = db.begin_write().await?;
        let parts = sqlx::query(
            "SELECT part FROM message_parts WHERE message_id = $1 AND status NOT IN (20, 21, 22)",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for p in parts {
            let part: i64 = p.try_get(0)?;
            apply_part_status(&mut tx, id, part, EXPIRED, Some(ErrorCode::Expired), now).await?;
        }
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// The resend server function's work (see `super::resend_batch`).
pub async fn resend(batch_id: i64, error_codes: &str) -> Result<i64, crate::error::AppError> {
    use crate::error::AppError;
    let viewer = crate::auth::context::require_viewer()?;
    let db = crate::auth::context::server_state()?.db;
    let codes: Vec<u16> = error_codes
        .split([',', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u16>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            AppError::field("error_codes", "Choose the error codes to resend, e.g. 16.")
        })?;
    if codes.is_empty() {
        return Err(AppError::field(
            "error_codes",
            "Choose at least one error code to resend.",
        ));
    }
    if codes.contains(&ErrorCode::DoNotCall.code()) {
        return Err(AppError::field(
            "error_codes",
            "Numbers left out by the do-not-call filter are not resent; record their consent and send a new batch.",
        ));
    }
    let Some(numbers) = recipients_with_errors(&db, viewer.account_id, batch_id, &codes).await?
    else {
        return Err(AppError::NotFound);
    };
    if numbers.is_empty() {
        return Err(AppError::field(
            "error_codes",
            "No message of this batch ended with those error codes.",
        ));
    }
    let row = sqlx::query(
        "SELECT route, sender_id, purpose, content, final_text, encoding, parts, validity_minutes, china_text FROM batches WHERE id = $1 AND account_id = $2",
    )
    .bind(batch_id)
    .bind(viewer.account_id)
    .fetch_one(db.pool())
    .await?;
    let route: String = row.try_get(0)?;
    let batch_route: sms::Route = route.parse().map_err(|e| AppError::internal("route", e))?;
    let encoding: String = row.try_get(5)?;
    let final_text: String = row.try_get(4)?;
    let china_text: Option<String> = row.try_get(8)?;
    let parts = u8::try_from(row.try_get::<i64, _>(6)?).unwrap_or(1);
    let route_of = |stored: &Option<String>| {
        stored
            .as_deref()
            .and_then(|r| r.parse::<sms::Route>().ok())
            .unwrap_or(batch_route)
    };
    // A resend is a new send: the rules of today apply, not those of the first batch.
    let sender_id: Option<String> = row.try_get(1)?;
    let shows_sender = numbers.iter().any(|(_, r)| route_of(r).allows_sender_id());
    if let (Some(sender), true) = (&sender_id, shows_sender) {
        let active = crate::sender_ids::store::list(&db, viewer.account_id, true).await?;
        if !active.iter().any(|s| &s.sender_id == sender) {
            return Err(AppError::Conflict(format!(
                "The sender ID {sender} is no longer one of this account's sender IDs; send a new batch with a current one."
            )));
        }
    }
    let content: String = row.try_get(3)?;
    if numbers
        .iter()
        .any(|(_, r)| route_of(r) == sms::Route::China)
    {
        let found = crate::broadcast::store::china_keywords_in(&db, &content).await?;
        if !found.is_empty() {
            return Err(AppError::Conflict(format!(
                "China operators refuse messages containing: {}. This batch cannot be resent to its mainland numbers as it is.",
                found.join(", ")
            )));
        }
    }
    let routes: HashMap<String, sms::Route> = numbers
        .iter()
        .map(|(n, r)| (n.clone(), route_of(r)))
        .collect();
    let plain: Vec<String> = numbers.into_iter().map(|(n, _)| n).collect();
    let (kept, dnc_filtered) = crate::dnc::filter(&db, viewer.account_id, &plain).await?;
    if kept.is_empty() {
        return Err(AppError::field(
            "error_codes",
            "Every one of these numbers is now on the do-not-call register without recorded consent: there is nothing to resend.",
        ));
    }
    let prices = crate::pricing::store::current(&db, now_ms()).await?;
    let china_parts = china_text
        .as_deref()
        .and_then(|t| sms::segment(t, sms::SegmentTable::China).parts)
        .unwrap_or(parts);
    let mut recipients = Vec::with_capacity(kept.len());
    for n in kept {
        let route = routes.get(&n).copied().unwrap_or(batch_route);
        let price = prices
            .unit_price(route, &n)
            .or_else(|| prices.base_price(route))
            .ok_or_else(|| AppError::Conflict(format!("{} has no price.", route.label())))?;
        let parts = if route == sms::Route::China {
            china_parts
        } else {
            parts
        };
        recipients.push(Recipient::on(route, parts, n, price));
    }
    let batch = NewBatch {
        account_id: viewer.account_id,
        route: batch_route,
        sender_id,
        purpose: row.try_get(2)?,
        content,
        final_text,
        china_text,
        encoding: if encoding == "UCS2" {
            sms::Encoding::Ucs2
        } else {
            sms::Encoding::Gsm7
        },
        parts,
        validity_minutes: row.try_get(7)?,
        scheduled_at: None,
        recipients,
        unsent: dnc_filtered.into_iter().map(Unsent::do_not_call).collect(),
        resent_from: Some(batch_id),
    };
    match create_batch(&db, &batch).await {
        Ok(id) => Ok(id),
        Err(BatchError::InsufficientBalance { total, available, shortfall }) => Err(AppError::Conflict(format!(
            "Insufficient balance: resending costs {total} and {available} is available; top up {shortfall} more first."
        ))),
        Err(e) => Err(AppError::internal("resend", e)),
    }
}

//! What the portal's pages read: batch summaries, searches by period, one batch's detail and
//! messages, the live timeline, and the recipients a resend picks.

use super::*;
use crate::db::{id_list, now_ms, Db};
use crate::delivery::{
    BatchDetail, BatchFilter, BatchList, BatchSummary, ErrorCount, MessageFilter, MessageRow,
    StatusCount, StatusTimeline, TimelineSeries,
};
use crate::reader::INLINE_ROWS;
use sms::{DeliveryStatus, ErrorCode, Money};
use std::collections::HashMap;

/// A batch as [`BATCH_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
pub(super) struct BatchRecord {
    id: i64,
    created_at: i64,
    scheduled_at: i64,
    is_scheduled: i64,
    status: String,
    route: String,
    sender_id: Option<String>,
    content: String,
    parts: i64,
    total_messages: i64,
}

pub(super) fn summary_from(
    row: BatchRecord,
    counts: Vec<StatusCount>,
    total_charge: Money,
) -> BatchSummary {
    let finished = counts
        .iter()
        .filter(|c| c.status.is_final())
        .map(|c| c.count)
        .sum();
    BatchSummary {
        id: row.id,
        created_at: row.created_at,
        scheduled_at: row.scheduled_at,
        is_scheduled: row.is_scheduled != 0,
        deleted: row.status == "deleted",
        route: row.route,
        sender_id: row.sender_id,
        content: row.content,
        parts: row.parts,
        total_messages: row.total_messages,
        total_charge,
        counts,
        finished,
    }
}

pub(super) const BATCH_COLUMNS: &str = "id, created_at, scheduled_at, is_scheduled, status, route, sender_id, content, parts, total_messages";

/// The batch `batch_id` if it belongs to `account_id` (other accounts get `None`, shown as 404).
pub async fn summary(
    db: &Db,
    account_id: i64,
    batch_id: i64,
) -> Result<Option<BatchSummary>, sqlx::Error> {
    let row = sqlx::query_as::<_, BatchRecord>(&format!(
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
    Ok(Some(summary_from(row, counts, charge)))
}

/// One value bound to a query assembled from optional filters.
pub(super) enum Bind {
    Int(i64),
    Text(String),
}

impl Bind {
    fn status(status: DeliveryStatus) -> Bind {
        Bind::Int(i64::from(status))
    }
}

pub(super) fn bind_all<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
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
pub(super) struct Filters {
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
            Bind::status(status),
        );
    }
    let (total,): (i64,) = bind_all(
        sqlx::query_as(&format!("SELECT COUNT(*) FROM batches b{}", filters.sql)),
        &filters.binds,
    )
    .fetch_one(db.pool())
    .await?;
    let pages = (total + LIST_PAGE_SIZE - 1) / LIST_PAGE_SIZE;
    let page = search.page.clamp(1, pages.max(1));
    let rows: Vec<BatchRecord> = bind_all(
        sqlx::query_as(&format!(
            "SELECT {BATCH_COLUMNS} FROM batches b{} ORDER BY b.created_at DESC, b.id DESC LIMIT {LIST_PAGE_SIZE} OFFSET {}",
            filters.sql,
            (page - 1) * LIST_PAGE_SIZE
        )),
        &filters.binds,
    )
    .fetch_all(db.pool())
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut counts = counts_and_charges(db, &ids).await?;
    let batches = rows
        .into_iter()
        .map(|row| {
            let (c, charge) = counts.remove(&row.id).unwrap_or_default();
            summary_from(row, c, charge)
        })
        .collect();
    let sender_ids = sqlx::query_scalar(
        "SELECT DISTINCT sender_id FROM batches WHERE account_id = $1 AND sender_id IS NOT NULL ORDER BY sender_id",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    Ok(BatchList {
        batches,
        total,
        page,
        pages,
        sender_ids,
    })
}

/// One batch's messages in one status.
#[derive(sqlx::FromRow)]
struct StatusGroup {
    batch_id: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
    count: i64,
    charge_minor: i64,
}

/// Status counts and total charge of each of `batch_ids`, in one query.
pub(super) async fn counts_and_charges(
    db: &Db,
    batch_ids: &[i64],
) -> Result<HashMap<i64, (Vec<StatusCount>, Money)>, sqlx::Error> {
    let mut out: HashMap<i64, (Vec<StatusCount>, Money)> = HashMap::new();
    if batch_ids.is_empty() {
        return Ok(out);
    }
    let ids = id_list(batch_ids);
    let groups = sqlx::query_as::<_, StatusGroup>(&format!(
        "SELECT batch_id, status, COUNT(*) AS count, CAST(COALESCE(SUM(charge_minor), 0) AS BIGINT) AS charge_minor \
         FROM messages WHERE batch_id IN ({ids}) GROUP BY batch_id, status ORDER BY batch_id, status"
    ))
    .fetch_all(db.pool())
    .await?;
    for g in groups {
        let entry = out.entry(g.batch_id).or_default();
        entry.0.push(StatusCount {
            status: g.status,
            label: g.status.label().to_string(),
            count: g.count,
        });
        entry.1 = Money::from_minor(entry.1.minor() + g.charge_minor);
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
        filters.add("status = ?", Bind::status(status));
    }
    if let Some(code) = filter.error_code {
        filters.add("error_code = ?", Bind::Int(i64::from(code)));
    }
    if let Some(digits) = &filter.number {
        filters.add("destination LIKE ?", Bind::Text(format!("%{digits}%")));
    }
    let matching: i64 = if filter.is_empty() {
        summary.total_messages
    } else {
        let (count,): (i64,) = bind_all(
            sqlx::query_as(&format!("SELECT COUNT(*) FROM messages{}", filters.sql)),
            &filters.binds,
        )
        .fetch_one(db.pool())
        .await?;
        count
    };
    let pages = (matching + PAGE_SIZE - 1) / PAGE_SIZE;
    let page = page.clamp(1, pages.max(1));
    let messages = bind_all(
        sqlx::query_as::<_, MessageRecord>(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m{} ORDER BY m.id LIMIT {PAGE_SIZE} OFFSET {}",
            filters.sql,
            (page - 1) * PAGE_SIZE
        )),
        &filters.binds,
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(MessageRow::from)
    .collect();
    let errors = sqlx::query_as::<_, (i64, i64)>(
        "SELECT error_code, COUNT(*) FROM messages WHERE batch_id = $1 AND error_code IS NOT NULL \
         GROUP BY error_code ORDER BY error_code",
    )
    .bind(batch_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .filter_map(|(code, count)| {
        let code = stored_error(Some(code))?;
        Some(ErrorCount {
            code,
            label: code.label().to_string(),
            count,
        })
    })
    .collect();
    let can_delete = summary.is_scheduled
        && !summary.deleted
        && summary.scheduled_at > now_ms() + crate::delivery::DELETE_WINDOW_MS;
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

/// A message's columns for the pages and the export; a refused row (UPLOAD FAILED, status 1)
/// never had a route.
pub(super) const MESSAGE_COLUMNS: &str =
    "m.id, m.destination, m.parts, m.status, m.error_code, m.charge_minor, m.created_at, m.submitted_at, m.done_at, \
     CASE WHEN m.status = 1 THEN NULL ELSE COALESCE(m.route, (SELECT b.route FROM batches b WHERE b.id = m.batch_id)) END AS route, \
     m.input_row, m.reason";

/// A message as [`MESSAGE_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
pub(super) struct MessageRecord {
    id: i64,
    destination: String,
    parts: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
    error_code: Option<i64>,
    charge_minor: i64,
    created_at: i64,
    submitted_at: Option<i64>,
    done_at: Option<i64>,
    route: Option<String>,
    input_row: Option<i64>,
    reason: Option<String>,
}

impl crate::reader::NativeRow for MessageRecord {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(MessageRecord {
            id: row.get(0)?,
            destination: row.get(1)?,
            parts: row.get(2)?,
            status: super::status_at(row, 3)?,
            error_code: row.get(4)?,
            charge_minor: row.get(5)?,
            created_at: row.get(6)?,
            submitted_at: row.get(7)?,
            done_at: row.get(8)?,
            route: row.get(9)?,
            input_row: row.get(10)?,
            reason: row.get(11)?,
        })
    }
}

impl From<MessageRecord> for MessageRow {
    fn from(r: MessageRecord) -> MessageRow {
        MessageRow {
            id: r.id,
            destination: r.destination,
            parts: r.parts,
            status: r.status,
            error_code: stored_error(r.error_code),
            charge: Money::from_minor(r.charge_minor),
            created_at: r.created_at,
            submitted_at: r.submitted_at,
            done_at: r.done_at,
            route: r.route.and_then(|r| r.parse().ok()),
            input_row: r.input_row.and_then(|r| usize::try_from(r).ok()),
            reason: r.reason,
        }
    }
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
    let sql = &*MESSAGES_AFTER;
    let rows: Vec<MessageRecord> = match db.native_reads() {
        // The answer to an API send: a page of at most a request's messages.
        Some(readers) if usize::try_from(chunk).is_ok_and(|c| c <= INLINE_ROWS) => {
            readers.fetch_all(sql, &[&batch_id, &account_id, &after_id, &chunk])?
        }
        _ => {
            sqlx::query_as(sql)
                .bind(batch_id)
                .bind(account_id)
                .bind(after_id)
                .bind(chunk)
                .fetch_all(db.pool())
                .await?
        }
    };
    Ok(rows.into_iter().map(MessageRow::from).collect())
}

/// [`messages_after`]'s statement: `$1` the batch, `$2` the account, `$3` the last id seen,
/// `$4` how many.
pub(super) static MESSAGES_AFTER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.batch_id = $1 AND m.account_id = $2 AND m.id > $3 ORDER BY m.id LIMIT $4"
    )
});

/// The first `limit` messages of a batch in id order, on a connection inside the transaction
/// that stored it ([`super::BatchWriter::submit_answered`]).
pub(super) async fn first_messages_in(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    batch_id: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let rows: Vec<MessageRecord> = sqlx::query_as(&MESSAGES_AFTER)
        .bind(batch_id)
        .bind(account_id)
        .bind(0_i64)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(MessageRow::from).collect())
}

/// One message of `account_id` by its id, with its batch's id; `None` for another account's
/// (shown as 404, so ids cannot be probed).
pub async fn message(
    db: &Db,
    account_id: i64,
    message_id: i64,
) -> Result<Option<(i64, MessageRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct WithBatch {
        batch_id: i64,
        #[sqlx(flatten)]
        message: MessageRecord,
    }
    Ok(sqlx::query_as::<_, WithBatch>(&format!(
        "SELECT m.batch_id, {MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1 AND m.account_id = $2"
    ))
    .bind(message_id)
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?
    .map(|r| (r.batch_id, MessageRow::from(r.message))))
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
) -> Result<Option<StatusTimeline>, sqlx::Error> {
    let Some(summary) = summary(db, account_id, batch_id).await? else {
        return Ok(None);
    };
    let start = summary.scheduled_at;
    let last_done: Option<i64> =
        sqlx::query_scalar("SELECT MAX(done_at) FROM messages WHERE batch_id = $1")
            .bind(batch_id)
            .fetch_one(db.pool())
            .await?;
    let end = if summary.finished >= summary.total_messages {
        last_done.unwrap_or(now).max(start + 1000)
    } else {
        now.max(start + 1000)
    };
    let buckets = buckets.max(1);
    let width = ((end - start) + buckets - 1) / buckets;
    let bucket_of = |b: i64| b.clamp(0, buckets - 1) as usize;
    let mut submitted = vec![0i64; buckets as usize];
    for (bucket, n) in sqlx::query_as::<_, (i64, i64)>(
        "SELECT (submitted_at - $2) / $3, COUNT(*) FROM messages WHERE batch_id = $1 AND submitted_at IS NOT NULL GROUP BY 1",
    )
    .bind(batch_id)
    .bind(start)
    .bind(width)
    .fetch_all(db.pool())
    .await?
    {
        submitted[bucket_of(bucket)] += n;
    }
    let finals = [
        DeliveryStatus::Delivered,
        DeliveryStatus::Submitted,
        DeliveryStatus::Undeliverable,
        DeliveryStatus::Expired,
    ];
    let mut final_counts = vec![vec![0i64; buckets as usize]; finals.len()];
    let mut final_after_submit = vec![0i64; buckets as usize];
    for (bucket, status, was_submitted, n) in sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT (done_at - $2) / $3, status, CASE WHEN submitted_at IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM messages \
         WHERE batch_id = $1 AND done_at IS NOT NULL GROUP BY 1, 2, 3",
    )
    .bind(batch_id)
    .bind(start)
    .bind(width)
    .fetch_all(db.pool())
    .await?
    {
        let b = bucket_of(bucket);
        if let Some(i) = finals.iter().position(|s| i64::from(*s) == status) {
            final_counts[i][b] += n;
        }
        if was_submitted == 1 {
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
        TimelineSeries {
            status: DeliveryStatus::UploadSuccess,
            label: "Waiting".into(),
            counts: waiting,
        },
        TimelineSeries {
            status: DeliveryStatus::Processing,
            label: "Processing".into(),
            counts: in_flight,
        },
    ];
    for (status, counts) in finals.into_iter().zip(finals_cum) {
        if counts.last().copied().unwrap_or(0) > 0 {
            series.push(TimelineSeries {
                status,
                label: status.label().to_string(),
                counts,
            });
        }
    }
    Ok(Some(StatusTimeline {
        start,
        bucket_ms: width,
        total: summary.total_messages,
        series,
    }))
}

/// The recipients of `batch_id` whose messages ended with one of `error_codes` (for resend),
/// each with its route (`None` for messages stored before routes were per message).
pub async fn recipients_with_errors(
    db: &Db,
    account_id: i64,
    batch_id: i64,
    error_codes: &[ErrorCode],
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
    let rows = sqlx::query_as::<_, (String, i64, Option<String>)>(
        "SELECT destination, error_code, route FROM messages WHERE batch_id = $1 AND account_id = $2 \
         AND error_code IS NOT NULL AND status <> $3 ORDER BY id",
    )
    .bind(batch_id)
    .bind(account_id)
    .bind(i64::from(DeliveryStatus::UploadFailed))
    .fetch_all(db.pool())
    .await?;
    Ok(Some(
        rows.into_iter()
            .filter(|(_, code, _)| error_codes.iter().any(|c| i64::from(*c) == *code))
            .map(|(destination, _, route)| (destination, route))
            .collect(),
    ))
}

/// Counts an operator watches (`/metrics`): messages by status and route, what is due to be
/// sent now, and callbacks waiting in the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationsCounts {
    /// (status, route label or "" for messages stored before routes were per message, count).
    pub messages: Vec<(DeliveryStatus, String, i64)>,
    pub due_now: i64,
    pub callbacks_waiting: i64,
}

pub async fn operations_counts(db: &Db) -> Result<OperationsCounts, sqlx::Error> {
    let rows: Vec<(i64, Option<String>, i64)> =
        sqlx::query_as("SELECT status, route, COUNT(*) FROM messages GROUP BY status, route")
            .fetch_all(db.pool())
            .await?;
    let messages = rows
        .into_iter()
        .filter_map(|(status, route, n)| {
            let status = DeliveryStatus::try_from(status).ok()?;
            let route = route
                .as_deref()
                .and_then(|r| r.parse::<sms::Route>().ok())
                .map(|r| r.as_str().to_string())
                .unwrap_or_default();
            Some((status, route, n))
        })
        .collect();
    let due_now: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM messages WHERE status IN {} AND due_at <= $1 AND claimed_until < $1",
        sql_in(&DeliveryStatus::WAITING)
    ))
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    let callbacks_waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM status_callbacks WHERE state = 0")
            .fetch_one(db.pool())
            .await?;
    Ok(OperationsCounts {
        messages,
        due_now,
        callbacks_waiting,
    })
}

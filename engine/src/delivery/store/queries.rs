//! What the portal's pages read: batch summaries, searches by period, one batch's detail and
//! messages, the live timeline, deletion of a scheduled batch, and the recipients a resend picks.

use super::*;
use crate::db::{id_list, now_ms, Db};
use crate::delivery::code::*;
use crate::delivery::{
    BatchDetail, BatchFilter, BatchList, BatchSummary, MessageFilter, MessageRow, StatusCount,
};
use sms::{ErrorCode, Money};
use sqlx::Row;

pub(super) fn summary_from(
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

pub(super) const BATCH_COLUMNS: &str = "id, created_at, scheduled_at, is_scheduled, status, route, sender_id, content, parts, total_messages";

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
pub(super) enum Bind {
    Int(i64),
    Text(String),
}

pub(super) fn bind_all<'q>(
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
pub(super) async fn counts_and_charges(
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
            label: crate::delivery::status_label(status),
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
        Ok(crate::delivery::ErrorCount {
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

pub(super) const MESSAGE_COLUMNS: &str =
    "m.id, m.destination, m.parts, m.status, m.error_code, m.charge_minor, m.created_at, m.submitted_at, m.done_at, \
     CASE WHEN m.status = 1 THEN NULL ELSE COALESCE(m.route, (SELECT b.route FROM batches b WHERE b.id = m.batch_id)) END, \
     m.input_row, m.reason";

pub(super) fn message_from(r: &sqlx::any::AnyRow) -> Result<MessageRow, sqlx::Error> {
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
) -> Result<Option<crate::delivery::StatusTimeline>, sqlx::Error> {
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
        crate::delivery::TimelineSeries {
            status: UPLOAD_SUCCESS as u16,
            label: "Waiting".into(),
            counts: waiting,
        },
        crate::delivery::TimelineSeries {
            status: PROCESSING as u16,
            label: "Processing".into(),
            counts: in_flight,
        },
    ];
    for (status, counts) in finals.iter().zip(finals_cum) {
        if counts.last().copied().unwrap_or(0) > 0 {
            series.push(crate::delivery::TimelineSeries {
                status: *status as u16,
                label: crate::delivery::status_label(*status as u16),
                counts,
            });
        }
    }
    Ok(Some(crate::delivery::StatusTimeline {
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

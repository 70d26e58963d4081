//! Batch intake on the SQLite writer's own connection ([`crate::writer`]): the parent
//! module's checks and rows, with prepared statements (one execution per message; on this
//! connection that costs microseconds, so no multi-row SQL is needed).

use super::super::queries::{MessageRecord, MESSAGES_AFTER};
use super::{batch_total, insufficient, BatchError, NewBatch, Timing, AVAILABLE, RESERVE};
use crate::db::now_ms;
use crate::delivery::MessageRow;
use crate::reader::{native_sql, NativeRow};
use rusqlite::{params, Connection};
use sms::{DeliveryStatus, Money};
use std::sync::LazyLock;

static NATIVE_AVAILABLE: LazyLock<String> = LazyLock::new(|| native_sql(AVAILABLE));
static NATIVE_RESERVE: LazyLock<String> = LazyLock::new(|| native_sql(RESERVE));

/// [`super::insert_batch`].
pub(super) fn insert_batch(conn: &Connection, batch: &NewBatch) -> Result<i64, BatchError> {
    let now = now_ms();
    let total = batch_total(batch);
    let reserved = conn
        .prepare_cached(&NATIVE_RESERVE)?
        .execute(params![total.minor(), batch.account_id])?;
    if reserved == 0 {
        let available: i64 = conn
            .prepare_cached(&NATIVE_AVAILABLE)?
            .query_row(params![batch.account_id], |row| row.get(0))?;
        return Err(insufficient(total, Money::from_minor(available)));
    }
    let Timing {
        due,
        is_scheduled,
        status,
    } = Timing::of(batch, now);
    conn.prepare_cached(
        "INSERT INTO batches (account_id, route, sender_id, purpose, content, final_text, encoding, parts, \
         validity_minutes, scheduled_at, is_scheduled, status, total_messages, estimated_cost_minor, resent_from, \
         created_at, china_text, callback_url, idempotency_ref) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'active', ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        batch.account_id,
        batch.route.as_str(),
        batch.sender_id,
        batch.purpose,
        batch.content,
        batch.final_text,
        batch.encoding.as_str(),
        i64::from(batch.parts),
        batch.validity_minutes,
        due,
        i64::from(is_scheduled),
        (batch.recipients.len() + batch.unsent.len()) as i64,
        total.minor(),
        batch.resent_from,
        now,
        batch.china_text,
        batch.callback_url,
        batch.idempotency_ref,
    ])?;
    let batch_id = conn.last_insert_rowid();
    // Every message the sender was given an id for owes one callback, refused rows excepted.
    let owes_callback = |status: DeliveryStatus| {
        i64::from(batch.callback_url.is_some() && status != DeliveryStatus::UploadFailed)
    };
    let mut waiting = conn.prepare_cached(
        "INSERT INTO messages (batch_id, account_id, destination, route, parts, unit_price_minor, status, \
         due_at, created_at, updated_at, callback_pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
    )?;
    for r in &batch.recipients {
        waiting.execute(params![
            batch_id,
            batch.account_id,
            r.number,
            r.route.as_str(),
            r.parts,
            r.unit_price.minor(),
            status,
            due,
            now,
            owes_callback(DeliveryStatus::UploadSuccess),
        ])?;
    }
    let mut unsent = conn.prepare_cached(
        "INSERT INTO messages (batch_id, account_id, destination, parts, unit_price_minor, status, error_code, \
         input_row, reason, due_at, done_at, created_at, updated_at, callback_pending) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?9, ?9, ?9, ?10)",
    )?;
    for u in &batch.unsent {
        unsent.execute(params![
            batch_id,
            batch.account_id,
            u.destination,
            i64::from(batch.parts),
            i64::from(u.status),
            u.error.map(i64::from),
            u.row.map(|r| r as i64),
            u.reason,
            now,
            owes_callback(u.status),
        ])?;
    }
    Ok(batch_id)
}

/// [`super::super::queries::first_messages_in`] on the writer's own connection.
pub(super) fn first_messages(
    conn: &Connection,
    account_id: i64,
    batch_id: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, BatchError> {
    let rows = conn
        .prepare_cached(&NATIVE_MESSAGES_AFTER)?
        .query_map(params![batch_id, account_id, 0_i64, limit], |row| {
            MessageRecord::from_native(row)
        })?
        .collect::<rusqlite::Result<Vec<MessageRecord>>>()?;
    Ok(rows.into_iter().map(MessageRow::from).collect())
}

static NATIVE_MESSAGES_AFTER: LazyLock<String> = LazyLock::new(|| native_sql(&MESSAGES_AFTER));

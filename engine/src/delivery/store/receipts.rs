//! Delivery receipts: matching them to parts (also receipts that arrive before the
//! acceptance), deriving a message's status from its parts, charging and refunding.

use crate::db::{id_list, now_ms, Db};
use crate::delivery::code::*;
use crate::ledger::store::{post, LedgerError, Posting};
use crate::ledger::EntryKind;
use sms::{ErrorCode, Money};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

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

pub(super) async fn store_unmatched(
    tx: &mut AnyConnection,
    r: &Receipt,
    now: i64,
) -> Result<(), sqlx::Error> {
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
pub(super) struct PartUpdate {
    message_id: i64,
    part: i64,
    status: i64,
    error: Option<i64>,
}

/// Sets each part's status (each part at most once per call), then derives the status of every
/// message concerned from all its parts: a few statements for hundreds of receipts.
pub(super) async fn apply_part_updates(
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
pub(super) async fn apply_part_status(
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

pub(super) async fn refund(
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

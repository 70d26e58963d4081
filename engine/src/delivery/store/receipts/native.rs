//! Receipts on the SQLite writer's own connection ([`crate::writer`]): matching, parking and
//! settling as the parent module does, with prepared statements reaching each row by its key.

use super::{
    plan_receipts, plan_waiting, refund_entry, settle, waiting_receipts_sql, MessageForReceipt,
    PartUpdate, Receipt, ReceiptPlan, WaitingReceipt, UNMATCHED_KEPT_MS,
};
use crate::db::now_ms;
use crate::delivery::store::{sql_in, status_at, stored_error};
use crate::ledger::store::native::refund;
use crate::ledger::store::LedgerError;
use rusqlite::{params, Connection, OptionalExtension};
use sms::{DeliveryStatus, Money};
use std::collections::HashMap;
use std::sync::LazyLock;

/// [`super::apply_receipts`]: returns how many receipts matched a part.
pub(super) fn apply_receipts(
    conn: &Connection,
    receipts: &[Receipt],
) -> Result<usize, LedgerError> {
    let now = now_ms();
    let mut candidates: Vec<(&str, &str, i64, i64)> = Vec::new();
    let mut statuses: HashMap<i64, DeliveryStatus> = HashMap::new();
    // Keys looked up so far, and whether a message still waiting was found under each.
    let mut looked_up: HashMap<(&str, &str), bool> = HashMap::new();
    {
        let mut lookup = conn.prepare_cached(
            "SELECT message_id, part FROM smsc_keys WHERE smsc = ?1 AND key = ?2",
        )?;
        let mut status = conn.prepare_cached("SELECT status FROM messages WHERE id = ?1")?;
        for r in receipts {
            // A receipt goes to the first of its keys that finds a waiting message
            // (`plan_receipts`), so the looser keys after it need no lookup: usually the
            // SMSC's own id finds the part and one lookup of three or four is made.
            for key in &r.keys {
                let slot = (r.smsc.as_str(), key.as_str());
                if let Some(&found_waiting) = looked_up.get(&slot) {
                    if found_waiting {
                        break;
                    }
                    continue;
                }
                let mut found_waiting = false;
                let found = lookup.query_map(params![r.smsc, key], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
                })?;
                for row in found {
                    let (message_id, part) = row?;
                    if let std::collections::hash_map::Entry::Vacant(unknown) =
                        statuses.entry(message_id)
                    {
                        if let Some(s) = status
                            .query_row(params![message_id], |row| status_at(row, 0))
                            .optional()?
                        {
                            unknown.insert(s);
                        }
                    }
                    found_waiting |= statuses
                        .get(&message_id)
                        .is_some_and(|s| DeliveryStatus::IN_FLIGHT.contains(s));
                    candidates.push((slot.0, slot.1, message_id, part));
                }
                looked_up.insert(slot, found_waiting);
                if found_waiting {
                    break;
                }
            }
        }
    }
    let ReceiptPlan {
        rounds,
        matched,
        unmatched,
    } = plan_receipts(receipts, candidates, &statuses);
    store_unmatched(conn, &unmatched, now)?;
    for round in &rounds {
        apply_part_updates(conn, round, now)?;
    }
    Ok(matched)
}

static WAITING_RECEIPTS: LazyLock<String> = LazyLock::new(waiting_receipts_sql);

/// [`super::apply_unmatched_receipts`]: applies parked receipts whose part is known by now,
/// drops those older than a week. Returns how many were applied.
pub(super) fn apply_unmatched_receipts(conn: &Connection) -> Result<usize, LedgerError> {
    let rows = conn
        .prepare_cached(&WAITING_RECEIPTS)?
        .query_map([], |row| {
            Ok(WaitingReceipt {
                receipt_id: row.get(0)?,
                message_id: row.get(1)?,
                part: row.get(2)?,
                status: status_at(row, 3)?,
                error_code: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (rounds, applied) = plan_waiting(rows);
    let now = now_ms();
    conn.prepare_cached("DELETE FROM unmatched_receipts WHERE received_at < ?1")?
        .execute(params![now - UNMATCHED_KEPT_MS])?;
    for round in &rounds {
        apply_part_updates(conn, round, now)?;
    }
    for id in &applied {
        conn.prepare_cached("DELETE FROM unmatched_receipt_keys WHERE receipt_id = ?1")?
            .execute(params![id])?;
        conn.prepare_cached("DELETE FROM unmatched_receipts WHERE id = ?1")?
            .execute(params![id])?;
    }
    Ok(applied.len())
}

/// [`super::store_unmatched`]: parks receipts under every key they may be found by.
fn store_unmatched(conn: &Connection, receipts: &[&Receipt], now: i64) -> Result<(), LedgerError> {
    for r in receipts {
        conn.prepare_cached(
            "INSERT INTO unmatched_receipts (smsc, status, error_code, received_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![r.smsc, i64::from(r.status), r.error.map(i64::from), now])?;
        let id = conn.last_insert_rowid();
        let mut key_insert = conn.prepare_cached(
            "INSERT INTO unmatched_receipt_keys (smsc, key, receipt_id, position) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
        )?;
        for (position, key) in r.keys.iter().enumerate() {
            key_insert.execute(params![r.smsc, key, id, position as i64])?;
        }
    }
    Ok(())
}

static UPDATE_PART: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE message_parts SET status = ?1, error_code = ?2 \
         WHERE message_id = ?3 AND part = ?4 AND status NOT IN {}",
        sql_in(&DeliveryStatus::OUTCOMES)
    )
});

/// [`super::apply_part_updates`]: sets each part's status (a part with an outcome keeps it),
/// then derives the status of every message concerned from all its parts.
fn apply_part_updates(
    conn: &Connection,
    updates: &[PartUpdate],
    now: i64,
) -> Result<(), LedgerError> {
    {
        let mut update = conn.prepare_cached(&UPDATE_PART)?;
        for u in updates {
            update.execute(params![
                i64::from(u.status),
                u.error.map(i64::from),
                u.message_id,
                u.part
            ])?;
        }
    }
    let mut ids: Vec<i64> = updates.iter().map(|u| u.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let parts = conn
            .prepare_cached(
                "SELECT status, error_code FROM message_parts WHERE message_id = ?1 ORDER BY part",
            )?
            .query_map(params![id], |row| {
                Ok((status_at(row, 0)?, stored_error(row.get(1)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let msg = conn
            .prepare_cached(
                "SELECT m.status, m.parts, m.account_id, m.charge_minor, m.destination, \
                 COALESCE(m.route, b.route), m.batch_id \
                 FROM messages m JOIN batches b ON b.id = m.batch_id WHERE m.id = ?1",
            )?
            .query_row(params![id], |row| {
                Ok(MessageForReceipt {
                    id,
                    status: status_at(row, 0)?,
                    parts: row.get(1)?,
                    account_id: row.get(2)?,
                    charge_minor: row.get(3)?,
                    destination: row.get(4)?,
                    route: row.get(5)?,
                    batch_id: row.get(6)?,
                })
            })
            .optional()?;
        let Some(msg) = msg else { continue };
        let Some((status, error, refunded)) = settle(&msg, &parts) else {
            continue;
        };
        conn.prepare_cached(
            "UPDATE messages SET status = ?1, error_code = ?2, done_at = ?3, updated_at = ?4 WHERE id = ?5",
        )?
        .execute(params![
            i64::from(status),
            error.map(i64::from),
            status.is_final().then_some(now),
            now,
            id
        ])?;
        if refunded {
            let (reference, description) = refund_entry(&msg);
            let charge = Money::from_minor(msg.charge_minor);
            if refund(conn, msg.account_id, charge, &description, &reference)? {
                conn.prepare_cached("UPDATE messages SET charge_minor = 0 WHERE id = ?1")?
                    .execute(params![id])?;
            }
        }
    }
    Ok(())
}

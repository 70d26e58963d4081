//! Delivery receipts: matching them to parts (also receipts that arrive before the
//! acceptance), deriving a message's status from its parts, charging and refunding.

use super::{sql_in, stored_error};
use crate::db::{
    backend_of, id_array, id_list, in_ids, now_ms, pg_int8_array, pg_text_array, Backend, Db,
};
use crate::delivery::write_sizes::WriteKind;
use crate::ledger::store::{post, LedgerError, Posting};
use crate::ledger::EntryKind;
use futures::FutureExt;
use sms::{DeliveryStatus, ErrorCode, Money};
use sqlx::AnyConnection;
use std::collections::HashMap;

mod native;

/// A delivery receipt as the dispatcher hands it over: every key it may be found under, in
/// order, and the outcome.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub smsc: String,
    pub keys: Vec<String>,
    pub status: DeliveryStatus,
    pub error: Option<ErrorCode>,
}

/// A part found under one of a receipt's keys.
#[derive(sqlx::FromRow)]
struct KeyedPart {
    key: String,
    message_id: i64,
    part: i64,
}

/// A message's status, as matching a receipt needs it.
#[derive(sqlx::FromRow)]
struct MessageStatus {
    id: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
}

/// One part's stored outcome.
#[derive(sqlx::FromRow)]
struct PartOutcome {
    message_id: i64,
    part: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
    error_code: Option<i64>,
}

/// What deriving a message's status, and refunding it, needs.
#[derive(sqlx::FromRow)]
pub(super) struct MessageForReceipt {
    id: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
    parts: i64,
    account_id: i64,
    charge_minor: i64,
    destination: String,
    route: String,
    batch_id: i64,
}

/// A stored receipt that waited for its part, joined with the part it now finds.
#[derive(sqlx::FromRow)]
struct WaitingReceipt {
    receipt_id: i64,
    message_id: i64,
    part: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
    error_code: Option<i64>,
}

/// Makes the rest of a PostgreSQL transaction that finds its rows by key read them through
/// their index. A table PostgreSQL has not analysed yet (`message_parts` during a new
/// install's first big batch: autovacuum looks once a minute) gets a default estimate of
/// half its rows for a few hundred ids, and the parts of a group of receipts were read by a
/// sequential scan of every part (300 ms a statement at 75,000 parts, measured with
/// pg_stat_statements). Only this transaction is affected.
async fn read_by_index(tx: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Applies receipts in one transaction. Receipts whose part is not recorded yet are kept in
/// `unmatched_receipts` and applied when it is. Returns how many matched a part.
pub async fn apply_receipts(db: &Db, receipts: Vec<Receipt>) -> Result<usize, LedgerError> {
    let rows = receipts.len();
    if db.writes_natively() {
        return db
            .write_native(
                WriteKind::Receipt,
                |(_, rows): &(usize, usize)| *rows,
                move |conn| Ok((native::apply_receipts(conn, &receipts)?, rows)),
            )
            .await
            .map(|(matched, _)| matched);
    }
    db.write(
        WriteKind::Receipt,
        |(_, rows): &(usize, usize)| *rows,
        move |conn| async move { Ok((apply_receipts_in(conn, &receipts).await?, rows)) }.boxed(),
    )
    .await
    .map(|(matched, _)| matched)
}

/// [`apply_receipts`] on PostgreSQL (SQLite always writes natively): keys and ids are bound as
/// arrays, so each statement has one text, parsed once per connection.
async fn apply_receipts_in(
    tx: &mut AnyConnection,
    receipts: &[Receipt],
) -> Result<usize, LedgerError> {
    let now = now_ms();
    read_by_index(&mut *tx).await?;
    // Every key of every receipt, looked up at once per SMSC ([`plan_receipts`] chooses).
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
        let found = sqlx::query_as::<_, KeyedPart>(
            "SELECT key, message_id, part FROM smsc_keys WHERE smsc = $1 AND key = ANY($2::text[])",
        )
        .bind(smsc)
        .bind(pg_text_array(keys.iter().copied()))
        .fetch_all(&mut *tx)
        .await?;
        for found in found {
            if let Ok(i) = keys.binary_search(&found.key.as_str()) {
                candidates.push((smsc, keys[i], found.message_id, found.part));
            }
        }
    }
    // Each candidate's message: still waiting for its outcome, or finished already.
    let mut ids: Vec<i64> = candidates.iter().map(|c| c.2).collect();
    ids.sort_unstable();
    ids.dedup();
    let statuses: HashMap<i64, DeliveryStatus> = if ids.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as::<_, MessageStatus>(
            "SELECT id, status FROM messages WHERE id = ANY($1::int8[])",
        )
        .bind(pg_int8_array(ids))
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|m| (m.id, m.status))
        .collect()
    };
    let ReceiptPlan {
        rounds,
        matched,
        unmatched,
    } = plan_receipts(receipts, candidates, &statuses);
    store_unmatched(&mut *tx, &unmatched, now).await?;
    for round in &rounds {
        apply_part_updates(&mut *tx, round, now).await?;
    }
    Ok(matched)
}

/// What to do with a group of receipts: the parts they settle, in rounds (a part named twice
/// in the group gets its second receipt in the next round, as if applied one by one), how many
/// matched, and those to park until their part is known.
pub(super) struct ReceiptPlan<'a> {
    pub rounds: Vec<Vec<PartUpdate>>,
    pub matched: usize,
    pub unmatched: Vec<&'a Receipt>,
}

/// Matches receipts to parts: `candidates` are the (smsc, key, message, part) rows found under
/// any of their keys, `statuses` the status of each candidate's message. Only messages still
/// waiting for a final status are matched (a looser key, hex<->decimal or unpadded, must not
/// land on an older, finished message that shares it); should two waiting messages share a
/// key, the newest wins.
pub(super) fn plan_receipts<'a>(
    receipts: &'a [Receipt],
    candidates: Vec<(&'a str, &'a str, i64, i64)>,
    statuses: &HashMap<i64, DeliveryStatus>,
) -> ReceiptPlan<'a> {
    let mut parts_by_key: HashMap<(&str, &str), (i64, i64)> = HashMap::new();
    let waiting = |id: &i64| {
        statuses
            .get(id)
            .is_some_and(|s| DeliveryStatus::IN_FLIGHT.contains(s))
    };
    // Parts of finished messages found under a receipt's own id (its first key, as the SMSC
    // wrote it; never a looser form, which an unrelated older part may share).
    let finished: std::collections::HashSet<(&str, &str)> = candidates
        .iter()
        .filter(|c| statuses.get(&c.2).is_some_and(|s| s.is_final()))
        .map(|c| (c.0, c.1))
        .collect();
    for (smsc, key, message_id, part) in candidates {
        if !waiting(&message_id) {
            continue;
        }
        let slot = parts_by_key
            .entry((smsc, key))
            .or_insert((message_id, part));
        if message_id > slot.0 {
            *slot = (message_id, part);
        }
    }
    // Receipts in arrival order, in rounds.
    let mut rounds: Vec<Vec<PartUpdate>> = Vec::new();
    let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
    let mut matched = 0;
    let mut unmatched = Vec::new();
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
                    error: r.error,
                });
                *round += 1;
                matched += 1;
            }
            // A receipt for a message that is final already: a repeat of one applied before
            // (the SMSC resends what it saw no deliver_sm_resp for, e.g. across a dropped
            // connection) or a late one after the expiry. A final message never changes
            // again, so it is acknowledged and left alone. Parking it as unmatched would store
            // every repeat and, when the SMSC resends a backlog on each reconnect, slow the
            // acknowledgements until none arrives before the next drop.
            None if r
                .keys
                .first()
                .is_some_and(|k| finished.contains(&(r.smsc.as_str(), k.as_str()))) =>
            {
                tracing::debug!(smsc = %r.smsc, key = ?r.keys.first(), "receipt for a finished message ignored");
            }
            None => unmatched.push(r),
        }
    }
    ReceiptPlan {
        rounds,
        matched,
        unmatched,
    }
}

/// Parks receipts whose part is not known yet, each under every key it may be found by: one
/// statement per receipt and one per few hundred keys.
pub(super) async fn store_unmatched(
    tx: &mut AnyConnection,
    receipts: &[&Receipt],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut keys: Vec<(&Receipt, i64, usize, &str)> = Vec::new();
    for r in receipts {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO unmatched_receipts (smsc, status, error_code, received_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&r.smsc)
        .bind(i64::from(r.status))
        .bind(r.error.map(i64::from))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        keys.extend(
            r.keys
                .iter()
                .enumerate()
                .map(|(position, k)| (*r, id, position, k.as_str())),
        );
    }
    for chunk in keys.chunks(200) {
        let sql = format!(
            "INSERT INTO unmatched_receipt_keys (smsc, key, receipt_id, position) VALUES {} ON CONFLICT DO NOTHING",
            crate::db::values_rows(chunk.len(), 4, 1)
        );
        let mut query = sqlx::query(&sql);
        for (r, id, position, key) in chunk {
            query = query
                .bind(r.smsc.as_str())
                .bind(*key)
                .bind(*id)
                .bind(*position as i64);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// A receipt's outcome for one part.
pub(super) struct PartUpdate {
    message_id: i64,
    part: i64,
    status: DeliveryStatus,
    error: Option<ErrorCode>,
}

/// Sets each part's status (each part at most once per call), then derives the status of every
/// message concerned from all its parts: a few statements for hundreds of receipts.
pub(super) async fn apply_part_updates(
    tx: &mut AnyConnection,
    updates: &[PartUpdate],
    now: i64,
) -> Result<(), LedgerError> {
    let mut ids: Vec<i64> = updates.iter().map(|u| u.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    // Ids are one array parameter: each statement below has one text whatever their number.
    let backend = backend_of(tx);
    // On PostgreSQL (READ COMMITTED) two transactions that each settle one part of the same
    // message would each read the other part as it was and both leave the message in flight
    // for good, its parts all delivered. Locking the messages first (in id order, as every
    // locker of messages does) makes the second wait and then read the first one's part.
    if backend == Backend::Postgres && !ids.is_empty() {
        read_by_index(&mut *tx).await?;
        sqlx::query("SELECT id FROM messages WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE")
            .bind(id_array(backend, &ids))
            .fetch_all(&mut *tx)
            .await?;
    }
    // Grouped by outcome and part number, so each UPDATE reaches its rows by primary key.
    let mut by_outcome: HashMap<(DeliveryStatus, Option<ErrorCode>, i64), Vec<i64>> =
        HashMap::new();
    for u in updates {
        by_outcome
            .entry((u.status, u.error, u.part))
            .or_default()
            .push(u.message_id);
    }
    for ((status, error, part), message_ids) in by_outcome {
        sqlx::query(&format!(
            "UPDATE message_parts SET status = $1, error_code = $2 \
             WHERE {} AND part = $3 AND status NOT IN {}",
            in_ids(backend, "message_id", 4),
            sql_in(&DeliveryStatus::OUTCOMES)
        ))
        .bind(i64::from(status))
        .bind(error.map(i64::from))
        .bind(part)
        .bind(id_array(backend, &message_ids))
        .execute(&mut *tx)
        .await?;
    }
    for chunk in ids.chunks(500) {
        let mut parts: HashMap<i64, Vec<(DeliveryStatus, Option<ErrorCode>)>> = HashMap::new();
        // Sorted here rather than by the statement, which then needs no particular plan.
        let mut outcomes = sqlx::query_as::<_, PartOutcome>(&format!(
            "SELECT message_id, part, status, error_code FROM message_parts WHERE {}",
            in_ids(backend, "message_id", 1)
        ))
        .bind(id_array(backend, chunk))
        .fetch_all(&mut *tx)
        .await?;
        outcomes.sort_unstable_by_key(|p| (p.message_id, p.part));
        for p in outcomes {
            parts
                .entry(p.message_id)
                .or_default()
                .push((p.status, stored_error(p.error_code)));
        }
        let messages = sqlx::query_as::<_, MessageForReceipt>(&format!(
            "SELECT m.id, m.status, m.parts, m.account_id, m.charge_minor, m.destination, \
             COALESCE(m.route, b.route) AS route, m.batch_id \
             FROM messages m JOIN batches b ON b.id = m.batch_id WHERE {}",
            in_ids(backend, "m.id", 1)
        ))
        .bind(id_array(backend, chunk))
        .fetch_all(&mut *tx)
        .await?;
        let mut changes: HashMap<(DeliveryStatus, Option<ErrorCode>), Vec<i64>> = HashMap::new();
        let mut refunds = Vec::new();
        for msg in &messages {
            let Some((status, error, refunded)) =
                settle(msg, parts.get(&msg.id).map(Vec::as_slice).unwrap_or(&[]))
            else {
                continue;
            };
            changes.entry((status, error)).or_default().push(msg.id);
            if refunded {
                refunds.push(msg);
            }
        }
        for ((status, error), ids) in changes {
            sqlx::query(&format!(
                "UPDATE messages SET status = $1, error_code = $2, done_at = $3, updated_at = $4 WHERE {}",
                in_ids(backend, "id", 5)
            ))
            .bind(i64::from(status))
            .bind(error.map(i64::from))
            .bind(status.is_final().then_some(now))
            .bind(now)
            .bind(id_array(backend, &ids))
            .execute(&mut *tx)
            .await?;
        }
        // In account id order: the order every transaction locks account rows in.
        refunds.sort_by_key(|m| (m.account_id, m.id));
        for msg in refunds {
            refund(tx, msg).await?;
        }
    }
    Ok(())
}

/// A message's new status from its parts' outcomes (in part order), `None` when it does not
/// change (final already, or still PROCESSING); and whether it is to be refunded (China
/// knows no charge for UNDELIVERABLE, §5).
fn settle(
    msg: &MessageForReceipt,
    parts: &[(DeliveryStatus, Option<ErrorCode>)],
) -> Option<(DeliveryStatus, Option<ErrorCode>, bool)> {
    if msg.status.is_final() {
        return None;
    }
    let is_china = msg.route == sms::Route::China.as_str();
    let (status, error) = derive_status(parts, msg.parts, is_china);
    if (status, error) == (msg.status, None) && status == DeliveryStatus::Processing {
        return None;
    }
    Some((
        status,
        error,
        is_china && status == DeliveryStatus::Undeliverable,
    ))
}

/// The ledger reference and description of a refunded China message.
fn refund_entry(msg: &MessageForReceipt) -> (String, String) {
    (
        format!("msg-{}-refund", msg.id),
        format!(
            "Refund: undeliverable China SMS to +{} (batch #{})",
            msg.destination, msg.batch_id
        ),
    )
}

/// A message's status from its parts' (in part order): any UNDELIVERABLE part makes it
/// UNDELIVERABLE, else any EXPIRED part EXPIRED, all parts DELIVERED makes it DELIVERED, any
/// RETRY makes it RETRY, else it is still PROCESSING. China has only DELIVERED and
/// UNDELIVERABLE as final statuses (§5): an expiry there is UNDELIVERABLE with error 7.
pub fn derive_status(
    parts: &[(DeliveryStatus, Option<ErrorCode>)],
    total_parts: i64,
    is_china: bool,
) -> (DeliveryStatus, Option<ErrorCode>) {
    use DeliveryStatus::{Delivered, Expired, Processing, Retry, Undeliverable};
    let first = |wanted: DeliveryStatus| parts.iter().find(|(s, _)| *s == wanted);
    let (status, error) = if let Some((_, e)) = first(Undeliverable) {
        (Undeliverable, *e)
    } else if let Some((_, e)) = first(Expired) {
        (Expired, *e)
    } else if parts.len() as i64 == total_parts && parts.iter().all(|(s, _)| *s == Delivered) {
        (Delivered, None)
    } else if let Some((_, e)) = first(Retry) {
        (Retry, *e)
    } else {
        (Processing, None)
    };
    if is_china && status == Expired {
        (Undeliverable, error.or(Some(ErrorCode::Expired)))
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
    // The usual case, checked every 200 ms: nothing waits (and the writer is not bothered).
    if sqlx::query("SELECT 1 FROM unmatched_receipts LIMIT 1")
        .fetch_optional(db.pool())
        .await?
        .is_none()
    {
        return Ok(0);
    }
    if db.writes_natively() {
        return db
            .write_native(
                WriteKind::Housekeeping,
                |n: &usize| *n,
                native::apply_unmatched_receipts,
            )
            .await;
    }
    db.write(
        WriteKind::Housekeeping,
        |n: &usize| *n,
        |conn| apply_unmatched_receipts_in(conn).boxed(),
    )
    .await
}

/// Receipts parked by an earlier version carry `x:`/`d:` keys for the hex and decimal
/// readings of their id, which parts stored today no longer have (`Auto` stores those
/// readings as `z:` forms, [`smpp::msgid::MsgIdMatching::submit_keys`]). Gives each such key
/// its current form beside it, at the same position, so that the parked receipt finds its
/// part. Run when a dispatcher starts and then once a minute, while older processes may still
/// be parking receipts during a rolling upgrade. Keys of connections set to one direction keep
/// matching by their `x:`/`d:` keys, which their parts still store (the `z:` keys added beside
/// them find nothing). Returns the keys added.
pub async fn add_current_forms_to_parked_keys(db: &Db) -> Result<usize, sqlx::Error> {
    db.write(
        WriteKind::Housekeeping,
        |n: &usize| *n,
        |conn| {
            async move {
                // On PostgreSQL the receipts are locked against deletion until the keys are
                // added: an older process applying one meanwhile would otherwise make the
                // insert fail its foreign key and undo the whole pass. (SQLite's writer is
                // alone.)
                let lock = match crate::db::backend_of(conn) {
                    crate::db::Backend::Postgres => " FOR KEY SHARE OF r",
                    crate::db::Backend::Sqlite => "",
                };
                let earlier: Vec<(String, String, i64, i64)> = sqlx::query_as(&format!(
                    "SELECT k.smsc, k.key, k.receipt_id, k.position FROM unmatched_receipt_keys k \
                     JOIN unmatched_receipts r ON r.id = k.receipt_id \
                     WHERE k.key LIKE 'x:%' OR k.key LIKE 'd:%'{lock}"
                ))
                .fetch_all(&mut *conn)
                .await?;
                let mut added = 0;
                for (smsc, key, receipt_id, position) in earlier {
                    let Some(current) = smpp::msgid::MsgIdMatching::current_form(&key) else {
                        continue;
                    };
                    added += sqlx::query(
                        "INSERT INTO unmatched_receipt_keys (smsc, key, receipt_id, position) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(&smsc)
                    .bind(&current)
                    .bind(receipt_id)
                    .bind(position)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected() as usize;
                }
                Ok(added)
            }
            .boxed()
        },
    )
    .await
}

/// The receipts waiting for their part that find it now, best key first, at most 2,000 rows.
/// `+m.status`: start from the few waiting receipts' keys, not from every message in flight
/// (which the index on status would otherwise invite).
fn waiting_receipts_sql() -> String {
    format!(
        "SELECT u.receipt_id, k.message_id, k.part, r.status, r.error_code \
         FROM unmatched_receipt_keys u \
         JOIN smsc_keys k ON k.smsc = u.smsc AND k.key = u.key \
         JOIN messages m ON m.id = k.message_id AND +m.status IN {} \
         JOIN unmatched_receipts r ON r.id = u.receipt_id \
         ORDER BY u.receipt_id, u.position LIMIT 2000",
        sql_in(&DeliveryStatus::IN_FLIGHT)
    )
}

/// Each waiting receipt once, under its best key (`rows` come best key first); a part named
/// by several receipts gets them in arrival order, one round each, as [`apply_receipts`] does.
/// Returns the rounds and the receipts applied.
fn plan_waiting(rows: Vec<WaitingReceipt>) -> (Vec<Vec<PartUpdate>>, Vec<i64>) {
    let mut applied = Vec::new();
    let mut rounds: Vec<Vec<PartUpdate>> = Vec::new();
    let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
    for row in rows {
        if applied.last() == Some(&row.receipt_id) {
            continue;
        }
        applied.push(row.receipt_id);
        let round = seen.entry((row.message_id, row.part)).or_insert(0);
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(PartUpdate {
            message_id: row.message_id,
            part: row.part,
            status: row.status,
            error: stored_error(row.error_code),
        });
        *round += 1;
    }
    (rounds, applied)
}

/// Parked receipts nobody claimed for a week are dropped.
const UNMATCHED_KEPT_MS: i64 = 7 * 86_400_000;

/// Reads the waiting receipts inside the write, so what it applies is what it saw.
async fn apply_unmatched_receipts_in(tx: &mut AnyConnection) -> Result<usize, LedgerError> {
    let rows = sqlx::query_as::<_, WaitingReceipt>(&waiting_receipts_sql())
        .fetch_all(&mut *tx)
        .await?;
    let (rounds, applied) = plan_waiting(rows);
    let now = now_ms();
    sqlx::query("DELETE FROM unmatched_receipts WHERE received_at < $1")
        .bind(now - UNMATCHED_KEPT_MS)
        .execute(&mut *tx)
        .await?;
    for round in &rounds {
        apply_part_updates(&mut *tx, round, now).await?;
    }
    for chunk in applied.chunks(500) {
        let list = id_list(chunk);
        sqlx::query(&format!(
            "DELETE FROM unmatched_receipt_keys WHERE receipt_id IN ({list})"
        ))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "DELETE FROM unmatched_receipts WHERE id IN ({list})"
        ))
        .execute(&mut *tx)
        .await?;
    }
    Ok(applied.len())
}

/// Sets one part's status and derives the message's: any UNDELIVERABLE part makes it
/// UNDELIVERABLE, else any EXPIRED part EXPIRED, all DELIVERED makes it DELIVERED, any RETRY
/// makes it RETRY. A final message does not change again. China messages that end
/// UNDELIVERABLE are refunded (§5).
pub(super) async fn apply_part_status(
    tx: &mut AnyConnection,
    message_id: i64,
    part: i64,
    status: DeliveryStatus,
    error: Option<ErrorCode>,
    now: i64,
) -> Result<(), LedgerError> {
    apply_part_updates(
        tx,
        &[PartUpdate {
            message_id,
            part,
            status,
            error,
        }],
        now,
    )
    .await
}

pub(super) async fn refund(
    tx: &mut AnyConnection,
    msg: &MessageForReceipt,
) -> Result<(), LedgerError> {
    let MessageForReceipt {
        id: message_id,
        account_id,
        ..
    } = *msg;
    let charge = Money::from_minor(msg.charge_minor);
    if charge.minor() <= 0 {
        return Ok(());
    }
    let (reference, description) = refund_entry(msg);
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
            description: &description,
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

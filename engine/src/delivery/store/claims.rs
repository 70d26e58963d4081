//! The dispatcher's claim on work: heartbeats, claiming due messages (one process per message,
//! also across processes), the batch facts a message is built from, and holding its charge.

use super::sql_in;
use crate::db::{id_array, in_ids, now_ms, pg_int8_array, Backend, Db};
use crate::delivery::write_sizes::WriteKind;
use crate::ledger::store::{hold, LedgerError, UNRESERVE};
use futures::FutureExt;
use sms::{DeliveryStatus, ErrorCode, Money};
use sqlx::{AnyConnection, Executor};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

mod native;

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
    pub status: DeliveryStatus,
    pub hold: Money,
    /// Claims so far, this one included (the back-off between retries grows with it).
    pub attempts: i64,
    /// Parts the operator already accepted in an earlier attempt: never submitted again
    /// (§ concatenated messages are all-or-nothing only in what the handset shows).
    pub accepted_parts: Vec<i64>,
}

/// A claimed message as the claim's `RETURNING` gives it.
#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    batch_id: i64,
    account_id: i64,
    destination: String,
    parts: i64,
    unit_price_minor: i64,
    #[sqlx(try_from = "i64")]
    status: DeliveryStatus,
    hold_minor: i64,
    route: Option<String>,
    attempts: i64,
}

impl From<ClaimRow> for ClaimedMessage {
    fn from(r: ClaimRow) -> ClaimedMessage {
        ClaimedMessage {
            id: r.id,
            batch_id: r.batch_id,
            account_id: r.account_id,
            destination: r.destination,
            route: r.route.and_then(|r| r.parse().ok()),
            parts: r.parts,
            unit_price: Money::from_minor(r.unit_price_minor),
            status: r.status,
            hold: Money::from_minor(r.hold_minor),
            attempts: r.attempts,
            accepted_parts: Vec::new(),
        }
    }
}

impl ClaimedMessage {
    /// Held by an earlier attempt (interrupted by a crash or a lost connection): sent as it is,
    /// without a new hold. Every other claimed message was waiting when claimed.
    fn holds_its_charge(&self) -> bool {
        self.status == DeliveryStatus::Processing && self.hold.minor() > 0
    }

    /// Costs nothing (a verification code the installation pays for): there is no charge to
    /// hold, so it is sent from its waiting status and stays in it until its outcome is
    /// recorded (acceptance, refusal or expiry end it there; a retry leaves it waiting, to be
    /// claimed again like any waiting message). A paid message is PROCESSING and holds its
    /// charge meanwhile (`outcomes::in_attempt` says which messages an outcome is recorded for).
    pub fn is_free(&self) -> bool {
        self.charge().minor() == 0
    }

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
    let node_id = node_id.to_string();
    if db.writes_natively() {
        return db
            .write_native(WriteKind::Claim, Vec::len, move |conn| {
                native::claim(conn, &node_id, limit, lease_ms).map_err(crate::writer::sqlx_error)
            })
            .await;
    }
    db.write(WriteKind::Claim, Vec::len, move |conn| {
        claim_in(conn, node_id, limit, lease_ms).boxed()
    })
    .await
}

/// [`claim`] on PostgreSQL (SQLite always writes natively).
async fn claim_in(
    conn: &mut AnyConnection,
    node_id: String,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<ClaimedMessage>, sqlx::Error> {
    let node_id = node_id.as_str();
    let now = now_ms();
    // The claim must read each queue in index order and stop at its limit, whatever the
    // statistics say. Before `messages` is first analysed (a new install's first big batch, or
    // a queue that grew faster than autovacuum analyses it) PostgreSQL guesses a few hundred
    // due rows and prefers a bitmap scan, which loses the order: every due message was read
    // and sorted for each claim (50,000 of them, 40 ms a claim, seen with auto_explain). Only
    // this transaction is affected.
    conn.execute("SET LOCAL enable_bitmapscan = off").await?;
    let sql = claim_sql(Backend::Postgres);
    let mut claimed: Vec<ClaimedMessage> = sqlx::query_as::<_, ClaimRow>(&sql)
        .bind(now + lease_ms)
        .bind(node_id)
        .bind(now)
        .bind(now - NODE_TIMEOUT_MS)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(ClaimedMessage::from)
        .collect();
    // Parts accepted in an earlier attempt (only messages still holding their charge have any).
    let retried: Vec<i64> = claimed
        .iter()
        .filter(|m| m.status == DeliveryStatus::Processing)
        .map(|m| m.id)
        .collect();
    if !retried.is_empty() {
        let mut accepted: HashMap<i64, Vec<i64>> = HashMap::new();
        for (message_id, part) in sqlx::query_as::<_, (i64, i64)>(
            "SELECT message_id, part FROM message_parts WHERE message_id = ANY($1::int8[]) ORDER BY part",
        )
        .bind(pg_int8_array(retried))
        .fetch_all(&mut *conn)
        .await?
        {
            accepted.entry(message_id).or_default().push(part);
        }
        for m in &mut claimed {
            if let Some(parts) = accepted.remove(&m.id) {
                m.accepted_parts = parts;
            }
        }
    }
    Ok(claimed)
}

/// The claim: `$1` claimed until, `$2` node, `$3` now, `$4` heartbeats newer than this are
/// alive, `$5` limit.
fn claim_sql(backend: Backend) -> String {
    let (waiting, processing) = (
        sql_in(&DeliveryStatus::WAITING),
        i64::from(DeliveryStatus::Processing),
    );
    let free =
        "(claimed_until < $3 OR claimed_by IS NULL OR (claimed_by <> $2 AND claimed_by NOT IN \
                 (SELECT node_id FROM dispatcher_nodes WHERE heartbeat_at > $4)))";
    // The due messages: waiting ones (found through `messages_due`, which holds only them),
    // and in-flight ones still holding their charge (through their own small index,
    // `messages_held`, not among every message in flight). Each kind is read in queue order
    // from its index and stops at the limit, instead of every due message being sorted for
    // each claim: on PostgreSQL that sort (of 50,000 waiting messages, spilled to disk) took
    // 50 ms a claim, the costliest statement of dispatch. SQLite's partial indexes are chosen
    // only for a query that repeats their condition, as these do; on PostgreSQL each arm locks
    // what it reads (`FOR UPDATE SKIP LOCKED`, which a UNION does not take), so an arm may
    // lock up to `$5` rows the claim does not take, released at its commit.
    // SQLite is told which index to read; PostgreSQL locks in each arm.
    let sqlite = backend == Backend::Sqlite;
    let lock = if sqlite {
        ""
    } else {
        " FOR UPDATE SKIP LOCKED"
    };
    let arm = |index: &str, filter: String| {
        let hint = if sqlite {
            format!("INDEXED BY {index} ")
        } else {
            String::new()
        };
        format!(
            "SELECT id, due_at FROM (SELECT id, due_at FROM messages {hint}WHERE {filter} \
             AND due_at <= $3 AND {free} ORDER BY due_at, id LIMIT $5{lock}) AS arm"
        )
    };
    let arms = [
        arm("messages_due", format!("status IN {waiting}")),
        arm(
            "messages_held",
            format!("status = {processing} AND hold_minor > 0"),
        ),
    ];
    let due = format!(
        "SELECT id FROM ({}) AS due ORDER BY due_at, id LIMIT $5",
        arms.join(" UNION ALL ")
    );
    format!(
        "UPDATE messages SET claimed_until = $1, claimed_by = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id IN ({due}) \
         RETURNING id, batch_id, account_id, destination, parts, unit_price_minor, status, hold_minor, route, attempts"
    )
}

/// The batch facts the dispatcher needs to build a message (batches never change once stored,
/// so the dispatcher keeps them). Read by [`batches_for_sending`].
#[derive(Debug, Clone)]
pub struct BatchForSending {
    /// The batch's Hong Kong choice (the route of messages without one of their own).
    pub route: sms::Route,
    pub sender_id: Option<String>,
    pub final_text: String,
    /// What mainland recipients receive (signature and suffix).
    pub china_text: Option<String>,
    pub validity_minutes: i64,
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

/// The facts of each of `batch_ids` the dispatcher sends with, in one statement: `None` for a
/// batch whose route this version does not know (it is not sent, rather than failing the
/// dispatcher's round for every other batch). Batches not found are left out.
pub async fn batches_for_sending(
    db: &Db,
    batch_ids: &[i64],
) -> Result<HashMap<i64, Option<BatchForSending>>, sqlx::Error> {
    if batch_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT b.id, b.route, b.sender_id, b.final_text, b.china_text, b.validity_minutes, \
         b.scheduled_at FROM batches b WHERE {}",
        in_ids(db.backend(), "b.id", 1)
    );
    let rows: Vec<SendingRow> = match db.native_reads() {
        // A chunk's batches (every API message is a batch of its own) are primary-key
        // lookups: on the caller's thread, a bounded number at a time, rather than a hand-off
        // to a pool connection's thread for each chunk the dispatcher claims.
        Some(readers) => {
            let mut rows = Vec::with_capacity(batch_ids.len());
            for ids in batch_ids.chunks(crate::reader::INLINE_ROWS) {
                rows.extend(
                    readers.fetch_all::<SendingRow>(&sql, &[&id_array(db.backend(), ids)])?,
                );
            }
            rows
        }
        None => {
            sqlx::query_as(&sql)
                .bind(id_array(db.backend(), batch_ids))
                .fetch_all(db.pool())
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let batch = sms::Route::try_from(r.route)
                .ok()
                .map(|route| BatchForSending {
                    route,
                    sender_id: r.sender_id,
                    final_text: r.final_text,
                    china_text: r.china_text,
                    validity_minutes: r.validity_minutes,
                    due_at: r.scheduled_at,
                });
            (r.id, batch)
        })
        .collect())
}

/// A batch's row as [`batches_for_sending`] reads it.
#[derive(sqlx::FromRow)]
struct SendingRow {
    id: i64,
    route: String,
    sender_id: Option<String>,
    final_text: String,
    china_text: Option<String>,
    validity_minutes: i64,
    scheduled_at: i64,
}

impl crate::reader::NativeRow for SendingRow {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(SendingRow {
            id: row.get(0)?,
            route: row.get(1)?,
            sender_id: row.get(2)?,
            final_text: row.get(3)?,
            china_text: row.get(4)?,
            validity_minutes: row.get(5)?,
            scheduled_at: row.get(6)?,
        })
    }
}

/// What the dispatcher decided before submitting a claimed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// Held (now or before a crash): submit it.
    Send,
    /// Not sent, final, not charged (limit or balance).
    Refused(ErrorCode),
    /// No longer waiting when it was to be held: another dispatcher took it over (its lease
    /// ran out while this one was slow) and holds it now. Not sent here.
    TakenOver,
}

/// Holds each message's charge (messages that already hold it, from an interrupted attempt,
/// keep their hold), or refuses it: over the account's single-SMS limit, or not covered by the
/// available balance (§7: UNDELIVERABLE, `16 Insufficient Balance`, not charged, not retried).
/// One transaction for the whole chunk. The limits are read in it: the customer may change
/// theirs while a batch goes out, and the messages not yet held follow the new one.
pub async fn prepare(db: &Db, messages: &[ClaimedMessage]) -> Result<Vec<Prepared>, LedgerError> {
    let messages = messages.to_vec();
    if db.writes_natively() {
        return db
            .write_native(WriteKind::Hold, Vec::len, move |conn| {
                native::prepare(conn, &messages)
            })
            .await;
    }
    db.write(WriteKind::Hold, Vec::len, move |conn| {
        async move { prepare_in(conn, &messages).await }.boxed()
    })
    .await
}

/// [`claim`], then [`prepare`] for what it claimed. On SQLite both are one job of the writer's
/// tick: a dispatcher worker waits for one commit before it submits, not two, and sends
/// nothing meanwhile. The holds now come before the batches' facts are read; a failure there
/// leaves claimed messages holding their charges, as a crash before submitting always could,
/// and the next claim takes them over. On PostgreSQL, two transactions as before.
pub async fn claim_and_prepare(
    db: &Db,
    node_id: &str,
    limit: i64,
    lease_ms: i64,
) -> Result<(Vec<ClaimedMessage>, Vec<Prepared>), LedgerError> {
    if db.writes_natively() {
        let node_id = node_id.to_string();
        return db
            .write_native(
                WriteKind::Claim,
                |(claimed, _): &(Vec<ClaimedMessage>, Vec<Prepared>)| claimed.len(),
                move |conn| {
                    let claimed = native::claim(conn, &node_id, limit, lease_ms)?;
                    let decisions = native::prepare(conn, &claimed)?;
                    Ok((claimed, decisions))
                },
            )
            .await;
    }
    let claimed = claim(db, node_id, limit, lease_ms).await?;
    if claimed.is_empty() {
        return Ok((claimed, Vec::new()));
    }
    let decisions = prepare(db, &claimed).await?;
    Ok((claimed, decisions))
}

/// The accounts of `messages` (those still to be held) whose single-SMS charge limit
/// [`prepare`] reads.
fn limited_accounts(messages: &[ClaimedMessage]) -> BTreeSet<i64> {
    messages
        .iter()
        .filter(|m| !m.holds_its_charge())
        .map(|m| m.account_id)
        .collect()
}

/// An account's single-SMS charge limit, if it has one.
pub(super) const SINGLE_SMS_LIMIT: &str =
    "SELECT single_sms_limit_minor FROM accounts WHERE id = $1 AND single_sms_limit_minor IS NOT NULL";

/// [`prepare`] on PostgreSQL (SQLite always writes natively).
async fn prepare_in(
    tx: &mut AnyConnection,
    messages: &[ClaimedMessage],
) -> Result<Vec<Prepared>, LedgerError> {
    let now = now_ms();
    let still = still_waiting(&mut *tx, messages).await?;
    let mut limits = HashMap::new();
    for account_id in limited_accounts(messages) {
        let limit: Option<i64> = sqlx::query_scalar(SINGLE_SMS_LIMIT)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(limit) = limit {
            limits.insert(account_id, Money::from_minor(limit));
        }
    }
    let (mut out, by_account) = first_decisions(messages, &limits, &still);
    // Holds go account by account in id order, but the reservations of refused messages are
    // given back after them: an account whose messages were all refused would be locked after
    // a higher one that was held (against another transaction locking the two in id order, a
    // deadlock). A chunk of several accounts locks them all first, in id order.
    let accounts: BTreeSet<i64> = by_account
        .keys()
        .copied()
        .chain(
            messages
                .iter()
                .zip(&out)
                .filter(|(_, d)| matches!(d, Some(Prepared::Refused(_))))
                .map(|(m, _)| m.account_id),
        )
        .collect();
    if accounts.len() > 1 {
        sqlx::query("SELECT id FROM accounts WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE")
            .bind(pg_int8_array(accounts))
            .fetch_all(&mut *tx)
            .await?;
    }
    // One hold for all of an account's messages when its balance covers them (the usual
    // case); otherwise one message at a time, in queue order, until the balance runs out.
    let mut newly_held = Vec::new();
    for (account_id, indexes) in by_account {
        let total: i64 = indexes.iter().map(|&i| messages[i].charge().minor()).sum();
        if hold(&mut *tx, account_id, Money::from_minor(total)).await? {
            for i in indexes {
                out[i] = Some(Prepared::Send);
                newly_held.extend(held_id(&messages[i]));
            }
            continue;
        }
        for i in indexes {
            let m = &messages[i];
            if hold(&mut *tx, m.account_id, m.charge()).await? {
                out[i] = Some(Prepared::Send);
                newly_held.extend(held_id(m));
            } else {
                out[i] = Some(Prepared::Refused(ErrorCode::InsufficientBalance));
            }
        }
    }
    if !newly_held.is_empty() {
        sqlx::query(
            "UPDATE messages SET status = $1, hold_minor = unit_price_minor * parts, updated_at = $2 \
             WHERE id = ANY($3::int8[])",
        )
        .bind(i64::from(DeliveryStatus::Processing))
        .bind(now)
        .bind(pg_int8_array(newly_held))
        .execute(&mut *tx)
        .await?;
    }
    for (m, decision) in messages.iter().zip(&out) {
        if let Some(Prepared::Refused(error)) = decision {
            sqlx::query(
                "UPDATE messages SET status = $1, error_code = $2, done_at = $3, updated_at = $3, claimed_until = 0 WHERE id = $4",
            )
            .bind(i64::from(DeliveryStatus::Undeliverable))
            .bind(i64::from(*error))
            .bind(now)
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
        }
    }
    for (account_id, cost) in refused_cost(messages, &out) {
        sqlx::query(UNRESERVE)
            .bind(cost)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(decided(out))
}

/// The message to mark as holding its charge once its hold is taken: none for a free one,
/// which holds nothing and stays waiting ([`ClaimedMessage::is_free`]).
fn held_id(m: &ClaimedMessage) -> Option<i64> {
    (!m.is_free()).then_some(m.id)
}

/// Which of the claimed messages that need a hold are still waiting. One another dispatcher
/// took over (this one's lease ran out while it was slow) and held meanwhile is not: it is
/// left to that one. The rows are locked until the transaction ends, message rows before the
/// account row as everywhere else, so the answer holds while the holds are taken.
async fn still_waiting(
    tx: &mut AnyConnection,
    messages: &[ClaimedMessage],
) -> Result<HashSet<i64>, sqlx::Error> {
    let candidates: Vec<i64> = messages
        .iter()
        .filter(|m| !m.holds_its_charge())
        .map(|m| m.id)
        .collect();
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let waiting = sqlx::query_scalar::<_, i64>(&format!(
        "SELECT id FROM messages WHERE id = ANY($1::int8[]) AND status IN {} ORDER BY id FOR UPDATE",
        sql_in(&DeliveryStatus::WAITING)
    ))
    .bind(pg_int8_array(candidates))
    .fetch_all(&mut *tx)
    .await?;
    Ok(waiting.into_iter().collect())
}

/// What the refused messages (all of them waiting until now) would have cost, by account: it
/// comes off what the account's waiting messages will cost.
fn refused_cost(messages: &[ClaimedMessage], out: &[Option<Prepared>]) -> BTreeMap<i64, i64> {
    super::cost_by_account(
        messages
            .iter()
            .zip(out)
            .filter(|(_, decision)| matches!(decision, Some(Prepared::Refused(_))))
            .map(|(m, _)| (m.account_id, m.charge().minor())),
    )
}

/// What is decided before any hold: messages that hold their charge from an interrupted
/// attempt are sent as they are, those over their account's single-SMS limit (`limits`, for
/// the accounts that have one) are refused; the rest, by account, still need their hold.
#[allow(clippy::type_complexity)]
fn first_decisions(
    messages: &[ClaimedMessage],
    limits: &HashMap<i64, Money>,
    still_waiting: &HashSet<i64>,
) -> (Vec<Option<Prepared>>, BTreeMap<i64, Vec<usize>>) {
    let mut out: Vec<Option<Prepared>> = vec![None; messages.len()];
    // By account in id order: the order every transaction locks account rows in.
    let mut by_account: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, m) in messages.iter().enumerate() {
        if m.holds_its_charge() {
            out[i] = Some(Prepared::Send);
        } else if !still_waiting.contains(&m.id) {
            out[i] = Some(Prepared::TakenOver);
        } else if limits
            .get(&m.account_id)
            .is_some_and(|limit| m.charge() > *limit)
        {
            out[i] = Some(Prepared::Refused(ErrorCode::OverChargeLimit));
        } else {
            by_account.entry(m.account_id).or_default().push(i);
        }
    }
    (out, by_account)
}

/// Every message's decision (none is left undecided; `Unknown` would say a bug did).
fn decided(out: Vec<Option<Prepared>>) -> Vec<Prepared> {
    out.into_iter()
        .map(|d| d.unwrap_or(Prepared::Refused(ErrorCode::Unknown)))
        .collect()
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

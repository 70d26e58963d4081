//! Claims and holds on the SQLite writer's own connection ([`crate::writer`]): the same claim
//! statement as the parent module's, prepared once, and the holds message by message.

use super::{claim_sql, held_id, ClaimRow, ClaimedMessage, Prepared, NODE_TIMEOUT_MS};
use crate::db::{now_ms, Backend};
use crate::delivery::store::{sql_in, status_at};
use crate::ledger::store::{LedgerError, HOLD, UNRESERVE};
use crate::reader::native_sql;
use rusqlite::{params, Connection, OptionalExtension};
use sms::{DeliveryStatus, ErrorCode, Money};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The claim with SQLite's numbered parameters (`?N` binds by its number, as `$N` does
/// through sqlx; a `$N` name would be numbered by first appearance here).
static CLAIM: LazyLock<String> = LazyLock::new(|| native_sql(&claim_sql(Backend::Sqlite)));
static NATIVE_HOLD: LazyLock<String> = LazyLock::new(|| native_sql(HOLD));
static NATIVE_UNRESERVE: LazyLock<String> = LazyLock::new(|| native_sql(UNRESERVE));
static NATIVE_SINGLE_SMS_LIMIT: LazyLock<String> =
    LazyLock::new(|| native_sql(super::SINGLE_SMS_LIMIT));
/// Whether a claimed message is still waiting ([`super::first_decisions`]).
static STILL_WAITING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT 1 FROM messages WHERE id = ?1 AND status IN {}",
        sql_in(&DeliveryStatus::WAITING)
    )
});

/// [`super::claim`].
pub(super) fn claim(
    conn: &Connection,
    node_id: &str,
    limit: i64,
    lease_ms: i64,
) -> rusqlite::Result<Vec<ClaimedMessage>> {
    let now = now_ms();
    let mut claimed: Vec<ClaimedMessage> = conn
        .prepare_cached(&CLAIM)?
        .query_map(
            params![now + lease_ms, node_id, now, now - NODE_TIMEOUT_MS, limit],
            |row| {
                Ok(ClaimedMessage::from(ClaimRow {
                    id: row.get(0)?,
                    batch_id: row.get(1)?,
                    account_id: row.get(2)?,
                    destination: row.get(3)?,
                    parts: row.get(4)?,
                    unit_price_minor: row.get(5)?,
                    status: status_at(row, 6)?,
                    hold_minor: row.get(7)?,
                    route: row.get(8)?,
                    attempts: row.get(9)?,
                }))
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    // Parts accepted in an earlier attempt (only messages still holding their charge have any).
    let mut parts =
        conn.prepare_cached("SELECT part FROM message_parts WHERE message_id = ?1 ORDER BY part")?;
    for m in claimed
        .iter_mut()
        .filter(|m| m.status == DeliveryStatus::Processing)
    {
        m.accepted_parts = parts
            .query_map(params![m.id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(claimed)
}

/// Holds `amount` of the account's available balance; false, changing nothing, when it does
/// not cover it ([`crate::ledger::store::hold`]).
fn hold(conn: &Connection, account_id: i64, amount: Money) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(&NATIVE_HOLD)?
        .execute(params![amount.minor(), account_id])?;
    Ok(n == 1)
}

/// [`super::prepare`]: one hold for all of an account's messages when its balance covers
/// them (the usual case); otherwise one message at a time, in queue order, until the balance
/// runs out.
pub(super) fn prepare(
    conn: &Connection,
    messages: &[ClaimedMessage],
) -> Result<Vec<Prepared>, LedgerError> {
    let now = now_ms();
    let mut still_waiting = HashSet::new();
    let mut waiting = conn.prepare_cached(&STILL_WAITING)?;
    for m in messages.iter().filter(|m| !m.holds_its_charge()) {
        if waiting.exists(params![m.id])? {
            still_waiting.insert(m.id);
        }
    }
    let mut limits = HashMap::new();
    let mut limit_of = conn.prepare_cached(&NATIVE_SINGLE_SMS_LIMIT)?;
    for account_id in super::limited_accounts(messages) {
        if let Some(limit) = limit_of
            .query_row(params![account_id], |row| row.get::<_, i64>(0))
            .optional()?
        {
            limits.insert(account_id, Money::from_minor(limit));
        }
    }
    let (mut out, by_account) = super::first_decisions(messages, &limits, &still_waiting);
    let mut newly_held = Vec::new();
    for (account_id, indexes) in by_account {
        let total: i64 = indexes.iter().map(|&i| messages[i].charge().minor()).sum();
        if hold(conn, account_id, Money::from_minor(total))? {
            for i in indexes {
                out[i] = Some(Prepared::Send);
                newly_held.extend(held_id(&messages[i]));
            }
            continue;
        }
        for i in indexes {
            let m = &messages[i];
            if hold(conn, m.account_id, m.charge())? {
                out[i] = Some(Prepared::Send);
                newly_held.extend(held_id(m));
            } else {
                out[i] = Some(Prepared::Refused(ErrorCode::InsufficientBalance));
            }
        }
    }
    let mut held = conn.prepare_cached(
        "UPDATE messages SET status = ?1, hold_minor = unit_price_minor * parts, updated_at = ?2 WHERE id = ?3",
    )?;
    for id in newly_held {
        held.execute(params![i64::from(DeliveryStatus::Processing), now, id])?;
    }
    let mut refused = conn.prepare_cached(
        "UPDATE messages SET status = ?1, error_code = ?2, done_at = ?3, updated_at = ?3, claimed_until = 0 WHERE id = ?4",
    )?;
    for (m, decision) in messages.iter().zip(&out) {
        if let Some(Prepared::Refused(error)) = decision {
            refused.execute(params![
                i64::from(DeliveryStatus::Undeliverable),
                i64::from(*error),
                now,
                m.id
            ])?;
        }
    }
    let mut unreserve = conn.prepare_cached(&NATIVE_UNRESERVE)?;
    for (account_id, cost) in super::refused_cost(messages, &out) {
        unreserve.execute(params![cost, account_id])?;
    }
    Ok(super::decided(out))
}

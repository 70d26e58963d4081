//! The ledger's postings of the sending path on the SQLite writer's own connection
//! ([`crate::writer`]): the same statements and rules as their sqlx twins in the parent
//! module, each prepared once per process.

use super::{HeldCharge, LedgerError};
use crate::db::now_ms;
use crate::ledger::EntryKind;
use rusqlite::{params, Connection, OptionalExtension};
use sms::Money;

/// [`super::release`]: gives back a hold.
pub fn release(conn: &Connection, account_id: i64, amount: Money) -> Result<(), LedgerError> {
    conn.prepare_cached(
        "UPDATE accounts SET held_minor = held_minor - ?1 WHERE id = ?2 AND held_minor >= ?1",
    )?
    .execute(params![amount.minor(), account_id])?;
    Ok(())
}

/// Whether an entry of `kind` with `reference` exists for the account.
fn posted(
    conn: &Connection,
    account_id: i64,
    kind: EntryKind,
    reference: &str,
) -> Result<bool, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM ledger_entries WHERE account_id = ?1 AND kind = ?2 AND reference = ?3",
        )?
        .query_row(params![account_id, kind.as_str(), reference], |_| Ok(()))
        .optional()?
        .is_some())
}

const INSERT_ENTRY: &str = "INSERT INTO ledger_entries \
     (account_id, kind, amount_minor, balance_after, description, reference, created_by, created_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)";

/// One posting: `balance_update` (`?1` the amount, `?2` the account, `RETURNING
/// balance_minor`) moves the balance, then the entry records it with the balance after.
fn post(
    conn: &Connection,
    balance_update: &str,
    account_id: i64,
    kind: EntryKind,
    amount: Money,
    description: &str,
    reference: &str,
) -> Result<(), LedgerError> {
    let balance_after: i64 = conn
        .prepare_cached(balance_update)?
        .query_row(params![amount.minor(), account_id], |row| row.get(0))
        .optional()?
        .ok_or(LedgerError::NoSuchAccount(account_id))?;
    let delta = if kind.is_debit() {
        -amount.minor()
    } else {
        amount.minor()
    };
    conn.prepare_cached(INSERT_ENTRY)?.execute(params![
        account_id,
        kind.as_str(),
        delta,
        balance_after,
        description,
        reference,
        now_ms()
    ])?;
    Ok(())
}

/// [`super::charge_held`]: turns a hold into the charge entry `reference` names, once; a
/// message charged before (accepted twice after a crash) only has its hold released. A free
/// message posts no entry. Returns whether it was posted now.
pub fn charge_held(
    conn: &Connection,
    account_id: i64,
    amount: Money,
    description: &str,
    reference: &str,
) -> Result<bool, LedgerError> {
    if amount.minor() <= 0 {
        return Ok(false);
    }
    if posted(conn, account_id, EntryKind::Charge, reference)? {
        release(conn, account_id, amount)?;
        return Ok(false);
    }
    post(
        conn,
        "UPDATE accounts SET balance_minor = balance_minor - ?1, held_minor = held_minor - ?1 \
         WHERE id = ?2 AND held_minor >= ?1 RETURNING balance_minor",
        account_id,
        EntryKind::Charge,
        amount,
        description,
        reference,
    )?;
    Ok(true)
}

/// [`super::held_charge_clauses`] for one account on the writer's connection, with prepared
/// statements: each held charge becomes its entry unless its reference was
/// charged before (then its hold is only released); free ones post nothing. One balance
/// update for them all, the entries carrying the running balances that posting them one by
/// one would have written. Returns which were posted now.
pub fn charge_held_many(
    conn: &Connection,
    account_id: i64,
    charges: &[HeldCharge],
) -> Result<Vec<bool>, LedgerError> {
    let mut posted_now = Vec::with_capacity(charges.len());
    for c in charges {
        posted_now.push(
            c.amount.minor() > 0 && !posted(conn, account_id, EntryKind::Charge, &c.reference)?,
        );
    }
    let postings = HeldPostings::new(charges, &posted_now);
    if postings.to_release > 0 {
        release(conn, account_id, Money::from_minor(postings.to_release))?;
    }
    if postings.to_charge == 0 {
        return Ok(posted_now);
    }
    let balance_now: i64 = conn
        .prepare_cached(
            "UPDATE accounts SET balance_minor = balance_minor - ?1, held_minor = held_minor - ?1 \
             WHERE id = ?2 AND held_minor >= ?1 RETURNING balance_minor",
        )?
        .query_row(params![postings.to_charge, account_id], |row| row.get(0))
        .optional()?
        .ok_or(LedgerError::NoSuchAccount(account_id))?;
    let created_at = now_ms();
    let mut insert = conn.prepare_cached(INSERT_ENTRY)?;
    for (c, balance_after) in postings
        .to_post
        .iter()
        .zip(postings.balances_after(balance_now))
    {
        insert.execute(params![
            account_id,
            EntryKind::Charge.as_str(),
            -c.amount.minor(),
            balance_after,
            c.description,
            c.reference,
            created_at
        ])?;
    }
    Ok(posted_now)
}

/// A refund of `amount` (a credit, never refused), once per `reference`. Returns whether it
/// was posted now.
pub fn refund(
    conn: &Connection,
    account_id: i64,
    amount: Money,
    description: &str,
    reference: &str,
) -> Result<bool, LedgerError> {
    if amount.minor() <= 0 || posted(conn, account_id, EntryKind::Refund, reference)? {
        return Ok(false);
    }
    post(
        conn,
        "UPDATE accounts SET balance_minor = balance_minor + ?1 WHERE id = ?2 RETURNING balance_minor",
        account_id,
        EntryKind::Refund,
        amount,
        description,
        reference,
    )?;
    Ok(true)
}

/// How one account's held charges are posted, `posted` saying which: the sum to charge, the
/// sum whose hold is only released, and the charges to post, in order.
struct HeldPostings<'a> {
    to_charge: i64,
    to_release: i64,
    to_post: Vec<&'a HeldCharge>,
}

impl<'a> HeldPostings<'a> {
    fn new(charges: &'a [HeldCharge], posted: &[bool]) -> HeldPostings<'a> {
        let sum = |post: bool| {
            charges
                .iter()
                .zip(posted)
                .filter(|(_, p)| **p == post)
                .map(|(c, _)| c.amount.minor())
                .sum::<i64>()
        };
        HeldPostings {
            to_charge: sum(true),
            to_release: sum(false),
            to_post: charges
                .iter()
                .zip(posted)
                .filter(|(_, p)| **p)
                .map(|(c, _)| c)
                .collect(),
        }
    }

    /// The balance after each charge to post, given the balance after all of them (what the
    /// one balance update returned): what posting them one by one would have written in their
    /// entries.
    fn balances_after(&self, balance_now: i64) -> Vec<i64> {
        let mut balance = balance_now + self.to_charge;
        self.to_post
            .iter()
            .map(|c| {
                balance -= c.amount.minor();
                balance
            })
            .collect()
    }
}

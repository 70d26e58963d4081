//! Posting entries and checking the ledger's invariant.

use super::{EntryKind, LedgerEntry};
use crate::db::now_ms;
use sms::Money;
use sqlx::AnyConnection;

/// The columns of [`LedgerEntryRow`], for every statement that reads whole entries.
const LEDGER_ENTRY_COLUMNS: &str =
    "id, account_id, kind, amount_minor, balance_after, description, created_at";

/// A `ledger_entries` row as stored; [`LedgerEntry`] stays free of sqlx for the browser build.
#[derive(sqlx::FromRow)]
struct LedgerEntryRow {
    id: i64,
    account_id: i64,
    kind: String,
    amount_minor: i64,
    balance_after: i64,
    description: String,
    created_at: i64,
}

impl From<LedgerEntryRow> for LedgerEntry {
    fn from(r: LedgerEntryRow) -> Self {
        LedgerEntry {
            id: r.id,
            account_id: r.account_id,
            kind: r.kind,
            amount: Money::from_minor(r.amount_minor),
            balance_after: Money::from_minor(r.balance_after),
            description: r.description,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("insufficient balance: {shortfall} more is needed")]
    InsufficientBalance { shortfall: Money },
    #[error("account {0} does not exist")]
    NoSuchAccount(i64),
    #[error("this posting was already recorded")]
    AlreadyPosted,
    #[error("an amount of {0} is not allowed for this kind of entry")]
    BadAmount(Money),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// From the SQLite writer's own connection ([`native`]).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

pub mod native;

/// A posting to make: `amount` is positive; debits are negated from `kind`.
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub account_id: i64,
    pub kind: EntryKind,
    pub amount: Money,
    pub description: &'a str,
    /// Makes the posting idempotent: the same (account, kind, reference) posts once.
    pub reference: Option<&'a str>,
    /// The staff member who made it, for transfers, top-up confirmations and fees.
    pub created_by: Option<i64>,
}

/// Posts one entry inside the caller's transaction. The balance update comes first so the
/// transaction takes its write lock before reading anything (SQLite upgrades from a read lock
/// can fail under contention; starting with the write avoids that), and its guard
/// `balance + delta >= 0` makes check-and-debit one atomic step on both backends.
pub async fn post(
    conn: &mut AnyConnection,
    posting: Posting<'_>,
) -> Result<LedgerEntry, LedgerError> {
    if posting.amount.minor() <= 0 {
        return Err(LedgerError::BadAmount(posting.amount));
    }
    let delta = if posting.kind.is_debit() {
        -posting.amount.minor()
    } else {
        posting.amount.minor()
    };
    // Money held for messages being submitted is not available to other debits.
    let updated: Option<i64> = sqlx::query_scalar(
        "UPDATE accounts SET balance_minor = balance_minor + $1 \
         WHERE id = $2 AND ($1 >= 0 OR balance_minor - held_minor + $1 >= 0) RETURNING balance_minor",
    )
    .bind(delta)
    .bind(posting.account_id)
    .fetch_optional(&mut *conn)
    .await?;
    let balance_after: i64 = match updated {
        Some(balance) => balance,
        None => {
            let available: Option<i64> =
                sqlx::query_scalar("SELECT balance_minor - held_minor FROM accounts WHERE id = $1")
                    .bind(posting.account_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            return Err(match available {
                Some(balance) => LedgerError::InsufficientBalance {
                    shortfall: Money::from_minor(-(balance + delta)),
                },
                None => LedgerError::NoSuchAccount(posting.account_id),
            });
        }
    };
    let created_at = now_ms();
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO ledger_entries \
         (account_id, kind, amount_minor, balance_after, description, reference, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(posting.account_id)
    .bind(posting.kind.as_str())
    .bind(delta)
    .bind(balance_after)
    .bind(posting.description)
    .bind(posting.reference)
    .bind(posting.created_by)
    .bind(created_at)
    .fetch_one(&mut *conn)
    .await;
    let id: i64 = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(LedgerError::AlreadyPosted)
        }
        Err(e) => return Err(e.into()),
    };
    Ok(LedgerEntry {
        id,
        account_id: posting.account_id,
        kind: posting.kind.as_str().to_string(),
        amount: Money::from_minor(delta),
        balance_after: Money::from_minor(balance_after),
        description: posting.description.to_string(),
        created_at,
    })
}

/// The account's balance and what is held of it for messages being submitted; `None` when
/// there is no such account.
pub async fn balance_and_held(
    db: &crate::db::Db,
    account_id: i64,
) -> Result<Option<(Money, Money)>, sqlx::Error> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT balance_minor, held_minor FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(b, h)| (Money::from_minor(b), Money::from_minor(h))))
}

/// The account's cached balance and the sum of its entries; equal unless something is broken.
pub async fn balance_and_entry_sum(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<(Money, Money), LedgerError> {
    let (balance, entry_sum): (i64, i64) = sqlx::query_as(
        "SELECT a.balance_minor, \
                CAST(COALESCE((SELECT SUM(amount_minor) FROM ledger_entries e WHERE e.account_id = a.id), 0) AS BIGINT) \
         FROM accounts a WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(LedgerError::NoSuchAccount(account_id))?;
    Ok((Money::from_minor(balance), Money::from_minor(entry_sum)))
}

/// Holds `amount` of the account's balance for waiting messages about to be submitted: it
/// moves from what the waiting messages will cost (`waiting_minor`, reserved at intake) to what
/// is held. `$1` the amount, `$2` the account. No row when balance - held does not cover it.
///
/// The statements that keep `waiting_minor` never take it below zero: were it ever out of
/// step with the messages (a hand-edited row), its `CHECK` would otherwise fail every hold of
/// the account's chunk and stop sending. `accounts_out_of_balance` reports such a row.
pub(crate) const HOLD: &str = "UPDATE accounts SET held_minor = held_minor + $1, \
     waiting_minor = CASE WHEN waiting_minor > $1 THEN waiting_minor - $1 ELSE 0 END \
     WHERE id = $2 AND balance_minor - held_minor >= $1";

/// Takes waiting messages that will not be sent (refused, or their schedule deleted) off what
/// the account's waiting messages will cost. `$1` their cost, `$2` the account.
pub(crate) const UNRESERVE: &str = "UPDATE accounts SET \
     waiting_minor = CASE WHEN waiting_minor > $1 THEN waiting_minor - $1 ELSE 0 END WHERE id = $2";

/// Holds `amount` of the account's available balance (balance - held) for waiting messages
/// about to be submitted ([`HOLD`]). Returns false, changing nothing, when the available
/// balance does not cover it.
pub async fn hold(
    conn: &mut AnyConnection,
    account_id: i64,
    amount: Money,
) -> Result<bool, LedgerError> {
    let n = sqlx::query(HOLD)
        .bind(amount.minor())
        .bind(account_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Gives back a hold (the operator refused the message, or it was not sent).
pub async fn release(
    conn: &mut AnyConnection,
    account_id: i64,
    amount: Money,
) -> Result<(), LedgerError> {
    sqlx::query(
        "UPDATE accounts SET held_minor = held_minor - $1 WHERE id = $2 AND held_minor >= $1",
    )
    .bind(amount.minor())
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Turns a hold into a charge entry when the operator accepts the message. `reference` names
/// the message, so a message accepted twice (resubmitted after a crash) is charged once: the
/// second time only the hold is released.
pub async fn charge_held(
    conn: &mut AnyConnection,
    account_id: i64,
    amount: Money,
    description: &str,
    reference: &str,
) -> Result<Option<LedgerEntry>, LedgerError> {
    let already = sqlx::query(
        "SELECT 1 FROM ledger_entries WHERE account_id = $1 AND kind = 'charge' AND reference = $2",
    )
    .bind(account_id)
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    if already.is_some() {
        release(conn, account_id, amount).await?;
        return Ok(None);
    }
    let balance_after: i64 = sqlx::query_scalar(
        "UPDATE accounts SET balance_minor = balance_minor - $1, held_minor = held_minor - $1 \
         WHERE id = $2 AND held_minor >= $1 RETURNING balance_minor",
    )
    .bind(amount.minor())
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(LedgerError::NoSuchAccount(account_id))?;
    let created_at = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_entries (account_id, kind, amount_minor, balance_after, description, reference, created_by, created_at) \
         VALUES ($1, 'charge', $2, $3, $4, $5, NULL, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(-amount.minor())
    .bind(balance_after)
    .bind(description)
    .bind(reference)
    .bind(created_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(LedgerEntry {
        id,
        account_id,
        kind: "charge".into(),
        amount: Money::from_minor(-amount.minor()),
        balance_after: Money::from_minor(balance_after),
        description: description.to_string(),
        created_at,
    }))
}

/// One held charge to turn into a ledger entry (see [`charge_held_many`]).
pub struct HeldCharge {
    pub amount: Money,
    pub description: String,
    /// Unique per charge (e.g. `msg-<id>`): a charge already posted is not posted again.
    pub reference: String,
}

/// [`charge_held`] for many held charges of any accounts, as `WITH` clauses of one PostgreSQL
/// statement that also writes what the charges are for (one round trip instead of one per
/// step). The statement's earlier clause `held_charges(account_id, amount, description,
/// reference, n, ...)` names the charges, `n` ordering them; these clauses follow it and add:
/// - `charges`: `held_charges` with `posted`, whether the hold becomes its charge now: not if
///   its reference was charged before (a message accepted again after a crash: its hold is
///   only released) nor if it is free (a verification code the installation pays for);
/// - `charge_sums(account_id, to_charge, to_release)`;
/// - the caller's `writes`, (name, data-modifying statement with `RETURNING`) that may read
///   `charges`: they run to completion before any account row is locked;
/// - `charged_accounts(id)`: the accounts, locked in id order (the order every transaction
///   locks account rows in), then one balance update each; an account of `charge_sums`
///   missing here does not hold enough for its charges, and the statement must fail (select
///   `ferry_cannot_charge(account_id)` for it, see [`cannot_charge`]);
/// - one ledger entry per posted charge, in `n` order per account, carrying the running
///   balance that posting them one by one would have written, created at `created_at` (a
///   parameter such as `$5`).
///
/// Every other charge and hold of an account waits for its row while it is locked, so the
/// account rows are locked last: then only the balance update, the ledger entries and the
/// commit keep them.
pub(crate) fn held_charge_clauses(created_at: &str, writes: &[(&str, String)]) -> String {
    let writes_sql: String = writes
        .iter()
        .map(|(name, sql)| format!("{name} AS ({sql}), "))
        .collect();
    // An uncorrelated condition is checked once, before the accounts are read: counting each
    // write's rows runs it to completion first.
    let written: Vec<String> = writes
        .iter()
        .map(|(name, _)| format!("(SELECT count(*) FROM {name})"))
        .chain(std::iter::once("0".to_string()))
        .collect();
    let written = written.join(" + ");
    // `account_id + 0` keeps the planner from reading every entry of the account through
    // `ledger_entries_account_time`: the statistics of a ledger that grew since it was last
    // analysed (a new install's first big batch) promised a few rows there, and each check
    // read them all (9 ms at 1,000 entries, growing with the ledger). The unique index on
    // (reference, account_id, kind) finds each one.
    format!(
        "charges AS ( \
           SELECT h.*, h.amount > 0 AND NOT EXISTS ( \
             SELECT 1 FROM ledger_entries l WHERE l.reference = h.reference \
             AND l.account_id + 0 = h.account_id AND l.kind = 'charge') AS posted \
           FROM held_charges h), \
         charge_sums AS ( \
           SELECT account_id, \
             COALESCE(sum(amount) FILTER (WHERE posted), 0)::int8 AS to_charge, \
             COALESCE(sum(amount) FILTER (WHERE NOT posted), 0)::int8 AS to_release \
           FROM charges GROUP BY account_id), \
         {writes_sql}\
         charge_accounts AS MATERIALIZED ( \
           SELECT id FROM accounts WHERE id IN (SELECT account_id FROM charge_sums) \
             AND ({written}) >= 0 \
           ORDER BY id FOR UPDATE), \
         charged_accounts AS ( \
           UPDATE accounts a SET balance_minor = a.balance_minor - s.to_charge, \
             held_minor = a.held_minor - s.to_charge \
               - CASE WHEN a.held_minor >= s.to_release THEN s.to_release ELSE 0 END \
           FROM charge_sums s JOIN charge_accounts l ON l.id = s.account_id \
           WHERE a.id = s.account_id AND a.held_minor \
             - CASE WHEN a.held_minor >= s.to_release THEN s.to_release ELSE 0 END >= s.to_charge \
           RETURNING a.id, a.balance_minor, s.to_charge), \
         charge_entries AS ( \
           INSERT INTO ledger_entries (account_id, kind, amount_minor, balance_after, description, \
             reference, created_by, created_at) \
           SELECT c.account_id, 'charge', -c.amount, \
             ca.balance_minor + ca.to_charge - (sum(c.amount) OVER (PARTITION BY c.account_id ORDER BY c.n))::int8, \
             c.description, c.reference, NULL, {created_at} \
           FROM charges c JOIN charged_accounts ca ON ca.id = c.account_id \
           WHERE c.posted ORDER BY c.account_id, c.n)"
    )
}

/// The account a statement of [`held_charge_clauses`] failed for, because it did not hold
/// enough for its charges (`ferry_cannot_charge`, migration 0024, raises SQLSTATE `FY001`
/// with the account's id in its message); `None` for any other error.
pub(crate) fn cannot_charge(error: &sqlx::Error) -> Option<i64> {
    let sqlx::Error::Database(e) = error else {
        return None;
    };
    if e.code().as_deref() != Some(CANNOT_CHARGE) {
        return None;
    }
    e.message().split_whitespace().find_map(|w| w.parse().ok())
}

/// The SQLSTATE of `ferry_cannot_charge`.
const CANNOT_CHARGE: &str = "FY001";

/// Moves `amount` from one account to another: a transfer-out and a transfer-in entry in the
/// caller's transaction, sharing one reference. The two rows are always locked lower id first,
/// so transfers racing in opposite directions cannot deadlock.
#[allow(clippy::too_many_arguments)]
pub async fn transfer(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    amount: Money,
    out_description: &str,
    in_description: &str,
    reference: &str,
    created_by: Option<i64>,
) -> Result<(), LedgerError> {
    let out = Posting {
        account_id: from,
        kind: EntryKind::TransferOut,
        amount,
        description: out_description,
        reference: Some(reference),
        created_by,
    };
    let incoming = Posting {
        account_id: to,
        kind: EntryKind::TransferIn,
        amount,
        description: in_description,
        reference: Some(reference),
        created_by,
    };
    let (first, second) = if from < to {
        (out, incoming)
    } else {
        (incoming, out)
    };
    post(&mut *conn, first).await?;
    post(&mut *conn, second).await?;
    Ok(())
}

/// Statement entries of one account, newest first, filtered.
pub async fn entries(
    db: &crate::db::Db,
    account_id: i64,
    filter: &super::StatementFilter,
    limit: i64,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    entries_before(db, account_id, filter, i64::MAX, limit).await
}

/// [`entries`] with ids below `before_id`, newest first: the next page of a long statement.
pub async fn entries_before(
    db: &crate::db::Db,
    account_id: i64,
    filter: &super::StatementFilter,
    before_id: i64,
    limit: i64,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    let sql = format!(
        "SELECT {LEDGER_ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = $1 \
         AND ($2 = '' OR kind = $2) AND created_at >= $3 AND created_at < $4 AND id < $6 \
         ORDER BY id DESC LIMIT $5"
    );
    let rows: Vec<LedgerEntryRow> = sqlx::query_as(&sql)
        .bind(account_id)
        .bind(filter.kind.clone().unwrap_or_default())
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.to.unwrap_or(i64::MAX))
        .bind(limit)
        .bind(before_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(LedgerEntry::from).collect())
}

/// The account's sending per Hong Kong day for the `days` days ending with the day of `now`
/// (oldest first, days without sending included as zero). Read from the ledger, which
/// retention never deletes, so the chart survives the messages it counts.
pub async fn daily_usage(
    db: &crate::db::Db,
    account_id: i64,
    now: i64,
    days: i64,
) -> Result<Vec<super::DayUsage>, sqlx::Error> {
    let today = super::hkt_day(now);
    let first = today - days + 1;
    let since = first * super::DAY_MS - super::HKT_OFFSET_MS;
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT (created_at + $3) / $4, \
                CAST(SUM(CASE WHEN kind = 'charge' THEN 1 ELSE 0 END) AS BIGINT), \
                CAST(-SUM(amount_minor) AS BIGINT) \
         FROM ledger_entries WHERE account_id = $1 AND created_at >= $2 AND kind IN ('charge', 'refund') \
         GROUP BY 1",
    )
    .bind(account_id)
    .bind(since)
    .bind(super::HKT_OFFSET_MS)
    .bind(super::DAY_MS)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<super::DayUsage> = (first..=today)
        .map(|d| super::DayUsage {
            date: super::hkt_day_label(d),
            messages: 0,
            spend: Money::ZERO,
        })
        .collect();
    for (day, messages, spend) in rows {
        if let Some(slot) = usize::try_from(day - first)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            slot.messages = messages;
            slot.spend = Money::from_minor(spend);
        }
    }
    Ok(out)
}

/// The ledger's invariant for every account: cached balance = sum of entries, and each entry's
/// `balance_after` is the running sum. Returns the ids of accounts that break it.
///
/// One pass over the entries in `(account_id, id)` order (the index's order): a window sum
/// gives each entry its running total, so the check grows with the number of entries, not
/// with its square (the per-entry subquery it replaces took ~50 s on 50,000 entries).
///
/// It also checks what each account row keeps of its waiting messages' cost (migration 0020)
/// against the messages themselves: intake counts it as spent.
pub async fn accounts_out_of_balance(db: &crate::db::Db) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids: Vec<i64> = sqlx::query_scalar(OUT_OF_BALANCE)
        .fetch_all(db.pool())
        .await?;
    let waiting = crate::delivery::store::sql_in(&sms::DeliveryStatus::WAITING);
    let out_of_step: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT a.id FROM accounts a \
           LEFT JOIN (SELECT account_id, SUM(parts * unit_price_minor) AS total FROM messages \
                      WHERE status IN {waiting} GROUP BY account_id) w ON w.account_id = a.id \
         WHERE a.waiting_minor <> COALESCE(w.total, 0)"
    ))
    .fetch_all(db.pool())
    .await?;
    ids.extend(out_of_step);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The statement behind [`accounts_out_of_balance`], also run on a backup file on its own.
pub const OUT_OF_BALANCE: &str = "SELECT account_id FROM ( \
       SELECT account_id, balance_after, \
         SUM(amount_minor) OVER (PARTITION BY account_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS running \
       FROM ledger_entries) entries \
     WHERE balance_after <> running \
     UNION \
     SELECT a.id FROM accounts a \
       LEFT JOIN (SELECT account_id, SUM(amount_minor) AS total FROM ledger_entries GROUP BY account_id) t \
         ON t.account_id = a.id \
     WHERE a.balance_minor <> COALESCE(t.total, 0) \
     ORDER BY 1";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::all_backends;
    use crate::db::Db;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    async fn new_account(db: &Db, login: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO accounts (login_name, password_hash, role, status, company_name, contact_email, mobile, created_at) \
             VALUES ($1, 'x', 'customer', 'normal', 'Co', 'a@b.example', '85291234567', $2) RETURNING id",
        )
        .bind(login)
        .bind(now_ms())
        .fetch_one(db.pool())
        .await
        .expect("insert account")
    }

    async fn post_in_tx(db: &Db, posting: Posting<'_>) -> Result<LedgerEntry, LedgerError> {
        let mut tx = db.begin_write().await?;
        let entry = post(&mut tx, posting).await?;
        tx.commit().await?;
        Ok(entry)
    }

    fn top_up(account_id: i64, amount: Money) -> Posting<'static> {
        Posting {
            account_id,
            kind: EntryKind::TopUp,
            amount,
            description: "top-up",
            reference: None,
            created_by: None,
        }
    }

    fn charge(account_id: i64, amount: Money) -> Posting<'static> {
        Posting {
            kind: EntryKind::Charge,
            description: "charge",
            ..top_up(account_id, amount)
        }
    }

    #[tokio::test]
    async fn a_charge_equal_to_the_balance_is_accepted_and_one_cent_more_is_not() {
        // playSMS #363: the exact boundary must pass.
        for t in all_backends().await {
            let id = new_account(&t.db, "boundary").await;
            post_in_tx(&t.db, top_up(id, Money::from_minor(500)))
                .await
                .expect("top up");
            let err = post_in_tx(&t.db, charge(id, Money::from_minor(501)))
                .await
                .expect_err("over balance");
            assert!(
                matches!(err, LedgerError::InsufficientBalance { shortfall } if shortfall == Money::from_minor(1)),
                "{}: {err:?}",
                t.name
            );
            let entry = post_in_tx(&t.db, charge(id, Money::from_minor(500)))
                .await
                .expect("exact balance");
            assert_eq!(entry.balance_after, Money::ZERO, "{}", t.name);
        }
    }

    #[tokio::test]
    async fn concurrent_charges_never_overdraw() {
        // playSMS #522: N racing charges against a balance covering N-1 → exactly N-1 succeed.
        const N: usize = 12;
        for t in all_backends().await {
            let id = new_account(&t.db, "race").await;
            post_in_tx(&t.db, top_up(id, Money::from_minor(100 * (N as i64 - 1))))
                .await
                .expect("top up");
            let accepted = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..N {
                let db = t.db.clone();
                let accepted = accepted.clone();
                tasks.push(tokio::spawn(async move {
                    match post_in_tx(&db, charge(id, Money::from_minor(100))).await {
                        Ok(_) => {
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(LedgerError::InsufficientBalance { .. }) => {}
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }));
            }
            for task in tasks {
                task.await.expect("task");
            }
            assert_eq!(accepted.load(Ordering::SeqCst), N - 1, "{}", t.name);
            let mut conn = t.db.pool().acquire().await.expect("conn");
            let (balance, sum) = balance_and_entry_sum(&mut conn, id).await.expect("sums");
            assert_eq!(balance, Money::ZERO, "{}", t.name);
            assert_eq!(balance, sum, "{}", t.name);
        }
    }

    /// Thousands of random top-ups, charges, refunds and transfers from several tasks at once:
    /// afterwards every balance equals the sum of its entries, each entry's running balance is
    /// right, no balance went negative, and every acknowledged operation left exactly its
    /// entries (none lost, none doubled).
    #[tokio::test]
    async fn random_concurrent_operations_keep_every_balance_equal_to_its_entries() {
        use rand::{Rng, SeedableRng};
        const TASKS: u64 = 4;
        const OPS: usize = 300;
        for t in all_backends().await {
            let mut ids = Vec::new();
            for i in 0..4 {
                ids.push(new_account(&t.db, &format!("acct{i}")).await);
            }
            let ids = Arc::new(ids);
            let mut tasks = Vec::new();
            for seed in 0..TASKS {
                let db = t.db.clone();
                let ids = ids.clone();
                tasks.push(tokio::spawn(async move {
                    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
                    let mut acknowledged_entries = 0u64;
                    for op in 0..OPS {
                        let a = ids[rng.gen_range(0..ids.len())];
                        let b = ids[rng.gen_range(0..ids.len())];
                        let amount = Money::from_minor(rng.gen_range(1..5_000));
                        let mut tx = db.begin_write().await.expect("begin");
                        let kind = rng.gen_range(0..4);
                        let result = match kind {
                            0 => post(&mut tx, top_up(a, amount)).await.map(|_| 1),
                            1 => post(&mut tx, charge(a, amount)).await.map(|_| 1),
                            2 => post(
                                &mut tx,
                                Posting {
                                    kind: EntryKind::Refund,
                                    ..top_up(a, amount)
                                },
                            )
                            .await
                            .map(|_| 1),
                            _ if a != b => {
                                let reference = format!("t{seed}-{op}");
                                transfer(&mut tx, a, b, amount, "out", "in", &reference, None)
                                    .await
                                    .map(|_| 2)
                            }
                            _ => Ok(0),
                        };
                        match result {
                            Ok(n) => {
                                tx.commit().await.expect("commit");
                                acknowledged_entries += n;
                            }
                            Err(LedgerError::InsufficientBalance { .. }) => {
                                tx.rollback().await.expect("rollback")
                            }
                            Err(e) => panic!("unexpected: {e}"),
                        }
                    }
                    acknowledged_entries
                }));
            }
            let mut acknowledged = 0;
            for task in tasks {
                acknowledged += task.await.expect("task");
            }
            let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries")
                .fetch_one(t.db.pool())
                .await
                .expect("count");
            assert_eq!(
                entries as u64, acknowledged,
                "{}: entries lost or doubled",
                t.name
            );
            assert_eq!(
                accounts_out_of_balance(&t.db).await.expect("check"),
                Vec::<i64>::new(),
                "{}",
                t.name
            );
            let negative: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE balance_minor < 0")
                    .fetch_one(t.db.pool())
                    .await
                    .expect("q");
            assert_eq!(negative, 0, "{}", t.name);
        }
    }

    #[tokio::test]
    async fn the_invariant_check_names_exactly_the_accounts_that_break_it() {
        for t in all_backends().await {
            let ids = [
                new_account(&t.db, "sound").await,
                new_account(&t.db, "cached-balance-off").await,
                new_account(&t.db, "running-sum-off").await,
                new_account(&t.db, "no-entries").await,
            ];
            for &id in &ids[..3] {
                for amount in [500, 250, 125] {
                    post_in_tx(&t.db, top_up(id, Money::from_minor(amount)))
                        .await
                        .expect("top up");
                }
                post_in_tx(&t.db, charge(id, Money::from_minor(75)))
                    .await
                    .expect("charge");
            }
            assert_eq!(
                accounts_out_of_balance(&t.db).await.expect("check"),
                Vec::<i64>::new(),
                "{}",
                t.name
            );
            // A cached balance that is not the sum of its entries…
            sqlx::query("UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = $1")
                .bind(ids[1])
                .execute(t.db.pool())
                .await
                .expect("corrupt the balance");
            // …an entry whose balance_after is not the running sum (the total still matches)…
            sqlx::query(
                "UPDATE ledger_entries SET balance_after = balance_after + 7 \
                 WHERE id = (SELECT MIN(id) FROM ledger_entries WHERE account_id = $1)",
            )
            .bind(ids[2])
            .execute(t.db.pool())
            .await
            .expect("corrupt an entry");
            // …and a balance with no entry behind it.
            sqlx::query("UPDATE accounts SET balance_minor = 100 WHERE id = $1")
                .bind(ids[3])
                .execute(t.db.pool())
                .await
                .expect("corrupt an empty account");
            assert_eq!(
                accounts_out_of_balance(&t.db).await.expect("check"),
                ids[1..].to_vec(),
                "{}",
                t.name
            );
        }
    }

    #[tokio::test]
    async fn a_reference_posts_only_once() {
        for t in all_backends().await {
            let id = new_account(&t.db, "idem").await;
            let posting = Posting {
                reference: Some("payment-7"),
                ..top_up(id, Money::hkd(300))
            };
            post_in_tx(&t.db, posting.clone()).await.expect("first");
            let err = post_in_tx(&t.db, posting).await.expect_err("second");
            assert!(
                matches!(err, LedgerError::AlreadyPosted),
                "{}: {err:?}",
                t.name
            );
            let mut conn = t.db.pool().acquire().await.expect("conn");
            let (balance, sum) = balance_and_entry_sum(&mut conn, id).await.expect("sums");
            assert_eq!(
                (balance, sum),
                (Money::hkd(300), Money::hkd(300)),
                "{}",
                t.name
            );
        }
    }
}

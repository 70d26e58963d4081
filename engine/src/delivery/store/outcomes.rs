//! What became of a submission: accepted (parts and their SMSC ids), refused, to retry, or
//! expired; the charges that follow; and messages that outlived their validity period.

use super::*;
use crate::db::{now_ms, pg_bool_array, pg_int8_array, pg_text_array, Db};
use crate::delivery::write_sizes::WriteKind;
use crate::ledger::store::{charge_held, held_charge_clauses, release, LedgerError};
use futures::FutureExt;
use sms::{DeliveryStatus, ErrorCode, Money};
use sqlx::AnyConnection;
use std::collections::HashMap;

mod native;

/// One part the operator accepted: (part number, SMSC message id, its lookup keys).
pub type AcceptedPart = (i64, String, Vec<String>);

/// How a submitted message ended its attempt. `accepted` lists the parts the operator took in
/// this attempt; parts taken in earlier attempts are in [`ClaimedMessage::accepted_parts`].
#[derive(Debug, Clone)]
pub enum SubmitResult {
    /// Every remaining part accepted.
    Accepted {
        smsc: String,
        parts: Vec<AcceptedPart>,
        /// Routes without delivery reports end at SUBMITTED (§5, HK Economic).
        final_on_acceptance: bool,
        expires_at: i64,
    },
    /// Refused by the operator: UNDELIVERABLE with `error`. Nothing refused is charged (§7,
    /// Jasmin #603); parts accepted before the refusal reached the handset and are charged.
    Rejected {
        error: ErrorCode,
        smsc: String,
        accepted: Vec<AcceptedPart>,
    },
    /// Not finished (connection lost, timeout, operator throttling, no SMSC bound): the hold
    /// stays, the accepted parts are recorded, and the rest is tried again at `retry_at`.
    Retry {
        retry_at: i64,
        smsc: String,
        accepted: Vec<AcceptedPart>,
    },
    /// The validity period ran out before every part was handed over: EXPIRED (error 7),
    /// parts accepted before are charged.
    Expired {
        smsc: String,
        accepted: Vec<AcceptedPart>,
    },
}

impl SubmitResult {
    /// A refusal before anything reached an operator.
    pub fn refused(error: ErrorCode) -> SubmitResult {
        SubmitResult::Rejected {
            error,
            smsc: String::new(),
            accepted: Vec::new(),
        }
    }
}

/// How long a message waits before its `attempts`-th retry: 2 s, doubling, at most 5 minutes.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 16) - 1;
    (2_000i64 << doublings).min(5 * 60_000)
}

/// The messages whose outcome is still to be recorded, as an SQL condition: a paid message
/// holds its charge (PROCESSING, `hold_minor > 0`) until then; a free one, with nothing to
/// hold, stays waiting ([`ClaimedMessage::is_free`]). A message whose outcome was recorded
/// (by an earlier attempt, or by a dispatcher that took its claim over) is neither.
/// `processing` is the parameter holding PROCESSING; `keyed` adds `+ 0` to every column, so
/// that no index on them can serve the condition ([`ACCEPTANCES`]).
pub(super) fn in_attempt(processing: &str, keyed: bool) -> String {
    let k = if keyed { " + 0" } else { "" };
    format!(
        "((status{k} = {processing} AND hold_minor{k} > 0) \
         OR (status{k} IN {waiting} AND unit_price_minor{k} = 0))",
        waiting = sql_in(&DeliveryStatus::WAITING)
    )
}

/// Records the outcome of one attempt. Acceptance turns the hold into the message's one charge
/// and records its parts' SMSC ids (receipts that arrived first are applied by
/// [`apply_unmatched_receipts`]).
/// Records many outcomes in one transaction (one disk sync for a whole chunk). Acceptances,
/// nearly all of them, are written set-wise: a handful of statements for the whole group
/// instead of a dozen per message, which is what lets one SQLite writer keep up with the SMSC.
pub async fn record_many(
    db: &Db,
    results: Vec<(ClaimedMessage, SubmitResult)>,
) -> Result<(), LedgerError> {
    let rows = results.len();
    // SQLite always writes natively (an SQLite database is a file the writer opens), so the
    // statements below through sqlx are PostgreSQL's.
    if db.writes_natively() {
        return db
            .write_native(
                WriteKind::Outcome,
                |n: &usize| *n,
                move |conn| {
                    native::record_many(conn, &results)?;
                    Ok(rows)
                },
            )
            .await
            .map(|_| ());
    }
    // A group of acceptances only (nearly every group) is one statement, which commits as it
    // ends ([`Db::write_one_statement`]): its account row stays locked for the statement
    // alone, not also for the round trip of a `COMMIT`, and every other group of the account
    // waits for that lock.
    if results
        .iter()
        .all(|(_, r)| matches!(r, SubmitResult::Accepted { .. }))
    {
        return db
            .write_one_statement(
                WriteKind::Outcome,
                |n: &usize| *n,
                move |conn| {
                    async move {
                        let accepted: Vec<Acceptance> = results
                            .iter()
                            // The statement charges the hold it reads under its lock.
                            .filter_map(|(m, r)| Acceptance::of(m, m.hold, r))
                            .collect();
                        record_acceptances(conn, &accepted).await?;
                        Ok(rows)
                    }
                    .boxed()
                },
            )
            .await
            .map(|_| ());
    }
    db.write(
        WriteKind::Outcome,
        |n: &usize| *n,
        move |conn| {
            async move {
                record_many_in(conn, &results).await?;
                Ok(rows)
            }
            .boxed()
        },
    )
    .await
    .map(|_| ())
}

/// [`record_many`] on PostgreSQL. Every statement has one text whatever the number of rows
/// (ids and values bound as arrays), so each connection parses it once.
async fn record_many_in(
    tx: &mut AnyConnection,
    results: &[(ClaimedMessage, SubmitResult)],
) -> Result<(), LedgerError> {
    // Guard: only messages still in their attempt are recorded ([`in_attempt`]; a message
    // recorded by an earlier attempt, or taken over after a crash, is left alone). The rows are
    // locked, in id order as everywhere else, so a second recorder of the same message (a claim
    // taken over from a process presumed dead) waits, then finds it recorded and skips it.
    let mut holding: HashMap<i64, i64> = HashMap::new();
    if !results.is_empty() {
        holding.extend(
            sqlx::query_as::<_, (i64, i64)>(&format!(
                "SELECT id, hold_minor FROM messages WHERE id = ANY($1::int8[]) AND {} \
                 ORDER BY id FOR UPDATE",
                in_attempt("$2", false)
            ))
            .bind(pg_int8_array(results.iter().map(|(m, _)| m.id)))
            .bind(i64::from(DeliveryStatus::Processing))
            .fetch_all(&mut *tx)
            .await?,
        );
    }
    // A message that did not end accepted charges or releases its hold as it comes, locking
    // its account row there; acceptances post theirs last, locking their accounts in id order.
    // A group with both and several accounts could then lock two accounts in the opposite
    // order to another group recorded at the same time (a deadlock, the group's accepted
    // messages given back and sent again), so such a group locks every account it touches
    // first, in id order, the order every transaction locks account rows in.
    let recorded: Vec<&(ClaimedMessage, SubmitResult)> = results
        .iter()
        .filter(|(m, _)| holding.contains_key(&m.id))
        .collect();
    let accounts: std::collections::BTreeSet<i64> =
        recorded.iter().map(|(m, _)| m.account_id).collect();
    let settles_as_it_goes = recorded
        .iter()
        .any(|(_, r)| !matches!(r, SubmitResult::Accepted { .. }));
    if settles_as_it_goes && accounts.len() > 1 {
        sqlx::query("SELECT id FROM accounts WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE")
            .bind(pg_int8_array(accounts))
            .fetch_all(&mut *tx)
            .await?;
    }
    let mut accepted = Vec::new();
    for (m, result) in recorded {
        let Some(held) = holding.remove(&m.id) else {
            continue;
        };
        let held = Money::from_minor(held);
        match Acceptance::of(m, held, result) {
            Some(a) => accepted.push(a),
            None => record_in(&mut *tx, m, held, result).await?,
        }
    }
    record_acceptances(&mut *tx, &accepted).await?;
    Ok(())
}

pub(super) struct Acceptance<'a> {
    message: &'a ClaimedMessage,
    held: Money,
    smsc: &'a str,
    parts: &'a [(i64, String, Vec<String>)],
    final_on_acceptance: bool,
    expires_at: i64,
}

impl<'a> Acceptance<'a> {
    /// `result` as the acceptance of `message`, which holds `held`, if it is one.
    pub(super) fn of(
        message: &'a ClaimedMessage,
        held: Money,
        result: &'a SubmitResult,
    ) -> Option<Acceptance<'a>> {
        match result {
            SubmitResult::Accepted {
                smsc,
                parts,
                final_on_acceptance,
                expires_at,
            } => Some(Acceptance {
                message,
                held,
                smsc,
                parts,
                final_on_acceptance: *final_on_acceptance,
                expires_at: *expires_at,
            }),
            _ => None,
        }
    }
}

/// Acceptance turns each hold into the message's one charge and records the parts' SMSC ids
/// and lookup keys, in one statement for the whole group whatever its size: the messages still
/// holding their charge are locked and read (the others, recorded by an earlier attempt or by
/// a dispatcher that took the claim over, are left alone, as in [`record_many_in`]); their
/// holds become charges per [`held_charge_clauses`] (which locks the accounts in id order);
/// the messages, parts and keys are written. PostgreSQL; the hold charged is the one read
/// under the lock, not `Acceptance::held`. A message named twice is recorded once.
pub(super) async fn record_acceptances(
    conn: &mut AnyConnection,
    accepted: &[Acceptance<'_>],
) -> Result<(), LedgerError> {
    let mut seen = std::collections::HashSet::new();
    let accepted: Vec<&Acceptance> = accepted
        .iter()
        .filter(|a| seen.insert(a.message.id))
        .collect();
    if accepted.is_empty() {
        return Ok(());
    }
    let parts: Vec<(i64, i64, &str, &str)> = accepted
        .iter()
        .flat_map(|a| {
            a.parts
                .iter()
                .map(move |(part, id, _)| (a.message.id, *part, a.smsc, id.as_str()))
        })
        .collect();
    let keys: Vec<(i64, i64, &str, &str)> = accepted
        .iter()
        .flat_map(|a| {
            a.parts.iter().flat_map(move |(part, _, keys)| {
                keys.iter()
                    .map(move |k| (a.message.id, *part, a.smsc, k.as_str()))
            })
        })
        .collect();
    let descriptions: Vec<String> = accepted
        .iter()
        .map(|a| charge_description(a.message))
        .collect();
    let references: Vec<String> = accepted
        .iter()
        .map(|a| charge_reference(a.message))
        .collect();
    let result = sqlx::query(&ACCEPTANCES)
        .bind(pg_int8_array(accepted.iter().map(|a| a.message.id)))
        .bind(pg_int8_array(accepted.iter().map(|a| a.message.account_id)))
        .bind(pg_text_array(descriptions.iter().map(String::as_str)))
        .bind(pg_text_array(references.iter().map(String::as_str)))
        .bind(pg_int8_array(accepted.iter().map(|a| {
            i64::from(if a.final_on_acceptance {
                DeliveryStatus::Submitted
            } else {
                DeliveryStatus::Processing
            })
        })))
        .bind(pg_int8_array(accepted.iter().map(|a| a.expires_at)))
        .bind(pg_bool_array(
            accepted.iter().map(|a| a.final_on_acceptance),
        ))
        .bind(i64::from(DeliveryStatus::Processing))
        .bind(now_ms())
        .bind(pg_int8_array(parts.iter().map(|r| r.0)))
        .bind(pg_int8_array(parts.iter().map(|r| r.1)))
        .bind(pg_text_array(parts.iter().map(|r| r.2)))
        .bind(pg_text_array(parts.iter().map(|r| r.3)))
        .bind(pg_text_array(keys.iter().map(|k| k.2)))
        .bind(pg_text_array(keys.iter().map(|k| k.3)))
        .bind(pg_int8_array(keys.iter().map(|k| k.0)))
        .bind(pg_int8_array(keys.iter().map(|k| k.1)))
        .execute(&mut *conn)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(crate::ledger::store::cannot_charge(&e)
            .map_or(LedgerError::from(e), LedgerError::NoSuchAccount)),
    }
}

/// The statement of [`record_acceptances`]. Its parameters: the messages' ids, accounts,
/// charge descriptions and references, statuses, expiry times and whether they end on
/// acceptance ($1-$7, arrays in the group's order, which `n` keeps for each account's ledger
/// entries); PROCESSING ($8); now ($9); the parts ($10-$13) and keys ($14-$17) as
/// [`part_rows_sql`] and [`key_rows_sql`] take them.
///
/// It is planned once per connection ([`crate::db::KEYED_PLANS`]), so every row it reads is
/// found by a key: the messages by id (`in_attempt`'s `+ 0` keeps the planner from the status
/// indexes, which would read every message in flight), the charges by reference, the accounts
/// by id. Built once: every group runs it.
static ACCEPTANCES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH holding AS MATERIALIZED ( \
           SELECT id, hold_minor FROM messages WHERE id = ANY($1::int8[]) AND {in_attempt} \
           ORDER BY id FOR UPDATE), \
         held_charges AS ( \
           SELECT r.account_id, m.hold_minor AS amount, r.description, r.reference, r.n, \
             r.message_id, r.status, r.expires_at, r.final_on_acceptance \
           FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[], $5::int8[], $6::int8[], \
             $7::bool[]) WITH ORDINALITY \
             AS r(message_id, account_id, description, reference, status, expires_at, \
             final_on_acceptance, n) \
           JOIN holding m ON m.id = r.message_id), \
         {charges} \
         SELECT ferry_cannot_charge(account_id) FROM charge_sums \
         WHERE account_id NOT IN (SELECT id FROM charged_accounts)",
        in_attempt = in_attempt("$8", true),
        charges = held_charge_clauses(
            "$9",
            &[
                (
                    "accepted_messages",
                    "UPDATE messages SET status = c.status, \
                       charge_minor = messages.charge_minor \
                         + CASE WHEN c.posted THEN c.amount ELSE 0 END, \
                       hold_minor = 0, submitted_at = $9, expires_at = c.expires_at, \
                       done_at = CASE WHEN c.final_on_acceptance THEN $9 END, \
                       claimed_until = 0, updated_at = $9 \
                     FROM charges c WHERE messages.id = c.message_id RETURNING 1"
                        .to_string(),
                ),
                (
                    "accepted_parts",
                    part_rows_sql(10, true, "message_id IN (SELECT id FROM holding)")
                        + " RETURNING 1",
                ),
                (
                    "accepted_keys",
                    key_rows_sql(14, "message_id IN (SELECT id FROM holding)") + " RETURNING 1",
                ),
            ]
        ),
    )
});

/// Records an attempt that did not end with every part accepted: its accepted parts are
/// stored; a refusal or an expiry ends the message, charging only the parts the operator took;
/// a retry keeps the hold for the parts still to go.
pub(super) async fn record_in(
    tx: &mut AnyConnection,
    m: &ClaimedMessage,
    held: Money,
    result: &SubmitResult,
) -> Result<(), LedgerError> {
    let now = now_ms();
    let (final_status, error, smsc, accepted) = match result {
        SubmitResult::Accepted { .. } => {
            return record_acceptances(tx, Acceptance::of(m, held, result).as_slice()).await;
        }
        SubmitResult::Retry {
            retry_at,
            smsc,
            accepted,
        } => {
            insert_parts(tx, m.id, smsc, accepted).await?;
            sqlx::query(
                "UPDATE messages SET due_at = $1, claimed_until = 0, updated_at = $2 WHERE id = $3",
            )
            .bind(retry_at)
            .bind(now)
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
            return Ok(());
        }
        SubmitResult::Rejected {
            error,
            smsc,
            accepted,
        } => (DeliveryStatus::Undeliverable, *error, smsc, accepted),
        SubmitResult::Expired { smsc, accepted } => {
            (DeliveryStatus::Expired, ErrorCode::Expired, smsc, accepted)
        }
    };
    insert_parts(tx, m.id, smsc, accepted).await?;
    let FinalOutcome {
        status,
        charge,
        rest,
        description,
    } = final_outcome(m, held, final_status, accepted.len());
    if charge.minor() > 0 {
        charge_held(
            &mut *tx,
            m.account_id,
            charge,
            &description,
            &charge_reference(m),
        )
        .await?;
    }
    if rest.minor() > 0 {
        release(&mut *tx, m.account_id, rest).await?;
    }
    sqlx::query(
        "UPDATE messages SET status = $1, error_code = $2, charge_minor = charge_minor + $3, hold_minor = 0, \
         done_at = $4, claimed_until = 0, updated_at = $4 WHERE id = $5",
    )
    .bind(i64::from(status))
    .bind(i64::from(error))
    .bind(charge.minor())
    .bind(now)
    .bind(m.id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The ledger reference of a message's one charge.
fn charge_reference(m: &ClaimedMessage) -> String {
    format!("msg-{}", m.id)
}

/// The ledger description of a message's charge on acceptance.
fn charge_description(m: &ClaimedMessage) -> String {
    format!("SMS to +{} (batch #{})", m.destination, m.batch_id)
}

/// How a message that ended without every part accepted is settled.
struct FinalOutcome {
    status: DeliveryStatus,
    /// For the parts the operator took (this attempt's `accepted_now` and earlier ones).
    charge: Money,
    /// What is left of the hold, released.
    rest: Money,
    description: String,
}

fn final_outcome(
    m: &ClaimedMessage,
    held: Money,
    final_status: DeliveryStatus,
    accepted_now: usize,
) -> FinalOutcome {
    // China knows only DELIVERED and UNDELIVERABLE, and UNDELIVERABLE is refunded (§5): a
    // mainland message that ends here is not charged at all.
    let is_china = m.route == Some(sms::Route::China);
    let status = if is_china {
        DeliveryStatus::Undeliverable
    } else {
        final_status
    };
    let delivered_parts = if is_china {
        0
    } else {
        m.accepted_parts.len() + accepted_now
    };
    let charge = m.charge_for_parts(delivered_parts).min(held);
    FinalOutcome {
        status,
        charge,
        rest: held.checked_sub(charge).unwrap_or(Money::ZERO),
        description: format!(
            "SMS to +{} (batch #{}, {delivered_parts} of {} parts delivered)",
            m.destination, m.batch_id, m.parts
        ),
    }
}

/// Stores parts the operator accepted in an attempt that did not finish the message (their
/// receipts can then be matched, and a retry skips them).
pub(super) async fn insert_parts(
    tx: &mut AnyConnection,
    message_id: i64,
    smsc: &str,
    parts: &[AcceptedPart],
) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, i64, &str, &str)> = parts
        .iter()
        .map(|(part, id, _)| (message_id, *part, smsc, id.as_str()))
        .collect();
    insert_part_rows(&mut *tx, &rows, false).await?;
    let keys: Vec<(i64, i64, &str, &str)> = parts
        .iter()
        .flat_map(|(part, _, keys)| {
            keys.iter()
                .map(move |k| (message_id, *part, smsc, k.as_str()))
        })
        .collect();
    insert_key_rows(tx, &keys).await
}

/// (message, part, SMSC, SMSC message id) rows of `message_parts`, in one statement on
/// PostgreSQL. `in_flight`: on acceptance of the whole message a part stored before (by an
/// attempt that did not finish) is in flight again; otherwise it keeps its status.
async fn insert_part_rows(
    tx: &mut AnyConnection,
    rows: &[(i64, i64, &str, &str)],
    in_flight: bool,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(&part_rows_sql(1, in_flight, "true"))
        .bind(pg_int8_array(rows.iter().map(|r| r.0)))
        .bind(pg_int8_array(rows.iter().map(|r| r.1)))
        .bind(pg_text_array(rows.iter().map(|r| r.2)))
        .bind(pg_text_array(rows.iter().map(|r| r.3)))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The insert of [`insert_part_rows`], its four parameters numbered from `first`: the
/// parts' message ids, part numbers, SMSCs and SMSC message ids (arrays); `only` (SQL)
/// chooses the rows to insert.
fn part_rows_sql(first: usize, in_flight: bool, only: &str) -> String {
    let status = if in_flight {
        ", status = excluded.status"
    } else {
        ""
    };
    let [ids, parts, smscs, smsc_ids] = std::array::from_fn(|i| first + i);
    let processing = i64::from(DeliveryStatus::Processing);
    format!(
        "INSERT INTO message_parts (message_id, part, smsc, smsc_message_id, status) \
         SELECT message_id, part, smsc, smsc_message_id, {processing} \
         FROM unnest(${ids}::int8[], ${parts}::int8[], ${smscs}::text[], ${smsc_ids}::text[]) \
         AS r(message_id, part, smsc, smsc_message_id) WHERE {only} \
         ON CONFLICT (message_id, part) DO UPDATE SET smsc = excluded.smsc, \
         smsc_message_id = excluded.smsc_message_id{status}"
    )
}

/// (message, part, SMSC, key) rows of `smsc_keys`, in one statement on PostgreSQL.
async fn insert_key_rows(
    tx: &mut AnyConnection,
    keys: &[(i64, i64, &str, &str)],
) -> Result<(), sqlx::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(&key_rows_sql(1, "true"))
        .bind(pg_text_array(keys.iter().map(|k| k.2)))
        .bind(pg_text_array(keys.iter().map(|k| k.3)))
        .bind(pg_int8_array(keys.iter().map(|k| k.0)))
        .bind(pg_int8_array(keys.iter().map(|k| k.1)))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The insert of [`insert_key_rows`], its four parameters numbered from `first`: the keys'
/// SMSCs, keys, message ids and part numbers (arrays); `only` (SQL) chooses the rows to
/// insert.
fn key_rows_sql(first: usize, only: &str) -> String {
    let [smscs, keys, ids, parts] = std::array::from_fn(|i| first + i);
    format!(
        "INSERT INTO smsc_keys (smsc, key, message_id, part) \
         SELECT smsc, key, message_id, part \
         FROM unnest(${smscs}::text[], ${keys}::text[], ${ids}::int8[], ${parts}::int8[]) \
         AS r(smsc, key, message_id, part) WHERE {only} \
         ON CONFLICT DO NOTHING"
    )
}

/// Messages with no final receipt after their validity period (and a grace period) end
/// EXPIRED; on the China route UNDELIVERABLE and refunded. Returns how many.
pub async fn expire_overdue(db: &Db) -> Result<u64, LedgerError> {
    let now = now_ms();
    let overdue: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM messages WHERE status IN {} AND hold_minor = 0 AND expires_at IS NOT NULL AND expires_at < $1 LIMIT 1000",
        sql_in(&DeliveryStatus::IN_FLIGHT)
    ))
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    if overdue.is_empty() {
        return Ok(0);
    }
    db.write(
        WriteKind::Housekeeping,
        |n: &u64| *n as usize,
        move |tx| {
            async move {
                let mut n = 0;
                for id in overdue {
                    let parts: Vec<i64> = sqlx::query_scalar(&format!(
                        "SELECT part FROM message_parts WHERE message_id = $1 AND status NOT IN {}",
                        sql_in(&DeliveryStatus::OUTCOMES)
                    ))
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    for part in parts {
                        let expired = DeliveryStatus::Expired;
                        apply_part_status(
                            &mut *tx,
                            id,
                            part,
                            expired,
                            Some(ErrorCode::Expired),
                            now,
                        )
                        .await?;
                    }
                    n += 1;
                }
                Ok(n)
            }
            .boxed()
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::ACCEPTANCES;
    use crate::db::testing::postgres;
    use sqlx::Executor;

    /// The acceptance statement is planned once per connection ([`crate::db::KEYED_PLANS`]).
    /// Planned on a new install's empty tables, the plan must still find every row by a key
    /// (a unique index and a condition on it): a plan that read a table or an index whole
    /// would be kept while the tables grow, and slow every group by their size.
    #[tokio::test]
    async fn the_acceptance_statement_finds_every_row_by_a_key_whatever_the_tables_held() {
        let Some(t) = postgres().await else {
            return;
        };
        let mut conn =
            t.db.keyed_pool()
                .expect("PostgreSQL has keyed connections")
                .acquire()
                .await
                .expect("connection");
        let types = "int8[], int8[], text[], text[], int8[], int8[], bool[], int8, int8, \
                     int8[], int8[], text[], text[], text[], text[], int8[], int8[]";
        conn.execute(format!("PREPARE acceptances ({types}) AS {}", *ACCEPTANCES).as_str())
            .await
            .expect("prepare");
        let args = "'{1,2}', '{1,1}', '{a,b}', '{msg-1,msg-2}', '{4,4}', '{0,0}', '{f,f}', 4, 0, \
                    '{1,2}', '{1,1}', '{s,s}', '{x,y}', '{s,s}', '{x,y}', '{1,2}', '{1,1}'";
        let plan: Vec<String> =
            sqlx::query_scalar(&format!("EXPLAIN (COSTS OFF) EXECUTE acceptances({args})"))
                .fetch_all(&mut *conn)
                .await
                .expect("explain");
        // Each unique index with its first column: a condition on a later column alone reads
        // the whole index.
        let unique: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.relname::text, a.attname::text FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indisunique",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("unique indexes");
        let plan_text = plan.join("\n");
        // A generic plan: its conditions name parameters, not the values above.
        assert!(plan_text.contains("$1"), "{plan_text}");
        let mut scans = 0;
        for (i, line) in plan.iter().enumerate() {
            assert!(
                !line.contains("Seq Scan") && !line.contains("Bitmap"),
                "a table read whole: {line}\n{plan_text}"
            );
            let Some(rest) = line
                .split_once("Index Scan using ")
                .or_else(|| line.split_once("Index Only Scan using "))
                .map(|(_, rest)| rest)
            else {
                continue;
            };
            scans += 1;
            let index = rest.split_whitespace().next().unwrap_or_default();
            let Some((_, first)) = unique.iter().find(|(name, _)| name == index) else {
                panic!("not a key: {line}\n{plan_text}");
            };
            // The scan's details follow it, up to the next plan node.
            let details: Vec<&String> = plan[i + 1..]
                .iter()
                .take_while(|l| !l.contains("->"))
                .collect();
            assert!(
                details
                    .iter()
                    .any(|l| l.contains("Index Cond") && l.contains(&format!("({first} ="))),
                "an index read whole (no condition on {first}): {line}\n{plan_text}"
            );
        }
        // Messages (the guard and the update), charges before, and accounts (lock, update).
        assert!(scans >= 5, "{plan_text}");
    }
}

//! What became of a submission: accepted (parts and their SMSC ids), refused, to retry, or
//! expired; the charges that follow; and messages that outlived their validity period.

use super::*;
use crate::db::{now_ms, pg_int8_array, pg_text_array, Db};
use crate::delivery::write_sizes::WriteKind;
use crate::ledger::store::{
    charge_held, charges_to_post, post_held_charges, release, HeldCharge, LedgerError,
};
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
    // Guard: only messages still holding their charge are recorded (a message recorded by an
    // earlier attempt, or taken over after a crash, is left alone). The rows are locked, so a
    // second recorder of the same message (a claim taken over from a process presumed dead)
    // waits, then finds the hold gone and skips it.
    let mut holding: HashMap<i64, i64> = HashMap::new();
    if !results.is_empty() {
        holding.extend(
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT id, hold_minor FROM messages WHERE id = ANY($1::int8[]) AND status = $2 \
                 AND hold_minor > 0 FOR UPDATE",
            )
            .bind(pg_int8_array(results.iter().map(|(m, _)| m.id)))
            .bind(i64::from(DeliveryStatus::Processing))
            .fetch_all(&mut *tx)
            .await?,
        );
    }
    // A message that did not end accepted charges or releases its hold as it comes, locking
    // its account row there; acceptances post theirs last, in account id order. A group with
    // both and several accounts could then lock two accounts in the opposite order to another
    // group recorded at the same time (a deadlock, the group's accepted messages given back and
    // sent again), so such a group locks every account it touches first, in id order, the
    // order every transaction locks account rows in. A group of acceptances only (the usual
    // one) keeps its account rows locked for its last statements alone.
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

/// Acceptance turns each hold into the message's one charge (per account, one balance update
/// and one multi-row ledger insert) and records the parts' SMSC ids and lookup keys.
pub(super) async fn record_acceptances(
    tx: &mut AnyConnection,
    accepted: &[Acceptance<'_>],
) -> Result<(), LedgerError> {
    if accepted.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    // In account id order: the order every transaction locks account rows in.
    let mut by_account: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, a) in accepted.iter().enumerate() {
        by_account.entry(a.message.account_id).or_default().push(i);
    }
    // Which holds become charges is read first; the charges are posted last, so that the
    // account row (which every other hold and charge of the account waits for on PostgreSQL)
    // stays locked only for those statements and the commit.
    let mut charged = vec![false; accepted.len()];
    let mut to_post = Vec::with_capacity(by_account.len());
    for (account_id, indexes) in by_account {
        let charges: Vec<HeldCharge> = indexes
            .iter()
            .map(|&i| {
                let m = accepted[i].message;
                HeldCharge {
                    amount: accepted[i].held,
                    description: charge_description(m),
                    reference: charge_reference(m),
                }
            })
            .collect();
        let posted = charges_to_post(&mut *tx, account_id, &charges).await?;
        for (&i, &p) in indexes.iter().zip(&posted) {
            charged[i] = p;
        }
        to_post.push((account_id, charges, posted));
    }
    // One UPDATE per (batch, final or not, charged now or not): the members share every value
    // but their ids. A batch's expiry times differ by the milliseconds between submits; the
    // group takes its earliest.
    let mut groups: HashMap<(i64, bool, bool), (i64, Vec<i64>)> = HashMap::new();
    for (a, was_charged) in accepted.iter().zip(&charged) {
        let g = groups
            .entry((a.message.batch_id, a.final_on_acceptance, *was_charged))
            .or_insert((a.expires_at, Vec::new()));
        g.0 = g.0.min(a.expires_at);
        g.1.push(a.message.id);
    }
    for ((_, final_on_acceptance, was_charged), (expires_at, ids)) in groups {
        let status = if final_on_acceptance {
            DeliveryStatus::Submitted
        } else {
            DeliveryStatus::Processing
        };
        let charge = if was_charged {
            "charge_minor + hold_minor"
        } else {
            "charge_minor"
        };
        sqlx::query(&format!(
            "UPDATE messages SET status = $1, charge_minor = {charge}, hold_minor = 0, submitted_at = $2, \
             expires_at = $3, done_at = $4, claimed_until = 0, updated_at = $2 WHERE id = ANY($5::int8[])"
        ))
        .bind(i64::from(status))
        .bind(now)
        .bind(expires_at)
        .bind(final_on_acceptance.then_some(now))
        .bind(pg_int8_array(ids))
        .execute(&mut *tx)
        .await?;
    }
    // The parts and their lookup keys: one statement each for the whole group.
    let parts: Vec<(i64, i64, &str, &str)> = accepted
        .iter()
        .flat_map(|a| {
            a.parts
                .iter()
                .map(move |(part, id, _)| (a.message.id, *part, a.smsc, id.as_str()))
        })
        .collect();
    insert_part_rows(&mut *tx, &parts, true).await?;
    let keys: Vec<(i64, i64, &str, &str)> = accepted
        .iter()
        .flat_map(|a| {
            a.parts.iter().flat_map(move |(part, _, keys)| {
                keys.iter()
                    .map(move |k| (a.message.id, *part, a.smsc, k.as_str()))
            })
        })
        .collect();
    insert_key_rows(&mut *tx, &keys).await?;
    for (account_id, charges, posted) in to_post {
        post_held_charges(&mut *tx, account_id, &charges, &posted).await?;
    }
    Ok(())
}

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
    let status = if in_flight {
        ", status = excluded.status"
    } else {
        ""
    };
    sqlx::query(&format!(
        "INSERT INTO message_parts (message_id, part, smsc, smsc_message_id, status) \
         SELECT message_id, part, smsc, smsc_message_id, $5 \
         FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[]) AS r(message_id, part, smsc, smsc_message_id) \
         ON CONFLICT (message_id, part) DO UPDATE SET smsc = excluded.smsc, \
         smsc_message_id = excluded.smsc_message_id{status}"
    ))
    .bind(pg_int8_array(rows.iter().map(|r| r.0)))
    .bind(pg_int8_array(rows.iter().map(|r| r.1)))
    .bind(pg_text_array(rows.iter().map(|r| r.2)))
    .bind(pg_text_array(rows.iter().map(|r| r.3)))
    .bind(i64::from(DeliveryStatus::Processing))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// (message, part, SMSC, key) rows of `smsc_keys`, in one statement on PostgreSQL.
async fn insert_key_rows(
    tx: &mut AnyConnection,
    keys: &[(i64, i64, &str, &str)],
) -> Result<(), sqlx::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO smsc_keys (smsc, key, message_id, part) \
         SELECT smsc, key, message_id, part \
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[]) AS r(smsc, key, message_id, part) \
         ON CONFLICT DO NOTHING",
    )
    .bind(pg_text_array(keys.iter().map(|k| k.2)))
    .bind(pg_text_array(keys.iter().map(|k| k.3)))
    .bind(pg_int8_array(keys.iter().map(|k| k.0)))
    .bind(pg_int8_array(keys.iter().map(|k| k.1)))
    .execute(&mut *tx)
    .await?;
    Ok(())
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

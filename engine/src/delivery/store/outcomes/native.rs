//! Submit outcomes on the SQLite writer's own connection ([`crate::writer`]): the rules of
//! the parent module, one message at a time with prepared statements (on this connection a
//! statement costs microseconds, so sets need no multi-row SQL).

use super::{charge_description, charge_reference, final_outcome, AcceptedPart, FinalOutcome};
use super::{Acceptance, ClaimedMessage, SubmitResult};
use crate::db::now_ms;
use crate::ledger::store::native::{charge_held, charge_held_many, release};
use crate::ledger::store::{HeldCharge, LedgerError};
use rusqlite::{params, Connection, OptionalExtension};
use sms::{DeliveryStatus, ErrorCode, Money};
use std::collections::BTreeMap;

/// [`super::record_many`]: only messages still holding their charge are recorded (one recorded
/// by an earlier attempt, or taken over after a crash, is left alone). Acceptances, nearly
/// all of them, post their charges per account: one balance update for the group.
pub(super) fn record_many(
    conn: &Connection,
    results: &[(ClaimedMessage, SubmitResult)],
) -> Result<(), LedgerError> {
    let processing = i64::from(DeliveryStatus::Processing);
    let mut accepted: Vec<Acceptance> = Vec::new();
    {
        let mut holding = conn.prepare_cached(&HOLDING)?;
        // Holds are read before any is released: a message named twice in the group (no
        // caller does) would otherwise be recorded, and charged, twice.
        let mut seen = std::collections::HashSet::new();
        for (m, result) in results {
            if !seen.insert(m.id) {
                continue;
            }
            let held: Option<i64> = holding
                .query_row(params![m.id, processing], |row| row.get(0))
                .optional()?;
            let Some(held) = held.map(Money::from_minor) else {
                continue;
            };
            match Acceptance::of(m, held, result) {
                Some(a) => accepted.push(a),
                None => record(conn, m, held, result)?,
            }
        }
    }
    record_acceptances(conn, &accepted)
}

/// The hold of a message whose outcome is still to be recorded ([`super::in_attempt`]).
static HOLDING: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT hold_minor FROM messages WHERE id = ?1 AND {}",
        super::in_attempt("?2", false)
    )
});

/// Acceptances: each hold becomes the message's one charge (per account, in account order as
/// everywhere else), then the messages and their parts are written.
fn record_acceptances(conn: &Connection, accepted: &[Acceptance]) -> Result<(), LedgerError> {
    let mut by_account: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, a) in accepted.iter().enumerate() {
        by_account.entry(a.message.account_id).or_default().push(i);
    }
    let mut charged = vec![false; accepted.len()];
    for (account_id, indexes) in by_account {
        let charges: Vec<HeldCharge> = indexes
            .iter()
            .map(|&i| HeldCharge {
                amount: accepted[i].held,
                description: charge_description(accepted[i].message),
                reference: charge_reference(accepted[i].message),
            })
            .collect();
        let posted = charge_held_many(conn, account_id, &charges)?;
        for (&i, p) in indexes.iter().zip(posted) {
            charged[i] = p;
        }
    }
    let now = now_ms();
    let mut update = conn.prepare_cached(
        "UPDATE messages SET status = ?1, charge_minor = charge_minor + ?2, hold_minor = 0, \
         submitted_at = ?3, expires_at = ?4, done_at = ?5, claimed_until = 0, updated_at = ?3 \
         WHERE id = ?6",
    )?;
    for (a, was_charged) in accepted.iter().zip(charged) {
        let status = if a.final_on_acceptance {
            DeliveryStatus::Submitted
        } else {
            DeliveryStatus::Processing
        };
        update.execute(params![
            i64::from(status),
            if was_charged { a.held.minor() } else { 0 },
            now,
            a.expires_at,
            a.final_on_acceptance.then_some(now),
            a.message.id
        ])?;
        insert_parts(conn, a.message.id, a.smsc, a.parts, true)?;
    }
    Ok(())
}

fn record(
    conn: &Connection,
    m: &ClaimedMessage,
    held: Money,
    result: &SubmitResult,
) -> Result<(), LedgerError> {
    let now = now_ms();
    let (final_status, error, smsc, accepted) = match result {
        SubmitResult::Accepted { .. } => {
            return record_acceptances(conn, Acceptance::of(m, held, result).as_slice());
        }
        SubmitResult::Retry {
            retry_at,
            smsc,
            accepted,
        } => {
            insert_parts(conn, m.id, smsc, accepted, false)?;
            conn.prepare_cached(
                "UPDATE messages SET due_at = ?1, claimed_until = 0, updated_at = ?2 WHERE id = ?3",
            )?
            .execute(params![retry_at, now, m.id])?;
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
    insert_parts(conn, m.id, smsc, accepted, false)?;
    let FinalOutcome {
        status,
        charge,
        rest,
        description,
    } = final_outcome(m, held, final_status, accepted.len());
    if charge.minor() > 0 {
        charge_held(
            conn,
            m.account_id,
            charge,
            &description,
            &charge_reference(m),
        )?;
    }
    if rest.minor() > 0 {
        release(conn, m.account_id, rest)?;
    }
    conn.prepare_cached(
        "UPDATE messages SET status = ?1, error_code = ?2, charge_minor = charge_minor + ?3, hold_minor = 0, \
         done_at = ?4, claimed_until = 0, updated_at = ?4 WHERE id = ?5",
    )?
    .execute(params![
        i64::from(status),
        i64::from(error),
        charge.minor(),
        now,
        m.id
    ])?;
    Ok(())
}

/// Stores accepted parts and their lookup keys. `in_flight`: on acceptance of the whole
/// message a part stored before (by an attempt that did not finish) is in flight again.
fn insert_parts(
    conn: &Connection,
    message_id: i64,
    smsc: &str,
    parts: &[AcceptedPart],
    in_flight: bool,
) -> Result<(), LedgerError> {
    let processing = i64::from(DeliveryStatus::Processing);
    let upsert = if in_flight {
        "INSERT INTO message_parts (message_id, part, smsc, smsc_message_id, status) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (message_id, part) DO UPDATE SET smsc = excluded.smsc, smsc_message_id = excluded.smsc_message_id, status = excluded.status"
    } else {
        "INSERT INTO message_parts (message_id, part, smsc, smsc_message_id, status) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (message_id, part) DO UPDATE SET smsc = excluded.smsc, smsc_message_id = excluded.smsc_message_id"
    };
    for (part, smsc_id, keys) in parts {
        conn.prepare_cached(upsert)?
            .execute(params![message_id, part, smsc, smsc_id, processing])?;
        let mut key_insert = conn.prepare_cached(
            "INSERT INTO smsc_keys (smsc, key, message_id, part) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?;
        for key in keys {
            key_insert.execute(params![smsc, key, message_id, part])?;
        }
    }
    Ok(())
}

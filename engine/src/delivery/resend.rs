//! Resending the messages of a batch that ended with chosen error codes, under today's rules.

use crate::db::{now_ms, Db};
use crate::delivery::store::{
    create_batch, recipients_with_errors, BatchError, NewBatch, Recipient, Unsent,
};
use crate::error::Error;
use sms::ErrorCode;
use std::collections::HashMap;

/// The batch being resent, as stored.
#[derive(sqlx::FromRow)]
struct StoredBatch {
    #[sqlx(try_from = "String")]
    route: sms::Route,
    sender_id: Option<String>,
    purpose: String,
    content: String,
    final_text: String,
    encoding: String,
    parts: i64,
    validity_minutes: i64,
    china_text: Option<String>,
    callback_url: Option<String>,
}

/// Resends, as a new batch of `account_id`, the messages of its batch `batch_id` that ended
/// with one of `error_codes` (comma- or space-separated §8 codes); today's sender IDs, keywords,
/// do-not-call register and prices apply. Returns the new batch's id.
pub async fn resend(
    db: &Db,
    account_id: i64,
    batch_id: i64,
    error_codes: &str,
) -> Result<i64, Error> {
    let codes: Vec<ErrorCode> = error_codes
        .split([',', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u16>().ok().and_then(ErrorCode::from_code))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            Error::field(
                "error_codes",
                "Choose the error codes to resend from the list, e.g. 16.",
            )
        })?;
    if codes.is_empty() {
        return Err(Error::field(
            "error_codes",
            "Choose at least one error code to resend.",
        ));
    }
    if codes.contains(&ErrorCode::DoNotCall) {
        return Err(Error::field(
            "error_codes",
            "Numbers left out by the do-not-call filter are not resent; record their consent and send a new batch.",
        ));
    }
    let Some(numbers) = recipients_with_errors(db, account_id, batch_id, &codes).await? else {
        return Err(Error::NotFound);
    };
    if numbers.is_empty() {
        return Err(Error::field(
            "error_codes",
            "No message of this batch ended with those error codes.",
        ));
    }
    let StoredBatch {
        route: batch_route,
        sender_id,
        purpose,
        content,
        final_text,
        encoding,
        parts,
        validity_minutes,
        china_text,
        callback_url,
    } = sqlx::query_as(
        "SELECT route, sender_id, purpose, content, final_text, encoding, parts, validity_minutes, china_text, callback_url FROM batches WHERE id = $1 AND account_id = $2",
    )
    .bind(batch_id)
    .bind(account_id)
    .fetch_one(db.pool())
    .await?;
    let parts = u8::try_from(parts).unwrap_or(1);
    let route_of = |stored: &Option<String>| {
        stored
            .as_deref()
            .and_then(|r| r.parse::<sms::Route>().ok())
            .unwrap_or(batch_route)
    };
    // A resend is a new send: the rules of today apply, not those of the first batch.
    let shows_sender = numbers.iter().any(|(_, r)| route_of(r).allows_sender_id());
    if let (Some(sender), true) = (&sender_id, shows_sender) {
        let active = crate::sender_ids::store::list(db, account_id, true).await?;
        if !active.iter().any(|s| &s.sender_id == sender) {
            return Err(Error::Conflict(format!(
                "The sender ID {sender} is no longer one of this account's sender IDs; send a new batch with a current one."
            )));
        }
    }
    if numbers
        .iter()
        .any(|(_, r)| route_of(r) == sms::Route::China)
    {
        let found = crate::broadcast::store::china_keywords_in(db, &content).await?;
        if !found.is_empty() {
            return Err(Error::Conflict(format!(
                "China operators refuse messages containing: {}. This batch cannot be resent to its mainland numbers as it is.",
                found.join(", ")
            )));
        }
    }
    let routes: HashMap<String, sms::Route> = numbers
        .iter()
        .map(|(n, r)| (n.clone(), route_of(r)))
        .collect();
    let plain: Vec<String> = numbers.into_iter().map(|(n, _)| n).collect();
    let (kept, dnc_filtered) = crate::dnc::store::filter(db, account_id, &plain).await?;
    let (kept, opted_out) = crate::two_way::store::split_opted_out(db, account_id, kept).await?;
    if kept.is_empty() {
        return Err(Error::field(
            "error_codes",
            "Every one of these numbers is now on the do-not-call register without recorded consent, or replied STOP to you: there is nothing to resend.",
        ));
    }
    let prices = crate::pricing::store::current(db, now_ms()).await?;
    let china_parts = china_text
        .as_deref()
        .and_then(|t| sms::segment(t, sms::SegmentTable::China).parts)
        .unwrap_or(parts);
    let mut recipients = Vec::with_capacity(kept.len());
    for n in kept {
        let route = routes.get(&n).copied().unwrap_or(batch_route);
        let price = prices
            .unit_price(route, &n)
            .or_else(|| prices.base_price(route))
            .ok_or_else(|| Error::Conflict(format!("{} has no price.", route.label())))?;
        let parts = if route == sms::Route::China {
            china_parts
        } else {
            parts
        };
        recipients.push(Recipient::on(route, parts, n, price));
    }
    let batch = NewBatch {
        account_id,
        route: batch_route,
        sender_id,
        purpose,
        content,
        final_text,
        china_text,
        encoding: if encoding == "UCS2" {
            sms::Encoding::Ucs2
        } else {
            sms::Encoding::Gsm7
        },
        parts,
        validity_minutes,
        scheduled_at: None,
        recipients,
        unsent: dnc_filtered
            .into_iter()
            .map(Unsent::do_not_call)
            .chain(opted_out.into_iter().map(Unsent::opted_out))
            .collect(),
        resent_from: Some(batch_id),
        // The resent messages report where the first ones did.
        callback_url,
        idempotency_ref: None,
    };
    match create_batch(db, &batch).await {
        Ok(id) => Ok(id),
        Err(BatchError::InsufficientBalance { total, available, shortfall }) => Err(Error::InsufficientBalance(format!(
            "Insufficient balance: resending costs {total} and {available} is available; top up {shortfall} more first."
        ))),
        Err(e) => Err(Error::internal("resend", e)),
    }
}

//! The delivery engine (PRODUCT.md §7, §8, §12): batches and their messages, the scheduler and
//! dispatcher that hand them to operators over SMPP, delivery receipts, charging, resend, and
//! the pages that follow a batch live.

pub mod pages;

#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod export;

pub use engine::delivery::*;

use crate::error::AppError;
use leptos::prelude::*;

/// The period search over the caller's batches: `from`/`to` are Hong Kong dates (YYYY-MM-DD,
/// both days included, either may be empty), `status` a §8 code or 0 for any.
#[server(endpoint = "search_batches")]
pub async fn search_batches(
    from: String,
    to: String,
    sender_id: String,
    status: i64,
    page: i64,
) -> Result<BatchList, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let filter = batch_filter(&from, &to, &sender_id, status, page)?;
        Ok(store::search(&db, viewer.account_id, &filter).await?)
    })
    .await
}

/// A search period from Hong Kong dates (YYYY-MM-DD, both days included, either may be empty),
/// read as the statement's are; an end before the start is refused on `to`.
pub fn search_period(from: &str, to: &str) -> Result<engine::ledger::StatementFilter, AppError> {
    let period = crate::ledger::page::filter_from_query("", from.trim(), to.trim())?;
    if let (Some(f), Some(t)) = (period.from, period.to) {
        if t <= f {
            return Err(AppError::field(
                "to",
                "The end date is before the start date.",
            ));
        }
    }
    Ok(period)
}

/// Parses the search form, naming each field that is wrong (dates as the statement's are).
pub fn batch_filter(
    from: &str,
    to: &str,
    sender_id: &str,
    status: i64,
    page: i64,
) -> Result<BatchFilter, AppError> {
    let period = search_period(from, to)?;
    Ok(BatchFilter {
        from: period.from,
        to: period.to,
        sender_id: Some(sender_id.trim().to_string()).filter(|s| !s.is_empty()),
        status: chosen_status(status)?,
        page,
    })
}

/// A status picked from a list, 0 for any.
fn chosen_status(code: i64) -> Result<Option<sms::DeliveryStatus>, AppError> {
    (code != 0)
        .then(|| sms::DeliveryStatus::try_from(code))
        .transpose()
        .map_err(|_| AppError::field("status", "Choose a status from the list."))
}

/// One batch with a page of its messages: `status` and `error` are codes (0 = any), `number`
/// digits the number contains (empty = any).
#[server(endpoint = "batch_detail")]
pub async fn load_batch_detail(
    batch_id: i64,
    status: i64,
    error: i64,
    number: String,
    page: i64,
) -> Result<BatchDetail, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let filter = MessageFilter {
            status: chosen_status(status)?,
            error_code: (error != 0)
                .then(|| sms::ErrorCode::try_from(error))
                .transpose()
                .map_err(|_| AppError::field("error", "Choose an error code from the list."))?,
            number: (!digits.is_empty()).then_some(digits),
        };
        store::detail(&db, viewer.account_id, batch_id, &filter, page)
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

/// The batch's status counts over time (its chart).
#[server(endpoint = "batch_timeline")]
pub async fn batch_timeline(batch_id: i64) -> Result<StatusTimeline, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        store::timeline(&db, viewer.account_id, batch_id, 40, engine::db::now_ms())
            .await?
            .ok_or(AppError::NotFound)
    })
    .await
}

#[server(endpoint = "delete_batch")]
pub async fn delete_scheduled_batch(batch_id: i64) -> Result<(), AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
            match store::delete_batch(&db, viewer.account_id, batch_id).await? {
                store::DeleteOutcome::Deleted => Ok(()),
                store::DeleteOutcome::NotFound => Err(AppError::NotFound),
                store::DeleteOutcome::TooLate => Err(AppError::Conflict(
                    "This batch can no longer be deleted: only scheduled batches whose time is more than 1 hour away can be deleted, and scheduled batches cannot be modified.".into(),
                )),
            }
    })
    .await
}

/// Creates a new batch of exactly the recipients of `batch_id` whose messages ended with one of
/// `error_codes` (comma-separated, e.g. "16"), with the same text and route (§7).
#[server(endpoint = "resend_batch")]
pub async fn resend_batch(batch_id: i64, error_codes: String) -> Result<i64, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let id = viewer.account_id;
        Ok(engine::delivery::resend::resend(&db, id, batch_id, &error_codes).await?)
    })
    .await
}

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
use crate::i18n::{tr, Lang};
use leptos::prelude::*;

/// A delivery status as people read it in `lang` (`DELIVERED`, 已送達). Files and the API keep
/// the spec's English label ([`sms::DeliveryStatus::label`]).
pub fn status_label(lang: Lang, status: sms::DeliveryStatus) -> &'static str {
    use sms::DeliveryStatus as S;
    match status {
        S::UploadFailed => tr::results_status_upload_failed(lang),
        S::UploadSuccess => tr::results_status_upload_success(lang),
        S::Scheduling => tr::results_status_scheduling(lang),
        S::Processing => tr::results_status_processing(lang),
        S::Submitted => tr::results_status_submitted(lang),
        S::Retry => tr::results_status_retry(lang),
        S::Expired => tr::results_status_expired(lang),
        S::Undeliverable => tr::results_status_undeliverable(lang),
        S::Delivered => tr::results_status_delivered(lang),
    }
}

/// An error code's name in `lang` (`Insufficient Balance`, 餘額不足).
pub fn error_label(lang: Lang, code: sms::ErrorCode) -> &'static str {
    use sms::ErrorCode as E;
    match code {
        E::HandsetOff => tr::results_error_handset_off(lang),
        E::MemoryFull => tr::results_error_memory_full(lang),
        E::UnknownSubscriber => tr::results_error_unknown_subscriber(lang),
        E::Barred => tr::results_error_barred(lang),
        E::BlockedAsSpam => tr::results_error_blocked_as_spam(lang),
        E::NetworkError => tr::results_error_network_error(lang),
        E::Expired => tr::results_error_expired(lang),
        E::OperatorRejected => tr::results_error_operator_rejected(lang),
        E::InvalidNumber => tr::results_error_invalid_number(lang),
        E::DoNotCall => tr::results_error_do_not_call(lang),
        E::KeywordBlocked => tr::results_error_keyword_blocked(lang),
        E::OverChargeLimit => tr::results_error_over_charge_limit(lang),
        E::CannotReceiveSms => tr::results_error_cannot_receive_sms(lang),
        E::NoRoute => tr::results_error_no_route(lang),
        E::MessageTooLong => tr::results_error_message_too_long(lang),
        E::InsufficientBalance => tr::results_error_insufficient_balance(lang),
        E::Unknown => tr::results_error_unknown(lang),
        E::OptedOut => tr::results_error_opted_out(lang),
    }
}

/// An error code with its number, as the spec writes it: `16 Insufficient Balance`.
pub fn error_text(lang: Lang, code: sms::ErrorCode) -> String {
    format!("{} {}", code.code(), error_label(lang, code))
}

/// What an error code means, in a sentence for customers.
pub fn error_explanation(lang: Lang, code: sms::ErrorCode) -> &'static str {
    use sms::ErrorCode as E;
    match code {
        E::HandsetOff => tr::results_why_handset_off(lang),
        E::MemoryFull => tr::results_why_memory_full(lang),
        E::UnknownSubscriber => tr::results_why_unknown_subscriber(lang),
        E::Barred => tr::results_why_barred(lang),
        E::BlockedAsSpam => tr::results_why_blocked_as_spam(lang),
        E::NetworkError => tr::results_why_network_error(lang),
        E::Expired => tr::results_why_expired(lang),
        E::OperatorRejected => tr::results_why_operator_rejected(lang),
        E::InvalidNumber => tr::results_why_invalid_number(lang),
        E::DoNotCall => tr::results_why_do_not_call(lang),
        E::KeywordBlocked => tr::results_why_keyword_blocked(lang),
        E::OverChargeLimit => tr::results_why_over_charge_limit(lang),
        E::CannotReceiveSms => tr::results_why_cannot_receive_sms(lang),
        E::NoRoute => tr::results_why_no_route(lang),
        E::MessageTooLong => tr::results_why_message_too_long(lang),
        E::InsufficientBalance => tr::results_why_insufficient_balance(lang),
        E::Unknown => tr::results_why_unknown(lang),
        E::OptedOut => tr::results_why_opted_out(lang),
    }
}

/// A route's name in `lang` (`HK Business`, 香港商業).
pub fn route_label(lang: Lang, route: sms::Route) -> &'static str {
    match route {
        sms::Route::HkBusiness => tr::results_route_hk_business(lang),
        sms::Route::HkEconomic => tr::results_route_hk_economic(lang),
        sms::Route::China => tr::results_route_china(lang),
        sms::Route::International => tr::results_route_international(lang),
    }
}

/// Why a message ended as it did, in `lang`: a refused row's own reason (worded by the engine
/// in English, put into `lang` where a `server-*` template knows it), else the error code's
/// explanation. The CSV keeps [`MessageRow::explanation`].
pub fn explanation(lang: Lang, m: &MessageRow) -> Option<String> {
    if m.reason.is_some() {
        m.explanation()
            .map(|text| crate::i18n::from_english(lang, &text))
    } else {
        m.error_code.map(|e| error_explanation(lang, e).to_string())
    }
}

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
    let lang = crate::i18n::page_lang();
    crate::auth::context::as_viewer(|viewer, db| async move {
        let filter = batch_filter(lang, &from, &to, &sender_id, status, page)?;
        Ok(store::search(&db, viewer.account_id, &filter).await?)
    })
    .await
}

/// A search period from Hong Kong dates (YYYY-MM-DD, both days included, either may be empty),
/// read as the statement's are; an end before the start is refused on `to`.
pub fn search_period(
    lang: Lang,
    from: &str,
    to: &str,
) -> Result<engine::ledger::StatementFilter, AppError> {
    let period = crate::ledger::page::filter_from_query(lang, "", from.trim(), to.trim())?;
    if let (Some(f), Some(t)) = (period.from, period.to) {
        if t <= f {
            return Err(AppError::field("to", tr::results_end_before_start(lang)));
        }
    }
    Ok(period)
}

/// Parses the search form, naming each field that is wrong (dates as the statement's are).
pub fn batch_filter(
    lang: Lang,
    from: &str,
    to: &str,
    sender_id: &str,
    status: i64,
    page: i64,
) -> Result<BatchFilter, AppError> {
    let period = search_period(lang, from, to)?;
    Ok(BatchFilter {
        from: period.from,
        to: period.to,
        sender_id: Some(sender_id.trim().to_string()).filter(|s| !s.is_empty()),
        status: chosen_status(lang, status)?,
        page,
    })
}

/// A status picked from a list, 0 for any.
fn chosen_status(lang: Lang, code: i64) -> Result<Option<sms::DeliveryStatus>, AppError> {
    (code != 0)
        .then(|| sms::DeliveryStatus::try_from(code))
        .transpose()
        .map_err(|_| AppError::field("status", tr::results_choose_status(lang)))
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
    let lang = crate::i18n::page_lang();
    crate::auth::context::as_viewer(|viewer, db| async move {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let filter = MessageFilter {
            status: chosen_status(lang, status)?,
            error_code: (error != 0)
                .then(|| sms::ErrorCode::try_from(error))
                .transpose()
                .map_err(|_| AppError::field("error", tr::results_choose_error(lang)))?,
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
    let lang = crate::i18n::page_lang();
    crate::auth::context::as_viewer(|viewer, db| async move {
        match store::delete_batch(&db, viewer.account_id, batch_id).await? {
            store::DeleteOutcome::Deleted => Ok(()),
            store::DeleteOutcome::NotFound => Err(AppError::NotFound),
            store::DeleteOutcome::TooLate => {
                Err(AppError::Conflict(tr::results_delete_too_late(lang).into()))
            }
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

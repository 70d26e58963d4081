//! The delivery engine (PRODUCT.md §7, §8, §12): batches and their messages, the scheduler and
//! dispatcher that hand them to operators over SMPP, delivery receipts, charging, resend, and
//! the pages that follow a batch live.

pub mod pages;

#[cfg(feature = "ssr")]
pub mod dispatcher;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};
use sms::{DeliveryStatus, ErrorCode, Money};

/// Statuses as the spec numbers them (§8), for queries and counts.
pub mod code {
    pub const UPLOAD_FAILED: i64 = 1;
    pub const UPLOAD_SUCCESS: i64 = 2;
    pub const SCHEDULING: i64 = 3;
    pub const PROCESSING: i64 = 4;
    pub const SUBMITTED: i64 = 5;
    pub const RETRY: i64 = 19;
    pub const EXPIRED: i64 = 20;
    pub const UNDELIVERABLE: i64 = 21;
    pub const DELIVERED: i64 = 22;
}

/// A scheduled batch can be deleted only while its time is more than this far away (§7).
pub const DELETE_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Schedules reach at most 5 years ahead (§7).
pub const MAX_SCHEDULE_AHEAD_MS: i64 = 5 * 366 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCount {
    pub status: u16,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub id: i64,
    pub created_at: i64,
    pub scheduled_at: i64,
    pub is_scheduled: bool,
    pub deleted: bool,
    pub route: String,
    pub sender_id: Option<String>,
    pub content: String,
    pub parts: i64,
    pub total_messages: i64,
    pub total_charge: Money,
    pub counts: Vec<StatusCount>,
    /// Messages with a final status (§8).
    pub finished: i64,
}

impl BatchSummary {
    pub fn progress_percent(&self) -> i64 {
        if self.total_messages == 0 {
            100
        } else {
            self.finished * 100 / self.total_messages
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRow {
    pub id: i64,
    pub destination: String,
    pub parts: i64,
    pub status: u16,
    pub error_code: Option<u16>,
    pub charge: Money,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub done_at: Option<i64>,
    /// The route the number took (§5).
    pub route: Option<sms::Route>,
    /// For a row refused at upload (UPLOAD FAILED): its row in the customer's list, and why.
    pub input_row: Option<usize>,
    pub reason: Option<String>,
}

impl MessageRow {
    pub fn status_label(&self) -> &'static str {
        DeliveryStatus::from_code(self.status)
            .map(DeliveryStatus::label)
            .unwrap_or("UNKNOWN")
    }

    pub fn error_text(&self) -> Option<String> {
        self.error_code
            .and_then(ErrorCode::from_code)
            .map(|e| format!("{} {}", e.code(), e.label()))
    }

    /// The number as the customer knows it: `+` and its E.164 digits, or a refused row's text
    /// exactly as typed.
    pub fn shown_number(&self) -> String {
        if self.is_refused_row() {
            self.destination.clone()
        } else {
            format!("+{}", self.destination)
        }
    }

    /// A row of the customer's list refused at upload (UPLOAD FAILED): its destination is
    /// what was typed, not a number.
    pub fn is_refused_row(&self) -> bool {
        self.status == code::UPLOAD_FAILED as u16
    }

    /// Why the message ended as it did, in words (§8): the refused row's own reason, else the
    /// error code's explanation.
    pub fn explanation(&self) -> Option<String> {
        match (&self.reason, self.input_row) {
            (Some(reason), Some(row)) => Some(format!("Row {row}: {reason}.")),
            (Some(reason), None) => Some(reason.clone()),
            _ => self
                .error_code
                .and_then(ErrorCode::from_code)
                .map(|e| e.explanation().to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCount {
    pub code: u16,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchDetail {
    pub summary: BatchSummary,
    /// The page of messages matching the filter.
    pub messages: Vec<MessageRow>,
    /// How many messages match the filter, over all pages.
    pub matching: i64,
    /// Every error code the batch's messages ended with, and how many (for the error filter
    /// and for resend).
    pub errors: Vec<ErrorCount>,
    pub page: i64,
    pub pages: i64,
    pub can_delete: bool,
}

/// Which of a batch's messages to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub status: Option<i64>,
    pub error_code: Option<i64>,
    /// Digits the number contains.
    pub number: Option<String>,
}

impl MessageFilter {
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.error_code.is_none() && self.number.is_none()
    }
}

/// The period search over batches (§9), parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchFilter {
    /// Send time from (inclusive), ms.
    pub from: Option<i64>,
    /// Send time until (exclusive), ms.
    pub to: Option<i64>,
    pub sender_id: Option<String>,
    /// Batches with at least one message in this status (§8 code).
    pub status: Option<i64>,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchList {
    pub batches: Vec<BatchSummary>,
    /// Batches matching the search, over all pages.
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// Every sender ID the account's batches used (the search's choices).
    pub sender_ids: Vec<String>,
}

/// Cumulative message counts per status over a batch's life, for its chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusTimeline {
    /// The batch's send time, ms.
    pub start: i64,
    /// The length of one slice of time, ms.
    pub bucket_ms: i64,
    pub total: i64,
    /// In stacking order: waiting, processing, then each final status that occurs.
    pub series: Vec<TimelineSeries>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineSeries {
    pub status: u16,
    pub label: String,
    /// The count at the end of each slice.
    pub counts: Vec<i64>,
}

pub fn status_label(code: u16) -> String {
    DeliveryStatus::from_code(code)
        .map(|s| s.label().to_string())
        .unwrap_or_else(|| format!("status {code}"))
}

use crate::error::AppError;
use leptos::prelude::*;

/// Statuses a customer may search batches and messages by (§8).
pub const SEARCHABLE_STATUSES: [i64; 9] = [
    code::UPLOAD_FAILED,
    code::UPLOAD_SUCCESS,
    code::SCHEDULING,
    code::PROCESSING,
    code::SUBMITTED,
    code::RETRY,
    code::EXPIRED,
    code::UNDELIVERABLE,
    code::DELIVERED,
];

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
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            let filter = batch_filter(&from, &to, &sender_id, status, page)?;
            Ok(store::search(&db, viewer.account_id, &filter).await?)
        }
        .await,
    )
}

/// Parses the search form, naming each field that is wrong (dates as the statement's are).
pub fn batch_filter(
    from: &str,
    to: &str,
    sender_id: &str,
    status: i64,
    page: i64,
) -> Result<BatchFilter, AppError> {
    let period = crate::ledger::page::filter_from_query("", from.trim(), to.trim())?;
    if let (Some(f), Some(t)) = (period.from, period.to) {
        if t <= f {
            return Err(AppError::field(
                "to",
                "The end date is before the start date.",
            ));
        }
    }
    if status != 0 && !SEARCHABLE_STATUSES.contains(&status) {
        return Err(AppError::field("status", "Choose a status from the list."));
    }
    Ok(BatchFilter {
        from: period.from,
        to: period.to,
        sender_id: Some(sender_id.trim().to_string()).filter(|s| !s.is_empty()),
        status: (status != 0).then_some(status),
        page,
    })
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
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            let filter = MessageFilter {
                status: (status > 0).then_some(status),
                error_code: (error > 0).then_some(error),
                number: (!digits.is_empty()).then_some(digits),
            };
            store::detail(&db, viewer.account_id, batch_id, &filter, page)
                .await?
                .ok_or(AppError::NotFound)
        }
        .await,
    )
}

/// The batch's status counts over time (its chart).
#[server(endpoint = "batch_timeline")]
pub async fn batch_timeline(batch_id: i64) -> Result<StatusTimeline, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            store::timeline(&db, viewer.account_id, batch_id, 40, crate::db::now_ms())
                .await?
                .ok_or(AppError::NotFound)
        }
        .await,
    )
}

#[server(endpoint = "delete_batch")]
pub async fn delete_scheduled_batch(batch_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            match store::delete_batch(&db, viewer.account_id, batch_id).await? {
                store::DeleteOutcome::Deleted => Ok(()),
                store::DeleteOutcome::NotFound => Err(AppError::NotFound),
                store::DeleteOutcome::TooLate => Err(AppError::Conflict(
                    "This batch can no longer be deleted: only scheduled batches whose time is more than 1 hour away can be deleted, and scheduled batches cannot be modified.".into(),
                )),
            }
        }
        .await,
    )
}

/// Creates a new batch of exactly the recipients of `batch_id` whose messages ended with one of
/// `error_codes` (comma-separated, e.g. "16"), with the same text and route (§7).
#[server(endpoint = "resend_batch")]
pub async fn resend_batch(batch_id: i64, error_codes: String) -> Result<i64, AppError> {
    crate::error::with_status(store::resend(batch_id, &error_codes).await)
}

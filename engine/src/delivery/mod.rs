//! The delivery engine (PRODUCT.md §7, §8, §12): batches and their messages, the scheduler and
//! dispatcher that hand them to operators over SMPP, delivery receipts, charging, resend, and
//! the pages that follow a batch live.

pub mod connections;
#[cfg(feature = "storage")]
pub mod dispatcher;
#[cfg(feature = "storage")]
pub mod resend;
#[cfg(feature = "storage")]
pub mod staff_view;
#[cfg(feature = "storage")]
pub mod store;
#[cfg(feature = "storage")]
pub mod unrecorded;
#[cfg(feature = "storage")]
pub mod write_sizes;

use serde::{Deserialize, Serialize};
use sms::{DeliveryStatus, ErrorCode, Money};

/// A scheduled batch can be deleted only while its time is more than this far away (§7).
pub const DELETE_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Schedules reach at most 5 years ahead (§7).
pub const MAX_SCHEDULE_AHEAD_MS: i64 = 5 * 366 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCount {
    pub status: DeliveryStatus,
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
    pub status: DeliveryStatus,
    pub error_code: Option<ErrorCode>,
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
        self.status.label()
    }

    /// `16 Insufficient Balance`.
    pub fn error_text(&self) -> Option<String> {
        self.error_code.map(|e| e.to_string())
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
        self.status == DeliveryStatus::UploadFailed
    }

    /// Why the message ended as it did, in words (§8): the refused row's own reason, else the
    /// error code's explanation.
    pub fn explanation(&self) -> Option<String> {
        match (&self.reason, self.input_row) {
            (Some(reason), Some(row)) => Some(format!("Row {row}: {reason}.")),
            (Some(reason), None) => Some(reason.clone()),
            _ => self.error_code.map(|e| e.explanation().to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCount {
    pub code: ErrorCode,
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
    pub status: Option<DeliveryStatus>,
    pub error_code: Option<ErrorCode>,
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
    /// Batches with at least one message in this status (§8).
    pub status: Option<DeliveryStatus>,
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
    pub status: DeliveryStatus,
    pub label: String,
    /// The count at the end of each slice.
    pub counts: Vec<i64>,
}

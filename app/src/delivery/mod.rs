//! The delivery engine (PRODUCT.md §7, §8, §12): batches and their messages, the scheduler and
//! dispatcher that hand them to operators over SMPP, delivery receipts, charging, resend, and
//! the pages that follow a batch live.

pub mod pages;

#[cfg(feature = "ssr")]
pub mod dispatcher;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};
use sms::{DeliveryStatus, ErrorCode, Money};

/// Statuses as the spec numbers them (§8), for queries and counts.
pub mod code {
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchDetail {
    pub summary: BatchSummary,
    pub messages: Vec<MessageRow>,
    pub page: i64,
    pub pages: i64,
    pub can_delete: bool,
}

pub fn status_label(code: u16) -> String {
    DeliveryStatus::from_code(code)
        .map(|s| s.label().to_string())
        .unwrap_or_else(|| format!("status {code}"))
}

use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "my_batches")]
pub async fn my_batches() -> Result<Vec<BatchSummary>, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            Ok(store::list(&db, viewer.account_id, 100).await?)
        }
        .await,
    )
}

#[server(endpoint = "batch_detail")]
pub async fn load_batch_detail(
    batch_id: i64,
    status: i64,
    page: i64,
) -> Result<BatchDetail, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            store::detail(
                &db,
                viewer.account_id,
                batch_id,
                (status > 0).then_some(status),
                page,
            )
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

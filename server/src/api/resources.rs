//! What the API answers, as types: each one is both what a handler serializes and, through
//! `utoipa::ToSchema`, its schema in `/api/v1/openapi.json`, so the document cannot drift
//! from the answers.

use engine::delivery::{BatchDetail, MessageRow};
use serde::Serialize;
use sms::Route;
use utoipa::ToSchema;

/// Milliseconds since the epoch as RFC 3339 in UTC.
pub(crate) fn rfc3339(ms: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// Amounts are integers in minor units: 1/10,000 of a Hong Kong dollar.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum Currency {
    #[serde(rename = "HKD")]
    Hkd,
}

/// One message: one number of a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub batch_id: i64,
    /// The number in E.164 digits (`85291234567`).
    pub to: String,
    /// The §8 status label: `UPLOAD SUCCESS`, `SCHEDULING`, `PROCESSING`, `SUBMITTED`, `RETRY`,
    /// `EXPIRED`, `UNDELIVERABLE` or `DELIVERED`.
    pub status: String,
    /// The §8 status code (2 … 22).
    pub status_code: i64,
    /// Whether the status can still change.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The §8 error code, when the message was not (or not yet) delivered.
    pub error_code: Option<i64>,
    pub error: Option<String>,
    pub error_explanation: Option<String>,
    /// `HK_BUSINESS`, `HK_ECONOMIC`, `CHINA` or `INTERNATIONAL`.
    pub route: Option<String>,
    /// SMS parts the text takes on this route.
    pub parts: i64,
    /// What the message was charged (0 until an operator accepted it; refunded when a route
    /// reports it undeliverable).
    pub charge_minor: i64,
    pub currency: Currency,
    /// RFC 3339 times.
    pub created_at: Option<String>,
    pub submitted_at: Option<String>,
    pub done_at: Option<String>,
}

impl Message {
    pub fn new(batch_id: i64, m: &MessageRow) -> Message {
        Message {
            id: m.id,
            batch_id,
            to: m.destination.clone(),
            status: m.status.label().to_string(),
            status_code: i64::from(m.status),
            is_final: m.status.is_final(),
            error_code: m.error_code.map(i64::from),
            error: m.error_code.map(|e| e.label().to_string()),
            error_explanation: m.error_code.map(|e| e.explanation().to_string()),
            route: m.route.map(|r| Route::as_str(r).to_string()),
            parts: m.parts,
            charge_minor: m.charge.minor(),
            currency: Currency::Hkd,
            created_at: rfc3339(m.created_at),
            submitted_at: m.submitted_at.and_then(rfc3339),
            done_at: m.done_at.and_then(rfc3339),
        }
    }
}

/// A refused item of the request's `to` list, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedNumber {
    /// The item's position in `to`, from 1.
    pub row: Option<i64>,
    /// The item as sent.
    pub to: String,
    pub reason: Option<String>,
    pub error_code: Option<i64>,
}

/// What a send was counted and charged as.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SendSummary {
    pub batch_id: i64,
    /// `GSM7` or `UCS2`.
    pub encoding: String,
    /// SMS parts per message (on the Hong Kong route; mainland numbers may take more with the
    /// signature).
    pub parts: i64,
    /// Numbers accepted for sending.
    pub recipients: i64,
    pub duplicates_removed: i64,
    /// Numbers left out by the do-not-call filter (`filter_dnc`).
    pub dnc_filtered: i64,
    /// Numbers left out because they replied STOP to this account (always filtered; error
    /// code 18).
    pub opted_out: i64,
    /// Items refused (all of them; `rejected` lists the first 1,000).
    pub rejected_total: i64,
    /// What the accepted numbers will cost in all.
    pub total_cost_minor: i64,
    pub currency: Currency,
    /// When it goes out (RFC 3339); `null` for now.
    pub scheduled_at: Option<String>,
}

/// The answer to `POST /api/v1/messages`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessagesSent {
    #[serde(flatten)]
    pub summary: SendSummary,
    /// One per accepted number (numbers filtered as do-not-call included, already final).
    pub messages: Vec<Message>,
    pub rejected: Vec<RejectedNumber>,
}

/// The answer to `POST /api/v1/batches`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchAccepted {
    #[serde(flatten)]
    pub summary: SendSummary,
    pub rejected: Vec<RejectedNumber>,
}

/// How many of a batch's messages have one status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub status_code: i64,
    pub count: i64,
}

/// A batch, its counts by status and one page of its messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Batch {
    pub id: i64,
    pub created_at: Option<String>,
    /// When a scheduled batch goes out; `null` when it was sent at once.
    pub scheduled_at: Option<String>,
    pub deleted: bool,
    pub route: String,
    pub sender_id: Option<String>,
    pub text: String,
    pub parts: i64,
    pub total_messages: i64,
    pub total_charge_minor: i64,
    pub currency: Currency,
    /// Messages with a final status.
    pub finished: i64,
    pub progress_percent: i64,
    pub counts: Vec<StatusCount>,
    /// Whether `DELETE` would be accepted now (scheduled more than an hour ahead).
    pub can_delete: bool,
    pub page: i64,
    pub pages: i64,
    /// 100 per page, in the order of the list sent.
    pub messages: Vec<Message>,
}

impl Batch {
    pub fn new(detail: &BatchDetail) -> Batch {
        let s = &detail.summary;
        Batch {
            id: s.id,
            created_at: rfc3339(s.created_at),
            scheduled_at: s.is_scheduled.then_some(s.scheduled_at).and_then(rfc3339),
            deleted: s.deleted,
            route: s.route.clone(),
            sender_id: s.sender_id.clone(),
            text: s.content.clone(),
            parts: s.parts,
            total_messages: s.total_messages,
            total_charge_minor: s.total_charge.minor(),
            currency: Currency::Hkd,
            finished: s.finished,
            progress_percent: s.progress_percent(),
            counts: s
                .counts
                .iter()
                .map(|c| StatusCount {
                    status: c.status.label().to_string(),
                    status_code: i64::from(c.status),
                    count: c.count,
                })
                .collect(),
            can_delete: detail.can_delete,
            page: detail.page,
            pages: detail.pages,
            messages: detail
                .messages
                .iter()
                .map(|m| Message::new(s.id, m))
                .collect(),
        }
    }
}

/// The answer to `DELETE /api/v1/batches/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchDeleted {
    pub id: i64,
    pub deleted: bool,
}

/// The account's money.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    pub balance_minor: i64,
    /// Held for messages being handed to operators.
    pub held_minor: i64,
    /// What new sends may spend.
    pub available_minor: i64,
    pub currency: Currency,
}

/// What a status callback POSTs when a message reaches its final status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusEvent {
    /// The same on every attempt (also in `Ferry-Event-Id`): drop repeats by it.
    pub event_id: i64,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: Option<String>,
    pub message: Message,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "message.status")]
    MessageStatus,
}

/// A reply (an SMS a handset sent to one of the account's inbound numbers, §10).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reply {
    pub id: i64,
    /// The handset's number, E.164 digits when it is a phone number.
    pub from: String,
    /// The account's inbound number it was sent to.
    pub to: String,
    pub text: String,
    /// SMS parts it came in.
    pub parts: i64,
    /// Parts that never arrived (marked `[…]` in `text`).
    pub missing_parts: i64,
    /// The last message the account sent to `from` before it, if any.
    pub in_reply_to_message_id: Option<i64>,
    /// It asked to stop (`STOP`, `T`, `退訂`, …): `from` is now on the account's opt-out list.
    pub opted_out: bool,
    pub received_at: Option<String>,
}

impl From<&engine::two_way::Reply> for Reply {
    fn from(r: &engine::two_way::Reply) -> Reply {
        Reply {
            id: r.id,
            from: r.sender.clone(),
            to: r.recipient.clone(),
            text: r.text.clone(),
            parts: r.parts,
            missing_parts: r.missing_parts,
            in_reply_to_message_id: r.in_reply_to,
            opted_out: r.opted_out,
            received_at: rfc3339(r.received_at),
        }
    }
}

/// A page of replies, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyPage {
    pub data: Vec<Reply>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// What the 2-way callback POSTs for each reply.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyEvent {
    /// The same on every attempt (also in `Ferry-Event-Id`): drop repeats by it.
    pub event_id: i64,
    #[serde(rename = "type")]
    pub kind: ReplyEventType,
    pub created_at: Option<String>,
    pub reply: Reply,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum ReplyEventType {
    #[serde(rename = "reply.received")]
    ReplyReceived,
}

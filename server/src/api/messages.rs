//! Sending and reading messages over the API: `POST /messages` (at most 20 numbers, one id per
//! accepted number), `POST /batches` (the bulk call, up to a batch's 50,000 numbers), their
//! status, the balance, and deleting a scheduled batch. Sending goes through
//! `engine::broadcast::store::submit_checked`, the portal's own path, so every rule (segments,
//! cost, keywords, do-not-call, trial restriction, balance) is the same for every door.

use super::idempotent::idempotent;
use super::{ApiError, ApiState, Caller};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Extension, Json};
use engine::broadcast::store::{submit_checked, SendOptions, Sender, Submitted};
use engine::broadcast::{Purpose, Submission};
use engine::delivery::store::{self as delivery, DeleteOutcome};
use engine::delivery::{MessageFilter, MessageRow};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use sms::{DeliveryStatus, Route};

/// Numbers one `POST /messages` may carry (§11); more go through `POST /batches`.
pub const MAX_MESSAGE_RECIPIENTS: usize = 20;
/// Rejected rows listed in a bulk answer; the count covers them all.
const MAX_LISTED_REJECTIONS: usize = engine::broadcast::store::MAX_ECHOED_REJECTED_ROWS;

/// The Hong Kong route, chosen explicitly (§5); mainland and other numbers take the China and
/// International routes by themselves.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HkRoute {
    HkBusiness,
    HkEconomic,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ApiPurpose {
    #[default]
    Notification,
    Promotion,
}

/// The body of `POST /messages` and `POST /batches`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    /// One number per item, with or without `+` and country code.
    to: Vec<String>,
    text: String,
    route: HkRoute,
    #[serde(default)]
    sender_id: Option<String>,
    #[serde(default)]
    purpose: ApiPurpose,
    /// RFC 3339 (`2026-12-24T09:00:00+08:00`); absent or past: now.
    #[serde(default)]
    schedule_at: Option<String>,
    /// Minutes the operator keeps trying (10–1380); the account's setting when absent.
    #[serde(default)]
    validity_minutes: Option<i64>,
    /// Leave out numbers on the do-not-call register (§6).
    #[serde(default)]
    filter_dnc: bool,
    /// For numbers written without a country code; the account's setting when absent.
    #[serde(default)]
    default_country_code: Option<u16>,
}

/// Parses a JSON body, naming the field at fault when it does not fit.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "The request has no body: send a JSON object.",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match parsed {
        Ok(v) => de.end().map(|()| v).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("The body is not one JSON object: {e}."),
            )
        }),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            // A missing or unknown field is reported at the object holding it: name the field.
            let named = inner.to_string();
            let named = named
                .split_once('`')
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(field, _)| field.to_string());
            if inner.is_data() && path == "." {
                if let Some(field) = named {
                    return Err(ApiError::field(field, format!("{inner}.")));
                }
            }
            if inner.is_syntax() || inner.is_eof() || path == "." {
                Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    format!("The body is not valid JSON for this request: {inner}."),
                ))
            } else {
                Err(ApiError::field(path, format!("{inner}.")))
            }
        }
    }
}

impl SendRequest {
    /// The submission and options for the sending path; `max` numbers at most.
    fn into_submission(self, max: usize) -> Result<(Submission, SendFields), ApiError> {
        if self.to.is_empty() {
            return Err(ApiError::field("to", "List at least one number."));
        }
        if self.to.len() > max {
            return Err(ApiError::field(
                "to",
                if max == MAX_MESSAGE_RECIPIENTS {
                    format!(
                        "{} numbers is more than one request may send to: at most {MAX_MESSAGE_RECIPIENTS}. Send larger lists with POST /api/v1/batches.",
                        self.to.len()
                    )
                } else {
                    format!(
                        "{} numbers is more than a batch can take: at most {max}. Split the list into smaller batches.",
                        self.to.len()
                    )
                },
            ));
        }
        for (i, number) in self.to.iter().enumerate() {
            if number.trim().is_empty() {
                return Err(ApiError {
                    row: u32::try_from(i + 1).ok(),
                    ..ApiError::field(format!("to[{i}]"), "This item is empty: give a number.")
                });
            }
            if number.contains(['\n', '\r', ',', ';']) || number.chars().count() > 64 {
                return Err(ApiError {
                    row: u32::try_from(i + 1).ok(),
                    ..ApiError::field(
                        format!("to[{i}]"),
                        "One number per item: this one holds several, or is longer than any number.",
                    )
                });
            }
        }
        let schedule_at = match self.schedule_at.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(s) => hkt_minute(s).ok_or_else(|| {
                ApiError::field(
                    "schedule_at",
                    "Give the time as RFC 3339 with its offset, e.g. 2026-12-24T09:00:00+08:00.",
                )
            })?,
        };
        let submission = Submission {
            route: match self.route {
                HkRoute::HkBusiness => Route::HkBusiness,
                HkRoute::HkEconomic => Route::HkEconomic,
            },
            purpose: match self.purpose {
                ApiPurpose::Notification => Purpose::Notification,
                ApiPurpose::Promotion => Purpose::Promotion,
            },
            text: self.text,
            // One line per item: a refused row's number is its item's position (1-based).
            recipients: self.to.join("\n"),
            client: None,
            filter_dnc: self.filter_dnc,
            default_country_code: self.default_country_code,
        };
        Ok((
            submission,
            SendFields {
                sender_id: self.sender_id.unwrap_or_default(),
                schedule_at,
                validity_minutes: self.validity_minutes,
            },
        ))
    }
}

struct SendFields {
    sender_id: String,
    schedule_at: String,
    validity_minutes: Option<i64>,
}

/// An RFC 3339 time as the sending path's `YYYY-MM-DD HH:MM` in Hong Kong time.
fn hkt_minute(s: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    let hkt = t.to_offset(time::macros::offset!(+8));
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    hkt.format(&format).ok()
}

/// Milliseconds since the epoch as RFC 3339 in UTC.
fn rfc3339(ms: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

async fn submit(
    state: &ApiState,
    caller: &Caller,
    body: &Bytes,
    max: usize,
) -> Result<Submitted, ApiError> {
    let request: SendRequest = parse_body(body)?;
    let (submission, fields) = request.into_submission(max)?;
    let sender = Sender {
        db: &state.server.db,
        account_id: caller.account_id,
        default_china_signature: &state.server.portal.default_china_signature,
    };
    let options = SendOptions {
        sender_id: &fields.sender_id,
        schedule_at: &fields.schedule_at,
        validity_minutes: fields.validity_minutes,
    };
    submit_checked(&sender, &state.server.batches, submission, &options)
        .await
        .map_err(|e| ApiError::from(api_field_names(e)))
}

/// The engine names fields as the portal's form does; the API's request calls two of them
/// differently.
fn api_field_names(err: engine::Error) -> engine::Error {
    match err {
        engine::Error::Invalid(fields) => engine::Error::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = match f.field.as_str() {
                        "message" => "text".into(),
                        "recipients" => "to".into(),
                        _ => f.field,
                    };
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

/// What a send answers besides the messages: the server's count and cost.
fn send_summary(s: &Submitted) -> Value {
    let check = &s.check;
    json!({
        "batch_id": s.batch_id,
        "encoding": check.encoding.as_str(),
        "parts": check.parts,
        "recipients": check.recipients,
        "duplicates_removed": check.duplicates_removed,
        "dnc_filtered": check.dnc_filtered,
        "rejected_total": check.rejected_total,
        "total_cost_minor": check.total.minor(),
        "currency": "HKD",
        "scheduled_at": s.scheduled_at.and_then(rfc3339),
    })
}

/// `POST /api/v1/messages`: one text to at most 20 numbers.
pub async fn send(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    idempotent(
        &state,
        &caller,
        &headers,
        &Method::POST,
        "/messages",
        &body,
        async {
            let submitted = submit(&state, &caller, &body, MAX_MESSAGE_RECIPIENTS).await?;
            // The batch holds every item: the accepted numbers and the refused rows.
            let rows = delivery::messages_after(
                &state.server.db,
                caller.account_id,
                submitted.batch_id,
                0,
                (2 * MAX_MESSAGE_RECIPIENTS) as i64,
            )
            .await?;
            let (refused, accepted): (Vec<&MessageRow>, Vec<&MessageRow>) = rows
                .iter()
                .partition(|m| m.status == DeliveryStatus::UploadFailed);
            let mut answer = send_summary(&submitted);
            answer["messages"] = accepted
                .iter()
                .map(|m| message_json(submitted.batch_id, m))
                .collect();
            answer["rejected"] = refused
                .iter()
                .map(|m| {
                    json!({
                        "row": m.input_row,
                        "to": m.destination,
                        "reason": m.reason,
                        "error_code": m.error_code.map(i64::from),
                    })
                })
                .collect();
            Ok((StatusCode::CREATED, answer))
        },
    )
    .await
}

/// `POST /api/v1/batches`: the bulk call.
pub async fn send_batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    idempotent(
        &state,
        &caller,
        &headers,
        &Method::POST,
        "/batches",
        &body,
        async {
            let submitted = submit(
                &state,
                &caller,
                &body,
                engine::broadcast::store::MAX_RECIPIENTS,
            )
            .await?;
            let mut answer = send_summary(&submitted);
            answer["rejected"] = submitted
                .check
                .rejected
                .iter()
                .take(MAX_LISTED_REJECTIONS)
                .map(|r| json!({ "row": r.row, "to": r.input, "reason": r.reason }))
                .collect();
            Ok((StatusCode::CREATED, answer))
        },
    )
    .await
}

/// A message as the API shows it.
fn message_json(batch_id: i64, m: &MessageRow) -> Value {
    json!({
        "id": m.id,
        "batch_id": batch_id,
        "to": m.destination,
        "status": m.status.label(),
        "status_code": i64::from(m.status),
        "final": m.status.is_final(),
        "error_code": m.error_code.map(i64::from),
        "error": m.error_code.map(|e| e.label()),
        "error_explanation": m.error_code.map(|e| e.explanation()),
        "route": m.route.map(Route::as_str),
        "parts": m.parts,
        "charge_minor": m.charge.minor(),
        "currency": "HKD",
        "created_at": rfc3339(m.created_at),
        "submitted_at": m.submitted_at.and_then(rfc3339),
        "done_at": m.done_at.and_then(rfc3339),
    })
}

/// An id from the path; anything but a positive number names nothing.
fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::from(engine::Error::NotFound))
}

/// `GET /api/v1/messages/{id}`.
pub async fn message(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(&id)?;
    let (batch_id, m) = delivery::message(&state.server.db, caller.account_id, id)
        .await?
        .ok_or(engine::Error::NotFound)?;
    Ok(Json(message_json(batch_id, &m)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<String>,
}

/// `GET /api/v1/batches/{id}?page=N`: the batch, its counts by status, and a page of its
/// messages (100 per page).
pub async fn batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(&id)?;
    let Query(query) = query.map_err(|e| ApiError::field("page", e.body_text()))?;
    let page = match query.page.as_deref() {
        None => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::field("page", "The page is a whole number from 1."))?,
    };
    let detail = delivery::detail(
        &state.server.db,
        caller.account_id,
        id,
        &MessageFilter::default(),
        page,
    )
    .await?
    .ok_or(engine::Error::NotFound)?;
    let s = &detail.summary;
    Ok(Json(json!({
        "id": s.id,
        "created_at": rfc3339(s.created_at),
        "scheduled_at": s.is_scheduled.then_some(s.scheduled_at).and_then(rfc3339),
        "deleted": s.deleted,
        "route": s.route,
        "sender_id": s.sender_id,
        "text": s.content,
        "parts": s.parts,
        "total_messages": s.total_messages,
        "total_charge_minor": s.total_charge.minor(),
        "currency": "HKD",
        "finished": s.finished,
        "progress_percent": s.progress_percent(),
        "counts": s.counts.iter().map(|c| json!({
            "status": c.status.label(),
            "status_code": i64::from(c.status),
            "count": c.count,
        })).collect::<Vec<_>>(),
        "can_delete": detail.can_delete,
        "page": detail.page,
        "pages": detail.pages,
        "messages": detail.messages.iter().map(|m| message_json(s.id, m)).collect::<Vec<_>>(),
    })))
}

/// `DELETE /api/v1/batches/{id}`: only a batch scheduled more than an hour ahead (§7).
pub async fn delete_batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(&id)?;
    match delivery::delete_batch(&state.server.db, caller.account_id, id).await? {
        DeleteOutcome::Deleted => Ok(Json(json!({ "id": id, "deleted": true }))),
        DeleteOutcome::NotFound => Err(engine::Error::NotFound.into()),
        DeleteOutcome::TooLate => Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_late_to_delete",
            "Only a batch scheduled more than 1 hour ahead can be deleted; this one is sending, sent, or about to be.",
        )),
    }
}

/// `GET /api/v1/balance`.
pub async fn balance(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let (balance, held) =
        engine::ledger::store::balance_and_held(&state.server.db, caller.account_id)
            .await?
            .ok_or(engine::Error::NotFound)?;
    Ok(Json(json!({
        "balance_minor": balance.minor(),
        "held_minor": held.minor(),
        "available_minor": balance.minor() - held.minor(),
        "currency": "HKD",
    })))
}

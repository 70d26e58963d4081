//! Sending over the API: `POST /messages` (at most 20 numbers, one id per accepted number) and
//! `POST /batches` (the bulk call, up to a batch's 50,000 numbers). Both go through
//! `engine::broadcast::store::submit_checked`, the portal's own path, so every rule (segments,
//! cost, keywords, do-not-call, trial restriction, balance) is the same for every door.

use super::error::{ErrorResponse, KeyRefused};
use super::idempotent::idempotent;
use super::resources::{
    rfc3339, BatchAccepted, Currency, Message, MessagesSent, RejectedNumber, SendSummary,
};
use super::{ApiError, ApiState, Caller};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use engine::broadcast::store::{submit_checked, SendOptions, Sender, Submitted};
use engine::broadcast::{Purpose, Submission};
use engine::delivery::MessageRow;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use sms::{DeliveryStatus, Route};
use std::ops::AsyncFnOnce;
use utoipa::ToSchema;

/// Numbers one `POST /messages` may carry (§11); more go through `POST /batches`.
pub const MAX_MESSAGE_RECIPIENTS: usize = 20;
/// Rejected rows listed in a bulk answer; the count covers them all.
const MAX_LISTED_REJECTIONS: usize = engine::broadcast::store::MAX_ECHOED_REJECTED_ROWS;

/// The Hong Kong route, chosen explicitly (§5); mainland and other numbers take the China and
/// International routes by themselves.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HkRoute {
    HkBusiness,
    HkEconomic,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiPurpose {
    #[default]
    Notification,
    Promotion,
}

/// The body of `POST /messages` and `POST /batches`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// One number per item, with or without `+` and country code: at most 20 for
    /// `POST /messages`, 50,000 for `POST /batches`.
    #[schema(min_items = 1, max_items = 50_000, example = json!(["+852 9123 4567", "61234567"]))]
    pub(crate) to: Vec<String>,
    /// The text; its encoding and parts are counted as the portal counts them.
    #[schema(min_length = 1, example = "Your code is 123456")]
    pub(crate) text: String,
    pub(crate) route: HkRoute,
    #[serde(default)]
    pub(crate) sender_id: Option<String>,
    #[serde(default)]
    pub(crate) purpose: ApiPurpose,
    /// RFC 3339 (`2026-12-24T09:00:00+08:00`), at most 5 years ahead; absent or past: now.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub(crate) schedule_at: Option<String>,
    /// Minutes the operator keeps trying (10–1380); the account's setting when absent.
    #[serde(default)]
    #[schema(minimum = 10, maximum = 1380)]
    pub(crate) validity_minutes: Option<i64>,
    /// Leave out numbers on the do-not-call register (§6).
    #[serde(default)]
    pub(crate) filter_dnc: bool,
    /// For numbers written without a country code; the account's setting when absent.
    #[serde(default)]
    pub(crate) default_country_code: Option<u16>,
    /// Where each message's final status is POSTed, signed; the account's default when absent.
    #[serde(default)]
    #[schema(max_length = 500, example = "https://example.com/sms-status")]
    pub(crate) callback_url: Option<String>,
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
            purpose: Some(match self.purpose {
                ApiPurpose::Notification => Purpose::Notification,
                ApiPurpose::Promotion => Purpose::Promotion,
            }),
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
                callback_url: self.callback_url,
            },
        ))
    }
}

struct SendFields {
    sender_id: String,
    schedule_at: String,
    validity_minutes: Option<i64>,
    callback_url: Option<String>,
}

/// An RFC 3339 time as the sending path's `YYYY-MM-DD HH:MM` in Hong Kong time.
fn hkt_minute(s: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    let hkt = t.to_offset(time::macros::offset!(+8));
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    hkt.format(&format).ok()
}

/// Carries out a send request, however it arrived (JSON here, SOAP in `crate::soap`, mail in
/// `crate::smtp`): at most `max` numbers, answered with the stored batch's first
/// `answer_messages` messages.
pub(crate) async fn submit_request(
    state: &ApiState,
    caller: &Caller,
    request: SendRequest,
    (max, answer_messages): (usize, usize),
    idempotency_ref: Option<&str>,
) -> Result<Submitted, ApiError> {
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
        callback_url: fields.callback_url.as_deref(),
        idempotency_ref,
        answer_messages,
    };
    submit_checked(&sender, &state.server.batches, submission, &options)
        .await
        .map_err(|e| ApiError::from(api_field_names(e)))
}

/// The pure half of `POST /messages` and `POST /batches`, without a database: the JSON body
/// read as [`submit_request`] reads it, then [`check_offline`]. For the `api_json` fuzz target
/// in `fuzz/`; `max` is the endpoint's 20 or 50,000.
#[doc(hidden)]
pub fn read_send_body(body: &[u8], max: usize) -> Result<(), ApiError> {
    let request: SendRequest = parse_body(&Bytes::copy_from_slice(body))?;
    check_offline(request, max)
}

/// A request checked as far as it can be without an account: its fields as
/// [`submit_request`] checks them, then the text counted and the numbers parsed as the engine's
/// check does (HK Business, 852 when the request names no country code). For the fuzz targets.
pub(crate) fn check_offline(request: SendRequest, max: usize) -> Result<(), ApiError> {
    let (submission, _fields) = request.into_submission(max)?;
    let _ = engine::broadcast::compose(&submission.text, None);
    let choice = engine::broadcast::hk_choice(submission.route).unwrap_or_default();
    if engine::broadcast::store::count_rows(&submission.recipients)
        <= engine::broadcast::store::MAX_RECIPIENT_ROWS
    {
        let country = submission.default_country_code.unwrap_or(852);
        let _ =
            engine::broadcast::store::validate_rows(&submission.recipients, choice, country, None);
    }
    Ok(())
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
pub(crate) fn send_summary(s: &Submitted) -> SendSummary {
    let check = &s.check;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    SendSummary {
        batch_id: s.batch_id,
        encoding: check.encoding.as_str().to_string(),
        parts: i64::from(check.parts),
        recipients: count(check.recipients),
        duplicates_removed: count(check.duplicates_removed),
        dnc_filtered: count(check.dnc_filtered),
        opted_out: count(check.opted_out),
        rejected_total: count(check.rejected_total),
        total_cost_minor: check.total.minor(),
        currency: Currency::Hkd,
        scheduled_at: s.scheduled_at.and_then(rfc3339),
    }
}

/// A request body the server would not read (too large, cut off).
pub(crate) fn unread_body(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    ApiError::new(
        status,
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "invalid_body"
        },
        format!(
            "The request body could not be read: {}. Bodies are at most 4 MB; send larger lists as several batches.",
            rejection.body_text()
        ),
    )
}

/// What both sends share: the body read (or refused with the error shape), the send carried out
/// at most once per idempotency key, and 201 with what `answer` makes of the stored batch
/// (with its first `answer_messages` messages).
async fn accept<T: serde::Serialize>(
    call: (&ApiState, &Caller, &HeaderMap),
    body: Result<Bytes, BytesRejection>,
    (endpoint, max, answer_messages): (&str, usize, usize),
    answer: impl AsyncFnOnce(Submitted) -> Result<T, ApiError>,
) -> Response {
    let (state, caller, headers) = call;
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return unread_body(rejection).into_response(),
    };
    idempotent(
        state,
        caller,
        headers,
        &Method::POST,
        endpoint,
        &body,
        async |claim: Option<&str>| {
            let request = parse_body(&body)?;
            let submitted =
                submit_request(state, caller, request, (max, answer_messages), claim).await?;
            Ok((StatusCode::CREATED, to_value(&answer(submitted).await?)?))
        },
    )
    .await
}

/// Send one text to at most 20 numbers.
///
/// Same rules as the portal: segments, cost, China keywords, the do-not-call filter, the trial
/// restriction and the balance. Answers one message per accepted number and, under `rejected`,
/// each refused item with its reason. More than 20 numbers: use `POST /api/v1/batches`.
#[utoipa::path(post, path = "/api/v1/messages", tag = "Sending", request_body = SendRequest, params(IdempotencyKey),
    responses((status = 201, description = "Accepted and stored; the messages go out when due.", body = MessagesSent), SendRefused, KeyRefused))]
pub async fn send(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // The batch holds every item, the accepted numbers and the refused rows: it answers with
    // them all.
    let one_request = (
        "/messages",
        MAX_MESSAGE_RECIPIENTS,
        2 * MAX_MESSAGE_RECIPIENTS,
    );
    accept(
        (&state, &caller, &headers),
        body,
        one_request,
        async |submitted| {
            let (refused, accepted): (Vec<&MessageRow>, Vec<&MessageRow>) = submitted
                .messages
                .iter()
                .partition(|m| m.status == DeliveryStatus::UploadFailed);
            Ok(MessagesSent {
                summary: send_summary(&submitted),
                messages: accepted
                    .iter()
                    .map(|m| Message::new(submitted.batch_id, m))
                    .collect(),
                rejected: refused
                    .iter()
                    .map(|m| RejectedNumber {
                        row: m.input_row.and_then(|r| i64::try_from(r).ok()),
                        to: m.destination.clone(),
                        reason: m.reason.clone(),
                        error_code: m.error_code.map(i64::from),
                    })
                    .collect(),
            })
        },
    )
    .await
}

/// Send one text to up to 50,000 numbers.
///
/// The bulk call: the same body and rules as `POST /api/v1/messages`, for up to 50,000 numbers.
/// Answers the batch id and counts; read the messages with `GET /api/v1/batches/{id}`.
#[utoipa::path(post, path = "/api/v1/batches", tag = "Sending", request_body = SendRequest, params(IdempotencyKey),
    responses((status = 201, description = "Accepted and stored; the messages go out when due.", body = BatchAccepted), SendRefused, KeyRefused))]
pub async fn send_batch(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let bulk = ("/batches", engine::broadcast::store::MAX_RECIPIENTS, 0);
    accept((&state, &caller, &headers), body, bulk, async |submitted| {
        Ok(batch_accepted(&submitted))
    })
    .await
}

/// The answer to a bulk send: the summary and the first refused rows.
pub(crate) fn batch_accepted(submitted: &Submitted) -> BatchAccepted {
    BatchAccepted {
        summary: send_summary(submitted),
        rejected: submitted
            .check
            .rejected
            .iter()
            .take(MAX_LISTED_REJECTIONS)
            .map(|r| RejectedNumber {
                row: i64::try_from(r.row).ok(),
                to: r.input.clone(),
                reason: Some(r.reason.clone()),
                error_code: None,
            })
            .collect(),
    }
}

/// Why a send is refused: nothing was stored or sent.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used: refusals are `ApiError`s.
pub enum SendRefused {
    /// The body is not JSON.
    #[response(status = 400)]
    NotJson(#[to_schema] ErrorResponse),
    /// The balance does not cover it (§8 error code 16), or the request was carried out before
    /// and its answer lost in a restart (`request_carried_out`, with its `batch_id`).
    #[response(status = 409)]
    InsufficientBalance(#[to_schema] ErrorResponse),
    /// The body is larger than 4 MB.
    #[response(status = 413)]
    TooLarge(#[to_schema] ErrorResponse),
    /// A field is wrong (named in `field`), or the idempotency key was used for another request.
    #[response(status = 422)]
    Invalid(#[to_schema] ErrorResponse),
}

/// The `Idempotency-Key` header of the writes.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Only its description is used: `idempotent` reads the header itself.
pub struct IdempotencyKey {
    /// Any string of up to 255 characters, e.g. your order id: a request sent again with the
    /// same key within 24 hours gets the first answer instead of sending again.
    #[param(rename = "Idempotency-Key", max_length = 255)]
    idempotency_key: Option<String>,
}

fn to_value(answer: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(answer).map_err(|e| ApiError::internal("api answer", e))
}

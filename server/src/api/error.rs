//! The API's one error shape, `{"error": {"code", "message", "field", "row", "errors"}}`, with
//! the HTTP status that goes with it (Stripe's and Twilio's clients expect both).

use axum::response::{IntoResponse, Response};
use engine::FieldError;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    #[serde(skip)]
    #[schema(ignore)]
    pub status: StatusCode,
    /// Stable, for programs: `invalid_json`, `invalid_request`, `missing_api_key`,
    /// `invalid_api_key`, `forbidden`, `not_found`, `insufficient_balance`,
    /// `too_late_to_delete`, `rate_limited`, `body_too_large`, `internal_error`, …
    #[schema(value_type = String)]
    pub code: &'static str,
    /// For people: what was wrong and what to do.
    pub message: String,
    /// The request field at fault (`to`, `text`, `to[3]`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The recipient row at fault (1-based), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// Every rejected field, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<RejectedField>)]
    pub errors: Vec<FieldError>,
    /// The §8 error code, where one applies (16: insufficient balance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u16>,
    /// The batch an earlier request with the same idempotency key made
    /// (`request_carried_out`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub batch_id: Option<std::num::NonZeroI64>,
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after_s: Option<u32>,
}

/// One rejected field of a request (the schema of `engine::FieldError`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only its schema is used: answers serialize `engine::FieldError`.
pub struct RejectedField {
    /// The field at fault, e.g. `to[3]`, `text`.
    field: String,
    message: String,
}

/// The refusals any call with a key can get, before it is carried out.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used: refusals are `ApiError`s.
pub enum KeyRefused {
    /// No API key, or not a valid one.
    #[response(status = 401)]
    NoKey(#[to_schema] ErrorResponse),
    /// Outside the account's IP allow-list.
    #[response(status = 403)]
    Forbidden(#[to_schema] ErrorResponse),
    /// Over the key's rate limit; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(#[to_schema] ErrorResponse),
}

/// Nothing of this account has that id.
#[derive(utoipa::IntoResponses)]
#[response(status = 404)]
#[allow(dead_code)] // Only its description is used: refusals are `ApiError`s.
pub struct NotFound(#[to_schema] ErrorResponse);

/// The body of every error answer.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only its schema is used: answers serialize `Envelope`.
pub struct ErrorResponse {
    error: ApiError,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            row: None,
            errors: Vec::new(),
            error_code: None,
            batch_id: None,
            retry_after_s: None,
        }
    }

    /// A field the request got wrong (422).
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        ApiError {
            field: Some(field.clone()),
            errors: vec![FieldError {
                field,
                message: message.clone(),
            }],
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
        }
    }

    /// A failure that is not the caller's: logged with a reference (as the portal does), which
    /// is all the caller sees.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        let reference = match app::error::AppError::internal(context, err) {
            app::error::AppError::Internal(reference) => reference,
            _ => String::new(),
        };
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("Ferry could not complete the request (reference {reference}); try again, or quote the reference to support."),
        )
    }

    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError {
            retry_after_s: Some(u32::try_from(seconds).unwrap_or(u32::MAX).max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests with this API key; wait for Retry-After seconds and try again.",
            )
        }
    }
}

impl From<engine::Error> for ApiError {
    fn from(err: engine::Error) -> Self {
        use engine::Error as E;
        match err {
            E::Invalid(errors) => {
                let message = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                ApiError {
                    field: errors.first().map(|e| e.field.clone()),
                    errors,
                    ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
                }
            }
            E::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This API key may not do that.",
            ),
            E::ForbiddenBecause(why) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", why),
            E::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found: nothing with this id belongs to this account.",
            ),
            E::Throttled(why) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", why),
            E::Conflict(why) => ApiError::new(StatusCode::CONFLICT, "conflict", why),
            E::InsufficientBalance(why) => ApiError {
                error_code: Some(u16::from(sms::ErrorCode::InsufficientBalance)),
                ..ApiError::new(StatusCode::CONFLICT, "insufficient_balance", why)
            },
            E::Internal { context, message } => ApiError::internal(&context, message),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::internal("database", err)
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a ApiError,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(Envelope { error: &self })).into_response();
        let headers = response.headers_mut();
        if let Some(s) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ferry\""),
            );
        }
        response
    }
}

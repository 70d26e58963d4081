//! The one error type every server function returns. It crosses the wire as JSON, so the
//! browser can put each message next to the field it concerns.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

pub use engine::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// One or more fields were rejected; nothing was changed.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldError>),
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Your account does not have access to this page.")]
    Forbidden,
    /// Forbidden, with a specific explanation for the person.
    #[error("{0}")]
    ForbiddenBecause(String),
    /// Also used for other accounts' records, so their IDs cannot be probed.
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    Conflict(String),
    /// Details are in the server log under this reference; the user sees only the reference.
    #[error("Something went wrong on our side (reference {0}). Please try again.")]
    Internal(String),
    /// The request never reached our code (network, encoding).
    #[error("Could not reach Ferry: {0}")]
    Transport(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Turns a refusal into one that says why.
    pub fn with_message(self, message: String) -> Self {
        match self {
            AppError::Forbidden => AppError::ForbiddenBecause(message),
            other => other,
        }
    }

    /// The message for one form field, if this error rejected it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::ForbiddenBecause(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs an unexpected failure and returns the error the user sees, with a reference that
    /// finds the log line.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        use rand::Rng;
        let reference = format!("{:08x}", rand::thread_rng().gen::<u32>());
        tracing::error!(%reference, context, error = %err, "internal error");
        AppError::Internal(reference)
    }
}

pub use engine::error::FieldErrors;

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// The engine's refusals keep their meaning; its internal failures are logged here and reach
/// the person only as a reference.
impl From<engine::Error> for AppError {
    fn from(err: engine::Error) -> Self {
        match err {
            engine::Error::Invalid(fields) => AppError::Invalid(fields),
            engine::Error::Forbidden => AppError::Forbidden,
            engine::Error::ForbiddenBecause(why) => AppError::ForbiddenBecause(why),
            engine::Error::NotFound => AppError::NotFound,
            engine::Error::Throttled(why) => AppError::Throttled(why),
            engine::Error::Conflict(why) | engine::Error::InsufficientBalance(why) => {
                AppError::Conflict(why)
            }
            #[cfg(feature = "ssr")]
            engine::Error::Internal { context, message } => AppError::internal(&context, message),
            #[cfg(not(feature = "ssr"))]
            engine::Error::Internal { context, .. } => AppError::Internal(context),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::internal("database", err)
    }
}

/// Sets the HTTP status of the current server-function response to match the error, so API
/// clients and logs see 401/403/404/422/429 rather than a blanket 500.
#[cfg(feature = "ssr")]
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(err.status());
        }
    }
    result
}

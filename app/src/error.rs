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

    /// What the person reads, in `lang`. (`Display` stays English, for logs and the API.)
    /// Refusals the engine worded were already put into the request's language on the way
    /// out of the server function (`From<engine::Error>`).
    pub fn localized(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::tr;
        match self {
            AppError::Unauthenticated => tr::error_unauthenticated(lang).to_string(),
            AppError::Forbidden => tr::error_forbidden(lang).to_string(),
            AppError::NotFound => tr::error_not_found(lang).to_string(),
            AppError::Internal(reference) => tr::error_internal(lang, reference),
            AppError::Transport(why) => tr::error_transport(lang, why),
            other => other.to_string(),
        }
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
        // The engine words its refusals in English; the person reads them in the page's
        // language (server functions run with the request in context).
        #[cfg(feature = "ssr")]
        let say = {
            let lang = crate::i18n::page_lang();
            move |text: String| crate::i18n::from_english(lang, &text)
        };
        // In the browser an engine error only passes through, already translated.
        #[cfg(not(feature = "ssr"))]
        let say = |text: String| text;
        match err {
            engine::Error::Invalid(fields) => AppError::Invalid(
                fields
                    .into_iter()
                    .map(|f| FieldError {
                        message: say(f.message),
                        field: f.field,
                    })
                    .collect(),
            ),
            engine::Error::Forbidden => AppError::Forbidden,
            engine::Error::ForbiddenBecause(why) => AppError::ForbiddenBecause(say(why)),
            engine::Error::NotFound => AppError::NotFound,
            engine::Error::Throttled(why) => AppError::Throttled(say(why)),
            engine::Error::Conflict(why) | engine::Error::InsufficientBalance(why) => {
                AppError::Conflict(say(why))
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

//! The engine's one error type: what a caller did wrong (fields, permissions, limits, state),
//! or an internal failure. Doors map it to their own answers (the portal to `AppError`, an API
//! to its JSON error and status code).

use serde::{Deserialize, Serialize};

/// A rejected input field: which one (the form's or request's name for it) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// One or more fields were rejected; nothing was changed.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldError>),
    #[error("Your account does not have access to this page.")]
    Forbidden,
    /// The caller may not do this; the text says why.
    #[error("{0}")]
    ForbiddenBecause(String),
    /// Also used for other accounts' records, so their IDs cannot be probed.
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Throttled(String),
    /// The request conflicts with the current state (schedule, a record changed).
    #[error("{0}")]
    Conflict(String),
    /// The balance does not cover what was asked (§3); nothing was sent or charged.
    #[error("{0}")]
    InsufficientBalance(String),
    /// A failure that is not the caller's: logged where it is mapped, never shown in detail.
    #[error("{context}: {message}")]
    Internal { context: String, message: String },
}

impl Error {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The message for one field, if this error rejected it.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        match self {
            Error::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }

    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        Error::Internal {
            context: context.into(),
            message: err.to_string(),
        }
    }
}

/// Collects field errors so a form reports every problem at once, not the first one.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

#[cfg(feature = "storage")]
impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::internal("database", err)
    }
}

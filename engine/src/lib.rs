//! Ferry's engine: the domain and its storage, with no user interface. It owns the database
//! (pools, migrations), accounts and sessions, settings, sender IDs, the ledger, the price list,
//! documents and staff reviews, recipient files, do-not-call and the address book, composing and
//! submitting, batches and messages, the dispatcher and its SMSC links, retention and the audit
//! log. Every door into Ferry (the portal's server functions, the CLI, the benchmarks, and the
//! coming HTTP, SOAP and SMTP APIs) calls the same functions here, each taking its database and
//! caller explicitly.
//!
//! It may call `smpp` and `sms`, never `app` or `server`. Without the `storage` feature it is
//! only the plain types the portal's pages exchange with the server (so the browser build, which
//! shares them, carries no SQL, no SMPP and no Tokio).

pub mod account;
pub mod address_book;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod broadcast;
pub mod callbacks;
pub mod delivery;
pub mod dnc;
pub mod documents;
pub mod error;
pub mod import;
pub mod keywords;
pub mod ledger;
pub mod pricing;
pub mod review;
pub mod sender_ids;
pub mod settings;
pub mod staff;
pub mod two_way;

#[cfg(feature = "storage")]
pub mod backup;
#[cfg(feature = "storage")]
pub mod db;
#[cfg(feature = "storage")]
pub mod email_intake;
#[cfg(feature = "storage")]
pub mod email_replies;
#[cfg(feature = "storage")]
pub mod idempotency;
#[cfg(feature = "storage")]
pub mod reader;
#[cfg(feature = "storage")]
pub mod retention;
/// Fixtures for store tests: accounts made through the engine's own functions.
#[cfg(feature = "storage")]
pub mod testing;
#[cfg(feature = "storage")]
pub mod writer;

pub use error::{Error, FieldError};

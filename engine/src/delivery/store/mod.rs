//! The delivery engine's queries. Every state change of a message is one guarded UPDATE (or one
//! transaction) so that several dispatcher tasks, and several Ferry processes on PostgreSQL,
//! can work on the same tables without sending or charging anything twice.
//!
//! Split by what changes together: intake, queries for pages, claims, outcomes, receipts.

mod claims;
mod intake;
mod outcomes;
mod queries;
mod receipts;

pub use claims::*;
pub use intake::*;
pub use outcomes::*;
pub use queries::*;
pub use receipts::*;

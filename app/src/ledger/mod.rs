//! The ledger (PRODUCT.md §3): every balance change is an append-only entry, written in the same
//! transaction as the balance it changes. A balance can never go below zero (a CHECK in the
//! schema backs the guarded UPDATE here), so two racing charges cannot overdraw (§14).

pub use engine::ledger::*;

pub mod page;
pub use page::StatementPage;

//! The ledger (PRODUCT.md §3): every balance change is an append-only entry, written in the same
//! transaction as the balance it changes. A balance can never go below zero (a CHECK in the
//! schema backs the guarded UPDATE here), so two racing charges cannot overdraw (§14).

use serde::{Deserialize, Serialize};
use sms::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    TrialCredit,
    TopUp,
    Bonus,
    Charge,
    Refund,
    TransferIn,
    TransferOut,
    Fee,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::TrialCredit => "trial_credit",
            EntryKind::TopUp => "top_up",
            EntryKind::Bonus => "bonus",
            EntryKind::Charge => "charge",
            EntryKind::Refund => "refund",
            EntryKind::TransferIn => "transfer_in",
            EntryKind::TransferOut => "transfer_out",
            EntryKind::Fee => "fee",
        }
    }

    /// Debits take money out of the account: their amounts are stored negative.
    pub fn is_debit(self) -> bool {
        matches!(
            self,
            EntryKind::Charge | EntryKind::TransferOut | EntryKind::Fee
        )
    }
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub amount: Money,
    pub balance_after: Money,
    pub description: String,
    pub created_at: i64,
}

#[cfg(feature = "ssr")]
pub mod store;

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

/// One Hong Kong day of sending: messages charged and what they cost, net of refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    /// YYYY-MM-DD, Hong Kong time.
    pub date: String,
    pub messages: i64,
    pub spend: Money,
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

/// Which entries a statement shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementFilter {
    /// One of [`EntryKind::as_str`], or all kinds.
    pub kind: Option<String>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub to: Option<i64>,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::TrialCredit,
        EntryKind::TopUp,
        EntryKind::Bonus,
        EntryKind::Charge,
        EntryKind::Refund,
        EntryKind::TransferIn,
        EntryKind::TransferOut,
        EntryKind::Fee,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EntryKind::TrialCredit => "Trial credit",
            EntryKind::TopUp => "Top-up",
            EntryKind::Bonus => "Bonus",
            EntryKind::Charge => "Charge",
            EntryKind::Refund => "Refund",
            EntryKind::TransferIn => "Transfer in",
            EntryKind::TransferOut => "Transfer out",
            EntryKind::Fee => "Fee",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const HKT_OFFSET_MS: i64 = 8 * 60 * 60 * 1000;

/// The Hong Kong day number (days since 1970-01-01 HKT) of a Unix ms time.
pub fn hkt_day(ms: i64) -> i64 {
    (ms + HKT_OFFSET_MS).div_euclid(DAY_MS)
}

/// `YYYY-MM-DD` of a Hong Kong day number.
pub fn hkt_day_label(day: i64) -> String {
    let date = time::Date::from_julian_day(2_440_588 + day as i32);
    date.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

/// Parses `YYYY-MM-DD` as midnight Hong Kong time, in Unix ms.
pub fn hkt_date_to_ms(date: &str) -> Option<i64> {
    let mut it = date.trim().splitn(3, '-');
    let year: i32 = it.next()?.parse().ok()?;
    let month: u8 = it.next()?.parse().ok()?;
    let day: u8 = it.next()?.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let dt = date
        .with_hms(0, 0, 0)
        .ok()?
        .assume_offset(time::UtcOffset::from_hms(8, 0, 0).ok()?);
    Some((dt.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// `YYYY-MM-DDTHH:MM` (a datetime-local input) or `YYYY-MM-DD HH:MM`, Hong Kong time, in ms.
pub fn parse_hkt_datetime(s: &str) -> Option<i64> {
    let (date, time) = s.trim().split_once(['T', ' '])?;
    let midnight = hkt_date_to_ms(date)?;
    let (h, m) = time.split_once(':')?;
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.get(..2).unwrap_or(m).parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(midnight + (h * 60 + m) * 60_000)
}

#[cfg(feature = "storage")]
pub mod store;

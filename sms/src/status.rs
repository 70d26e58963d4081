//! Delivery statuses and error codes (spec §8).
//!
//! Both are stored and exchanged as numbers; the numbers are part of the public API (customers
//! filter and resend by them), so they never change once published.
//!
//! Delivery statuses are fixed by the spec:
//!
//! | code | status         | final |
//! |------|----------------|-------|
//! | 1    | UPLOAD FAILED  | yes*  |
//! | 2    | UPLOAD SUCCESS |       |
//! | 3    | SCHEDULING     |       |
//! | 4    | PROCESSING     |       |
//! | 5    | SUBMITTED      | yes   |
//! | 19   | RETRY          |       |
//! | 20   | EXPIRED        | yes   |
//! | 21   | UNDELIVERABLE  | yes   |
//! | 22   | DELIVERED      | yes   |
//!
//! *The spec marks only delivery outcomes as final, but an upload failure never changes either;
//! treating it as final keeps "wait until every message is final" loops from waiting forever.
//!
//! Error codes (why a message is not, or not yet, delivered). Only 16 is fixed by the spec
//! ("error `16 Insufficient Balance`"); the others are Ferry's own and stable:
//!
//! | code | error                     | handed to the operator? |
//! |------|---------------------------|-------------------------|
//! | 1    | Handset off               | yes (absent subscriber) |
//! | 2    | Memory full               | yes                     |
//! | 3    | Unknown subscriber        | yes                     |
//! | 4    | Barred                    | yes                     |
//! | 5    | Blocked as spam           | yes                     |
//! | 6    | Network error             | yes                     |
//! | 7    | Expired                   | yes                     |
//! | 8    | Operator rejected         | no (refused at submit)  |
//! | 9    | Invalid number            | no                      |
//! | 10   | Do-not-call               | no                      |
//! | 11   | Keyword blocked           | no                      |
//! | 12   | Over single-SMS charge limit | no                   |
//! | 13   | Cannot receive SMS        | yes                     |
//! | 14   | No route                  | no                      |
//! | 15   | Message too long          | no                      |
//! | 16   | Insufficient Balance      | no                      |
//! | 17   | Unknown error             | yes                     |

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a message is in its life; stored as its spec number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
#[repr(u16)]
pub enum DeliveryStatus {
    UploadFailed = 1,
    UploadSuccess = 2,
    Scheduling = 3,
    Processing = 4,
    Submitted = 5,
    Retry = 19,
    Expired = 20,
    Undeliverable = 21,
    Delivered = 22,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a delivery status code")]
pub struct UnknownStatusCode(pub u16);

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 9] = [
        DeliveryStatus::UploadFailed,
        DeliveryStatus::UploadSuccess,
        DeliveryStatus::Scheduling,
        DeliveryStatus::Processing,
        DeliveryStatus::Submitted,
        DeliveryStatus::Retry,
        DeliveryStatus::Expired,
        DeliveryStatus::Undeliverable,
        DeliveryStatus::Delivered,
    ];

    /// The spec number.
    pub const fn code(self) -> u16 {
        self as u16
    }

    pub const fn from_code(code: u16) -> Option<DeliveryStatus> {
        Some(match code {
            1 => DeliveryStatus::UploadFailed,
            2 => DeliveryStatus::UploadSuccess,
            3 => DeliveryStatus::Scheduling,
            4 => DeliveryStatus::Processing,
            5 => DeliveryStatus::Submitted,
            19 => DeliveryStatus::Retry,
            20 => DeliveryStatus::Expired,
            21 => DeliveryStatus::Undeliverable,
            22 => DeliveryStatus::Delivered,
            _ => return None,
        })
    }

    /// The name as the spec and the delivery results show it, e.g. `UPLOAD SUCCESS`.
    pub const fn label(self) -> &'static str {
        match self {
            DeliveryStatus::UploadFailed => "UPLOAD FAILED",
            DeliveryStatus::UploadSuccess => "UPLOAD SUCCESS",
            DeliveryStatus::Scheduling => "SCHEDULING",
            DeliveryStatus::Processing => "PROCESSING",
            DeliveryStatus::Submitted => "SUBMITTED",
            DeliveryStatus::Retry => "RETRY",
            DeliveryStatus::Expired => "EXPIRED",
            DeliveryStatus::Undeliverable => "UNDELIVERABLE",
            DeliveryStatus::Delivered => "DELIVERED",
        }
    }

    /// What the status means, for customers.
    pub const fn meaning(self) -> &'static str {
        match self {
            DeliveryStatus::UploadFailed => "Not accepted into the system.",
            DeliveryStatus::UploadSuccess => "Accepted, waiting to be sent.",
            DeliveryStatus::Scheduling => "Stored, will be sent at the scheduled time.",
            DeliveryStatus::Processing => {
                "Being handed to or accepted by the operator; no final report yet."
            }
            DeliveryStatus::Submitted => {
                "Accepted by an operator on a route without delivery reports."
            }
            DeliveryStatus::Retry => {
                "The operator could not reach the handset yet and keeps retrying within the \
                 validity period."
            }
            DeliveryStatus::Expired => "The validity period passed without delivery.",
            DeliveryStatus::Undeliverable => {
                "Cannot be delivered, or not sent by Ferry; the error code says why."
            }
            DeliveryStatus::Delivered => "Reached the handset.",
        }
    }

    /// Whether the status can no longer change (see the module docs for UPLOAD FAILED).
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::UploadFailed
                | DeliveryStatus::Submitted
                | DeliveryStatus::Expired
                | DeliveryStatus::Undeliverable
                | DeliveryStatus::Delivered
        )
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl From<DeliveryStatus> for u16 {
    fn from(s: DeliveryStatus) -> u16 {
        s.code()
    }
}

impl TryFrom<u16> for DeliveryStatus {
    type Error = UnknownStatusCode;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        DeliveryStatus::from_code(code).ok_or(UnknownStatusCode(code))
    }
}

/// Why a message was not (or not yet) delivered; stored as its number (table in module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
#[repr(u16)]
pub enum ErrorCode {
    HandsetOff = 1,
    MemoryFull = 2,
    UnknownSubscriber = 3,
    Barred = 4,
    BlockedAsSpam = 5,
    NetworkError = 6,
    Expired = 7,
    OperatorRejected = 8,
    InvalidNumber = 9,
    DoNotCall = 10,
    KeywordBlocked = 11,
    OverChargeLimit = 12,
    CannotReceiveSms = 13,
    NoRoute = 14,
    MessageTooLong = 15,
    InsufficientBalance = 16,
    Unknown = 17,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not an error code")]
pub struct UnknownErrorCode(pub u16);

impl ErrorCode {
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::HandsetOff,
        ErrorCode::MemoryFull,
        ErrorCode::UnknownSubscriber,
        ErrorCode::Barred,
        ErrorCode::BlockedAsSpam,
        ErrorCode::NetworkError,
        ErrorCode::Expired,
        ErrorCode::OperatorRejected,
        ErrorCode::InvalidNumber,
        ErrorCode::DoNotCall,
        ErrorCode::KeywordBlocked,
        ErrorCode::OverChargeLimit,
        ErrorCode::CannotReceiveSms,
        ErrorCode::NoRoute,
        ErrorCode::MessageTooLong,
        ErrorCode::InsufficientBalance,
        ErrorCode::Unknown,
    ];

    pub const fn code(self) -> u16 {
        self as u16
    }

    pub const fn from_code(code: u16) -> Option<ErrorCode> {
        if code == 0 || code as usize > Self::ALL.len() {
            return None;
        }
        // ALL is in code order 1..=17 (checked by a test).
        Some(Self::ALL[code as usize - 1])
    }

    /// Short name, as in "16 Insufficient Balance".
    pub const fn label(self) -> &'static str {
        match self {
            ErrorCode::HandsetOff => "Handset Off",
            ErrorCode::MemoryFull => "Memory Full",
            ErrorCode::UnknownSubscriber => "Unknown Subscriber",
            ErrorCode::Barred => "Barred",
            ErrorCode::BlockedAsSpam => "Blocked As Spam",
            ErrorCode::NetworkError => "Network Error",
            ErrorCode::Expired => "Expired",
            ErrorCode::OperatorRejected => "Operator Rejected",
            ErrorCode::InvalidNumber => "Invalid Number",
            ErrorCode::DoNotCall => "Do-Not-Call",
            ErrorCode::KeywordBlocked => "Keyword Blocked",
            ErrorCode::OverChargeLimit => "Over Single-SMS Charge Limit",
            ErrorCode::CannotReceiveSms => "Cannot Receive SMS",
            ErrorCode::NoRoute => "No Route",
            ErrorCode::MessageTooLong => "Message Too Long",
            ErrorCode::InsufficientBalance => "Insufficient Balance",
            ErrorCode::Unknown => "Unknown Error",
        }
    }

    /// A human explanation for the delivery results.
    pub const fn explanation(self) -> &'static str {
        match self {
            ErrorCode::HandsetOff => {
                "The phone was switched off or out of coverage (absent subscriber)."
            }
            ErrorCode::MemoryFull => "The phone's message storage is full.",
            ErrorCode::UnknownSubscriber => {
                "The number is not in service (unsubscribed or deactivated)."
            }
            ErrorCode::Barred => "The subscriber is barred from receiving messages.",
            ErrorCode::BlockedAsSpam => {
                "The operator blocked the message as spam or at the recipient's request."
            }
            ErrorCode::NetworkError => "The operator's network failed to deliver the message.",
            ErrorCode::Expired => "The validity period passed before the phone could be reached.",
            ErrorCode::OperatorRejected => {
                "The operator refused the message when it was submitted."
            }
            ErrorCode::InvalidNumber => "The number is not a valid mobile number.",
            ErrorCode::DoNotCall => "The number is on the do-not-call register.",
            ErrorCode::KeywordBlocked => "The content contains a blocked keyword.",
            ErrorCode::OverChargeLimit => {
                "The message costs more than the account's single-SMS charge limit."
            }
            ErrorCode::CannotReceiveSms => "The number cannot receive SMS (e.g. a data-only line).",
            ErrorCode::NoRoute => "No operator route or price is set up for this destination.",
            ErrorCode::MessageTooLong => "The message is longer than the route allows.",
            ErrorCode::InsufficientBalance => {
                "The account balance did not cover the message, so it was not sent."
            }
            ErrorCode::Unknown => "The operator did not give a reason.",
        }
    }

    /// True when the message never reached an operator, so it is never charged (spec §7).
    pub const fn never_handed_over(self) -> bool {
        matches!(
            self,
            ErrorCode::OperatorRejected
                | ErrorCode::InvalidNumber
                | ErrorCode::DoNotCall
                | ErrorCode::KeywordBlocked
                | ErrorCode::OverChargeLimit
                | ErrorCode::NoRoute
                | ErrorCode::MessageTooLong
                | ErrorCode::InsufficientBalance
        )
    }
}

impl fmt::Display for ErrorCode {
    /// `16 Insufficient Balance`, as the spec writes error codes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.label())
    }
}

impl From<ErrorCode> for u16 {
    fn from(e: ErrorCode) -> u16 {
        e.code()
    }
}

impl TryFrom<u16> for ErrorCode {
    type Error = UnknownErrorCode;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        ErrorCode::from_code(code).ok_or(UnknownErrorCode(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_match_the_spec() {
        let expected = [
            (1, "UPLOAD FAILED"),
            (2, "UPLOAD SUCCESS"),
            (3, "SCHEDULING"),
            (4, "PROCESSING"),
            (5, "SUBMITTED"),
            (19, "RETRY"),
            (20, "EXPIRED"),
            (21, "UNDELIVERABLE"),
            (22, "DELIVERED"),
        ];
        for (status, (code, label)) in DeliveryStatus::ALL.into_iter().zip(expected) {
            assert_eq!(status.code(), code);
            assert_eq!(status.to_string(), label);
            assert_eq!(DeliveryStatus::try_from(code), Ok(status));
            assert!(!status.meaning().is_empty());
        }
    }

    #[test]
    fn unknown_status_numbers_are_refused() {
        for code in [0, 6, 18, 23, u16::MAX] {
            assert_eq!(DeliveryStatus::try_from(code), Err(UnknownStatusCode(code)));
        }
    }

    #[test]
    fn only_outcomes_are_final() {
        let finals: Vec<u16> = DeliveryStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(DeliveryStatus::code)
            .collect();
        assert_eq!(finals, [1, 5, 20, 21, 22]);
    }

    #[test]
    fn insufficient_balance_is_error_16() {
        assert_eq!(ErrorCode::InsufficientBalance.code(), 16);
        assert_eq!(
            ErrorCode::InsufficientBalance.to_string(),
            "16 Insufficient Balance"
        );
        assert_eq!(ErrorCode::try_from(16), Ok(ErrorCode::InsufficientBalance));
    }

    #[test]
    fn error_codes_round_trip_and_are_in_order() {
        for (i, e) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(e.code()), i + 1);
            assert_eq!(ErrorCode::try_from(e.code()), Ok(e));
            assert!(!e.explanation().is_empty());
        }
        for code in [0, 18, 99, u16::MAX] {
            assert_eq!(ErrorCode::try_from(code), Err(UnknownErrorCode(code)));
        }
    }

    #[test]
    fn uncharged_errors_follow_section_7() {
        for e in [
            ErrorCode::InvalidNumber,
            ErrorCode::DoNotCall,
            ErrorCode::KeywordBlocked,
            ErrorCode::OverChargeLimit,
            ErrorCode::OperatorRejected,
            ErrorCode::InsufficientBalance,
        ] {
            assert!(e.never_handed_over(), "{e}");
        }
        assert!(!ErrorCode::HandsetOff.never_handed_over());
        assert!(!ErrorCode::Expired.never_handed_over());
    }

    #[test]
    fn statuses_and_errors_serialize_as_numbers() {
        assert_eq!(
            serde_json::to_string(&DeliveryStatus::Delivered)
                .ok()
                .as_deref(),
            Some("22")
        );
        assert_eq!(
            serde_json::to_string(&ErrorCode::DoNotCall).ok().as_deref(),
            Some("10")
        );
        assert_eq!(
            serde_json::from_str::<DeliveryStatus>("19").ok(),
            Some(DeliveryStatus::Retry)
        );
        assert!(serde_json::from_str::<DeliveryStatus>("6").is_err());
        assert!(serde_json::from_str::<ErrorCode>("0").is_err());
    }
}

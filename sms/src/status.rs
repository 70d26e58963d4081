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

/// Declares an enum whose variants are fixed public numbers, one row per variant: its number,
/// its label, the sentence that describes it (`$describe`) and, for statuses, whether it is
/// final. From the rows come the enum, `ALL` in code order, `code`/`from_code`, `label`, the
/// description, `is_final`, and the conversions storage (`i64`) and serde (`u16`) use: a
/// number can never be listed in one place and forgotten in another.
macro_rules! numbered_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, unknown: $unknown:ident ($what:literal), described by $describe:ident {
            $($variant:ident = $code:literal, $finality:ident => $label:literal, $text:literal,)*
        }
    ) => {
        numbered_enum! {
            $(#[$meta])*
            pub enum $name, unknown: $unknown ($what), described by $describe {
                $($variant = $code => $label, $text,)*
            }
        }

        impl $name {
            /// Whether it can no longer change.
            pub const fn is_final(self) -> bool {
                match self {
                    $($name::$variant => numbered_enum!(@final $finality),)*
                }
            }
        }
    };
    (@final final) => { true };
    (@final open) => { false };
    (
        $(#[$meta:meta])*
        pub enum $name:ident, unknown: $unknown:ident ($what:literal), described by $describe:ident {
            $($variant:ident = $code:literal => $label:literal, $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "u16", into = "u16")]
        #[repr(u16)]
        pub enum $name {
            $($variant = $code,)*
        }

        #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
        #[error("{code} is not {what}", code = .0, what = $what)]
        pub struct $unknown(pub i64);

        impl $name {
            pub const ALL: [$name; [$($code),*].len()] = [$($name::$variant),*];

            /// The public number.
            pub const fn code(self) -> u16 {
                self as u16
            }

            pub const fn from_code(code: u16) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The name the spec gives it, as the delivery results show it (e.g.
            /// `UPLOAD SUCCESS`, or `Insufficient Balance` in "16 Insufficient Balance").
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }

            /// What it means, in a sentence for customers.
            pub const fn $describe(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl From<$name> for u16 {
            fn from(v: $name) -> u16 {
                v.code()
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                i64::from(v.code())
            }
        }

        impl TryFrom<u16> for $name {
            type Error = $unknown;
            fn try_from(code: u16) -> Result<Self, Self::Error> {
                $name::from_code(code).ok_or($unknown(i64::from(code)))
            }
        }

        /// Database columns are `BIGINT`.
        impl TryFrom<i64> for $name {
            type Error = $unknown;
            fn try_from(code: i64) -> Result<Self, Self::Error> {
                u16::try_from(code)
                    .ok()
                    .and_then($name::from_code)
                    .ok_or($unknown(code))
            }
        }
    };
}

numbered_enum! {
    /// Where a message is in its life; stored as its spec number.
    pub enum DeliveryStatus, unknown: UnknownStatusCode ("a delivery status code"), described by meaning {
        UploadFailed = 1, final => "UPLOAD FAILED", "Not accepted into the system.",
        UploadSuccess = 2, open => "UPLOAD SUCCESS", "Accepted, waiting to be sent.",
        Scheduling = 3, open => "SCHEDULING", "Stored, will be sent at the scheduled time.",
        Processing = 4, open => "PROCESSING", "Being handed to or accepted by the operator; no final report yet.",
        Submitted = 5, final => "SUBMITTED", "Accepted by an operator on a route without delivery reports.",
        Retry = 19, open => "RETRY", "The operator could not reach the handset yet and keeps retrying within the validity period.",
        Expired = 20, final => "EXPIRED", "The validity period passed without delivery.",
        Undeliverable = 21, final => "UNDELIVERABLE", "Cannot be delivered, or not sent by Ferry; the error code says why.",
        Delivered = 22, final => "DELIVERED", "Reached the handset.",
    }
}

impl DeliveryStatus {
    /// Stored and waiting for the dispatcher (now or at the scheduled time).
    pub const WAITING: [DeliveryStatus; 2] =
        [DeliveryStatus::UploadSuccess, DeliveryStatus::Scheduling];
    /// Handed to an operator (or being handed over), outcome not yet known.
    pub const IN_FLIGHT: [DeliveryStatus; 2] = [DeliveryStatus::Processing, DeliveryStatus::Retry];
    /// The final statuses an operator's report can set.
    pub const OUTCOMES: [DeliveryStatus; 3] = [
        DeliveryStatus::Expired,
        DeliveryStatus::Undeliverable,
        DeliveryStatus::Delivered,
    ];
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

numbered_enum! {
    /// Why a message was not (or not yet) delivered; stored as its number (table in module docs).
    pub enum ErrorCode, unknown: UnknownErrorCode ("an error code"), described by explanation {
        HandsetOff = 1 => "Handset Off", "The phone was switched off or out of coverage (absent subscriber).",
        MemoryFull = 2 => "Memory Full", "The phone's message storage is full.",
        UnknownSubscriber = 3 => "Unknown Subscriber", "The number is not in service (unsubscribed or deactivated).",
        Barred = 4 => "Barred", "The subscriber is barred from receiving messages.",
        BlockedAsSpam = 5 => "Blocked As Spam", "The operator blocked the message as spam or at the recipient's request.",
        NetworkError = 6 => "Network Error", "The operator's network failed to deliver the message.",
        Expired = 7 => "Expired", "The validity period passed before the phone could be reached.",
        OperatorRejected = 8 => "Operator Rejected", "The operator refused the message when it was submitted.",
        InvalidNumber = 9 => "Invalid Number", "The number is not a valid mobile number.",
        DoNotCall = 10 => "Do-Not-Call", "The number is on the do-not-call register.",
        KeywordBlocked = 11 => "Keyword Blocked", "The content contains a blocked keyword.",
        OverChargeLimit = 12 => "Over Single-SMS Charge Limit", "The message costs more than the account's single-SMS charge limit.",
        CannotReceiveSms = 13 => "Cannot Receive SMS", "The number cannot receive SMS (e.g. a data-only line).",
        NoRoute = 14 => "No Route", "No operator route or price is set up for this destination.",
        MessageTooLong = 15 => "Message Too Long", "The message is longer than the route allows.",
        InsufficientBalance = 16 => "Insufficient Balance", "The account balance did not cover the message, so it was not sent.",
        Unknown = 17 => "Unknown Error", "The operator did not give a reason.",
        OptedOut = 18 => "Opted Out", "The number replied STOP (or an equivalent) to this account, so Ferry does not send to it.",
    }
}

impl ErrorCode {
    /// True when the message never reached an operator, so it is never charged (spec §7).
    pub const fn never_handed_over(self) -> bool {
        matches!(
            self,
            ErrorCode::OperatorRejected
                | ErrorCode::InvalidNumber
                | ErrorCode::DoNotCall
                | ErrorCode::OptedOut
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
            assert_eq!(
                DeliveryStatus::try_from(code),
                Err(UnknownStatusCode(i64::from(code)))
            );
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
    fn stored_numbers_round_trip_and_strangers_are_refused() {
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::try_from(i64::from(s)), Ok(s));
        }
        for e in ErrorCode::ALL {
            assert_eq!(ErrorCode::try_from(i64::from(e)), Ok(e));
        }
        for code in [-1, 0, 6, 23, 65_537, i64::MAX] {
            assert_eq!(DeliveryStatus::try_from(code), Err(UnknownStatusCode(code)));
        }
        assert_eq!(
            UnknownStatusCode(6).to_string(),
            "6 is not a delivery status code"
        );
    }

    #[test]
    fn status_sets_partition_the_statuses_the_dispatcher_moves() {
        let finals: Vec<_> = DeliveryStatus::OUTCOMES
            .iter()
            .map(|s| s.is_final())
            .collect();
        assert_eq!(finals, [true, true, true]);
        assert!(DeliveryStatus::WAITING
            .iter()
            .chain(&DeliveryStatus::IN_FLIGHT)
            .all(|s| !s.is_final()));
    }

    #[test]
    fn insufficient_balance_is_error_16() {
        assert_eq!(ErrorCode::InsufficientBalance.code(), 16);
        assert_eq!(
            ErrorCode::InsufficientBalance.to_string(),
            "16 Insufficient Balance"
        );
        assert_eq!(
            ErrorCode::try_from(16u16),
            Ok(ErrorCode::InsufficientBalance)
        );
    }

    #[test]
    fn error_codes_round_trip_and_are_in_order() {
        for (i, e) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(e.code()), i + 1);
            assert_eq!(ErrorCode::try_from(e.code()), Ok(e));
            assert!(!e.explanation().is_empty());
        }
        for code in [0, 19, 99, u16::MAX] {
            assert_eq!(
                ErrorCode::try_from(code),
                Err(UnknownErrorCode(i64::from(code)))
            );
        }
    }

    #[test]
    fn uncharged_errors_follow_section_7() {
        for e in [
            ErrorCode::InvalidNumber,
            ErrorCode::DoNotCall,
            ErrorCode::OptedOut,
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

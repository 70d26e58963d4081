//! Validating a pasted or uploaded recipient list on the server: every row becomes a number on
//! its route or a refused row with its reason (not a number, a repeat of an earlier row), so a
//! batch stores one outcome per row (§6, §14). Pure; the submit path runs it off the async
//! workers.

use super::recipients::rows;
use super::store::MAX_ECHOED_REJECTED_ROWS;
use crate::delivery::store::Unsent;
use crate::import::RejectedRow;
use sms::{ErrorCode, HkRouteChoice, Msisdn, Route};
use std::collections::HashMap;

/// Non-empty rows of a pasted list, counted without parsing a number.
pub fn count_rows(list: &str) -> usize {
    rows(list).count()
}

/// A row of the customer's list that will not be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRow {
    pub row: usize,
    pub input: String,
    pub reason: String,
    /// `9 Invalid Number` for a number that is not one; none for the other refusals.
    pub error: Option<ErrorCode>,
    /// A repeat of a number on an earlier row (sent once, not refused for what it is).
    pub duplicate: bool,
}

impl RefusedRow {
    /// The row as the batch stores it: UPLOAD FAILED with its place and reason (§6, §8).
    pub fn into_unsent(self) -> Unsent {
        Unsent {
            destination: self.input,
            status: sms::DeliveryStatus::UploadFailed,
            error: self.error,
            row: Some(self.row),
            reason: Some(self.reason),
        }
    }
}

/// A pasted list, checked: the distinct numbers to send with their routes, and every other
/// row with its reason, in row order.
#[derive(Debug, Default)]
pub struct RecipientRows {
    pub valid: Vec<(Msisdn, Route)>,
    pub refused: Vec<RefusedRow>,
}

impl RecipientRows {
    pub fn duplicates(&self) -> u64 {
        self.refused.iter().filter(|r| r.duplicate).count() as u64
    }

    /// The refused rows that are not repeats: the first [`MAX_ECHOED_REJECTED_ROWS`] of them
    /// and how many there are.
    pub fn rejected_echo(&self) -> (Vec<RejectedRow>, u64) {
        let mut total = 0u64;
        let mut echo = Vec::new();
        for r in self.refused.iter().filter(|r| !r.duplicate) {
            total += 1;
            if echo.len() < MAX_ECHOED_REJECTED_ROWS {
                echo.push(RejectedRow {
                    row: r.row,
                    input: r.input.clone(),
                    reason: r.reason.clone(),
                });
            }
        }
        (echo, total)
    }
}

/// Parses every row of `list`: numbers without a country code take `default_country_code`;
/// each valid number's route follows from it (Hong Kong by `choice`); a trial account
/// (`trial_mobile`) may only send to its registered mobile. Pure and CPU-bound: call it off
/// the async workers.
pub fn validate_rows(
    list: &str,
    choice: HkRouteChoice,
    default_country_code: u16,
    trial_mobile: Option<&str>,
) -> RecipientRows {
    let mut out = RecipientRows::default();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for (row, cell) in rows(list) {
        let input: String = cell.chars().take(64).collect();
        let refuse = |reason: String, error| RefusedRow {
            row,
            input: input.clone(),
            reason,
            error,
            duplicate: false,
        };
        match Msisdn::parse(cell, default_country_code) {
            Err(e) => out
                .refused
                .push(refuse(e.to_string(), Some(ErrorCode::InvalidNumber))),
            Ok(number) if trial_mobile.is_some_and(|m| number.as_str() != m) => {
                out.refused.push(refuse(
                    "a trial account can only send to its registered mobile number".into(),
                    None,
                ))
            }
            Ok(number) => match first_row.get(number.as_str()) {
                Some(first) => out.refused.push(RefusedRow {
                    reason: format!("the same number as row {first}: sent once"),
                    duplicate: true,
                    ..refuse(String::new(), None)
                }),
                None => {
                    first_row.insert(number.as_str().to_string(), row);
                    let route = Route::for_destination(number.destination(), choice);
                    out.valid.push((number, route));
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_sent_or_refused_with_its_reason_and_routes_follow_the_numbers() {
        let list = "9123 4567\n+86 138 0013 8000\nabc\n+853 6612 3456\n91234567\n6123 4567";
        let r = validate_rows(list, HkRouteChoice::Economic, 852, None);
        let routes: Vec<(&str, Route)> = r.valid.iter().map(|(n, r)| (n.as_str(), *r)).collect();
        assert_eq!(
            routes,
            vec![
                ("85291234567", Route::HkEconomic),
                ("8613800138000", Route::China),
                ("85366123456", Route::International),
                ("85261234567", Route::HkEconomic),
            ]
        );
        let refused: Vec<(usize, &str, Option<ErrorCode>, bool)> = r
            .refused
            .iter()
            .map(|x| (x.row, x.input.as_str(), x.error, x.duplicate))
            .collect();
        assert_eq!(
            refused,
            vec![
                (3, "abc", Some(ErrorCode::InvalidNumber), false),
                (5, "91234567", None, true),
            ]
        );
        assert_eq!(r.refused[1].reason, "the same number as row 1: sent once");
        assert_eq!(r.valid.len() + r.refused.len(), 6, "one outcome per row");
    }

    #[test]
    fn numbers_without_a_country_code_take_the_default_one() {
        let r = validate_rows("13800138000", HkRouteChoice::Business, 86, None);
        assert_eq!(r.valid[0].0.as_str(), "8613800138000");
        assert_eq!(r.valid[0].1, Route::China);
    }
}

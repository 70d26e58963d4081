//! What a message and a batch cost (spec §3, §7): `parts × unit price`, per recipient.
//!
//! Every multiplication is checked: an overflowing charge must be refused, never wrapped into
//! a small or negative number.

use crate::money::Money;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error("a price per part cannot be negative")]
    NegativePrice,
    #[error("the cost is too large to compute")]
    Overflow,
}

/// The cost of one message of `parts` parts at `unit_price` per part.
pub fn message_cost(parts: u8, unit_price: Money) -> Result<Money, CostError> {
    if unit_price.is_negative() {
        return Err(CostError::NegativePrice);
    }
    unit_price
        .checked_mul(i64::from(parts))
        .ok_or(CostError::Overflow)
}

/// A priced group of identical messages: `recipients` messages of `parts` parts each on one
/// route and price. A batch whose recipients fall on several routes or prices is a list of
/// quotes; see [`total`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub recipients: u64,
    pub parts: u8,
    pub unit_price: Money,
    /// Cost of one message: `parts × unit_price`.
    pub per_message: Money,
    /// `recipients × per_message`.
    pub total: Money,
}

impl Quote {
    pub fn new(recipients: u64, parts: u8, unit_price: Money) -> Result<Quote, CostError> {
        let per_message = message_cost(parts, unit_price)?;
        let n = i64::try_from(recipients).map_err(|_| CostError::Overflow)?;
        let total = per_message.checked_mul(n).ok_or(CostError::Overflow)?;
        Ok(Quote {
            recipients,
            parts,
            unit_price,
            per_message,
            total,
        })
    }

    /// Whether one message costs more than the account's single-SMS charge limit (such a
    /// message is not sent: spec §2). A message costing exactly the limit is allowed.
    pub fn exceeds_limit(&self, single_sms_limit: Money) -> bool {
        self.per_message > single_sms_limit
    }
}

/// The sum of several quotes (a batch spanning routes or prices).
pub fn total<'a>(quotes: impl IntoIterator<Item = &'a Quote>) -> Result<Money, CostError> {
    quotes.into_iter().try_fold(Money::ZERO, |sum, q| {
        sum.checked_add(q.total).ok_or(CostError::Overflow)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_costs_parts_times_unit_price() {
        let price = Money::from_minor(450); // HK$0.0450
        assert_eq!(message_cost(1, price), Ok(Money::from_minor(450)));
        assert_eq!(message_cost(3, price), Ok(Money::from_minor(1_350)));
        assert_eq!(message_cost(0, price), Ok(Money::ZERO));
    }

    #[test]
    fn negative_prices_are_refused() {
        assert_eq!(
            message_cost(1, Money::from_minor(-1)),
            Err(CostError::NegativePrice)
        );
    }

    #[test]
    fn a_batch_quote_multiplies_recipients_parts_and_price() {
        let q = Quote::new(50_000, 2, Money::from_minor(450)).expect("fits");
        assert_eq!(q.per_message, Money::from_minor(900));
        assert_eq!(q.total, Money::from_minor(45_000_000));
        assert_eq!(q.total.to_string(), "HK$4,500.00");
    }

    #[test]
    fn overflow_is_an_error_not_a_wrapped_number() {
        assert_eq!(
            Quote::new(u64::MAX, 1, Money::from_minor(1)),
            Err(CostError::Overflow)
        );
        assert_eq!(
            Quote::new(2, 8, Money::from_minor(i64::MAX / 8)),
            Err(CostError::Overflow)
        );
        assert_eq!(
            message_cost(2, Money::from_minor(i64::MAX)),
            Err(CostError::Overflow)
        );
    }

    #[test]
    fn the_charge_limit_allows_the_exact_amount() {
        let q = Quote::new(1, 2, Money::from_minor(5_000)).expect("fits");
        assert!(!q.exceeds_limit(Money::hkd(1)));
        assert!(q.exceeds_limit(Money::from_minor(9_999)));
    }

    #[test]
    fn quotes_add_up_with_overflow_checks() {
        let hk = Quote::new(10, 1, Money::from_minor(450)).expect("fits");
        let cn = Quote::new(5, 2, Money::from_minor(600)).expect("fits");
        assert_eq!(total([&hk, &cn]), Ok(Money::from_minor(4_500 + 6_000)));
        assert_eq!(total([]), Ok(Money::ZERO));
        let huge = Quote::new(1, 1, Money::from_minor(i64::MAX)).expect("fits");
        assert_eq!(total([&huge, &hk]), Err(CostError::Overflow));
    }
}

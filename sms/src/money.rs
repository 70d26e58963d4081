//! Money as integer minor units. A float can never hold a balance: 0.1 + 0.2 != 0.3.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Minor units per Hong Kong dollar: prices go down to 1/10,000 HKD (per-part prices such as
/// HK$0.0450 need four decimals).
pub const MINOR_PER_HKD: i64 = 10_000;

/// An amount of Hong Kong dollars in units of 1/10,000 HKD. Negative amounts are debits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("enter an amount such as 300 or 300.50")]
    NotANumber,
    #[error("use at most 4 decimal places")]
    TooPrecise,
    #[error("the amount is too large")]
    Overflow,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    /// Whole Hong Kong dollars, e.g. `Money::hkd(5)` is HK$5.00.
    pub const fn hkd(dollars: i64) -> Self {
        Money(dollars * MINOR_PER_HKD)
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parses a customer-typed HKD amount ("300", "300.5", "HK$1,234.50") without floats.
    pub fn parse_hkd(input: &str) -> Result<Money, MoneyError> {
        let s = input.trim();
        let s = s
            .strip_prefix("HK$")
            .or_else(|| s.strip_prefix('$'))
            .unwrap_or(s);
        let s: String = s.chars().filter(|c| *c != ',').collect();
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, s),
        };
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s.as_str(), ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(MoneyError::NotANumber);
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        if frac.len() > 4 {
            return Err(MoneyError::TooPrecise);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::Overflow)?
        };
        let mut frac_minor: i64 = 0;
        for (i, c) in frac.chars().enumerate() {
            frac_minor += i64::from(c as u8 - b'0') * 10_i64.pow(3 - i as u32);
        }
        let minor = whole
            .checked_mul(MINOR_PER_HKD)
            .and_then(|w| w.checked_add(frac_minor))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money(if neg { -minor } else { minor }))
    }
}

impl fmt::Display for Money {
    /// `HK$1,234.50`; shows the 3rd and 4th decimals only when they are not zero (unit prices).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / MINOR_PER_HKD as u64;
        let frac = abs % MINOR_PER_HKD as u64;
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if frac.is_multiple_of(100) {
            write!(f, "{sign}HK${grouped}.{:02}", frac / 100)
        } else {
            write!(f, "{sign}HK${grouped}.{frac:04}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_and_fractional_dollars() {
        assert_eq!(Money::hkd(5).to_string(), "HK$5.00");
        assert_eq!(
            Money::from_minor(12_345_678_900).to_string(),
            "HK$1,234,567.89"
        );
        assert_eq!(Money::from_minor(450).to_string(), "HK$0.0450");
        assert_eq!(Money::from_minor(-5000).to_string(), "-HK$0.50");
    }

    #[test]
    fn parses_amounts_without_floats() {
        assert_eq!(Money::parse_hkd("300"), Ok(Money::hkd(300)));
        assert_eq!(
            Money::parse_hkd("HK$1,234.5"),
            Ok(Money::from_minor(12_345_000))
        );
        assert_eq!(Money::parse_hkd("0.0001"), Ok(Money::from_minor(1)));
        assert_eq!(Money::parse_hkd("1.23456"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse_hkd("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_hkd(""), Err(MoneyError::NotANumber));
    }
}

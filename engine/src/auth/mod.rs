//! Accounts and sign-in (§2): for now the attempt counters that throttle guesses.

#[cfg(feature = "storage")]
pub mod throttle;

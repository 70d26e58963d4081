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

use sms::{DeliveryStatus, ErrorCode};

/// A set of statuses as SQL, e.g. `(4, 19)`, written from [`DeliveryStatus`] so that no
/// statement spells a spec number by hand. Literals rather than bind parameters: the planner
/// sees the same constant set every time.
pub(crate) fn sql_in(statuses: &[DeliveryStatus]) -> String {
    let codes: Vec<String> = statuses.iter().map(|s| s.code().to_string()).collect();
    format!("({})", codes.join(", "))
}

/// Costs of messages summed by account (`(account, cost)` pairs in, one total per account
/// out, in account id order: the order every transaction locks account rows in), for the
/// statements that take waiting messages off an account's reserve.
pub(crate) fn cost_by_account(
    costs: impl IntoIterator<Item = (i64, i64)>,
) -> std::collections::BTreeMap<i64, i64> {
    let mut totals = std::collections::BTreeMap::new();
    for (account, cost) in costs {
        let total: &mut i64 = totals.entry(account).or_default();
        *total = total.saturating_add(cost);
    }
    totals
}

/// Every final status (§8) as SQL, for the statements that look only at finished messages.
pub(crate) fn sql_final() -> String {
    let finals: Vec<DeliveryStatus> = DeliveryStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .collect();
    sql_in(&finals)
}

/// A multi-row `INSERT`: `head` (`INSERT INTO t (…) VALUES `) then one `(…)` per item, as
/// `row` writes it from the item's index (to number its placeholders) and the item. The hot
/// paths write our own integers inline and bind only text, keeping placeholders few: SQLite
/// finds a `$N` by a linear search, so binding cost grows with the square of their number.
pub(crate) fn insert_rows<T>(head: &str, items: &[T], row: impl Fn(usize, &T) -> String) -> String {
    let mut sql = String::from(head);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&row(i, item));
    }
    sql
}

/// A stored `error_code` column. Ferry writes only codes it knows; one it does not (written
/// by a newer version before a downgrade) reads as "Unknown error" rather than failing the
/// whole page or receipt round.
pub(crate) fn stored_error(code: Option<i64>) -> Option<ErrorCode> {
    code.map(|c| ErrorCode::try_from(c).unwrap_or(ErrorCode::Unknown))
}

/// A status column read on the SQLite writer's own connection ([`crate::writer`]); a code
/// this build does not know fails the read, as it does through sqlx.
pub(crate) fn status_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<DeliveryStatus> {
    let code: i64 = row.get(index)?;
    DeliveryStatus::try_from(code).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Integer,
            Box::new(e),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets_are_written_as_spec_numbers() {
        assert_eq!(sql_in(&DeliveryStatus::IN_FLIGHT), "(4, 19)");
        assert_eq!(sql_in(&DeliveryStatus::OUTCOMES), "(20, 21, 22)");
        assert_eq!(stored_error(Some(16)), Some(ErrorCode::InsufficientBalance));
        assert_eq!(stored_error(Some(99)), Some(ErrorCode::Unknown));
        assert_eq!(stored_error(None), None);
    }
}

//! A customer account at a glance (§2, §3): who it is, its balance, recent ledger entries and
//! the last 30 days of sending; every read scoped to the account.

use crate::auth::AccountStatus;
use crate::ledger::LedgerEntry;
use serde::{Deserialize, Serialize};
use sms::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub login_name: String,
    pub company_name: String,
    pub contact_email: String,
    pub mobile: String,
    pub status: AccountStatus,
    pub balance: Money,
    pub created_at: i64,
    pub recent_entries: Vec<LedgerEntry>,
    /// The last 30 days of sending, oldest first.
    pub usage: Vec<crate::ledger::DayUsage>,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::Db;
    use crate::error::Error;
    use sqlx::Row;

    pub async fn overview(db: &Db, account_id: i64) -> Result<AccountOverview, Error> {
        // Every read is scoped to the caller's own account id.
        let row = sqlx::query(
            "SELECT login_name, company_name, contact_email, mobile, status, balance_minor, created_at \
             FROM accounts WHERE id = $1",
        )
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(Error::NotFound)?;
        let status: String = row.try_get(4)?;
        let entries = sqlx::query(
            "SELECT id, account_id, kind, amount_minor, balance_after, description, created_at \
             FROM ledger_entries WHERE account_id = $1 ORDER BY id DESC LIMIT 20",
        )
        .bind(account_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|r| {
            Ok(LedgerEntry {
                id: r.try_get(0)?,
                account_id: r.try_get(1)?,
                kind: r.try_get(2)?,
                amount: Money::from_minor(r.try_get(3)?),
                balance_after: Money::from_minor(r.try_get(4)?),
                description: r.try_get(5)?,
                created_at: r.try_get(6)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(AccountOverview {
            login_name: row.try_get(0)?,
            company_name: row.try_get(1)?,
            contact_email: row.try_get(2)?,
            mobile: row.try_get(3)?,
            status: AccountStatus::parse(&status)
                .ok_or_else(|| Error::internal("account status", status))?,
            balance: Money::from_minor(row.try_get(5)?),
            created_at: row.try_get(6)?,
            recent_entries: entries,
            usage: crate::ledger::store::daily_usage(db, account_id, crate::db::now_ms(), 30)
                .await?,
        })
    }
}

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
    use crate::ledger::StatementFilter;

    /// How many of the newest ledger entries the overview shows.
    const RECENT_ENTRIES: i64 = 20;

    #[derive(sqlx::FromRow)]
    struct AccountRow {
        login_name: String,
        company_name: String,
        contact_email: String,
        mobile: String,
        status: String,
        balance_minor: i64,
        created_at: i64,
    }

    pub async fn overview(db: &Db, account_id: i64) -> Result<AccountOverview, Error> {
        // Every read is scoped to the caller's own account id.
        let row: AccountRow = sqlx::query_as(
            "SELECT login_name, company_name, contact_email, mobile, status, balance_minor, created_at \
             FROM accounts WHERE id = $1",
        )
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(Error::NotFound)?;
        let recent_entries = crate::ledger::store::entries(
            db,
            account_id,
            &StatementFilter::default(),
            RECENT_ENTRIES,
        )
        .await?;
        Ok(AccountOverview {
            login_name: row.login_name,
            company_name: row.company_name,
            contact_email: row.contact_email,
            mobile: row.mobile,
            status: AccountStatus::parse(&row.status)
                .ok_or_else(|| Error::internal("account status", row.status))?,
            balance: Money::from_minor(row.balance_minor),
            created_at: row.created_at,
            recent_entries,
            usage: crate::ledger::store::daily_usage(db, account_id, crate::db::now_ms(), 30)
                .await?,
        })
    }
}

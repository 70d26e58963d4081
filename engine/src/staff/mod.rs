//! Staff work (§13): the installation at a glance, customer accounts, the price list.

pub mod accounts;
pub mod prices;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "storage", derive(sqlx::FromRow))]
pub struct SignInRecord {
    pub login_name: String,
    pub ip: String,
    #[cfg_attr(feature = "storage", sqlx(try_from = "crate::db::Flag"))]
    pub succeeded: bool,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub customer_accounts: i64,
    pub trial_accounts: i64,
    pub staff_accounts: i64,
    pub pending_payments: i64,
    pub pending_registrations: i64,
    pub pending_signatures: i64,
    pub recent_sign_ins: Vec<SignInRecord>,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::Db;
    use crate::error::Error;

    #[derive(sqlx::FromRow)]
    struct AccountCounts {
        customer_accounts: i64,
        trial_accounts: i64,
        staff_accounts: i64,
    }

    #[derive(sqlx::FromRow)]
    struct QueueCounts {
        pending_payments: i64,
        pending_registrations: i64,
        pending_signatures: i64,
    }

    pub async fn overview(db: &Db) -> Result<AdminOverview, Error> {
        let counts: AccountCounts = sqlx::query_as(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN role = 'customer' THEN 1 ELSE 0 END), 0) AS BIGINT) AS customer_accounts, \
               CAST(COALESCE(SUM(CASE WHEN status = 'trial' THEN 1 ELSE 0 END), 0) AS BIGINT) AS trial_accounts, \
               CAST(COALESCE(SUM(CASE WHEN role = 'staff' THEN 1 ELSE 0 END), 0) AS BIGINT) AS staff_accounts \
             FROM accounts",
        )
        .fetch_one(db.pool())
        .await?;
        let sign_ins: Vec<SignInRecord> = sqlx::query_as(
            "SELECT login_name, ip, succeeded, at FROM login_attempts ORDER BY id DESC LIMIT 50",
        )
        .fetch_all(db.pool())
        .await?;
        let queues: QueueCounts = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM payments WHERE status = 'pending') AS pending_payments, \
                    (SELECT COUNT(*) FROM registrations WHERE status = 'pending') AS pending_registrations, \
                    (SELECT COUNT(*) FROM signature_applications WHERE status = 'pending') AS pending_signatures",
        )
        .fetch_one(db.pool())
        .await?;
        Ok(AdminOverview {
            pending_payments: queues.pending_payments,
            pending_registrations: queues.pending_registrations,
            pending_signatures: queues.pending_signatures,
            customer_accounts: counts.customer_accounts,
            trial_accounts: counts.trial_accounts,
            staff_accounts: counts.staff_accounts,
            recent_sign_ins: sign_ins,
        })
    }
}

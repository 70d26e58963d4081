//! Staff work (§13): the installation at a glance, customer accounts, the price list.

pub mod accounts;
pub mod prices;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRecord {
    pub login_name: String,
    pub ip: String,
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
    use sqlx::Row;

    pub async fn overview(db: &Db) -> Result<AdminOverview, Error> {
        let counts = sqlx::query(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN role = 'customer' THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN status = 'trial' THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN role = 'staff' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM accounts",
        )
        .fetch_one(db.pool())
        .await?;
        let sign_ins = sqlx::query(
            "SELECT login_name, ip, succeeded, at FROM login_attempts ORDER BY id DESC LIMIT 50",
        )
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|r| {
            Ok(SignInRecord {
                login_name: r.try_get(0)?,
                ip: r.try_get(1)?,
                succeeded: r.try_get::<i64, _>(2)? != 0,
                at: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let queues = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM payments WHERE status = 'pending'), \
                    (SELECT COUNT(*) FROM registrations WHERE status = 'pending'), \
                    (SELECT COUNT(*) FROM signature_applications WHERE status = 'pending')",
        )
        .fetch_one(db.pool())
        .await?;
        Ok(AdminOverview {
            pending_payments: queues.try_get(0)?,
            pending_registrations: queues.try_get(1)?,
            pending_signatures: queues.try_get(2)?,
            customer_accounts: counts.try_get(0)?,
            trial_accounts: counts.try_get(1)?,
            staff_accounts: counts.try_get(2)?,
            recent_sign_ins: sign_ins,
        })
    }
}

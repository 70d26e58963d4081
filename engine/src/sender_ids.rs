//! Sender IDs (§2): at most 5 per account, created only by staff and validated with
//! `sms::SenderId`; `#` IDs (Hong Kong SSRS) only when staff mark them registered. Customers
//! pick among their active IDs.

use serde::{Deserialize, Serialize};

pub const MAX_SENDER_IDS: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "storage", derive(sqlx::FromRow))]
pub struct SenderIdRecord {
    pub id: i64,
    pub sender_id: String,
    #[cfg_attr(feature = "storage", sqlx(try_from = "crate::db::Flag"))]
    pub registered: bool,
    pub status: String,
    pub created_at: i64,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::error::Error;
    use serde_json::json;
    use sms::SenderId;

    pub async fn list(
        db: &Db,
        account_id: i64,
        active_only: bool,
    ) -> Result<Vec<SenderIdRecord>, Error> {
        const SQL: &str = "SELECT id, sender_id, registered, status, created_at FROM sender_ids \
             WHERE account_id = $1 AND (status = 'active' OR $2 = 0) ORDER BY id";
        let active_only = i64::from(active_only);
        // An account has at most a handful of sender IDs.
        let rows: Vec<SenderIdRecord> = match db.native_reads() {
            Some(readers) => readers.fetch_all(SQL, &[&account_id, &active_only])?,
            None => {
                sqlx::query_as(SQL)
                    .bind(account_id)
                    .bind(active_only)
                    .fetch_all(db.pool())
                    .await?
            }
        };
        Ok(rows)
    }

    impl crate::reader::NativeRow for SenderIdRecord {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(SenderIdRecord {
                id: row.get(0)?,
                sender_id: row.get(1)?,
                registered: row.get::<_, i64>(2)? != 0,
                status: row.get(3)?,
                created_at: row.get(4)?,
            })
        }
    }

    /// Staff give `account_id` a sender ID (audited); at most [`MAX_SENDER_IDS`] active.
    pub async fn create(
        db: &Db,
        staff_id: i64,
        account_id: i64,
        input: &str,
        registered: bool,
    ) -> Result<(), Error> {
        let parsed = SenderId::parse(input.trim())
            .map_err(|e| Error::field("sender_id", format!("Sender ID: {e}")))?;
        if parsed.is_registered() && !registered {
            return Err(Error::field(
                "sender_id",
                "A sender ID starting with # is a registered SSRS ID: tick \"registered\" once the registration is confirmed.",
            ));
        }
        let mut tx = db.begin_write().await?;
        // Lock the account row first (a no-op update) so two staff cannot both add a 5th ID.
        let exists = sqlx::query(
            "UPDATE accounts SET balance_minor = balance_minor WHERE id = $1 AND role = 'customer'",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if exists == 0 {
            return Err(Error::NotFound);
        }
        let (active, same): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN sender_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM sender_ids WHERE account_id = $1 AND status = 'active'",
        )
        .bind(account_id)
        .bind(parsed.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if same > 0 {
            return Err(Error::field(
                "sender_id",
                "This account already has this sender ID.",
            ));
        }
        if active >= MAX_SENDER_IDS {
            return Err(Error::field(
                "sender_id",
                format!(
                    "An account can have at most {MAX_SENDER_IDS} sender IDs; retire one first."
                ),
            ));
        }
        sqlx::query(
            "INSERT INTO sender_ids (account_id, sender_id, registered, status, created_by, created_at) \
             VALUES ($1, $2, $3, 'active', $4, $5)",
        )
        .bind(account_id)
        .bind(parsed.as_str())
        .bind(i64::from(registered))
        .bind(staff_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "sender_id.create",
            Some(account_id),
            json!({ "active_sender_ids": active }),
            json!({ "sender_id": parsed.as_str(), "registered": registered }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Staff retire a sender ID (audited); its past messages keep it.
    pub async fn retire(db: &Db, staff_id: i64, id: i64) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let n = sqlx::query(
            "UPDATE sender_ids SET status = 'retired', retired_at = $1 WHERE id = $2 AND status = 'active'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        let (account_id, sender): (i64, String) =
            sqlx::query_as("SELECT account_id, sender_id FROM sender_ids WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "sender_id.retire",
            Some(account_id),
            json!({ "sender_id": sender, "status": "active" }),
            json!({ "sender_id": sender, "status": "retired" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(all(test, feature = "storage"))]
mod tests;

//! Business registration (§2): a trial customer uploads a certificate; staff approve it (the
//! account becomes normal and may send to anyone) or reject it with a reason.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub id: i64,
    pub account_id: i64,
    pub login_name: String,
    pub company_name: String,
    pub document_id: i64,
    pub status: String,
    pub reject_reason: Option<String>,
    pub created_at: i64,
}

#[cfg(feature = "storage")]
pub use storage::*;

#[cfg(feature = "storage")]
mod storage {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::documents::UploadedFile;
    use crate::error::Error;
    use crate::review::{decide, has_pending, list, Decision, Listing, Queue};
    use serde_json::json;
    use sqlx::Row;

    const SELECT: &str =
        "SELECT r.id, r.account_id, a.login_name, a.company_name, r.document_id, r.status, \
        r.reject_reason, r.created_at FROM registrations r JOIN accounts a ON a.id = r.account_id";

    fn from_row(r: sqlx::any::AnyRow) -> Result<Registration, sqlx::Error> {
        Ok(Registration {
            id: r.try_get(0)?,
            account_id: r.try_get(1)?,
            login_name: r.try_get(2)?,
            company_name: r.try_get(3)?,
            document_id: r.try_get(4)?,
            status: r.try_get(5)?,
            reject_reason: r.try_get(6)?,
            created_at: r.try_get(7)?,
        })
    }

    /// A trial account's certificate, queued for staff (one waiting at a time).
    pub async fn submit(
        db: &Db,
        account_id: i64,
        certificate: Option<UploadedFile>,
    ) -> Result<i64, Error> {
        let file = certificate.ok_or_else(|| {
            Error::field(
                "certificate",
                "Attach the business registration certificate (PDF, JPG or PNG, up to 10 MB).",
            )
        })?;
        let mut tx = db.begin_write().await?;
        let status: String = sqlx::query("SELECT status FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?
            .try_get(0)?;
        if status != "trial" {
            return Err(Error::Conflict(
                "Only trial accounts upload a business registration; this account is already approved."
                    .into(),
            ));
        }
        if has_pending(&mut tx, Queue::Registrations, account_id).await? {
            return Err(Error::Conflict(
                "A certificate is already waiting for review; staff will approve or reject it."
                    .into(),
            ));
        }
        let document_id =
            crate::documents::store(&mut tx, account_id, "business_registration", &file)
                .await?
                .map_err(|e| Error::field("certificate", e.to_string()))?;
        let id: i64 = sqlx::query(
            "INSERT INTO registrations (account_id, document_id, status, created_at) VALUES ($1, $2, 'pending', $3) RETURNING id",
        )
        .bind(account_id)
        .bind(document_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn registrations(db: &Db, listing: Listing) -> Result<Vec<Registration>, Error> {
        Ok(list(db, SELECT, listing, from_row).await?)
    }

    /// Approval makes a trial account normal; both outcomes are audited.
    pub async fn decide_registration(
        db: &Db,
        staff_id: i64,
        id: i64,
        decision: &Decision,
    ) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let account_id = decide(&mut tx, Queue::Registrations, id, staff_id, decision).await?;
        if decision.approves() {
            sqlx::query("UPDATE accounts SET status = 'normal' WHERE id = $1 AND status = 'trial'")
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        crate::audit::record(
            &mut tx,
            staff_id,
            &decision.action(Queue::Registrations),
            Some(account_id),
            json!({ "registration": id, "status": "pending", "account_status": "trial" }),
            json!({ "registration": id, "status": decision.status(Queue::Registrations),
                    "account_status": if decision.approves() { "normal" } else { "trial" },
                    "reason": decision.reason().unwrap_or_default() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

//! Business registration (§2): a trial customer uploads a certificate; staff approve it (the
//! account becomes normal and may send to anyone) or reject it with a reason.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "storage", derive(sqlx::FromRow))]
pub struct Registration {
    #[serde(flatten)]
    #[cfg_attr(feature = "storage", sqlx(flatten))]
    pub request: crate::review::Request,
    pub company_name: String,
    /// The uploaded certificate.
    pub document_id: i64,
}

#[cfg(feature = "storage")]
pub use storage::*;

#[cfg(feature = "storage")]
mod storage {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::documents::UploadedFile;
    use crate::error::Error;
    use crate::review::{claim_decision, has_pending, list, Decision, Listing, Queue};
    use serde_json::json;

    const SELECT: &str =
        "SELECT r.id AS id, r.account_id AS account_id, a.login_name AS login_name, \
        a.company_name AS company_name, r.document_id AS document_id, r.status AS status, \
        r.reject_reason AS reject_reason, r.created_at AS created_at \
        FROM registrations r JOIN accounts a ON a.id = r.account_id";

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
        let status: String = sqlx::query_scalar("SELECT status FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
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
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO registrations (account_id, document_id, status, created_at) VALUES ($1, $2, 'pending', $3) RETURNING id",
        )
        .bind(account_id)
        .bind(document_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn registrations(db: &Db, listing: Listing) -> Result<Vec<Registration>, Error> {
        Ok(list::<Registration, _>(db, SELECT, listing).await?)
    }

    /// Approval makes a trial account normal; both outcomes are audited.
    pub async fn decide_registration(
        db: &Db,
        staff_id: i64,
        id: i64,
        decision: &Decision,
    ) -> Result<(), Error> {
        let mut claimed = claim_decision(db, Queue::Registrations, id, staff_id, decision).await?;
        if decision.approves() {
            sqlx::query("UPDATE accounts SET status = 'normal' WHERE id = $1 AND status = 'trial'")
                .bind(claimed.account_id)
                .execute(&mut *claimed.tx)
                .await?;
        }
        claimed
            .commit(
                json!({ "registration": id, "status": "pending", "account_status": "trial" }),
                json!({ "registration": id, "status": decision.status(Queue::Registrations),
                        "account_status": if decision.approves() { "normal" } else { "trial" },
                        "reason": decision.reason().unwrap_or_default() }),
            )
            .await
    }
}

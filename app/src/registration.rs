//! Business registration (§2): a trial customer uploads a certificate; staff approve it (the
//! account becomes normal and may send to anyone) or reject it with a reason.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

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

#[server(endpoint = "upload_registration", input = MultipartFormData)]
pub async fn upload_registration(data: MultipartData) -> Result<i64, AppError> {
    crate::error::with_status(store::upload(data).await)
}

#[server(endpoint = "my_registrations")]
pub async fn my_registrations() -> Result<Vec<Registration>, AppError> {
    crate::error::with_status(store::mine().await)
}

#[server(endpoint = "pending_registrations")]
pub async fn pending_registrations() -> Result<Vec<Registration>, AppError> {
    crate::error::with_status(store::pending().await)
}

#[server(endpoint = "decide_registration")]
pub async fn decide_registration(
    registration_id: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    crate::error::with_status(store::decide(registration_id, approve, reason).await)
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::auth::context::{require_staff, require_viewer, server_state};
    use crate::auth::AccountStatus;
    use engine::db::now_ms;
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

    pub async fn upload(data: MultipartData) -> Result<i64, AppError> {
        let viewer = require_viewer()?;
        if viewer.status != AccountStatus::Trial {
            return Err(AppError::Conflict(
                "Only trial accounts upload a business registration; this account is already approved."
                    .into(),
            ));
        }
        let db = server_state()?.db;
        let file = crate::documents::read_upload(data, "certificate")
            .await?
            .file
            .ok_or_else(|| {
                AppError::field(
                    "certificate",
                    "Attach the business registration certificate (PDF, JPG or PNG, up to 10 MB).",
                )
            })?;
        let mut tx = db.begin_write().await?;
        let pending: i64 = sqlx::query(
            "SELECT COUNT(*) FROM registrations WHERE account_id = $1 AND status = 'pending'",
        )
        .bind(viewer.account_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if pending > 0 {
            return Err(AppError::Conflict(
                "A certificate is already waiting for review; staff will approve or reject it."
                    .into(),
            ));
        }
        let document_id =
            crate::documents::store(&mut tx, viewer.account_id, "business_registration", &file)
                .await?
                .map_err(|e| AppError::field("certificate", e.to_string()))?;
        let id: i64 = sqlx::query(
            "INSERT INTO registrations (account_id, document_id, status, created_at) VALUES ($1, $2, 'pending', $3) RETURNING id",
        )
        .bind(viewer.account_id)
        .bind(document_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn mine() -> Result<Vec<Registration>, AppError> {
        let viewer = require_viewer()?;
        let db = server_state()?.db;
        Ok(sqlx::query(&format!(
            "{SELECT} WHERE r.account_id = $1 ORDER BY r.id DESC"
        ))
        .bind(viewer.account_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(from_row)
        .collect::<Result<_, _>>()?)
    }

    pub async fn pending() -> Result<Vec<Registration>, AppError> {
        require_staff()?;
        let db = server_state()?.db;
        Ok(sqlx::query(&format!(
            "{SELECT} WHERE r.status = 'pending' ORDER BY r.id"
        ))
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(from_row)
        .collect::<Result<_, _>>()?)
    }

    pub async fn decide(id: i64, approve: bool, reason: String) -> Result<(), AppError> {
        let staff = require_staff()?;
        let db = server_state()?.db;
        let reason = reason.trim().to_string();
        if !approve && reason.is_empty() {
            return Err(AppError::field(
                "reason",
                "Give the customer a reason for the rejection.",
            ));
        }
        let mut tx = db.begin_write().await?;
        let n = sqlx::query(
            "UPDATE registrations SET status = $1, reject_reason = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND status = 'pending'",
        )
        .bind(if approve { "approved" } else { "rejected" })
        .bind(if approve { None } else { Some(reason.clone()) })
        .bind(staff.account_id)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(
                "This registration was already decided.".into(),
            ));
        }
        let account_id: i64 = sqlx::query("SELECT account_id FROM registrations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if approve {
            sqlx::query("UPDATE accounts SET status = 'normal' WHERE id = $1 AND status = 'trial'")
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        engine::audit::record(
            &mut tx,
            staff.account_id,
            if approve {
                "registration.approve"
            } else {
                "registration.reject"
            },
            Some(account_id),
            json!({ "registration": id, "status": "pending", "account_status": "trial" }),
            json!({ "registration": id, "status": if approve { "approved" } else { "rejected" },
                    "account_status": if approve { "normal" } else { "trial" }, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

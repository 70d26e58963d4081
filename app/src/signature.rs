//! Custom China signatures (§3, §5): the customer applies for one (3–6 Chinese/English
//! characters); staff approve or reject. Approval charges the HK$2,000 fee, waived when the
//! account has a confirmed single top-up of HK$20,000 or more.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use sms::Money;

pub const SIGNATURE_FEE: Money = Money::hkd(2_000);
pub const FEE_WAIVER_TOP_UP: Money = Money::hkd(20_000);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureApplication {
    pub id: i64,
    pub account_id: i64,
    pub login_name: String,
    pub signature: String,
    pub status: String,
    pub reject_reason: Option<String>,
    pub fee: Option<Money>,
    pub created_at: i64,
}

#[server(endpoint = "apply_china_signature")]
pub async fn apply_china_signature(signature: String) -> Result<(), AppError> {
    crate::error::with_status(store::apply(&signature).await)
}

#[server(endpoint = "my_signature_applications")]
pub async fn my_signature_applications() -> Result<Vec<SignatureApplication>, AppError> {
    crate::error::with_status(store::mine().await)
}

#[server(endpoint = "pending_signatures")]
pub async fn pending_signatures() -> Result<Vec<SignatureApplication>, AppError> {
    crate::error::with_status(store::pending().await)
}

#[server(endpoint = "decide_signature")]
pub async fn decide_signature(
    application_id: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    crate::error::with_status(store::decide(application_id, approve, reason).await)
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::auth::context::{require_staff, require_viewer, server_state};
    use crate::ledger::EntryKind;
    use engine::db::now_ms;
    use engine::ledger::store::{post, LedgerError, Posting};
    use serde_json::json;
    use sms::ChinaSignature;
    use sqlx::Row;

    const SELECT: &str = "SELECT s.id, s.account_id, a.login_name, s.signature, s.status, s.reject_reason, \
        s.fee_minor, s.created_at FROM signature_applications s JOIN accounts a ON a.id = s.account_id";

    fn from_row(r: sqlx::any::AnyRow) -> Result<SignatureApplication, sqlx::Error> {
        Ok(SignatureApplication {
            id: r.try_get(0)?,
            account_id: r.try_get(1)?,
            login_name: r.try_get(2)?,
            signature: r.try_get(3)?,
            status: r.try_get(4)?,
            reject_reason: r.try_get(5)?,
            fee: r.try_get::<Option<i64>, _>(6)?.map(Money::from_minor),
            created_at: r.try_get(7)?,
        })
    }

    pub async fn apply(input: &str) -> Result<(), AppError> {
        let viewer = require_viewer()?;
        if viewer.is_staff() {
            return Err(AppError::Forbidden);
        }
        let signature = ChinaSignature::parse(input)
            .map_err(|e| AppError::field("signature", format!("Signature: {e}")))?;
        let db = server_state()?.db;
        let mut tx = db.begin_write().await?;
        let pending: i64 = sqlx::query(
            "SELECT COUNT(*) FROM signature_applications WHERE account_id = $1 AND status = 'pending'",
        )
        .bind(viewer.account_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if pending > 0 {
            return Err(AppError::Conflict(
                "An application is already waiting for review.".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO signature_applications (account_id, signature, status, created_at) VALUES ($1, $2, 'pending', $3)",
        )
        .bind(viewer.account_id)
        .bind(signature.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn mine() -> Result<Vec<SignatureApplication>, AppError> {
        let viewer = require_viewer()?;
        let db = server_state()?.db;
        Ok(sqlx::query(&format!(
            "{SELECT} WHERE s.account_id = $1 ORDER BY s.id DESC"
        ))
        .bind(viewer.account_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(from_row)
        .collect::<Result<_, _>>()?)
    }

    pub async fn pending() -> Result<Vec<SignatureApplication>, AppError> {
        require_staff()?;
        let db = server_state()?.db;
        Ok(sqlx::query(&format!(
            "{SELECT} WHERE s.status = 'pending' ORDER BY s.id"
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
            "UPDATE signature_applications SET status = $1, reject_reason = $2, decided_by = $3, decided_at = $4 \
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
                "This application was already decided.".into(),
            ));
        }
        let row = sqlx::query(
            "SELECT s.account_id, s.signature, a.china_signature, \
               (SELECT COUNT(*) FROM payments p WHERE p.account_id = s.account_id AND p.status = 'confirmed' AND p.amount_minor >= $2) \
             FROM signature_applications s JOIN accounts a ON a.id = s.account_id WHERE s.id = $1",
        )
        .bind(id)
        .bind(FEE_WAIVER_TOP_UP.minor())
        .fetch_one(&mut *tx)
        .await?;
        let account_id: i64 = row.try_get(0)?;
        let signature: String = row.try_get(1)?;
        let previous: Option<String> = row.try_get(2)?;
        let waived = row.try_get::<i64, _>(3)? > 0;
        let mut fee = None;
        if approve {
            if !waived {
                let reference = format!("signature-{id}");
                match post(
                    &mut tx,
                    Posting {
                        account_id,
                        kind: EntryKind::Fee,
                        amount: SIGNATURE_FEE,
                        description: "China signature fee",
                        reference: Some(&reference),
                        created_by: Some(staff.account_id),
                    },
                )
                .await
                {
                    Ok(_) => fee = Some(SIGNATURE_FEE),
                    Err(LedgerError::InsufficientBalance { shortfall }) => {
                        return Err(AppError::Conflict(format!(
                            "The account's balance does not cover the {SIGNATURE_FEE} signature fee ({shortfall} short). Ask the customer to top up first."
                        )))
                    }
                    Err(e) => return Err(AppError::internal("signature fee", e)),
                }
                sqlx::query("UPDATE signature_applications SET fee_minor = $1 WHERE id = $2")
                    .bind(SIGNATURE_FEE.minor())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE accounts SET china_signature = $1 WHERE id = $2")
                .bind(&signature)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        engine::audit::record(
            &mut tx,
            staff.account_id,
            if approve { "signature.approve" } else { "signature.reject" },
            Some(account_id),
            json!({ "application": id, "china_signature": previous }),
            json!({ "application": id, "approved": approve, "china_signature": if approve { Some(signature.clone()) } else { previous.clone() },
                    "fee": fee.map(Money::minor), "fee_waived": approve && waived, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

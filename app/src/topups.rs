//! Top-ups (§3): the customer records a payment with its receipt; staff confirm or reject it.
//! Confirmation posts the top-up and, for charity accounts, the bonuses as separate entries.
//! Confirming twice posts nothing the second time.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};
use sms::Money;

/// §3: a top-up is at least HK$300.
pub const MIN_TOP_UP: Money = Money::hkd(300);
/// Charity accounts: HK$200 extra on the first top-up and 10% extra on every top-up.
pub const CHARITY_FIRST_BONUS: Money = Money::hkd(200);
pub const CHARITY_BONUS_PERCENT: i64 = 10;
pub const PAYMENT_METHODS: [&str; 4] = ["Bank transfer", "FPS", "Cheque", "Cash deposit"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: i64,
    pub account_id: i64,
    pub login_name: String,
    pub company_name: String,
    pub amount: Money,
    pub method: String,
    pub reference: String,
    pub document_id: i64,
    pub status: String,
    pub reject_reason: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

/// The bonus entries a confirmed top-up earns a charity account.
pub fn charity_bonuses(amount: Money, first_top_up: bool) -> Vec<(Money, &'static str)> {
    let mut bonuses = Vec::new();
    if first_top_up {
        bonuses.push((CHARITY_FIRST_BONUS, "Charity bonus: first top-up"));
    }
    let ten_percent = Money::from_minor(amount.minor() * CHARITY_BONUS_PERCENT / 100);
    if ten_percent.minor() > 0 {
        bonuses.push((ten_percent, "Charity bonus: 10% of top-up"));
    }
    bonuses
}

#[server(endpoint = "record_payment", input = MultipartFormData)]
pub async fn record_payment(data: MultipartData) -> Result<i64, AppError> {
    crate::error::with_status(store::record(data).await)
}

#[server(endpoint = "my_payments")]
pub async fn my_payments() -> Result<Vec<Payment>, AppError> {
    crate::error::with_status(store::mine().await)
}

#[server(endpoint = "pending_payments")]
pub async fn pending_payments() -> Result<Vec<Payment>, AppError> {
    crate::error::with_status(store::pending().await)
}

#[server(endpoint = "decide_payment")]
pub async fn decide_payment(
    payment_id: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    crate::error::with_status(store::decide(payment_id, approve, reason).await)
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::auth::context::{require_staff, require_viewer, server_state};
    use crate::error::FieldErrors;
    use crate::ledger::EntryKind;
    use engine::db::{now_ms, Db};
    use engine::ledger::store::{post, LedgerError, Posting};
    use serde_json::json;
    use sqlx::Row;

    const SELECT: &str =
        "SELECT p.id, p.account_id, a.login_name, a.company_name, p.amount_minor, p.method, \
        p.reference, p.document_id, p.status, p.reject_reason, p.created_at, p.decided_at \
        FROM payments p JOIN accounts a ON a.id = p.account_id";

    fn from_row(r: sqlx::any::AnyRow) -> Result<Payment, sqlx::Error> {
        Ok(Payment {
            id: r.try_get(0)?,
            account_id: r.try_get(1)?,
            login_name: r.try_get(2)?,
            company_name: r.try_get(3)?,
            amount: Money::from_minor(r.try_get(4)?),
            method: r.try_get(5)?,
            reference: r.try_get(6)?,
            document_id: r.try_get(7)?,
            status: r.try_get(8)?,
            reject_reason: r.try_get(9)?,
            created_at: r.try_get(10)?,
            decided_at: r.try_get(11)?,
        })
    }

    pub async fn record(data: MultipartData) -> Result<i64, AppError> {
        let viewer = require_viewer()?;
        if viewer.is_staff() {
            return Err(AppError::Forbidden);
        }
        let db = server_state()?.db;
        let upload = crate::documents::read_upload(data, "receipt").await?;
        let field = |name: &str| upload.text(name).to_string();
        let mut errors = FieldErrors::default();
        let amount = match Money::parse_hkd(&field("amount")) {
            Ok(a) if a < MIN_TOP_UP => {
                errors.add("amount", format!("A top-up is at least {MIN_TOP_UP}."));
                None
            }
            Ok(a) => Some(a),
            Err(e) => {
                errors.add("amount", format!("Amount: {e}."));
                None
            }
        };
        let method = field("method");
        if !PAYMENT_METHODS.contains(&method.as_str()) {
            errors.add("method", "Choose how you paid.");
        }
        let reference = field("reference");
        if reference.is_empty() {
            errors.add(
                "reference",
                "Enter the payment reference shown on your receipt.",
            );
        } else if reference.chars().count() > 100 {
            errors.add("reference", "Use at most 100 characters for the reference.");
        }
        let file = match upload.file {
            Some(f) => match crate::documents::sniff(&f.bytes) {
                Ok(_) => Some(f),
                Err(e) => {
                    errors.add("receipt", e.to_string());
                    None
                }
            },
            None => {
                errors.add(
                    "receipt",
                    "Attach the payment receipt (PDF, JPG or PNG, up to 10 MB).",
                );
                None
            }
        };
        errors.into_result()?;
        let (Some(amount), Some(file)) = (amount, file) else {
            return Err(AppError::internal(
                "record payment",
                "validated fields missing",
            ));
        };
        let mut tx = db.begin_write().await?;
        let document_id = crate::documents::store(&mut tx, viewer.account_id, "receipt", &file)
            .await?
            .map_err(|e| AppError::field("receipt", e.to_string()))?;
        let id: i64 = sqlx::query(
            "INSERT INTO payments (account_id, amount_minor, method, reference, document_id, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(viewer.account_id)
        .bind(amount.minor())
        .bind(&method)
        .bind(&reference)
        .bind(document_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        tracing::info!(payment_id = id, account_id = viewer.account_id, %amount, "payment recorded");
        Ok(id)
    }

    pub async fn mine() -> Result<Vec<Payment>, AppError> {
        let viewer = require_viewer()?;
        let db = server_state()?.db;
        Ok(sqlx::query(&format!(
            "{SELECT} WHERE p.account_id = $1 ORDER BY p.id DESC LIMIT 50"
        ))
        .bind(viewer.account_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(from_row)
        .collect::<Result<_, _>>()?)
    }

    pub async fn pending() -> Result<Vec<Payment>, AppError> {
        require_staff()?;
        let db = server_state()?.db;
        Ok(sqlx::query(&format!(
            "{SELECT} WHERE p.status = 'pending' ORDER BY p.id"
        ))
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(from_row)
        .collect::<Result<_, _>>()?)
    }

    pub async fn decide(payment_id: i64, approve: bool, reason: String) -> Result<(), AppError> {
        let staff = require_staff()?;
        let db = server_state()?.db;
        if approve {
            confirm(&db, staff.account_id, payment_id).await
        } else {
            reject(&db, staff.account_id, payment_id, reason.trim()).await
        }
    }

    /// Confirms a pending payment: one top-up entry and, for charity accounts, the bonus
    /// entries, all in one transaction with the status change and the audit entry. The guarded
    /// status update makes a second confirmation (a double click, two staff at once) a no-op
    /// that says so, and the ledger's unique reference backs it up.
    pub async fn confirm(db: &Db, staff_id: i64, payment_id: i64) -> Result<(), AppError> {
        let mut tx = db.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE payments SET status = 'confirmed', decided_by = $1, decided_at = $2 \
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(staff_id)
        .bind(now_ms())
        .bind(payment_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(already_decided(db, payment_id).await);
        }
        let row = sqlx::query(
            "SELECT p.account_id, p.amount_minor, a.is_charity, \
               (SELECT COUNT(*) FROM payments q WHERE q.account_id = p.account_id AND q.status = 'confirmed' AND q.id <> p.id) \
             FROM payments p JOIN accounts a ON a.id = p.account_id WHERE p.id = $1",
        )
        .bind(payment_id)
        .fetch_one(&mut *tx)
        .await?;
        let account_id: i64 = row.try_get(0)?;
        let amount = Money::from_minor(row.try_get(1)?);
        let is_charity = row.try_get::<i64, _>(2)? != 0;
        let earlier_top_ups: i64 = row.try_get(3)?;
        let reference = format!("payment-{payment_id}");
        let description = format!("Top-up (payment #{payment_id})");
        post_or_conflict(
            &mut tx,
            Posting {
                account_id,
                kind: EntryKind::TopUp,
                amount,
                description: &description,
                reference: Some(&reference),
                created_by: Some(staff_id),
            },
        )
        .await?;
        let mut bonuses = Vec::new();
        if is_charity {
            for (i, (bonus, text)) in charity_bonuses(amount, earlier_top_ups == 0)
                .into_iter()
                .enumerate()
            {
                let bonus_ref = format!("payment-{payment_id}-bonus-{i}");
                post_or_conflict(
                    &mut tx,
                    Posting {
                        account_id,
                        kind: EntryKind::Bonus,
                        amount: bonus,
                        description: text,
                        reference: Some(&bonus_ref),
                        created_by: Some(staff_id),
                    },
                )
                .await?;
                bonuses.push(bonus.minor());
            }
        }
        engine::audit::record(
            &mut tx,
            staff_id,
            "payment.confirm",
            Some(account_id),
            json!({ "payment": payment_id, "status": "pending" }),
            json!({ "payment": payment_id, "status": "confirmed", "top_up": amount.minor(), "bonuses": bonuses }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(payment_id, account_id, %amount, staff_id, "payment confirmed");
        Ok(())
    }

    async fn post_or_conflict(
        tx: &mut sqlx::AnyConnection,
        posting: Posting<'_>,
    ) -> Result<(), AppError> {
        match post(tx, posting).await {
            Ok(_) => Ok(()),
            Err(LedgerError::AlreadyPosted) => Err(AppError::Conflict(
                "This payment was already confirmed.".into(),
            )),
            Err(e) => Err(AppError::internal("post top-up", e)),
        }
    }

    async fn already_decided(db: &Db, payment_id: i64) -> AppError {
        match sqlx::query("SELECT status FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(db.pool())
            .await
        {
            Ok(Some(row)) => {
                let status: String = row.try_get(0).unwrap_or_default();
                AppError::Conflict(format!(
                    "This payment was already {status}; nothing was posted."
                ))
            }
            Ok(None) => AppError::NotFound,
            Err(e) => AppError::from(e),
        }
    }

    pub async fn reject(
        db: &Db,
        staff_id: i64,
        payment_id: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        if reason.is_empty() {
            return Err(AppError::field(
                "reason",
                "Give the customer a reason for the rejection.",
            ));
        }
        let mut tx = db.begin_write().await?;
        let n = sqlx::query(
            "UPDATE payments SET status = 'rejected', reject_reason = $1, decided_by = $2, decided_at = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(reason)
        .bind(staff_id)
        .bind(now_ms())
        .bind(payment_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(already_decided(db, payment_id).await);
        }
        let account_id: i64 = sqlx::query("SELECT account_id FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        engine::audit::record(
            &mut tx,
            staff_id,
            "payment.reject",
            Some(account_id),
            json!({ "payment": payment_id, "status": "pending" }),
            json!({ "payment": payment_id, "status": "rejected", "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charity_bonuses_are_200_on_the_first_top_up_and_ten_percent_always() {
        assert_eq!(
            charity_bonuses(Money::hkd(300), true),
            vec![
                (Money::hkd(200), "Charity bonus: first top-up"),
                (Money::hkd(30), "Charity bonus: 10% of top-up")
            ]
        );
        assert_eq!(
            charity_bonuses(Money::from_minor(3_000_005), false),
            vec![(Money::from_minor(300_000), "Charity bonus: 10% of top-up")]
        );
    }
}

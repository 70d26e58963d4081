//! Top-ups (§3): the customer records a payment with its receipt; staff confirm or reject it.
//! Confirmation posts the top-up and, for charity accounts, the bonuses as separate entries.
//! Confirming twice posts nothing the second time.

use serde::{Deserialize, Serialize};
use sms::Money;

/// §3: a top-up is at least HK$300.
pub const MIN_TOP_UP: Money = Money::hkd(300);
/// Charity accounts: HK$200 extra on the first top-up and 10% extra on every top-up.
pub const CHARITY_FIRST_BONUS: Money = Money::hkd(200);
pub const CHARITY_BONUS_PERCENT: i64 = 10;
pub const PAYMENT_METHODS: [&str; 4] = ["Bank transfer", "FPS", "Cheque", "Cash deposit"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "storage", derive(sqlx::FromRow))]
pub struct Payment {
    #[serde(flatten)]
    #[cfg_attr(feature = "storage", sqlx(flatten))]
    pub request: crate::review::Request,
    pub company_name: String,
    /// What the customer says they paid; the balance changes only when staff confirm it.
    #[cfg_attr(
        feature = "storage",
        sqlx(try_from = "crate::db::Minor", rename = "amount_minor")
    )]
    pub amount: Money,
    /// One of [`PAYMENT_METHODS`].
    pub method: String,
    /// The bank's or FPS reference, as the customer typed it.
    pub reference: String,
    /// The uploaded receipt.
    pub document_id: i64,
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

#[cfg(feature = "storage")]
pub use storage::*;

#[cfg(feature = "storage")]
mod storage {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::documents::UploadedFile;
    use crate::error::{Error, FieldErrors};
    use crate::ledger::store::{post, LedgerError, Posting};
    use crate::ledger::EntryKind;
    use crate::review::{claim_decision, list, Decision, Listing, Queue};
    use serde_json::json;

    const SELECT: &str =
        "SELECT r.id AS id, r.account_id AS account_id, a.login_name AS login_name, \
        a.company_name AS company_name, r.amount_minor AS amount_minor, r.method AS method, \
        r.reference AS reference, r.document_id AS document_id, r.status AS status, \
        r.reject_reason AS reject_reason, r.created_at AS created_at, r.decided_at AS decided_at \
        FROM payments r JOIN accounts a ON a.id = r.account_id";

    #[derive(sqlx::FromRow)]
    struct TopUpRow {
        account_id: i64,
        amount_minor: i64,
        is_charity: i64,
        earlier_top_ups: i64,
    }

    /// What the customer typed about a payment, as received.
    #[derive(Debug, Clone, Default)]
    pub struct PaymentForm {
        pub amount: String,
        pub method: String,
        pub reference: String,
    }

    /// Records a payment of `account_id` for staff to confirm, with its receipt.
    pub async fn record(
        db: &Db,
        account_id: i64,
        form: &PaymentForm,
        receipt: Option<UploadedFile>,
    ) -> Result<i64, Error> {
        let mut errors = FieldErrors::default();
        let amount = match Money::parse_hkd(form.amount.trim()) {
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
        let method = form.method.trim();
        if !PAYMENT_METHODS.contains(&method) {
            errors.add("method", "Choose how you paid.");
        }
        let reference = form.reference.trim();
        if reference.is_empty() {
            errors.add(
                "reference",
                "Enter the payment reference shown on your receipt.",
            );
        } else if reference.chars().count() > 100 {
            errors.add("reference", "Use at most 100 characters for the reference.");
        }
        let file = match receipt {
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
            return Err(Error::internal(
                "record payment",
                "validated fields missing",
            ));
        };
        let mut tx = db.begin_write().await?;
        let document_id = crate::documents::store(&mut tx, account_id, "receipt", &file)
            .await?
            .map_err(|e| Error::field("receipt", e.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO payments (account_id, amount_minor, method, reference, document_id, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(account_id)
        .bind(amount.minor())
        .bind(method)
        .bind(reference)
        .bind(document_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(payment_id = id, account_id, %amount, "payment recorded");
        Ok(id)
    }

    pub async fn payments(db: &Db, listing: Listing) -> Result<Vec<Payment>, Error> {
        Ok(list::<Payment, _>(db, SELECT, listing).await?)
    }

    /// Confirms or rejects a pending payment. Confirmation posts one top-up entry and, for
    /// charity accounts, the bonus entries, in one transaction with the status change and the
    /// audit entry; the ledger's unique reference backs up the guarded status change.
    pub async fn decide_payment(
        db: &Db,
        staff_id: i64,
        payment_id: i64,
        decision: &Decision,
    ) -> Result<(), Error> {
        let mut claimed =
            claim_decision(db, Queue::Payments, payment_id, staff_id, decision).await?;
        let account_id = claimed.account_id;
        let after = match decision {
            Decision::Approve => {
                let (amount, bonuses) = post_top_up(&mut claimed.tx, staff_id, payment_id).await?;
                tracing::info!(payment_id, account_id, %amount, staff_id, "payment confirmed");
                json!({ "payment": payment_id, "status": "confirmed", "top_up": amount.minor(), "bonuses": bonuses })
            }
            Decision::Reject { reason } => {
                json!({ "payment": payment_id, "status": "rejected", "reason": reason })
            }
        };
        claimed
            .commit(json!({ "payment": payment_id, "status": "pending" }), after)
            .await
    }

    /// The top-up entry and any charity bonuses of a payment being confirmed.
    async fn post_top_up(
        tx: &mut sqlx::AnyConnection,
        staff_id: i64,
        payment_id: i64,
    ) -> Result<(Money, Vec<i64>), Error> {
        let row: TopUpRow = sqlx::query_as(
            "SELECT p.account_id AS account_id, p.amount_minor AS amount_minor, a.is_charity AS is_charity, \
               (SELECT COUNT(*) FROM payments q WHERE q.account_id = p.account_id AND q.status = 'confirmed' AND q.id <> p.id) \
                 AS earlier_top_ups \
             FROM payments p JOIN accounts a ON a.id = p.account_id WHERE p.id = $1",
        )
        .bind(payment_id)
        .fetch_one(&mut *tx)
        .await?;
        let account_id = row.account_id;
        let amount = Money::from_minor(row.amount_minor);
        let is_charity = row.is_charity != 0;
        let earlier_top_ups = row.earlier_top_ups;
        let reference = format!("payment-{payment_id}");
        let description = format!("Top-up (payment #{payment_id})");
        let mut postings = vec![(
            EntryKind::TopUp,
            amount,
            description.clone(),
            reference.clone(),
        )];
        if is_charity {
            for (i, (bonus, text)) in charity_bonuses(amount, earlier_top_ups == 0)
                .into_iter()
                .enumerate()
            {
                postings.push((
                    EntryKind::Bonus,
                    bonus,
                    text.to_string(),
                    format!("payment-{payment_id}-bonus-{i}"),
                ));
            }
        }
        let mut bonuses = Vec::new();
        for (kind, amount, description, reference) in &postings {
            let posted = post(
                tx,
                Posting {
                    account_id,
                    kind: *kind,
                    amount: *amount,
                    description,
                    reference: Some(reference),
                    created_by: Some(staff_id),
                },
            )
            .await;
            match posted {
                Ok(_) => {}
                Err(LedgerError::AlreadyPosted) => {
                    return Err(Error::Conflict(
                        "This payment was already confirmed.".into(),
                    ))
                }
                Err(e) => return Err(Error::internal("post top-up", e)),
            }
            if *kind == EntryKind::Bonus {
                bonuses.push(amount.minor());
            }
        }
        Ok((amount, bonuses))
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

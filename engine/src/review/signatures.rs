//! Custom China signatures (§3, §5): the customer applies for one (3–6 Chinese/English
//! characters); staff approve or reject. Approval charges the HK$2,000 fee, waived when the
//! account has a confirmed single top-up of HK$20,000 or more.

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

#[cfg(feature = "storage")]
pub use storage::*;

#[cfg(feature = "storage")]
mod storage {
    use super::*;
    use crate::db::{now_ms, Db};
    use crate::error::Error;
    use crate::ledger::store::{post, LedgerError, Posting};
    use crate::ledger::EntryKind;
    use crate::review::{decide, has_pending, list, Decision, Listing, Queue};
    use serde_json::json;
    use sms::ChinaSignature;
    use sqlx::Row;

    const SELECT: &str = "SELECT r.id, r.account_id, a.login_name, r.signature, r.status, r.reject_reason, \
        r.fee_minor, r.created_at FROM signature_applications r JOIN accounts a ON a.id = r.account_id";

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

    /// Queues `account_id`'s application for `input` as its signature (one waiting at a time).
    pub async fn apply(db: &Db, account_id: i64, input: &str) -> Result<(), Error> {
        let signature = ChinaSignature::parse(input)
            .map_err(|e| Error::field("signature", format!("Signature: {e}")))?;
        let mut tx = db.begin_write().await?;
        if has_pending(&mut tx, Queue::Signatures, account_id).await? {
            return Err(Error::Conflict(
                "An application is already waiting for review.".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO signature_applications (account_id, signature, status, created_at) VALUES ($1, $2, 'pending', $3)",
        )
        .bind(account_id)
        .bind(signature.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn applications(
        db: &Db,
        listing: Listing,
    ) -> Result<Vec<SignatureApplication>, Error> {
        Ok(list(db, SELECT, listing, from_row).await?)
    }

    /// Approval sets the account's signature and charges the fee unless it is waived; both
    /// outcomes are audited.
    pub async fn decide_signature(
        db: &Db,
        staff_id: i64,
        id: i64,
        decision: &Decision,
    ) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let account_id = decide(&mut tx, Queue::Signatures, id, staff_id, decision).await?;
        let row = sqlx::query(
            "SELECT s.signature, a.china_signature, \
               (SELECT COUNT(*) FROM payments p WHERE p.account_id = s.account_id AND p.status = 'confirmed' AND p.amount_minor >= $2) \
             FROM signature_applications s JOIN accounts a ON a.id = s.account_id WHERE s.id = $1",
        )
        .bind(id)
        .bind(FEE_WAIVER_TOP_UP.minor())
        .fetch_one(&mut *tx)
        .await?;
        let signature: String = row.try_get(0)?;
        let previous: Option<String> = row.try_get(1)?;
        let waived = row.try_get::<i64, _>(2)? > 0;
        let mut fee = None;
        if decision.approves() {
            if !waived {
                charge_fee(&mut tx, account_id, staff_id, id).await?;
                fee = Some(SIGNATURE_FEE);
            }
            sqlx::query("UPDATE accounts SET china_signature = $1 WHERE id = $2")
                .bind(&signature)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
        }
        let approved = decision.approves();
        crate::audit::record(
            &mut tx,
            staff_id,
            &decision.action(Queue::Signatures),
            Some(account_id),
            json!({ "application": id, "china_signature": previous }),
            json!({ "application": id, "approved": approved,
                    "china_signature": if approved { Some(signature.clone()) } else { previous.clone() },
                    "fee": fee.map(Money::minor), "fee_waived": approved && waived,
                    "reason": decision.reason().unwrap_or_default() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn charge_fee(
        tx: &mut sqlx::AnyConnection,
        account_id: i64,
        staff_id: i64,
        application_id: i64,
    ) -> Result<(), Error> {
        let reference = format!("signature-{application_id}");
        let posted = post(
            tx,
            Posting {
                account_id,
                kind: EntryKind::Fee,
                amount: SIGNATURE_FEE,
                description: "China signature fee",
                reference: Some(&reference),
                created_by: Some(staff_id),
            },
        )
        .await;
        match posted {
            Ok(_) => {}
            Err(LedgerError::InsufficientBalance { shortfall }) => {
                return Err(Error::Conflict(format!(
                    "The account's balance does not cover the {SIGNATURE_FEE} signature fee ({shortfall} short). Ask the customer to top up first."
                )))
            }
            Err(e) => return Err(Error::internal("signature fee", e)),
        }
        sqlx::query("UPDATE signature_applications SET fee_minor = $1 WHERE id = $2")
            .bind(SIGNATURE_FEE.minor())
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

//! Custom China signatures (§3, §5): the customer applies for one (3–6 Chinese/English
//! characters); staff approve or reject. Approval charges the HK$2,000 fee, waived when the
//! account has a confirmed single top-up of HK$20,000 or more.

use serde::{Deserialize, Serialize};
use sms::Money;

pub const SIGNATURE_FEE: Money = Money::hkd(2_000);
pub const FEE_WAIVER_TOP_UP: Money = Money::hkd(20_000);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureApplication {
    #[serde(flatten)]
    pub request: crate::review::Request,
    /// As the handset shows it, without the brackets.
    pub signature: String,
    /// What approval charged; `None` while pending, when rejected, or when waived.
    pub fee: Option<Money>,
}

#[cfg(feature = "storage")]
pub use storage::*;

#[cfg(feature = "storage")]
mod storage {
    use super::*;
    use crate::{
        db::{now_ms, Db},
        error::Error,
        ledger::store::{post, LedgerError, Posting},
        ledger::EntryKind,
        review::{claim_decision, has_pending, list, Decision, Listing, Queue},
    };
    use serde_json::json;
    use sms::ChinaSignature;

    const SELECT: &str =
        "SELECT r.id AS id, r.account_id AS account_id, a.login_name AS login_name, \
        r.signature AS signature, r.status AS status, r.reject_reason AS reject_reason, \
        r.fee_minor AS fee_minor, r.created_at AS created_at \
        FROM signature_applications r JOIN accounts a ON a.id = r.account_id";

    #[derive(sqlx::FromRow)]
    struct ApplicationRow {
        #[sqlx(flatten)]
        request: crate::review::Request,
        signature: String,
        fee_minor: Option<i64>,
    }

    impl From<ApplicationRow> for SignatureApplication {
        fn from(r: ApplicationRow) -> Self {
            SignatureApplication {
                request: r.request,
                signature: r.signature,
                fee: r.fee_minor.map(Money::from_minor),
            }
        }
    }

    #[derive(sqlx::FromRow)]
    struct DecisionRow {
        signature: String,
        previous: Option<String>,
        waiving_top_ups: i64,
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
        Ok(list::<ApplicationRow, _>(db, SELECT, listing).await?)
    }

    /// Approval sets the account's signature and charges the fee unless it is waived; both
    /// outcomes are audited.
    pub async fn decide_signature(
        db: &Db,
        staff_id: i64,
        id: i64,
        decision: &Decision,
    ) -> Result<(), Error> {
        let mut claimed = claim_decision(db, Queue::Signatures, id, staff_id, decision).await?;
        let account_id = claimed.account_id;
        let DecisionRow {
            signature,
            previous,
            waiving_top_ups,
        } = sqlx::query_as(
            "SELECT s.signature AS signature, a.china_signature AS previous, \
               (SELECT COUNT(*) FROM payments p WHERE p.account_id = s.account_id AND p.status = 'confirmed' AND p.amount_minor >= $2) \
                 AS waiving_top_ups \
             FROM signature_applications s JOIN accounts a ON a.id = s.account_id WHERE s.id = $1",
        )
        .bind(id)
        .bind(FEE_WAIVER_TOP_UP.minor())
        .fetch_one(&mut *claimed.tx)
        .await?;
        let waived = waiving_top_ups > 0;
        let mut fee = None;
        if decision.approves() {
            if !waived {
                charge_fee(&mut claimed.tx, account_id, staff_id, id).await?;
                fee = Some(SIGNATURE_FEE);
            }
            sqlx::query("UPDATE accounts SET china_signature = $1 WHERE id = $2")
                .bind(&signature)
                .bind(account_id)
                .execute(&mut *claimed.tx)
                .await?;
        }
        let approved = decision.approves();
        claimed
            .commit(
                json!({ "application": id, "china_signature": previous }),
                json!({ "application": id, "approved": approved,
                        "china_signature": if approved { Some(signature.clone()) } else { previous.clone() },
                        "fee": fee.map(Money::minor), "fee_waived": approved && waived,
                        "reason": decision.reason().unwrap_or_default() }),
            )
            .await
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

//! Staff work on customer accounts (§2, §13): search, detail, sub-account links, balance
//! transfers between linked accounts, and the charity flag. Every change is audited.

use crate::ledger::LedgerEntry;
use crate::sender_ids::SenderIdRecord;
use crate::settings::AccountSettings;
use serde::{Deserialize, Serialize};
use sms::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: i64,
    pub login_name: String,
    pub company_name: String,
    pub status: String,
    pub balance: Money,
    pub is_charity: bool,
    pub primary_login: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub id: i64,
    pub login_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccountDetail {
    pub account: AccountRow,
    pub contact_email: String,
    pub mobile: String,
    pub china_signature: Option<String>,
    pub created_at: i64,
    pub primary: Option<LinkedAccount>,
    pub sub_accounts: Vec<LinkedAccount>,
    pub settings: AccountSettings,
    pub sender_ids: Vec<SenderIdRecord>,
    pub api_keys: Vec<crate::api_keys::ApiKey>,
    pub recent_entries: Vec<LedgerEntry>,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::now_ms;
    use crate::db::Db;
    use crate::error::Error;
    use crate::ledger::store::LedgerError;
    use serde_json::json;

    const ROW: &str = "SELECT a.id AS id, a.login_name AS login_name, a.company_name AS company_name, \
        a.status AS status, a.balance_minor AS balance_minor, a.is_charity AS is_charity, \
        p.login_name AS primary_login \
        FROM accounts a LEFT JOIN accounts p ON p.id = a.primary_account_id WHERE a.role = 'customer'";

    /// A customer account as [`ROW`] reads it.
    #[derive(sqlx::FromRow)]
    struct StoredAccountRow {
        id: i64,
        login_name: String,
        company_name: String,
        status: String,
        balance_minor: i64,
        is_charity: i64,
        primary_login: Option<String>,
    }

    impl From<StoredAccountRow> for AccountRow {
        fn from(r: StoredAccountRow) -> Self {
            AccountRow {
                id: r.id,
                login_name: r.login_name,
                company_name: r.company_name,
                status: r.status,
                balance: Money::from_minor(r.balance_minor),
                is_charity: r.is_charity != 0,
                primary_login: r.primary_login,
            }
        }
    }

    #[derive(sqlx::FromRow)]
    struct DetailRow {
        contact_email: String,
        mobile: String,
        china_signature: Option<String>,
        created_at: i64,
        primary_id: Option<i64>,
        primary_login: Option<String>,
    }

    pub async fn search(db: &Db, query: &str) -> Result<Vec<AccountRow>, Error> {
        let pattern = format!("%{}%", query.trim().to_lowercase().replace(['%', '_'], ""));
        let rows: Vec<StoredAccountRow> = sqlx::query_as(&format!(
            "{ROW} AND (LOWER(a.login_name) LIKE $1 OR LOWER(a.company_name) LIKE $1 OR a.mobile LIKE $1) \
             ORDER BY a.id DESC LIMIT 100"
        ))
        .bind(pattern)
        .fetch_all(db.pool())
        .await?;
        Ok(rows.into_iter().map(AccountRow::from).collect())
    }

    pub async fn detail(db: &Db, account_id: i64) -> Result<StaffAccountDetail, Error> {
        let account: StoredAccountRow = sqlx::query_as(&format!("{ROW} AND a.id = $1"))
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?
            .ok_or(Error::NotFound)?;
        let extra: DetailRow = sqlx::query_as(
            "SELECT a.contact_email AS contact_email, a.mobile AS mobile, \
                    a.china_signature AS china_signature, a.created_at AS created_at, \
                    p.id AS primary_id, p.login_name AS primary_login \
             FROM accounts a LEFT JOIN accounts p ON p.id = a.primary_account_id WHERE a.id = $1",
        )
        .bind(account_id)
        .fetch_one(db.pool())
        .await?;
        let primary = match (extra.primary_id, extra.primary_login) {
            (Some(id), Some(login_name)) => Some(LinkedAccount { id, login_name }),
            _ => None,
        };
        let sub_accounts = sqlx::query_as::<_, (i64, String)>(
            "SELECT id, login_name FROM accounts WHERE primary_account_id = $1 ORDER BY login_name",
        )
        .bind(account_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|(id, login_name)| LinkedAccount { id, login_name })
        .collect();
        Ok(StaffAccountDetail {
            account: account.into(),
            contact_email: extra.contact_email,
            mobile: extra.mobile,
            china_signature: extra.china_signature,
            created_at: extra.created_at,
            primary,
            sub_accounts,
            settings: crate::settings::store::load(db, account_id).await?,
            sender_ids: crate::sender_ids::store::list(db, account_id, false).await?,
            api_keys: crate::api_keys::store::list(db, account_id).await?,
            recent_entries: crate::ledger::store::entries(db, account_id, &Default::default(), 20)
                .await?,
        })
    }

    pub async fn link(
        db: &Db,
        staff_id: i64,
        account_id: i64,
        primary_login: &str,
    ) -> Result<(), Error> {
        let primary_login = primary_login.trim().to_lowercase();
        let mut tx = db.begin_write().await?;
        let (primary_id, primary_parent): (i64, Option<i64>) = sqlx::query_as(
            "SELECT id, primary_account_id FROM accounts WHERE login_name = $1 AND role = 'customer'",
        )
        .bind(&primary_login)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::field("primary_login", "No customer account has this login name."))?;
        if primary_id == account_id {
            return Err(Error::field(
                "primary_login",
                "An account cannot be its own primary.",
            ));
        }
        if primary_parent.is_some() {
            return Err(Error::field(
                "primary_login",
                "That account is itself a sub-account; link to its primary instead.",
            ));
        }
        let subs: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE primary_account_id = $1")
                .bind(account_id)
                .fetch_one(&mut *tx)
                .await?;
        if subs > 0 {
            return Err(Error::field(
                "primary_login",
                "This account has sub-accounts of its own, so it cannot become a sub-account.",
            ));
        }
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT primary_account_id FROM accounts WHERE id = $1 AND role = 'customer'",
        )
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        sqlx::query("UPDATE accounts SET primary_account_id = $1 WHERE id = $2")
            .bind(primary_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "account.link_sub_account",
            Some(account_id),
            json!({ "primary_account_id": before }),
            json!({ "primary_account_id": primary_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves money between two linked accounts: a transfer-out on one statement and a
    /// transfer-in on the other, in one transaction, with the staff member on both entries.
    pub async fn transfer(
        db: &Db,
        staff_id: i64,
        from: i64,
        to: i64,
        amount: &str,
        note: &str,
    ) -> Result<(), Error> {
        let amount = Money::parse_hkd(amount)
            .map_err(|e| Error::field("amount", format!("Amount: {e}.")))?;
        if amount.minor() <= 0 {
            return Err(Error::field("amount", "Enter an amount above zero."));
        }
        if from == to {
            return Err(Error::field(
                "to_account_id",
                "Choose a different account to transfer to.",
            ));
        }
        let mut tx = db.begin_write().await?;
        let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, login_name, primary_account_id FROM accounts WHERE id IN ($1, $2) AND role = 'customer'",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await?;
        let find = |id: i64| {
            rows.iter()
                .find(|(row_id, _, _)| *row_id == id)
                .map(|(_, login, primary)| (login.clone(), *primary))
        };
        let (Some((from_login, from_primary)), Some((to_login, to_primary))) =
            (find(from), find(to))
        else {
            return Err(Error::NotFound);
        };
        let linked = from_primary == Some(to)
            || to_primary == Some(from)
            || (from_primary.is_some() && from_primary == to_primary);
        if !linked {
            return Err(Error::field(
                "to_account_id",
                "Balances move only between a primary account and its sub-accounts.",
            ));
        }
        let note = note.trim();
        // Unique per transfer: two transfers in the same millisecond are two transfers, not a
        // repeated posting for the ledger's (account, kind, reference) guard to refuse.
        let reference = format!(
            "transfer-{}-{from}-{to}-{:016x}",
            now_ms(),
            rand::random::<u64>()
        );
        let out_text = format!(
            "Transfer to {to_login}{}",
            if note.is_empty() {
                String::new()
            } else {
                format!(": {note}")
            }
        );
        let in_text = format!(
            "Transfer from {from_login}{}",
            if note.is_empty() {
                String::new()
            } else {
                format!(": {note}")
            }
        );
        match crate::ledger::store::transfer(
            &mut tx,
            from,
            to,
            amount,
            &out_text,
            &in_text,
            &reference,
            Some(staff_id),
        )
        .await
        {
            Ok(()) => {}
            Err(LedgerError::InsufficientBalance { shortfall }) => {
                return Err(Error::field(
                    "amount",
                    format!("{from_login} has {shortfall} too little for this transfer."),
                ))
            }
            Err(e) => return Err(Error::internal("transfer", e)),
        }
        crate::audit::record(
            &mut tx,
            staff_id,
            "ledger.transfer",
            Some(from),
            json!({ "from": from_login, "to": to_login }),
            json!({ "from": from_login, "to": to_login, "amount": amount.minor(), "note": note }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_charity(
        db: &Db,
        staff_id: i64,
        account_id: i64,
        charity: bool,
    ) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let before: i64 = sqlx::query_scalar(
            "SELECT is_charity FROM accounts WHERE id = $1 AND role = 'customer'",
        )
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        sqlx::query("UPDATE accounts SET is_charity = $1 WHERE id = $2")
            .bind(i64::from(charity))
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "account.set_charity",
            Some(account_id),
            json!({ "is_charity": before != 0 }),
            json!({ "is_charity": charity }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(all(test, feature = "storage"))]
mod tests;

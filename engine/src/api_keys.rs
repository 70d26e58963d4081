//! API keys (§11, §13): how a customer's own system calls Ferry. A customer creates, names,
//! lists and revokes keys; a key acts for the account that created it and for nothing else (a
//! sub-account's key never reaches its primary's records), within that account's IP
//! allow-list. The key is shown once; only its SHA-256 is stored. Staff may revoke any key,
//! and that is audited.

use serde::{Deserialize, Serialize};

/// Live (not revoked) keys an account may hold at once.
pub const MAX_ACTIVE_KEYS: i64 = 20;
/// The longest key name.
pub const MAX_NAME_CHARS: usize = 60;
/// What every key starts with, so a leaked one is recognisable (and scanners can find it).
pub const KEY_PREFIX: &str = "ferry_";

/// A key as its owner sees it in the list: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "storage", derive(sqlx::FromRow))]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The key's first characters (`ferry_3fa9c2`), to tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<i64>,
}

/// A key just created: its record and the key itself, which is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::auth::{hash_token, AccountStatus};
    use crate::db::{now_ms, Db};
    use crate::error::Error;
    use rand::RngCore;
    use serde_json::json;
    use std::net::IpAddr;

    /// Last-used time and address are written at most this often per key (and whenever the
    /// address changes): a write per call would double the cost of every API request.
    const LAST_USED_EVERY_MS: i64 = 60_000;

    /// Creates a key named `name` for `account_id` and returns it with its secret.
    pub async fn create(db: &Db, account_id: i64, name: &str) -> Result<CreatedKey, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::field(
                "name",
                "Name the key after the system that will use it.",
            ));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::field(
                "name",
                format!("A key name has at most {MAX_NAME_CHARS} characters."),
            ));
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
        let prefix: String = secret.chars().take(KEY_PREFIX.len() + 6).collect();
        let now = now_ms();
        let mut tx = db.begin_write().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        match status.as_deref().and_then(AccountStatus::parse) {
            None => return Err(Error::NotFound),
            Some(AccountStatus::Staff) => return Err(Error::Forbidden),
            Some(_) => {}
        }
        let active: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?;
        if active >= MAX_ACTIVE_KEYS {
            return Err(Error::Conflict(format!(
                "This account has {MAX_ACTIVE_KEYS} keys already: revoke one it no longer uses first."
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (account_id, name, prefix, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account_id)
        .bind(name)
        .bind(&prefix)
        .bind(hash_token(&secret))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(account_id, key_id = id, "API key created");
        Ok(CreatedKey {
            key: ApiKey {
                id,
                name: name.to_string(),
                prefix,
                created_at: now,
                last_used_at: None,
                last_used_ip: None,
                revoked_at: None,
            },
            secret,
        })
    }

    const KEY_COLUMNS: &str =
        "id, name, prefix, created_at, last_used_at, last_used_ip, revoked_at";

    /// The account's keys, newest first, revoked ones included.
    pub async fn list(db: &Db, account_id: i64) -> Result<Vec<ApiKey>, Error> {
        Ok(sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY id DESC"
        ))
        .bind(account_id)
        .fetch_all(db.pool())
        .await?)
    }

    /// The owner revokes one of its keys; another account's key is `NotFound`.
    pub async fn revoke(db: &Db, account_id: i64, key_id: i64) -> Result<(), Error> {
        let n = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND account_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(account_id)
        .bind(key_id)
        .execute(db.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return already_revoked_or_missing(db, Some(account_id), key_id).await;
        }
        tracing::info!(account_id, key_id, "API key revoked");
        Ok(())
    }

    /// Staff revoke any account's key (audited).
    pub async fn revoke_as_staff(db: &Db, staff_id: i64, key_id: i64) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let is_staff: Option<String> =
            sqlx::query_scalar("SELECT status FROM accounts WHERE id = $1")
                .bind(staff_id)
                .fetch_optional(&mut *tx)
                .await?;
        if is_staff.as_deref().and_then(AccountStatus::parse) != Some(AccountStatus::Staff) {
            return Err(Error::Forbidden);
        }
        let owner: Option<(i64, String)> = sqlx::query_as(
            "UPDATE api_keys SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND revoked_at IS NULL RETURNING account_id, name",
        )
        .bind(now_ms())
        .bind(staff_id)
        .bind(key_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((account_id, name)) = owner else {
            drop(tx);
            return already_revoked_or_missing(db, None, key_id).await;
        };
        crate::audit::record(
            &mut tx,
            staff_id,
            "api_key.revoke",
            Some(account_id),
            json!({ "key": key_id, "name": name, "revoked": false }),
            json!({ "key": key_id, "name": name, "revoked": true }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revoking twice is not an error; a key that does not exist (for this account) is.
    async fn already_revoked_or_missing(
        db: &Db,
        account_id: Option<i64>,
        key_id: i64,
    ) -> Result<(), Error> {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM api_keys WHERE id = $1 AND (account_id = $2 OR $2 IS NULL)",
        )
        .bind(key_id)
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?;
        exists.map(|_| ()).ok_or(Error::NotFound)
    }

    /// Who an API request acts for.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ApiCaller {
        pub key_id: i64,
        pub account_id: i64,
    }

    /// Why a key was not accepted.
    #[derive(Debug, thiserror::Error)]
    pub enum KeyRefused {
        #[error("This API key is not valid: check it, or create a new one on the API keys page.")]
        Unknown,
        #[error("This API key was revoked: create a new one on the API keys page.")]
        Revoked,
        #[error("Requests from {0} are not in this account's IP allow-list.")]
        OutsideAllowList(IpAddr),
        #[error("Staff accounts cannot use the API.")]
        StaffAccount,
        #[error("Ferry cannot check the key right now: {0}")]
        Database(#[from] sqlx::Error),
    }

    #[derive(sqlx::FromRow)]
    struct KeyRow {
        id: i64,
        account_id: i64,
        revoked_at: Option<i64>,
        last_used_at: Option<i64>,
        last_used_ip: Option<String>,
        status: String,
        ip_allow_list: String,
    }

    impl crate::reader::NativeRow for KeyRow {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(KeyRow {
                id: row.get(0)?,
                account_id: row.get(1)?,
                revoked_at: row.get(2)?,
                last_used_at: row.get(3)?,
                last_used_ip: row.get(4)?,
                status: row.get(5)?,
                ip_allow_list: row.get(6)?,
            })
        }
    }

    /// The caller behind `secret` calling from `ip`: a live key of a customer account, within
    /// its IP allow-list. Notes when and from where the key was last used.
    pub async fn authenticate(db: &Db, secret: &str, ip: IpAddr) -> Result<ApiCaller, KeyRefused> {
        if !secret.starts_with(KEY_PREFIX) || secret.len() > 200 {
            return Err(KeyRefused::Unknown);
        }
        const SQL: &str =
            "SELECT k.id, k.account_id, k.revoked_at, k.last_used_at, k.last_used_ip, \
                    a.status, a.ip_allow_list \
             FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = $1";
        let row: Option<KeyRow> =
            crate::reader::fetch_optional(db, SQL, hash_token(secret)).await?;
        let row = row.ok_or(KeyRefused::Unknown)?;
        if row.revoked_at.is_some() {
            return Err(KeyRefused::Revoked);
        }
        if AccountStatus::parse(&row.status) == Some(AccountStatus::Staff) {
            return Err(KeyRefused::StaffAccount);
        }
        if !crate::settings::IpAllowList::parse(&row.ip_allow_list)
            .unwrap_or_default()
            .allows(ip)
        {
            return Err(KeyRefused::OutsideAllowList(ip));
        }
        let now = now_ms();
        let ip_text = ip.to_string();
        let stale = row
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USED_EVERY_MS);
        if stale || row.last_used_ip.as_deref() != Some(ip_text.as_str()) {
            sqlx::query("UPDATE api_keys SET last_used_at = $1, last_used_ip = $2 WHERE id = $3")
                .bind(now)
                .bind(&ip_text)
                .bind(row.id)
                .execute(db.pool())
                .await?;
        }
        Ok(ApiCaller {
            key_id: row.id,
            account_id: row.account_id,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::db::testing::all_backends;
        use crate::testing::{customer_account, staff};

        fn ip(s: &str) -> IpAddr {
            s.parse().expect("ip")
        }

        #[tokio::test]
        async fn a_key_is_shown_once_stored_hashed_and_acts_for_its_own_account_only() {
            for t in all_backends().await {
                let alice =
                    customer_account(&t.db, "alice", "alice Ltd", AccountStatus::Normal).await;
                let bob = customer_account(&t.db, "bob", "bob Ltd", AccountStatus::Normal).await;
                let created = create(&t.db, alice, "  Order system ").await.expect("key");
                assert_eq!(created.key.name, "Order system");
                assert!(created.secret.starts_with(KEY_PREFIX), "{}", created.secret);
                assert!(created.secret.starts_with(&created.key.prefix));
                let stored: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM api_keys WHERE key_hash = $1 OR key_hash = $2",
                )
                .bind(&created.secret)
                .bind(hash_token(&created.secret))
                .fetch_one(t.db.pool())
                .await
                .expect("count");
                assert_eq!(stored, 1, "{}: only the hash is stored", t.name);
                let caller = authenticate(&t.db, &created.secret, ip("192.0.2.7"))
                    .await
                    .expect("valid key");
                assert_eq!(caller.account_id, alice, "{}", t.name);
                let listed = list(&t.db, alice).await.expect("list");
                assert_eq!(listed.len(), 1);
                assert_eq!(listed[0].last_used_ip.as_deref(), Some("192.0.2.7"));
                assert!(listed[0].last_used_at.is_some());
                assert!(list(&t.db, bob).await.expect("list").is_empty());
                assert_eq!(
                    revoke(&t.db, bob, created.key.id).await,
                    Err(Error::NotFound),
                    "{}: another account cannot revoke it",
                    t.name
                );
                assert!(matches!(
                    authenticate(&t.db, "ferry_0000", ip("192.0.2.7")).await,
                    Err(KeyRefused::Unknown)
                ));
                assert!(matches!(
                    authenticate(&t.db, "", ip("192.0.2.7")).await,
                    Err(KeyRefused::Unknown)
                ));
                revoke(&t.db, alice, created.key.id).await.expect("revoke");
                revoke(&t.db, alice, created.key.id)
                    .await
                    .expect("revoking twice is fine");
                assert!(
                    matches!(
                        authenticate(&t.db, &created.secret, ip("192.0.2.7")).await,
                        Err(KeyRefused::Revoked)
                    ),
                    "{}",
                    t.name
                );
            }
        }

        #[tokio::test]
        async fn the_allow_list_and_the_key_limit_apply_and_staff_revocations_are_audited() {
            for t in all_backends().await {
                let alice =
                    customer_account(&t.db, "alice", "alice Ltd", AccountStatus::Normal).await;
                let staff = staff(&t.db, "ops").await;
                let key = create(&t.db, alice, "CRM").await.expect("key");
                sqlx::query("UPDATE accounts SET ip_allow_list = '203.0.113.0/24' WHERE id = $1")
                    .bind(alice)
                    .execute(t.db.pool())
                    .await
                    .expect("allow-list");
                assert!(
                    matches!(authenticate(&t.db, &key.secret, ip("192.0.2.7")).await, Err(KeyRefused::OutsideAllowList(refused)) if refused == ip("192.0.2.7"))
                );
                authenticate(&t.db, &key.secret, ip("203.0.113.9"))
                    .await
                    .expect("inside the allow-list");

                assert!(matches!(
                    create(&t.db, alice, "").await,
                    Err(Error::Invalid(_))
                ));
                assert!(matches!(
                    create(&t.db, alice, &"x".repeat(MAX_NAME_CHARS + 1)).await,
                    Err(Error::Invalid(_))
                ));
                for n in 1..MAX_ACTIVE_KEYS {
                    create(&t.db, alice, &format!("key {n}"))
                        .await
                        .expect("key");
                }
                assert!(matches!(
                    create(&t.db, alice, "one too many").await,
                    Err(Error::Conflict(_))
                ));
                assert_eq!(
                    create(&t.db, staff, "staff key").await,
                    Err(Error::Forbidden),
                    "{}: staff accounts have no API keys",
                    t.name
                );

                assert_eq!(
                    revoke_as_staff(&t.db, alice, key.key.id).await,
                    Err(Error::Forbidden),
                    "{}: a customer is not staff",
                    t.name
                );
                revoke_as_staff(&t.db, staff, key.key.id)
                    .await
                    .expect("staff revoke");
                assert_eq!(
                    revoke_as_staff(&t.db, staff, 999_999).await,
                    Err(Error::NotFound)
                );
                let audited: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'api_key.revoke' AND staff_id = $1 AND target_account_id = $2",
                )
                .bind(staff)
                .bind(alice)
                .fetch_one(t.db.pool())
                .await
                .expect("audit");
                assert_eq!(audited, 1, "{}", t.name);
                assert!(matches!(
                    authenticate(&t.db, &key.secret, ip("203.0.113.9")).await,
                    Err(KeyRefused::Revoked)
                ));
                // A revoked key frees its place.
                create(&t.db, alice, "replacement").await.expect("key");
            }
        }
    }
}

//! Accounts, passwords and sessions (§2, §13): creating accounts with their opening credit,
//! Argon2id hashing (a few at a time), signing up and in (allow-list, throttles, timing that
//! does not reveal which logins exist), sessions stored as token hashes, the first staff login.

use super::{hash_token, throttle, AccountStatus, AuthSettings, Role, ValidSignup, Viewer};
use crate::db::{now_ms, Db};
use crate::error::Error;
use crate::ledger::store::{post, Posting};
use crate::ledger::EntryKind;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sms::Money;
use std::net::IpAddr;

/// §2: a new account starts as a trial with HK$5.00 of credit.
pub const TRIAL_CREDIT: Money = Money::hkd(5);

/// Argon2 runs at most this many at once: each takes 19 MiB and a core for ~50 ms, so a
/// burst of sign-ins queues here instead of exhausting memory.
const MAX_CONCURRENT_HASHES: usize = 4;
/// How long a sign-in waits for its turn before being told to try again.
const HASH_QUEUE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A turn at Argon2, or `Throttled` when the queue is too long.
async fn hashing_turn() -> Result<tokio::sync::SemaphorePermit<'static>, Error> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_HASHES);
    match tokio::time::timeout(HASH_QUEUE_TIMEOUT, TURNS.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Error::Throttled(
            "Ferry is handling many sign-ins right now. Try again in a minute.".into(),
        )),
    }
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's recommended minimum.
pub async fn hash_password(password: String) -> Result<String, Error> {
    let _turn = hashing_turn().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| Error::internal("hash task", e))?
    .map_err(|e| Error::internal("hash password", e))
}

pub async fn verify_password(hash: String, password: String) -> Result<bool, Error> {
    let _turn = hashing_turn().await?;
    Ok(
        tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        })
        .await
        .unwrap_or(false),
    )
}

pub struct NewAccount<'a> {
    pub login_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub status: AccountStatus,
    pub company_name: &'a str,
    pub contact_email: &'a str,
    pub mobile: &'a str,
    pub opening_credit: Option<Money>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("this login name is taken")]
    LoginTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::store::LedgerError),
}

/// Creates the account and its opening ledger entry in one transaction: there is never an
/// account whose trial credit is missing from its statement.
pub async fn create_account(db: &Db, new: NewAccount<'_>) -> Result<i64, CreateAccountError> {
    let mut tx = db.begin_write().await?;
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO accounts (login_name, password_hash, role, status, company_name, contact_email, mobile, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.login_name)
    .bind(new.password_hash)
    .bind(new.role.as_str())
    .bind(new.status.as_str())
    .bind(new.company_name)
    .bind(new.contact_email)
    .bind(new.mobile)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await;
    let account_id: i64 = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(CreateAccountError::LoginTaken)
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(credit) = new.opening_credit {
        post(
            &mut tx,
            Posting {
                account_id,
                kind: EntryKind::TrialCredit,
                amount: credit,
                description: "Trial credit",
                reference: Some("signup"),
                created_by: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(account_id)
}

/// Creates a trial account for a validated sign-up from `ip` (throttled per address), signs it
/// in and sends its first mobile verification code. `language` (the portal language it signed
/// up in) becomes the account's, so the code's SMS is in it too. Returns the account and its
/// session token.
pub async fn sign_up(
    db: &Db,
    settings: &AuthSettings,
    new: ValidSignup,
    ip: IpAddr,
    language: &str,
) -> Result<(i64, String), Error> {
    let ValidSignup {
        login_name,
        password,
        company_name,
        contact_email,
        mobile,
    } = new;
    // One address cannot mint trial accounts by the dozen (each one would be HK$5 of SMS).
    let _signup = throttle::claim(
        db,
        &[throttle::Limit::new(
            format!("signup-ip:{}", throttle::ip_key(ip)),
            settings.max_signups_per_ip_per_hour,
            3_600_000,
            "your network address",
        )],
    )
    .await?
    .map_err(|r| {
        Error::Throttled(format!(
            "Too many accounts were created from your network address. {}",
            r.try_again()
        ))
    })?;
    let password_hash = hash_password(password).await?;
    let account_id = create_account(
        db,
        NewAccount {
            login_name: &login_name,
            password_hash: &password_hash,
            role: Role::Customer,
            status: AccountStatus::Trial,
            company_name: &company_name,
            contact_email: &contact_email,
            mobile: mobile.as_str(),
            opening_credit: Some(TRIAL_CREDIT),
        },
    )
    .await
    .map_err(|e| match e {
        CreateAccountError::LoginTaken => Error::field(
            "login_name",
            "This login name is taken. Choose another one.",
        ),
        other => Error::internal("create account", other),
    })?;
    tracing::info!(account_id, login = %login_name, ip = %ip, "account created");
    set_language(db, account_id, language).await?;
    // A new customer is signed in straight away; the sign-in is recorded like any other.
    record_login_attempt(db, &login_name, Some(account_id), ip, true).await?;
    let token = create_session(db, account_id, ip, settings).await?;
    // The trial credit can be spent once the registered mobile is proven; the first code goes
    // now. A refusal here (the number had too many codes today) leaves the account usable:
    // its owner can ask for a code later from the account page.
    if let Err(e) = super::verify::send_verification(db, account_id, ip).await {
        tracing::warn!(account_id, error = %e, "first verification code not sent");
    }
    Ok((account_id, token))
}

/// Signs `login_name` (normalised) in from `ip`: the allow-list first, then the throttles,
/// then the password, then, for an account with two-factor sign-in, `second_factor` (a TOTP
/// or recovery code). Returns the account and its new session token.
///
/// A right password without the code it needs is answered on the `code` field and counts as
/// no attempt; a wrong code counts as a failed one, under the same throttles as a password.
pub async fn sign_in(
    db: &Db,
    settings: &AuthSettings,
    login_name: &str,
    password: &str,
    second_factor: Option<&str>,
    ip: IpAddr,
) -> Result<(i64, String), Error> {
    let account: Option<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, password_hash, ip_allow_list, \
                CAST(CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) \
         FROM accounts WHERE login_name = $1",
    )
    .bind(login_name)
    .fetch_optional(db.pool())
    .await?;
    // The allow-list is checked before the password, so its refusal says nothing about
    // whether the password was right.
    let allow_list = account
        .as_ref()
        .map(|(_, _, list, _)| crate::settings::IpAllowList::parse(list).unwrap_or_default());
    if let (Some((id, _, _, _)), Some(list)) = (&account, &allow_list) {
        if !list.allows(ip) {
            tracing::warn!(account_id = id, ip = %ip, "sign-in refused by the IP allow-list");
            record_login_attempt(db, login_name, Some(*id), ip, false).await?;
            return Err(Error::ForbiddenBecause(format!(
                "This account only accepts sign-ins from its IP allow-list, and {} is not on it. Sign in from an allowed network, or ask the Ferry operator to clear the list.",
                ip
            )));
        }
    }
    let trusted = allow_list.is_some_and(|l| !l.is_empty())
        || signed_in_from_here_before(db, login_name, ip).await?;
    let claim = claim_sign_in(db, settings, login_name, ip, trusted).await?;

    let ok = match &account {
        Some((_, hash, _, _)) => verify_password(hash.clone(), password.to_string()).await?,
        None => {
            // Hash anyway, so an unknown login name takes as long as a wrong password and
            // timing does not reveal which login names exist.
            let _ = hash_password(password.to_string()).await?;
            false
        }
    };
    let account_id = account.as_ref().map(|(id, _, _, _)| *id);
    let two_factor = account.as_ref().is_some_and(|(_, _, _, on)| *on == 1);
    if let (Some(id), true) = (account_id, ok) {
        if two_factor {
            let code = second_factor.map(str::trim).unwrap_or_default();
            if code.is_empty() {
                throttle::release(db, claim).await?;
                return Err(Error::field(
                    "code",
                    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
                ));
            }
            if !super::two_factor::check(db, id, code).await? {
                drop(claim);
                record_login_attempt(db, login_name, account_id, ip, false).await?;
                tracing::info!(account_id = id, ip = %ip, "failed second factor");
                return Err(Error::field(
                    "code",
                    "That code is not right, or it was already used. Codes change every 30 seconds.",
                ));
            }
        }
    }
    record_login_attempt(db, login_name, account_id, ip, ok).await?;
    match account_id {
        Some(id) if ok => {
            // This attempt does not count, and this login's failures from this address are
            // forgiven; the address's failures on other logins are not.
            throttle::release(db, claim).await?;
            throttle::forget(db, &pair_key(login_name, ip)).await?;
            tracing::info!(account_id = id, ip = %ip, "signed in");
            let token = create_session(db, id, ip, settings).await?;
            Ok((id, token))
        }
        _ => {
            drop(claim);
            tracing::info!(login = %login_name, ip = %ip, "failed sign-in");
            Err(Error::Invalid(vec![crate::error::FieldError {
                field: "password".into(),
                message: "The login name or password is incorrect.".into(),
            }]))
        }
    }
}

/// The throttle key of one login from one address (IPv6 per /64).
fn pair_key(login_name: &str, ip: IpAddr) -> String {
    format!("login-ip:{login_name}|{}", throttle::ip_key(ip))
}

/// Whether this login signed in successfully from this address in the last 90 days: such an
/// address is not locked out by failures from elsewhere.
async fn signed_in_from_here_before(db: &Db, login_name: &str, ip: IpAddr) -> Result<bool, Error> {
    Ok(sqlx::query(
        "SELECT 1 FROM login_attempts WHERE login_name = $1 AND ip = $2 AND succeeded = 1 AND at > $3 LIMIT 1",
    )
    .bind(login_name)
    .bind(ip.to_string())
    .bind(now_ms() - 90 * 24 * 3_600_000)
    .fetch_optional(db.pool())
    .await?
    .is_some())
}

/// Claims one sign-in attempt, before any password is hashed:
/// - per login and address: `max_failures_per_account` per window, and four times that per
///   day (the back-off for a patient guesser);
/// - per address (IPv6 /64) across logins: `max_failures_per_ip` per window;
/// - per login from addresses it never signed in from, unless the address is on the
///   account's allow-list: `max_failures_per_login` per hour. Its owner, from a known or
///   allowed address, is never locked out by someone else's guesses.
pub async fn claim_sign_in(
    db: &Db,
    settings: &AuthSettings,
    login_name: &str,
    ip: IpAddr,
    trusted_address: bool,
) -> Result<throttle::Claim, Error> {
    let window = i64::try_from(settings.throttle_window.as_millis()).unwrap_or(i64::MAX / 2);
    let pair = pair_key(login_name, ip);
    let mut limits = vec![
        throttle::Limit::new(
            &pair,
            settings.max_failures_per_account,
            window,
            "this account from your network address",
        ),
        throttle::Limit::new(
            &pair,
            settings.max_failures_per_account * 4,
            24 * 3_600_000,
            "this account from your network address",
        ),
        throttle::Limit::new(
            format!("ip:{}", throttle::ip_key(ip)),
            settings.max_failures_per_ip,
            window,
            "your network address",
        ),
    ];
    if !trusted_address {
        limits.push(throttle::Limit::new(
            format!("login:{login_name}"),
            settings.max_failures_per_login,
            3_600_000,
            "this account",
        ));
    }
    match throttle::claim(db, &limits).await? {
        Ok(claim) => Ok(claim),
        Err(refusal) => {
            tracing::warn!(login = %login_name, %ip, whom = refusal.whom, "sign-in throttled");
            Err(Error::Throttled(format!(
                "Too many failed sign-in attempts for {}. {}",
                refusal.whom,
                refusal.try_again()
            )))
        }
    }
}

/// Ends the session with this token hash (signing out).
pub async fn end_session(db: &Db, token_hash: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Creates a session and returns its token (256 random bits); only the token's hash is stored.
pub async fn create_session(
    db: &Db,
    account_id: i64,
    ip: IpAddr,
    settings: &AuthSettings,
) -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = now_ms();
    let ttl_ms = i64::try_from(settings.session_ttl.as_millis()).unwrap_or(i64::MAX / 2);
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, ip, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(&token))
    .bind(account_id)
    .bind(ip.to_string())
    .bind(now)
    .bind(now + ttl_ms)
    .execute(db.pool())
    .await?;
    Ok(token)
}

/// A live session: the viewer, the token's hash, and the account's IP allow-list (text).
pub struct ResolvedSession {
    pub viewer: Viewer,
    pub token_hash: String,
    pub ip_allow_list: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    account_id: i64,
    login_name: String,
    company_name: String,
    role: String,
    status: String,
    balance_minor: i64,
    ip_allow_list: String,
    two_factor: i64,
    language: Option<String>,
}

/// The account behind a session token, if the session exists and has not expired.
pub async fn resolve_session(db: &Db, token: &str) -> Result<Option<ResolvedSession>, sqlx::Error> {
    let token_hash = hash_token(token);
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT a.id AS account_id, a.login_name AS login_name, a.company_name AS company_name, \
                a.role AS role, a.status AS status, a.balance_minor AS balance_minor, \
                a.ip_allow_list AS ip_allow_list, a.language AS language, \
                CAST(CASE WHEN a.totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS two_factor \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(&token_hash)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (Some(role), Some(status)) = (Role::parse(&row.role), AccountStatus::parse(&row.status))
    else {
        tracing::error!(role = %row.role, status = %row.status, "account row with unknown role or status");
        return Ok(None);
    };
    Ok(Some(ResolvedSession {
        viewer: Viewer {
            account_id: row.account_id,
            login_name: row.login_name,
            company_name: row.company_name,
            role,
            status,
            balance: Money::from_minor(row.balance_minor),
            two_factor: row.two_factor == 1,
            language: row.language,
        },
        token_hash,
        ip_allow_list: row.ip_allow_list,
    }))
}

/// Remembers the portal language `account_id` chose (`tag` as the portal names it).
pub async fn set_language(db: &Db, account_id: i64, tag: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2")
        .bind(tag)
        .bind(account_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A password change as typed: the current password and the new one twice.
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub confirmation: String,
}

/// Changes `viewer`'s password (wrong current passwords throttled like sign-ins) and ends every
/// other session of the account; `keep_session` is the hash of the caller's own.
pub async fn change_password(
    db: &Db,
    settings: &AuthSettings,
    viewer: &Viewer,
    change: PasswordChange,
    keep_session: Option<String>,
) -> Result<(), Error> {
    use super::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
    let PasswordChange {
        current,
        new,
        confirmation: confirm,
    } = change;
    let mut errors = crate::error::FieldErrors::default();
    let len = new.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
        errors.add(
            "new_password",
            format!("Use {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters."),
        );
    } else if new.to_lowercase() == viewer.login_name {
        errors.add("new_password", "The password must not be the login name.");
    }
    if confirm != new {
        errors.add(
            "new_password_confirmation",
            "The two new passwords do not match.",
        );
    }
    errors.into_result()?;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(viewer.account_id)
        .fetch_one(db.pool())
        .await?;
    // A stolen session must not become a way to guess the password.
    let claim = throttle::claim(
        db,
        &[throttle::Limit::new(
            format!("password-change:{}", viewer.account_id),
            settings.max_failures_per_account,
            i64::try_from(settings.throttle_window.as_millis()).unwrap_or(i64::MAX / 2),
            "this account",
        )],
    )
    .await?
    .map_err(|r| {
        Error::Throttled(format!(
            "Too many wrong current passwords. {}",
            r.try_again()
        ))
    })?;
    if !verify_password(hash, current).await? {
        drop(claim);
        return Err(Error::field(
            "current_password",
            "The current password is incorrect.",
        ));
    }
    throttle::release(db, claim).await?;
    let new_hash = hash_password(new).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(new_hash)
        .bind(viewer.account_id)
        .execute(&mut *tx)
        .await?;
    // Every other sign-in of this account ends: a changed password should lock out whoever
    // knew the old one.
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(viewer.account_id)
        .bind(keep_session.unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a session with this token hash exists and has not expired.
pub async fn session_exists(db: &Db, token_hash: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now_ms())
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

pub async fn record_login_attempt(
    db: &Db,
    login_name: &str,
    account_id: Option<i64>,
    ip: IpAddr,
    succeeded: bool,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO login_attempts (login_name, account_id, ip, succeeded, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(login_name)
    .bind(account_id)
    .bind(ip.to_string())
    .bind(i64::from(succeeded))
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// On first start there is no staff account: create `admin` with a random password and return
/// it so the caller can print it once. Returns `None` when a staff account already exists.
pub async fn ensure_first_staff(db: &Db) -> Result<Option<(String, String)>, Error> {
    let staff: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE role = 'staff'")
        .fetch_one(db.pool())
        .await?;
    if staff > 0 {
        return Ok(None);
    }
    let password = random_password();
    let hash = hash_password(password.clone()).await?;
    match create_account(
        db,
        NewAccount {
            login_name: "admin",
            password_hash: &hash,
            role: Role::Staff,
            status: AccountStatus::Staff,
            company_name: "Ferry staff",
            contact_email: "admin@localhost",
            mobile: "",
            opening_credit: None,
        },
    )
    .await
    {
        Ok(_) => Ok(Some(("admin".to_string(), password))),
        // Another process created it between our count and insert.
        Err(CreateAccountError::LoginTaken) => Ok(None),
        Err(e) => Err(Error::internal("create staff", e)),
    }
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I): ~115 bits.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::all_backends;
    use crate::ledger::store::balance_and_entry_sum;

    async fn customer(db: &Db, login: &str) -> i64 {
        create_account(
            db,
            NewAccount {
                login_name: login,
                password_hash: "h",
                role: Role::Customer,
                status: AccountStatus::Trial,
                company_name: "Co",
                contact_email: "a@b.example",
                mobile: "85291234567",
                opening_credit: Some(TRIAL_CREDIT),
            },
        )
        .await
        .expect("create")
    }

    #[tokio::test]
    async fn a_new_trial_account_has_hk5_as_a_ledger_entry() {
        for t in all_backends().await {
            let id = customer(&t.db, "trial").await;
            let mut conn = t.db.pool().acquire().await.expect("conn");
            let (balance, sum) = balance_and_entry_sum(&mut conn, id).await.expect("sums");
            assert_eq!(balance, Money::hkd(5), "{}", t.name);
            assert_eq!(sum, Money::hkd(5), "{}", t.name);
            let kind: String =
                sqlx::query_scalar("SELECT kind FROM ledger_entries WHERE account_id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await
                    .expect("entry");
            assert_eq!(kind, "trial_credit", "{}", t.name);
        }
    }

    #[tokio::test]
    async fn a_taken_login_name_is_refused_without_a_second_account_or_entry() {
        for t in all_backends().await {
            customer(&t.db, "taken").await;
            let err = create_account(
                &t.db,
                NewAccount {
                    login_name: "taken",
                    password_hash: "h",
                    role: Role::Customer,
                    status: AccountStatus::Trial,
                    company_name: "Co",
                    contact_email: "a@b.example",
                    mobile: "85291234567",
                    opening_credit: Some(TRIAL_CREDIT),
                },
            )
            .await
            .expect_err("duplicate");
            assert!(matches!(err, CreateAccountError::LoginTaken), "{}", t.name);
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries")
                .fetch_one(t.db.pool())
                .await
                .expect("count");
            assert_eq!(n, 1, "{}", t.name);
        }
    }

    #[tokio::test]
    async fn sessions_resolve_until_they_expire() {
        for t in all_backends().await {
            let id = customer(&t.db, "sess").await;
            let ip: IpAddr = "192.0.2.7".parse().expect("ip");
            let token = create_session(&t.db, id, ip, &AuthSettings::default())
                .await
                .expect("session");
            let viewer = resolve_session(&t.db, &token)
                .await
                .expect("query")
                .expect("live session")
                .viewer;
            assert_eq!(viewer.account_id, id);
            assert_eq!(viewer.balance, Money::hkd(5));
            assert!(resolve_session(&t.db, "not-a-token")
                .await
                .expect("q")
                .is_none());
            sqlx::query("UPDATE sessions SET expires_at = 0")
                .execute(t.db.pool())
                .await
                .expect("expire");
            assert!(
                resolve_session(&t.db, &token).await.expect("q").is_none(),
                "{}",
                t.name
            );
        }
    }

    #[tokio::test]
    async fn sign_in_is_throttled_per_login_and_address_per_address_and_per_login_from_strangers() {
        for t in all_backends().await {
            let settings = AuthSettings::default();
            let home: IpAddr = "198.51.100.1".parse().expect("ip");
            let elsewhere: IpAddr = "198.51.100.2".parse().expect("ip");
            for _ in 0..5 {
                let _ = claim_sign_in(&t.db, &settings, "victim", home, false)
                    .await
                    .expect("room");
            }
            let err = claim_sign_in(&t.db, &settings, "victim", home, false)
                .await
                .expect_err("this login from this address is locked");
            assert!(
                err.to_string().contains("Try again in 15 minutes"),
                "{}: {err}",
                t.name
            );
            // Guessing from one address does not lock the owner out of another.
            let _ = claim_sign_in(&t.db, &settings, "victim", elsewhere, false)
                .await
                .expect("another address");

            // One address across many logins: 20 per window.
            let scanner: IpAddr = "2001:db8:7:7::1".parse().expect("ip");
            let same_64: IpAddr = "2001:db8:7:7::ffff".parse().expect("ip");
            for i in 0..20 {
                let _ = claim_sign_in(&t.db, &settings, &format!("u{i}"), scanner, false)
                    .await
                    .expect("room");
            }
            let err = claim_sign_in(&t.db, &settings, "fresh", same_64, false)
                .await
                .expect_err("the /64 is throttled");
            assert!(err.to_string().contains("network address"), "{err}");

            // One login from many strangers: 50 an hour, then only its known or allowed
            // addresses get in.
            for i in 0..50u8 {
                let ip = IpAddr::from([203, 0, 113, i]);
                let _ = claim_sign_in(&t.db, &settings, "admin", ip, false)
                    .await
                    .expect("room");
            }
            let err = claim_sign_in(&t.db, &settings, "admin", [203, 0, 113, 200].into(), false)
                .await
                .expect_err("login locked for strangers");
            assert!(err.to_string().contains("for this account."), "{err}");
            let _ = claim_sign_in(&t.db, &settings, "admin", [192, 0, 2, 1].into(), true)
                .await
                .expect("the owner's known address still gets in");
        }
    }

    #[tokio::test]
    async fn signing_in_to_ones_own_account_does_not_forgive_an_addresss_failures_elsewhere() {
        for t in all_backends().await {
            let settings = AuthSettings::default();
            let ip: IpAddr = "198.51.100.20".parse().expect("ip");
            for i in 0..19 {
                let _ = claim_sign_in(&t.db, &settings, &format!("victim{i}"), ip, false)
                    .await
                    .expect("room");
            }
            // The attacker signs in to their own account from the same address: that attempt
            // is given back and their own pair forgotten, as `login` does on success.
            let own = claim_sign_in(&t.db, &settings, "attacker", ip, false)
                .await
                .expect("room");
            throttle::release(&t.db, own).await.expect("release");
            throttle::forget(&t.db, &pair_key("attacker", ip))
                .await
                .expect("forget");
            let _ = claim_sign_in(&t.db, &settings, "victim19", ip, false)
                .await
                .expect("the 20th failure");
            let err = claim_sign_in(&t.db, &settings, "victim20", ip, false)
                .await
                .expect_err("the address is still throttled");
            assert!(
                err.to_string().contains("network address"),
                "{}: {err}",
                t.name
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_wrong_passwords_never_exceed_the_limit() {
        for t in all_backends().await {
            let settings = AuthSettings::default();
            let ip: IpAddr = "198.51.100.9".parse().expect("ip");
            let tasks: Vec<_> = (0..30)
                .map(|_| {
                    let db = t.db.clone();
                    let settings = settings.clone();
                    tokio::spawn(async move {
                        claim_sign_in(&db, &settings, "target", ip, false)
                            .await
                            .is_ok()
                    })
                })
                .collect();
            let mut passed = 0;
            for task in tasks {
                passed += usize::from(task.await.expect("task"));
            }
            assert_eq!(passed, 5, "{}", t.name);
        }
    }

    #[tokio::test]
    async fn first_start_creates_one_staff_account_with_a_random_password() {
        for t in all_backends().await {
            let (login, password) = ensure_first_staff(&t.db)
                .await
                .expect("ok")
                .expect("created");
            assert_eq!(login, "admin");
            assert_eq!(password.len(), 20);
            assert!(
                ensure_first_staff(&t.db).await.expect("ok").is_none(),
                "{}",
                t.name
            );
            let hash: String =
                sqlx::query_scalar("SELECT password_hash FROM accounts WHERE login_name = 'admin'")
                    .fetch_one(t.db.pool())
                    .await
                    .expect("row");
            assert!(hash.starts_with("$argon2id$"));
            assert!(verify_password(hash.clone(), password).await.expect("turn"));
            assert!(!verify_password(hash, "wrong".into()).await.expect("turn"));
        }
    }
}

//! Accounts and sign-in (§2, §13): attempt counters that throttle guesses, the access log,
//! mobile verification codes, and the one way a secret token is stored (its hash).

use serde::{Deserialize, Serialize};
use sms::{Money, Msisdn};
use std::time::Duration;

#[cfg(feature = "storage")]
pub mod access_log;
#[cfg(feature = "storage")]
pub mod accounts;
#[cfg(feature = "storage")]
pub mod reset;
#[cfg(feature = "storage")]
pub mod throttle;
#[cfg(feature = "storage")]
pub mod two_factor;
#[cfg(feature = "storage")]
pub mod verify;

/// How a secret token (session, code) is stored: the hex SHA-256 of it, never the token.
#[cfg(feature = "storage")]
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The tables of one-time codes sent by SMS (`reset` and `verify`); each row has its
/// `code_hash`, `attempts` and `used_at`.
#[cfg(feature = "storage")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeTable {
    MobileVerifications,
    PasswordResets,
}

#[cfg(feature = "storage")]
impl CodeTable {
    fn name(self) -> &'static str {
        match self {
            CodeTable::MobileVerifications => "mobile_verifications",
            CodeTable::PasswordResets => "password_resets",
        }
    }
}

/// Takes one of a code's attempts before it is compared, in one guarded UPDATE, so parallel
/// guesses each use up an attempt.
#[cfg(feature = "storage")]
async fn claim_code_attempt(
    db: &crate::db::Db,
    table: CodeTable,
    id: i64,
) -> Result<bool, crate::Error> {
    let sql = format!(
        "UPDATE {} SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2",
        table.name()
    );
    Ok(sqlx::query(&sql)
        .bind(id)
        .bind(verify::MAX_CODE_ATTEMPTS)
        .execute(db.pool())
        .await?
        .rows_affected()
        == 1)
}

/// Whether `typed` is the code stored as `stored_hash`. The attempt is spent first, so a code
/// whose attempts are used up is refused even when the guess is right.
#[cfg(feature = "storage")]
pub(crate) async fn check_code(
    db: &crate::db::Db,
    table: CodeTable,
    id: i64,
    stored_hash: &str,
    typed: &str,
) -> Result<bool, crate::Error> {
    Ok(claim_code_attempt(db, table, id).await? && stored_hash == hash_token(typed))
}

/// Marks a checked code used in the caller's transaction; false when a parallel request with
/// the same code used it first, so each code takes effect once.
#[cfg(feature = "storage")]
pub(crate) async fn use_code(
    conn: &mut sqlx::AnyConnection,
    table: CodeTable,
    id: i64,
    now: i64,
) -> Result<bool, crate::Error> {
    let sql = format!(
        "UPDATE {} SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        table.name()
    );
    Ok(sqlx::query(&sql)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Customer,
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "customer" => Some(Role::Customer),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// Trial accounts may only send to their own registered mobile (§2) until staff approve the
/// business registration; staff accounts never send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountStatus {
    Trial,
    Normal,
    Staff,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Trial => "trial",
            AccountStatus::Normal => "normal",
            AccountStatus::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<AccountStatus> {
        match s {
            "trial" => Some(AccountStatus::Trial),
            "normal" => Some(AccountStatus::Normal),
            "staff" => Some(AccountStatus::Staff),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::Trial => "Trial",
            AccountStatus::Normal => "Normal",
            AccountStatus::Staff => "Staff",
        }
    }
}

/// Who is looking at the page: the signed-in account, as the portal shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub account_id: i64,
    pub login_name: String,
    pub company_name: String,
    pub role: Role,
    pub status: AccountStatus,
    pub balance: Money,
    /// Signs in with a TOTP code as well as the password.
    pub two_factor: bool,
    /// The portal language this person chose (a BCP 47 tag), if they chose one.
    pub language: Option<String>,
}

impl Viewer {
    pub fn is_staff(&self) -> bool {
        self.role == Role::Staff
    }

    /// A staff member who may use staff powers: only once two-factor sign-in is set up
    /// (§13). Until then a staff login reaches nothing but the page that sets it up.
    pub fn acts_as_staff(&self) -> bool {
        self.is_staff() && self.two_factor
    }

    /// A staff login that must set up two-factor sign-in before anything else.
    pub fn needs_two_factor_setup(&self) -> bool {
        self.is_staff() && !self.two_factor
    }
}

/// Settings the sign-in code needs, taken from Ferry's configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub session_ttl: Duration,
    /// Adds `Secure` to the session cookie; on whenever Ferry is served over HTTPS.
    pub secure_cookies: bool,
    /// Failed sign-ins per login from one address, per window (four times as many per day).
    pub max_failures_per_account: i64,
    /// Failed sign-ins from one address (IPv6: one /64) across logins, per window.
    pub max_failures_per_ip: i64,
    /// Failed sign-ins per login per hour from addresses it never signed in from.
    pub max_failures_per_login: i64,
    pub throttle_window: Duration,
    /// Sign-ups per address per hour.
    pub max_signups_per_ip_per_hour: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            max_failures_per_account: 5,
            max_failures_per_ip: 20,
            max_failures_per_login: 50,
            throttle_window: Duration::from_secs(15 * 60),
            max_signups_per_ip_per_hour: 10,
        }
    }
}

/// A sign-up that passed validation: the login name is normalised and the mobile is E.164.
#[derive(Debug)]
pub struct ValidSignup {
    pub login_name: String,
    pub password: String,
    pub company_name: String,
    pub contact_email: String,
    pub mobile: Msisdn,
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 128;

/// Login names are compared case-insensitively, so they are stored lower-case.
pub fn normalize_login_name(input: &str) -> String {
    input.trim().to_lowercase()
}

// Password reset by SMS code (`reset`).
/// Codes sent per account per hour (more requests get the same answer and no SMS).
pub const MAX_REQUESTS_PER_HOUR: i64 = 3;
/// Reset requests per address per hour.
pub const MAX_REQUESTS_PER_IP_PER_HOUR: i64 = 10;
/// Wrong codes per account per day (each code also allows at most 5 guesses).
pub const MAX_GUESSES_PER_DAY: i64 = 10;

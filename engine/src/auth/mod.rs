//! Accounts and sign-in (§2, §13): attempt counters that throttle guesses, the access log,
//! mobile verification codes, and the one way a secret token is stored (its hash).

use serde::{Deserialize, Serialize};
use sms::Money;

#[cfg(feature = "storage")]
pub mod access_log;
#[cfg(feature = "storage")]
pub mod throttle;
#[cfg(feature = "storage")]
pub mod verify;

/// How a secret token (session, code) is stored: the hex SHA-256 of it, never the token.
#[cfg(feature = "storage")]
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
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
}

impl Viewer {
    pub fn is_staff(&self) -> bool {
        self.role == Role::Staff
    }
}

//! Password reset by SMS code (§13): one uniform answer whatever the login, codes limited per
//! address, per account and per code, and a new password ending every other session.

use super::{MAX_GUESSES_PER_DAY, MAX_REQUESTS_PER_HOUR, MAX_REQUESTS_PER_IP_PER_HOUR};
use crate::db::Db;
use crate::error::Error;
use std::net::IpAddr;

use super::verify::{clean_code, one_time_code, send_code_sms, CODE_DIGITS, CODE_TTL_MS};
use super::{check_code, use_code, CodeTable};
use super::{normalize_login_name, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::auth::throttle::{self, Limit};
use crate::db::now_ms;
use crate::delivery::store::{create_batch, BatchError, NewBatch, Unsent};
use crate::error::FieldErrors;
use sms::Msisdn;

const HOUR_MS: i64 = 3_600_000;

/// Asks for a reset code. The answer is the same whether the login exists, whether its
/// balance pays for the SMS and whether its per-account limit was reached: nothing about
/// an account can be learnt from it. Only the caller's own address is limited visibly.
pub async fn request(db: &Db, login_name: &str, ip: IpAddr) -> Result<(), Error> {
    let login = normalize_login_name(login_name);
    if login.is_empty() || login.len() > 64 {
        return Err(Error::field("login_name", "Enter your login name."));
    }
    let _by_address = throttle::claim(
        db,
        &[Limit::new(
            format!("reset-request-ip:{}", throttle::ip_key(ip)),
            MAX_REQUESTS_PER_IP_PER_HOUR,
            HOUR_MS,
            "your network address",
        )],
    )
    .await?
    .map_err(|r| {
        Error::Throttled(format!(
            "Too many reset requests from your network address. {}",
            r.try_again()
        ))
    })?;
    let account: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, mobile FROM accounts WHERE login_name = $1 AND role = 'customer'",
    )
    .bind(&login)
    .fetch_optional(db.pool())
    .await?;
    let Some((account_id, mobile)) = account else {
        return Ok(());
    };
    if throttle::claim(
        db,
        &[Limit::new(
            format!("reset-request-account:{account_id}"),
            MAX_REQUESTS_PER_HOUR,
            HOUR_MS,
            "this account",
        )],
    )
    .await?
    .is_err()
    {
        tracing::info!(
            account_id,
            "reset request over the per-account limit: no code sent"
        );
        return Ok(());
    }
    let number = match Msisdn::parse(&mobile, sms::msisdn::HONG_KONG_CODE) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(account_id, error = %e, "reset requested for an account whose registered mobile is not a number: no code sent");
            return Ok(());
        }
    };
    let code = one_time_code();
    let text = super::verify::code_text(
        super::verify::account_language(db, account_id)
            .await?
            .as_deref(),
        super::verify::CodeKind::PasswordReset,
        &code,
    );
    match send_code_sms(
        db,
        account_id,
        &number,
        "Password reset code",
        text.clone(),
        true,
    )
    .await?
    {
        Ok(batch_id) => {
            let now = now_ms();
            sqlx::query(
                "INSERT INTO password_resets (account_id, code_hash, batch_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(account_id)
            .bind(super::hash_token(&code))
            .bind(batch_id)
            .bind(now + CODE_TTL_MS)
            .bind(now)
            .execute(db.pool())
            .await?;
            tracing::info!(account_id, batch_id, "password reset code sent");
        }
        Err(BatchError::InsufficientBalance { .. }) => {
            // §2: the reset fails with 16 Insufficient Balance. The account's owner sees
            // it in Delivery Results; the caller's answer stays the same.
            let route =
                sms::Route::for_destination(number.destination(), sms::HkRouteChoice::Business);
            let refused = NewBatch {
                content: "Password reset code".into(),
                final_text: "(not sent: insufficient balance)".into(),
                validity_minutes: 15,
                unsent: vec![Unsent::insufficient_balance(number.as_str().to_string())],
                ..NewBatch::on_route(account_id, route, &text, [])
            };
            let batch_id = create_batch(db, &refused)
                .await
                .map_err(|e| Error::internal("reset refusal", e))?;
            tracing::info!(
                account_id,
                batch_id,
                "password reset code not sent: 16 Insufficient Balance"
            );
        }
        Err(e) => return Err(Error::internal("reset batch", e)),
    }
    Ok(())
}

pub async fn reset(
    db: &Db,
    login_name: &str,
    code: &str,
    new: String,
    confirm: String,
    ip: IpAddr,
) -> Result<(), Error> {
    let login = normalize_login_name(login_name);
    let mut errors = FieldErrors::default();
    let len = new.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
        errors.add(
            "new_password",
            format!("Use {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters."),
        );
    }
    if confirm != new {
        errors.add(
            "new_password_confirmation",
            "The two new passwords do not match.",
        );
    }
    let code = clean_code(code);
    if code.is_none() {
        errors.add(
            "code",
            format!("Enter the {CODE_DIGITS}-digit code from the SMS."),
        );
    }
    errors.into_result()?;
    let code = code.unwrap_or_default();
    let wrong = || {
        Error::field(
            "code",
            "This code is wrong or has expired. Request a new one.",
        )
    };
    let now = now_ms();
    // Guesses are limited per address before anything is looked up…
    let by_address = throttle::claim(
        db,
        &[Limit::new(
            format!("reset-guess-ip:{}", throttle::ip_key(ip)),
            MAX_GUESSES_PER_DAY * 2,
            24 * HOUR_MS,
            "your network address",
        )],
    )
    .await?
    .map_err(|r| Error::Throttled(format!("Too many wrong codes. {}", r.try_again())))?;
    let (reset_id, hash, account_id): (i64, String, i64) = sqlx::query_as(
        "SELECT r.id, r.code_hash, a.id FROM password_resets r JOIN accounts a ON a.id = r.account_id              WHERE a.login_name = $1 AND r.used_at IS NULL AND r.expires_at > $2 ORDER BY r.id DESC LIMIT 1",
    )
    .bind(&login)
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(wrong)?;
    // …and per account per day, and each code takes one attempt before it is compared.
    let by_account = throttle::claim(
        db,
        &[Limit::new(
            format!("reset-guess-account:{account_id}"),
            MAX_GUESSES_PER_DAY,
            24 * HOUR_MS,
            "this account",
        )],
    )
    .await?
    .map_err(|r| {
        Error::Throttled(format!(
            "Too many wrong codes for this account. {}",
            r.try_again()
        ))
    })?;
    if !check_code(db, CodeTable::PasswordResets, reset_id, &hash, &code).await? {
        return Err(wrong());
    }
    let new_hash = super::accounts::hash_password(new).await?;
    let mut tx = db.begin_write().await?;
    if !use_code(&mut tx, CodeTable::PasswordResets, reset_id, now).await? {
        return Err(wrong());
    }
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(new_hash)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    throttle::release(db, by_address).await?;
    throttle::release(db, by_account).await?;
    Ok(())
}

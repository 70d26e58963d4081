//! One-time codes by SMS: proving a trial account's registered mobile (so its trial credit
//! can only ever reach its owner's own phone, §2), and the codes password reset sends.
//!
//! A code is 8 random digits, stored only as its SHA-256, valid 15 minutes and for at most
//! [`MAX_CODE_ATTEMPTS`] guesses; each guess claims its attempt atomically before it is
//! compared, so parallel guesses cannot share one. Sending is throttled per number, per
//! account and per address, so a stranger cannot flood someone's phone.

use super::{check_code, use_code, CodeTable};
use crate::auth::throttle::{self, Limit};
use crate::db::{now_ms, Db};
use crate::delivery::store::{create_batch, BatchError, NewBatch};
use crate::error::Error;
use rand::Rng;
use sms::{HkRouteChoice, Money, Msisdn, Route};
use std::net::IpAddr;

pub const CODE_DIGITS: usize = 8;
pub const CODE_TTL_MS: i64 = 15 * 60 * 1000;
pub const MAX_CODE_ATTEMPTS: i64 = 5;
const DAY_MS: i64 = 24 * 3_600_000;

/// 8 random digits.
pub fn one_time_code() -> String {
    let n: u32 = rand::rngs::OsRng.gen_range(0..100_000_000);
    format!("{n:0width$}", width = CODE_DIGITS)
}

/// Whether `code` has the shape of a code (8 digits, spaces allowed between them).
pub fn clean_code(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Sends `text` to `number` as a one-recipient batch of `account_id`, on the number's route
/// (HK Business for Hong Kong). `charged`: at the price list's price, as any SMS (password
/// reset, §2); otherwise free, an SMS the installation sends on its own account.
pub async fn send_code_sms(
    db: &Db,
    account_id: i64,
    number: &Msisdn,
    label: &str,
    text: String,
    charged: bool,
) -> Result<Result<i64, BatchError>, Error> {
    let route = Route::for_destination(number.destination(), HkRouteChoice::Business);
    let price = if charged {
        crate::pricing::store::current(db, now_ms())
            .await?
            .unit_price(route, number.as_str())
            .ok_or_else(|| Error::internal("code price", "no price for the route"))?
    } else {
        Money::ZERO
    };
    let batch = NewBatch {
        purpose: if charged {
            "notification".into()
        } else {
            crate::delivery::store::VERIFICATION_PURPOSE.into()
        },
        content: label.into(),
        validity_minutes: 15,
        ..NewBatch::on_route(
            account_id,
            route,
            &text,
            [(number.as_str().to_string(), price)],
        )
    };
    Ok(create_batch(db, &batch).await)
}

/// The account's mobile verification state: `None` when verified (or not a trial account).
pub async fn pending_mobile(db: &Db, account_id: i64) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT mobile FROM accounts WHERE id = $1 AND status = 'trial' AND mobile_verified_at IS NULL",
    )
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?)
}

/// What a one-time code is for.
#[derive(Debug, Clone, Copy)]
pub enum CodeKind {
    Verification,
    PasswordReset,
}

/// The portal language the account chose (or signed up in), as its tag.
pub async fn account_language(db: &Db, account_id: i64) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar("SELECT language FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?
            .flatten(),
    )
}

/// The SMS carrying a one-time code, in the account's language (Traditional Chinese for any
/// `zh` tag, else English). Both fit one part: 160 GSM-7 or 70 UCS-2 characters.
pub fn code_text(language: Option<&str>, kind: CodeKind, code: &str) -> String {
    let chinese = language.is_some_and(|tag| tag.to_ascii_lowercase().starts_with("zh"));
    match (kind, chinese) {
        (CodeKind::Verification, false) => format!(
            "Your Ferry verification code is {code}. It expires in 15 minutes. Do not share it."
        ),
        (CodeKind::Verification, true) => {
            format!("你的 Ferry 驗證碼為 {code}，15 分鐘內有效，請勿向他人透露。")
        }
        (CodeKind::PasswordReset, false) => format!(
            "Your Ferry password reset code is {code}. It expires in 15 minutes. Do not share it."
        ),
        (CodeKind::PasswordReset, true) => {
            format!("你的 Ferry 重設密碼驗證碼為 {code}，15 分鐘內有效，請勿向他人透露。")
        }
    }
}

/// Sends a new verification code to the account's registered mobile.
pub async fn send_verification(db: &Db, account_id: i64, ip: IpAddr) -> Result<(), Error> {
    let Some(mobile) = pending_mobile(db, account_id).await? else {
        return Err(Error::Conflict(
            "This account's mobile number is already verified.".into(),
        ));
    };
    let number = Msisdn::parse(&mobile, sms::msisdn::HONG_KONG_CODE)
        .map_err(|e| Error::internal("registered mobile", e))?;
    let claim = throttle::claim(
        db,
        &[
            Limit::new(
                format!("verify-send-number:{mobile}"),
                3,
                DAY_MS,
                "this mobile number",
            ),
            Limit::new(
                format!("verify-send-account:{account_id}"),
                5,
                DAY_MS,
                "this account",
            ),
            Limit::new(
                format!("verify-send-ip:{}", throttle::ip_key(ip)),
                10,
                DAY_MS,
                "your network address",
            ),
        ],
    )
    .await?
    .map_err(|r| {
        Error::Throttled(format!(
            "Too many verification codes were sent for {}. {}",
            r.whom,
            r.try_again()
        ))
    })?;
    let code = one_time_code();
    let text = code_text(
        account_language(db, account_id).await?.as_deref(),
        CodeKind::Verification,
        &code,
    );
    let batch_id = match send_code_sms(
        db,
        account_id,
        &number,
        "Mobile verification code",
        text,
        false,
    )
    .await?
    {
        Ok(id) => id,
        Err(e) => {
            throttle::release(db, claim).await?;
            return Err(Error::internal("verification batch", e));
        }
    };
    let now = now_ms();
    sqlx::query(
        "INSERT INTO mobile_verifications (account_id, mobile, code_hash, batch_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(&mobile)
    .bind(super::hash_token(&code))
    .bind(batch_id)
    .bind(now + CODE_TTL_MS)
    .bind(now)
    .execute(db.pool())
    .await?;
    tracing::info!(account_id, batch_id, "mobile verification code sent");
    Ok(())
}

/// Checks a verification code; on success the account's mobile is verified.
pub async fn confirm_verification(db: &Db, account_id: i64, code: &str) -> Result<(), Error> {
    let wrong = || {
        Error::field(
            "code",
            "This code is wrong or has expired. Check the SMS, or send a new code.",
        )
    };
    let code = clean_code(code).ok_or_else(|| {
        Error::field(
            "code",
            format!("Enter the {CODE_DIGITS}-digit code from the SMS."),
        )
    })?;
    if pending_mobile(db, account_id).await?.is_none() {
        return Ok(());
    }
    let guess = throttle::claim(
        db,
        &[Limit::new(
            format!("verify-guess:{account_id}"),
            10,
            DAY_MS,
            "this account",
        )],
    )
    .await?
    .map_err(|r| Error::Throttled(format!("Too many wrong codes. {}", r.try_again())))?;
    let (id, hash): (i64, String) = sqlx::query_as(
        "SELECT id, code_hash FROM mobile_verifications \
         WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(wrong)?;
    if !check_code(db, CodeTable::MobileVerifications, id, &hash, &code).await? {
        return Err(wrong());
    }
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    if !use_code(&mut tx, CodeTable::MobileVerifications, id, now).await? {
        return Err(wrong());
    }
    sqlx::query("UPDATE accounts SET mobile_verified_at = $1 WHERE id = $2")
        .bind(now)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    throttle::release(db, guess).await?;
    tracing::info!(account_id, "mobile verified");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_and_typed_codes_may_have_spaces() {
        for _ in 0..100 {
            let code = one_time_code();
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(clean_code(" 1234 5678 ").as_deref(), Some("12345678"));
        assert_eq!(clean_code("123456"), None);
        assert_eq!(clean_code("1234567a"), None);
    }

    #[test]
    fn code_texts_fit_one_part_in_each_language() {
        for language in [None, Some("en"), Some("zh-Hant")] {
            for kind in [CodeKind::Verification, CodeKind::PasswordReset] {
                let text = code_text(language, kind, "12345678");
                let split = sms::segment::segment(&text, sms::segment::SegmentTable::Standard);
                assert_eq!(split.parts, Some(1), "{text}");
                assert!(text.contains("12345678"));
            }
        }
        assert!(code_text(Some("zh-Hant"), CodeKind::Verification, "1").starts_with("你的"));
        assert!(code_text(None, CodeKind::Verification, "1").starts_with("Your"));
    }
}

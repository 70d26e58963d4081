//! Two-factor sign-in (§13): time-based one-time passwords (TOTP, RFC 6238: HMAC-SHA1, 30-second
//! steps, 6 digits, as every authenticator app computes them) and ten single-use recovery
//! codes. Required for staff, optional for customers.
//!
//! Setting up is two steps, so a secret is only ever in force once its owner has proved their
//! app holds it: [`begin`] makes a secret and keeps it pending; [`confirm`] takes a code from
//! it, puts it in force and returns the recovery codes (shown once, stored by hash only).
//! A code is accepted in its own 30-second step or one either side (clock drift), and never
//! twice: the last accepted step is kept, and only a later one passes.

use crate::db::{now_ms, Db};
use crate::error::Error;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Steps either side of now a code may come from.
const DRIFT_STEPS: u64 = 1;
/// Recovery codes made at set-up.
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Ferry";

/// The code for `secret` in 30-second step `step` (RFC 4226 dynamic truncation, 6 digits).
pub fn code_at(secret: &[u8], step: u64) -> u32 {
    // HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 1_000_000
}

/// The 30-second step `unix_ms` falls in.
pub fn step_of(unix_ms: i64) -> u64 {
    u64::try_from(unix_ms).unwrap_or(0) / 1_000 / STEP_SECONDS
}

/// RFC 4648 base32 without padding: how authenticator apps take a secret typed by hand.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A secret being set up: what the person types or scans into their app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The secret in base32, grouped by four for typing.
    pub secret: String,
    /// `otpauth://totp/...`, what the QR code holds.
    pub uri: String,
}

/// Whether an account signs in with a second factor, and how many recovery codes it has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

pub async fn status(db: &Db, account_id: i64) -> Result<Status, Error> {
    let secret: Option<Option<String>> =
        sqlx::query_scalar("SELECT totp_secret FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?;
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(db.pool())
    .await?;
    Ok(Status {
        enabled: secret.flatten().is_some(),
        recovery_codes_left: left,
    })
}

/// Makes a new secret for `account_id` and keeps it pending until [`confirm`]. Starting again
/// replaces a pending secret; a secret in force stays in force until a new one is confirmed.
pub async fn begin(db: &Db, account_id: i64) -> Result<Enrollment, Error> {
    let mut secret = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let login: Option<String> = sqlx::query_scalar(
        "UPDATE accounts SET totp_pending_secret = $1 WHERE id = $2 RETURNING login_name",
    )
    .bind(hex::encode(secret))
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?;
    let login = login.ok_or(Error::NotFound)?;
    let encoded = base32(&secret);
    // Login names are letters, digits, dots, dashes and underscores: nothing to escape.
    let uri = format!(
        "otpauth://totp/{ISSUER}:{login}?secret={encoded}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECONDS}"
    );
    let grouped = encoded
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Enrollment {
        secret: grouped,
        uri,
    })
}

/// Puts the pending secret in force if `code` comes from it, and returns ten new recovery
/// codes (any earlier ones stop working). Recorded in the audit log.
pub async fn confirm(db: &Db, account_id: i64, code: &str) -> Result<Vec<String>, Error> {
    let wrong = || {
        Error::field(
            "code",
            "That code does not match. Enter the 6 digits your app shows now.",
        )
    };
    let digits = six_digits(code).ok_or_else(wrong)?;
    let mut tx = db.begin_write().await?;
    let pending: Option<(Option<String>, Option<String>, String)> =
        sqlx::query_as("SELECT totp_pending_secret, totp_secret, role FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (pending, was_enabled, role) = pending.ok_or(Error::NotFound)?;
    let secret = pending.ok_or_else(|| {
        Error::Conflict(
            "Start the set-up again: there is no secret waiting to be confirmed.".into(),
        )
    })?;
    let secret = hex::decode(&secret).map_err(|e| Error::internal("totp secret", e))?;
    let step = matching_step(&secret, digits, step_of(now_ms()), 0).ok_or_else(wrong)?;
    sqlx::query(
        "UPDATE accounts SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, \
         totp_last_step = $1 WHERE id = $2",
    )
    .bind(i64::try_from(step).unwrap_or(i64::MAX))
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let now = now_ms();
    for code in &codes {
        sqlx::query(
            "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(account_id)
        .bind(recovery_hash(code))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // Staff security changes go in the audit log (§13); a customer's are their own business.
    if role == crate::auth::Role::Staff.as_str() {
        crate::audit::record(
            &mut tx,
            account_id,
            "two_factor.enable",
            Some(account_id),
            serde_json::json!({ "two_factor": was_enabled.is_some() }),
            serde_json::json!({ "two_factor": true, "recovery_codes": RECOVERY_CODES }),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(account_id, "two-factor sign-in set up");
    Ok(codes)
}

/// Turns two-factor sign-in off for a customer who proves they hold it (a current code or a
/// recovery code). Staff cannot: for them it is required.
pub async fn disable(db: &Db, account_id: i64, is_staff: bool, code: &str) -> Result<(), Error> {
    if is_staff {
        return Err(Error::ForbiddenBecause(
            "Staff sign in with two factors; it cannot be turned off.".into(),
        ));
    }
    if !check(db, account_id, code).await? {
        return Err(Error::field(
            "code",
            "That code is not right, or it was already used.",
        ));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE accounts SET totp_secret = NULL, totp_pending_secret = NULL WHERE id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `code` signs `account_id` in as its second factor: a current TOTP code not used
/// before, or an unused recovery code (which is then used up). An account without two-factor
/// sign-in has no codes: false.
pub async fn check(db: &Db, account_id: i64, code: &str) -> Result<bool, Error> {
    if let Some(digits) = six_digits(code) {
        let row: Option<(Option<String>, i64)> =
            sqlx::query_as("SELECT totp_secret, totp_last_step FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(db.pool())
                .await?;
        let Some((Some(secret), last_step)) = row else {
            return Ok(false);
        };
        let secret = hex::decode(&secret).map_err(|e| Error::internal("totp secret", e))?;
        let last = u64::try_from(last_step).unwrap_or(0);
        let Some(step) = matching_step(&secret, digits, step_of(now_ms()), last) else {
            return Ok(false);
        };
        // Moving the last step forward is the use of the code: of two sign-ins racing with
        // the same code, one moves it and the other finds it moved.
        let moved = sqlx::query(
            "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(i64::try_from(step).unwrap_or(i64::MAX))
        .bind(account_id)
        .execute(db.pool())
        .await?
        .rows_affected();
        return Ok(moved == 1);
    }
    let normalized = normalize_recovery(code);
    if normalized.len() != 10 {
        return Ok(false);
    }
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 \
         WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL \
           AND EXISTS (SELECT 1 FROM accounts WHERE id = $2 AND totp_secret IS NOT NULL)",
    )
    .bind(now_ms())
    .bind(account_id)
    .bind(crate::auth::hash_token(&normalized))
    .execute(db.pool())
    .await?
    .rows_affected();
    if used == 1 {
        tracing::warn!(account_id, "signed in with a recovery code");
    }
    Ok(used == 1)
}

/// The step within drift of `now_step`, later than `after`, whose code is `digits`.
fn matching_step(secret: &[u8], digits: u32, now_step: u64, after: u64) -> Option<u64> {
    (now_step.saturating_sub(DRIFT_STEPS)..=now_step + DRIFT_STEPS)
        .filter(|&step| step > after)
        .find(|&step| code_at(secret, step) == digits)
}

/// Six digits, spaces allowed between them (apps show "123 456").
fn six_digits(code: &str) -> Option<u32> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Recovery codes are 10 characters from an alphabet without look-alikes, shown as
/// `xxxxx-xxxxx`; typed in any case, with or without the dash or spaces.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn recovery_hash(code: &str) -> String {
    crate::auth::hash_token(&normalize_recovery(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::all_backends;

    /// RFC 6238 appendix B, SHA-1 rows (the 8-digit values' last 6 digits).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (unix, expected) in [
            (59u64, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            assert_eq!(code_at(secret, unix / STEP_SECONDS), expected, "at {unix}");
        }
    }

    #[test]
    fn base32_is_rfc_4648_without_padding() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(six_digits(" 123 456 "), Some(123_456));
        assert_eq!(six_digits("12345"), None);
        assert_eq!(six_digits("12345a"), None);
        assert_eq!(
            six_digits("１２３４５６"),
            None,
            "full-width digits are not ASCII digits"
        );
        assert_eq!(normalize_recovery("ABCDE-fghjk"), "abcdefghjk");
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(normalize_recovery(&code).len(), 10);
    }

    #[tokio::test]
    async fn set_up_sign_in_once_per_code_and_recovery_codes_once_each() {
        for t in all_backends().await {
            let ctx = t.name.as_str();
            let id = crate::testing::customer_account(
                &t.db,
                "twofactor",
                "Acme",
                crate::auth::AccountStatus::Normal,
            )
            .await;
            assert!(!status(&t.db, id).await.expect("status").enabled);
            assert!(!check(&t.db, id, "000000").await.expect("check"), "{ctx}");

            let enrollment = begin(&t.db, id).await.expect("begin");
            assert!(enrollment
                .uri
                .starts_with("otpauth://totp/Ferry:twofactor?secret="));
            let secret_b32: String = enrollment.secret.split_whitespace().collect();
            let pending: String =
                sqlx::query_scalar("SELECT totp_pending_secret FROM accounts WHERE id = $1")
                    .bind(id)
                    .fetch_one(t.db.pool())
                    .await
                    .expect("pending");
            let secret = hex::decode(pending).expect("hex");
            assert_eq!(base32(&secret), secret_b32);
            assert!(
                !status(&t.db, id).await.expect("status").enabled,
                "{ctx}: not in force before a code confirms it"
            );

            let now = step_of(now_ms());
            let wrong = format!("{:06}", (code_at(&secret, now) + 1) % 1_000_000);
            assert!(confirm(&t.db, id, &wrong).await.is_err(), "{ctx}");
            let codes = confirm(&t.db, id, &format!("{:06}", code_at(&secret, now)))
                .await
                .expect("confirm");
            assert_eq!(codes.len(), RECOVERY_CODES);
            assert_eq!(
                status(&t.db, id).await.expect("status"),
                Status {
                    enabled: true,
                    recovery_codes_left: 10
                }
            );

            // The code that confirmed set-up is used; the next step's code signs in once.
            let current = format!("{:06}", code_at(&secret, now));
            assert!(
                !check(&t.db, id, &current).await.expect("check"),
                "{ctx}: replay"
            );
            let next = format!("{:06}", code_at(&secret, now + 1));
            assert!(check(&t.db, id, &next).await.expect("check"), "{ctx}");
            assert!(
                !check(&t.db, id, &next).await.expect("check"),
                "{ctx}: replay"
            );
            let far = format!("{:06}", code_at(&secret, now + 5));
            assert!(
                !check(&t.db, id, &far).await.expect("check"),
                "{ctx}: outside drift"
            );

            // A recovery code, typed loosely, works once.
            let loose = codes[0].to_uppercase().replace('-', " ");
            assert!(check(&t.db, id, &loose).await.expect("check"), "{ctx}");
            assert!(!check(&t.db, id, &codes[0]).await.expect("check"), "{ctx}");
            assert_eq!(
                status(&t.db, id).await.expect("status").recovery_codes_left,
                9
            );

            // Staff cannot turn it off; a customer can, with a code.
            assert!(disable(&t.db, id, true, &codes[1]).await.is_err());
            disable(&t.db, id, false, &codes[1]).await.expect("disable");
            assert_eq!(
                status(&t.db, id).await.expect("status"),
                Status {
                    enabled: false,
                    recovery_codes_left: 0
                }
            );
            assert!(!check(&t.db, id, &codes[2]).await.expect("check"), "{ctx}");
        }
    }
}

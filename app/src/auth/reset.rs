//! Password reset by SMS one-time code (§2). The code goes by SMS to the registered mobile
//! through the normal delivery engine, so it is charged like any other SMS; when the balance
//! cannot cover it the request is refused with `16 Insufficient Balance`.

use crate::error::AppError;
use crate::ui::{
    action_error, field_error, FormError, Notice, NoticeKind, PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

pub const CODE_TTL_MS: i64 = 15 * 60 * 1000;
pub const MAX_ATTEMPTS: i64 = 5;
pub const MAX_REQUESTS_PER_HOUR: i64 = 3;

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(login_name: String) -> Result<(), AppError> {
    crate::error::with_status(store::request(&login_name).await)
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    login_name: String,
    code: String,
    new_password: String,
    new_password_confirmation: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        store::reset(&login_name, &code, new_password, new_password_confirmation).await,
    )
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::auth::context::server_state;
    use crate::auth::signup_form::{normalize_login_name, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
    use crate::db::now_ms;
    use crate::delivery::store::{create_batch, BatchError, NewBatch};
    use crate::error::FieldErrors;
    use rand::Rng;
    use sms::{HkRouteChoice, Msisdn, Route};
    use sqlx::Row;

    pub async fn request(login_name: &str) -> Result<(), AppError> {
        let state = server_state()?;
        let login = normalize_login_name(login_name);
        if login.is_empty() {
            return Err(AppError::field("login_name", "Enter your login name."));
        }
        let row = sqlx::query(
            "SELECT id, mobile FROM accounts WHERE login_name = $1 AND role = 'customer'",
        )
        .bind(&login)
        .fetch_optional(state.db.pool())
        .await?;
        // An unknown login name gets the same answer, so login names cannot be probed.
        let Some(row) = row else { return Ok(()) };
        let account_id: i64 = row.try_get(0)?;
        let mobile: String = row.try_get(1)?;
        let now = now_ms();
        let recent: i64 = sqlx::query(
            "SELECT COUNT(*) FROM password_resets WHERE account_id = $1 AND created_at > $2",
        )
        .bind(account_id)
        .bind(now - 3_600_000)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
        if recent >= MAX_REQUESTS_PER_HOUR {
            return Err(AppError::Throttled(format!(
                "At most {MAX_REQUESTS_PER_HOUR} reset codes an hour can be sent. Use the last code you received, or try again later."
            )));
        }
        let number = Msisdn::parse(&mobile, crate::auth::signup_form::DEFAULT_COUNTRY_CODE)
            .map_err(|e| AppError::internal("registered mobile", e))?;
        let route = Route::for_destination(number.destination(), HkRouteChoice::Business);
        let prices = crate::pricing::store::current(&state.db, now).await?;
        let price = prices
            .unit_price(route, number.as_str())
            .ok_or_else(|| AppError::internal("reset price", "no price for the route"))?;
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        let text = format!(
            "Your Ferry password reset code is {code}. It expires in 15 minutes. Do not share it."
        );
        let seg = sms::segment(&text, route.segment_table());
        let batch = NewBatch {
            account_id,
            route,
            sender_id: None,
            purpose: "notification".into(),
            content: "Password reset code".into(),
            final_text: text,
            encoding: seg.encoding,
            parts: seg.parts.unwrap_or(1),
            validity_minutes: 15,
            scheduled_at: None,
            recipients: vec![(number.as_str().to_string(), price)],
            dnc_filtered: Vec::new(),
            resent_from: None,
        };
        let batch_id = match create_batch(&state.db, &batch).await {
            Ok(id) => id,
            Err(BatchError::InsufficientBalance { total, available, .. }) => {
                return Err(AppError::Conflict(format!(
                    "16 Insufficient Balance: the reset code is sent by SMS and charged like any other ({total}); the account has {available} available. Ask the account's administrator to top up, or contact the Ferry operator."
                )))
            }
            Err(e) => return Err(AppError::internal("reset batch", e)),
        };
        sqlx::query(
            "INSERT INTO password_resets (account_id, code_hash, batch_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(crate::auth::store::hash_token(&code))
        .bind(batch_id)
        .bind(now + CODE_TTL_MS)
        .bind(now)
        .execute(state.db.pool())
        .await?;
        tracing::info!(account_id, batch_id, "password reset code sent");
        Ok(())
    }

    pub async fn reset(
        login_name: &str,
        code: &str,
        new: String,
        confirm: String,
    ) -> Result<(), AppError> {
        let state = server_state()?;
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
        let code = code.trim();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            errors.add("code", "Enter the 6-digit code from the SMS.");
        }
        errors.into_result()?;
        let wrong = || {
            AppError::field(
                "code",
                "This code is wrong or has expired. Request a new one.",
            )
        };
        let now = now_ms();
        let row = sqlx::query(
            "SELECT r.id, r.code_hash, r.attempts, a.id FROM password_resets r JOIN accounts a ON a.id = r.account_id \
             WHERE a.login_name = $1 AND r.used_at IS NULL AND r.expires_at > $2 ORDER BY r.id DESC LIMIT 1",
        )
        .bind(&login)
        .bind(now)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(wrong)?;
        let (reset_id, hash, attempts, account_id): (i64, String, i64, i64) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        if attempts >= MAX_ATTEMPTS {
            return Err(wrong());
        }
        if hash != crate::auth::store::hash_token(code) {
            sqlx::query("UPDATE password_resets SET attempts = attempts + 1 WHERE id = $1")
                .bind(reset_id)
                .execute(state.db.pool())
                .await?;
            return Err(wrong());
        }
        let new_hash = crate::auth::store::hash_password(new).await?;
        let mut tx = state.db.begin_write().await?;
        let used = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(reset_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
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
        Ok(())
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let rv = request.value();
    let sv = reset.value();
    view! {
        <Title text="Reset password"/>
        <div class="auth-page">
            <PageHeader title="Reset your password" subtitle="We send a one-time code by SMS to the account's registered mobile. The SMS is charged to the account like any other."/>
            <section class="card auth-card">
                <h2>"1. Get a code"</h2>
                <ActionForm action=request attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(rv)/>
                    <TextField label="Login name" name="login_name" autocomplete="username" error=field_error(rv, "login_name")/>
                    {move || matches!(rv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"If this account exists, a code is on its way to the registered mobile."</Notice> })}
                    <SubmitButton label="Send code by SMS" pending_label="Sending…" pending=request.pending()/>
                </ActionForm>
            </section>
            <section class="card auth-card">
                <h2>"2. Choose a new password"</h2>
                <ActionForm action=reset attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(sv)/>
                    <TextField label="Login name" name="login_name" autocomplete="username" error=field_error(sv, "login_name")/>
                    <TextField label="Code from the SMS" name="code" autocomplete="one-time-code" error=field_error(sv, "code")/>
                    <TextField label="New password" name="new_password" kind="password" autocomplete="new-password" hint="At least 10 characters." error=field_error(sv, "new_password")/>
                    <TextField label="Confirm new password" name="new_password_confirmation" kind="password" autocomplete="new-password" error=field_error(sv, "new_password_confirmation")/>
                    {move || matches!(sv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"Password changed. " <a href="/login">"Sign in"</a></Notice> })}
                    <SubmitButton label="Change password" pending_label="Changing…" pending=reset.pending()/>
                </ActionForm>
            </section>
        </div>
    }
}

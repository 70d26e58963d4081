//! Account settings (§2): the settings page's doors (load, update, staff clearing an
//! allow-list) and the password change. The rules and storage are `engine::settings`.

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::settings::*;

#[server(endpoint = "my_settings")]
pub async fn my_settings() -> Result<AccountSettings, AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let db = crate::auth::context::server_state()?.db;
            Ok(engine::settings::store::load(&db, viewer.account_id).await?)
        }
        .await,
    )
}

#[server(endpoint = "update_settings")]
pub async fn update_settings(
    validity_minutes: String,
    single_sms_limit: String,
    ip_allow_list: String,
    unsubscribe_hotline: String,
    callback_url: String,
    #[server(default)] default_country_code: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let ctx = crate::auth::context::request_context()?;
            let db = crate::auth::context::server_state()?.db;
            let settings = validate(
                &validity_minutes,
                &single_sms_limit,
                &ip_allow_list,
                &unsubscribe_hotline,
                &callback_url,
                &default_country_code,
            )?;
            let id = viewer.account_id;
            Ok(engine::settings::store::update(&db, id, ctx.ip, settings).await?)
        }
        .await,
    )
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirmation: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        change_password_for_caller(current_password, new_password, new_password_confirmation).await,
    )
}

#[server(endpoint = "clear_ip_allow_list")]
pub async fn clear_ip_allow_list(account_id: i64) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let staff = crate::auth::context::require_staff()?;
            let db = crate::auth::context::server_state()?.db;
            let staff_id = staff.account_id;
            Ok(engine::settings::store::clear_ip_allow_list(&db, staff_id, account_id).await?)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
use crate::auth::context::{require_viewer, server_state};
#[cfg(feature = "ssr")]
use crate::error::FieldErrors;
#[cfg(feature = "ssr")]
use sqlx::Row;

#[cfg(feature = "ssr")]
async fn change_password_for_caller(
    current: String,
    new: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::auth::signup_form::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
    use crate::auth::store::{hash_password, verify_password};
    let viewer = require_viewer()?;
    let state = server_state()?;
    let mut errors = FieldErrors::default();
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
    let hash: String = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(viewer.account_id)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
    // A stolen session must not become a way to guess the password.
    use engine::auth::throttle;
    let claim = throttle::claim(
        &state.db,
        &[throttle::Limit::new(
            format!("password-change:{}", viewer.account_id),
            state.auth.max_failures_per_account,
            i64::try_from(state.auth.throttle_window.as_millis()).unwrap_or(i64::MAX / 2),
            "this account",
        )],
    )
    .await?
    .map_err(|r| {
        AppError::Throttled(format!(
            "Too many wrong current passwords. {}",
            r.try_again()
        ))
    })?;
    if !verify_password(hash, current).await? {
        drop(claim);
        return Err(AppError::field(
            "current_password",
            "The current password is incorrect.",
        ));
    }
    throttle::release(&state.db, claim).await?;
    let new_hash = hash_password(new).await?;
    let ctx = crate::auth::context::request_context()?;
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(new_hash)
        .bind(viewer.account_id)
        .execute(&mut *tx)
        .await?;
    // Every other sign-in of this account ends: a changed password should lock out whoever
    // knew the old one.
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(viewer.account_id)
        .bind(ctx.session_token_hash.unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

//! Account settings (§2): the settings page's doors (load, update, staff clearing an
//! allow-list) and the password change. The rules and storage are `engine::settings`.

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::settings::*;

#[server(endpoint = "my_settings")]
pub async fn my_settings() -> Result<AccountSettings, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        Ok(engine::settings::store::load(&db, viewer.account_id).await?)
    })
    .await
}

#[server(endpoint = "update_settings")]
pub async fn update_settings(
    validity_minutes: String,
    single_sms_limit: String,
    ip_allow_list: String,
    unsubscribe_hotline: String,
    callback_url: String,
    #[server(default)] status_callback_url: String,
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
                &status_callback_url,
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
        async {
            let viewer = crate::auth::context::require_viewer()?;
            let state = crate::auth::context::server_state()?;
            let session = crate::auth::context::request_context()?.session_token_hash;
            let change = engine::auth::accounts::PasswordChange {
                current: current_password,
                new: new_password,
                confirmation: new_password_confirmation,
            };
            Ok(engine::auth::accounts::change_password(
                &state.db,
                &state.auth,
                &viewer,
                change,
                session,
            )
            .await?)
        }
        .await,
    )
}

#[server(endpoint = "clear_ip_allow_list")]
pub async fn clear_ip_allow_list(account_id: i64) -> Result<(), AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        let staff_id = staff.account_id;
        Ok(engine::settings::store::clear_ip_allow_list(&db, staff_id, account_id).await?)
    })
    .await
}

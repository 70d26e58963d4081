//! Signing up, in and out from the portal: the request's address and the session cookie around
//! `engine::auth::accounts`, which holds accounts, passwords and sessions.

use super::context::{
    clear_session_cookie, request_context, server_state, session_cookie, AuthSettings,
};
use super::signup_form::{validate_signup, SignupForm};
use crate::error::AppError;
use crate::i18n::tr;
use http::header::SET_COOKIE;
use http::HeaderValue;

pub use engine::auth::accounts::*;
pub use engine::auth::hash_token;

pub async fn signup(form: SignupForm) -> Result<(), AppError> {
    let valid = validate_signup(crate::i18n::page_lang(), form)?;
    let state = server_state()?;
    let ip = request_context()?.ip;
    let language = crate::i18n::page_lang().tag();
    let (_, token) = sign_up(&state.db, &state.auth, valid, ip, language).await?;
    set_session_cookie(&token, &state.auth)
}

pub async fn login(login_name: &str, password: &str, code: Option<&str>) -> Result<(), AppError> {
    let state = server_state()?;
    let ip = request_context()?.ip;
    let login_name = super::signup_form::normalize_login_name(login_name);
    let lang = crate::i18n::page_lang();
    let mut errors = crate::error::FieldErrors::default();
    if login_name.is_empty() {
        errors.add("login_name", tr::auth_error_login_name_missing(lang));
    }
    if password.is_empty() {
        errors.add("password", tr::auth_error_password_missing(lang));
    }
    if login_name.len() > 64 || password.len() > super::signup_form::MAX_PASSWORD_LEN * 4 {
        errors.add("password", tr::auth_error_credentials(lang));
    }
    if code.is_some_and(|c| c.len() > 64) {
        errors.add("code", tr::auth_error_code(lang));
    }
    errors.into_result()?;
    let (_, token) = sign_in(&state.db, &state.auth, &login_name, password, code, ip).await?;
    set_session_cookie(&token, &state.auth)
}

pub async fn logout() -> Result<(), AppError> {
    let state = server_state()?;
    if let Some(hash) = request_context()?.session_token_hash {
        end_session(&state.db, &hash).await?;
    }
    set_cookie(&clear_session_cookie(&state.auth))
}

fn set_session_cookie(token: &str, settings: &AuthSettings) -> Result<(), AppError> {
    set_cookie(&session_cookie(token, settings))
}

fn set_cookie(cookie: &str) -> Result<(), AppError> {
    let response = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| AppError::internal("context", "ResponseOptions missing"))?;
    let value = HeaderValue::from_str(cookie).map_err(|e| AppError::internal("cookie", e))?;
    response.append_header(SET_COOKIE, value);
    Ok(())
}

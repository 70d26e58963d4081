//! Password reset by SMS one-time code (§2). The code goes by SMS to the registered mobile
//! through the normal delivery engine, so it is charged like any other SMS; when the balance
//! cannot cover it the request is refused with `16 Insufficient Balance`.

use crate::error::AppError;
use crate::ui::{
    action_error, field_error, FormError, Notice, NoticeKind, PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

pub use engine::auth::{MAX_GUESSES_PER_DAY, MAX_REQUESTS_PER_HOUR, MAX_REQUESTS_PER_IP_PER_HOUR};

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(login_name: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let db = crate::auth::context::server_state()?.db;
            let ip = crate::auth::context::request_context()?.ip;
            Ok(engine::auth::reset::request(&db, &login_name, ip).await?)
        }
        .await,
    )
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    login_name: String,
    code: String,
    new_password: String,
    new_password_confirmation: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let db = crate::auth::context::server_state()?.db;
            let ip = crate::auth::context::request_context()?.ip;
            let (new, confirm) = (new_password, new_password_confirmation);
            Ok(engine::auth::reset::reset(&db, &login_name, &code, new, confirm, ip).await?)
        }
        .await,
    )
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
                    {move || matches!(rv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"If this account exists and its balance pays for the SMS, an 8-digit code is on its way to its registered mobile. If no code arrives, the account's Delivery Results say why."</Notice> })}
                    <SubmitButton label="Send code by SMS" pending_label="Sending…" pending=request.pending()/>
                </ActionForm>
            </section>
            <section class="card auth-card">
                <h2>"2. Choose a new password"</h2>
                <ActionForm action=reset attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(sv)/>
                    <TextField label="Login name" name="login_name" autocomplete="username" error=field_error(sv, "login_name")/>
                    <TextField label="Code from the SMS" name="code" autocomplete="one-time-code" hint="8 digits." error=field_error(sv, "code")/>
                    <TextField label="New password" name="new_password" kind="password" autocomplete="new-password" hint="At least 10 characters." error=field_error(sv, "new_password")/>
                    <TextField label="Confirm new password" name="new_password_confirmation" kind="password" autocomplete="new-password" error=field_error(sv, "new_password_confirmation")/>
                    {move || matches!(sv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"Password changed. " <a href="/login">"Sign in"</a></Notice> })}
                    <SubmitButton label="Change password" pending_label="Changing…" pending=reset.pending()/>
                </ActionForm>
            </section>
        </div>
    }
}

//! Password reset by SMS one-time code (§2). The code goes by SMS to the registered mobile
//! through the normal delivery engine, so it is charged like any other SMS; when the balance
//! cannot cover it the request is refused with `16 Insufficient Balance`.

use crate::error::AppError;
use crate::i18n::{tr, use_lang};
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
    let lang = use_lang();
    let request = ServerAction::<RequestPasswordReset>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let rv = request.value();
    let sv = reset.value();
    view! {
        <Title text=tr::auth_reset_title(lang)/>
        <div class="auth-page">
            <PageHeader title=tr::auth_reset_heading(lang) subtitle=tr::auth_reset_subtitle(lang)/>
            <section class="card auth-card">
                <h2>{tr::auth_reset_step_code(lang)}</h2>
                <ActionForm action=request attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(rv)/>
                    <TextField label=tr::auth_login_name(lang) name="login_name" autocomplete="username" error=field_error(rv, "login_name")/>
                    {move || matches!(rv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::auth_reset_code_sent(lang)}</Notice> })}
                    <SubmitButton label=tr::auth_reset_send_code(lang) pending_label=tr::auth_sending(lang) pending=request.pending()/>
                </ActionForm>
            </section>
            <section class="card auth-card">
                <h2>{tr::auth_reset_step_password(lang)}</h2>
                <ActionForm action=reset attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(sv)/>
                    <TextField label=tr::auth_login_name(lang) name="login_name" autocomplete="username" error=field_error(sv, "login_name")/>
                    <TextField label=tr::auth_sms_code(lang) name="code" autocomplete="one-time-code" hint=tr::auth_sms_code_hint(lang) error=field_error(sv, "code")/>
                    <TextField label=tr::auth_new_password(lang) name="new_password" kind="password" autocomplete="new-password" hint=tr::auth_password_hint(lang) error=field_error(sv, "new_password")/>
                    <TextField label=tr::auth_confirm_new_password(lang) name="new_password_confirmation" kind="password" autocomplete="new-password" error=field_error(sv, "new_password_confirmation")/>
                    {move || matches!(sv.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::auth_password_changed(lang)} <a href="/login">{tr::auth_sign_in(lang)}</a></Notice> })}
                    <SubmitButton label=tr::auth_change_password(lang) pending_label=tr::auth_changing(lang) pending=reset.pending()/>
                </ActionForm>
            </section>
        </div>
    }
}

//! The sign-in and sign-up pages.

use super::Session;
use crate::i18n::{tr, use_lang};
use crate::ui::{action_error, field_error, FormError, PageHeader, SubmitButton, TextField};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Sends the browser to `to` once `action` succeeds while the calling component is shown (the
/// viewer resource has refetched by then because it follows the auth actions' versions).
///
/// Only an answer that arrives after the component mounted counts: the auth actions belong to
/// the whole portal and keep their last value, so an old success (the sign-in before a
/// sign-out) would otherwise send the visitor on again the moment the page reappears, and the
/// sign-in page and a signed-in page would redirect to each other without end.
pub(crate) fn navigate_on_success<I, E>(action: ServerAction<I>, to: &'static str)
where
    I: server_fn::ServerFn<Output = (), Error = E> + Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    let navigate = use_navigate();
    on_success(action, move || navigate(to, Default::default()));
}

/// Like [`navigate_on_success`], but loads `to` as a new page: after signing in, the page must
/// be rendered again in the language the account chose, which may not be the visitor's.
fn load_on_success<I, E>(action: ServerAction<I>, to: &'static str)
where
    I: server_fn::ServerFn<Output = (), Error = E> + Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    on_success(action, move || {
        let _ = window().location().assign(to);
    });
}

fn on_success<I, E>(action: ServerAction<I>, then: impl Fn() + 'static)
where
    I: server_fn::ServerFn<Output = (), Error = E> + Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    let answered_before = action.version().get_untracked();
    Effect::new(move |_| {
        let answered_since = action.version().get() > answered_before;
        if answered_since && matches!(action.value().get(), Some(Ok(()))) {
            then();
        }
    });
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    let login = session.login;
    load_on_success(login, "/account");
    let value = login.value();
    // The code field appears once the server asks for it (the password was right and the
    // account signs in with two factors), and stays while the page is open.
    let code_error = field_error(value, "code");
    let asked_for_code = RwSignal::new(false);
    Effect::new(move |_| {
        if code_error.get().is_some() {
            asked_for_code.set(true);
        }
    });
    view! {
        <div class="auth-page">
            <PageHeader title=tr::auth_login_title(lang) subtitle=tr::auth_login_subtitle(lang)/>
            <section class="card auth-card">
                <ActionForm action=login attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField
                        label=tr::auth_login_name(lang)
                        name="login_name"
                        autocomplete="username"
                        required=true
                        error=field_error(value, "login_name")
                    />
                    <TextField
                        label=tr::auth_password(lang)
                        name="password"
                        kind="password"
                        autocomplete="current-password"
                        required=true
                        error=field_error(value, "password")
                    />
                    <Show when=move || asked_for_code.get()>
                        <TextField
                            label=tr::auth_code(lang)
                            name="code"
                            autocomplete="one-time-code"
                            hint=tr::auth_code_hint(lang)
                            error=code_error
                        />
                    </Show>
                    <SubmitButton label=tr::auth_sign_in(lang) pending_label=tr::auth_signing_in(lang) pending=login.pending()/>
                </ActionForm>
                <p class="auth-switch">{tr::auth_new_to_ferry(lang)} <a href="/signup">{tr::auth_create_trial(lang)}</a></p>
                <p class="auth-switch"><a href="/reset-password">{tr::auth_forgot_password(lang)}</a></p>
            </section>
        </div>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    let signup = session.signup;
    navigate_on_success(signup, "/account");
    let value = signup.value();
    view! {
        <div class="auth-page">
            <PageHeader
                title=tr::auth_signup_title(lang)
                subtitle=tr::auth_signup_subtitle(lang)
            />
            <section class="card auth-card">
                <ActionForm action=signup attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField
                        label=tr::auth_login_name(lang)
                        name="login_name"
                        autocomplete="username"
                        hint=tr::auth_login_name_hint(lang)
                        required=true
                        error=field_error(value, "login_name")
                    />
                    <TextField
                        label=tr::auth_password(lang)
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        hint=tr::auth_password_hint(lang)
                        required=true
                        error=field_error(value, "password")
                    />
                    <TextField
                        label=tr::auth_confirm_password(lang)
                        name="password_confirmation"
                        kind="password"
                        autocomplete="new-password"
                        required=true
                        error=field_error(value, "password_confirmation")
                    />
                    <TextField
                        label=tr::auth_company_name(lang)
                        name="company_name"
                        autocomplete="organization"
                        required=true
                        error=field_error(value, "company_name")
                    />
                    <TextField
                        label=tr::auth_contact_email(lang)
                        name="contact_email"
                        kind="email"
                        autocomplete="email"
                        required=true
                        error=field_error(value, "contact_email")
                    />
                    <TextField
                        label=tr::auth_mobile(lang)
                        name="mobile"
                        kind="tel"
                        autocomplete="tel"
                        hint=tr::auth_mobile_hint(lang)
                        placeholder="+852 9123 4567"
                        required=true
                        error=field_error(value, "mobile")
                    />
                    <SubmitButton label=tr::auth_create_account(lang) pending_label=tr::auth_creating_account(lang) pending=signup.pending()/>
                </ActionForm>
                <p class="auth-switch">{tr::auth_have_account(lang)} <a href="/login">{tr::auth_sign_in(lang)}</a></p>
            </section>
        </div>
    }
}

//! The sign-in and sign-up pages.

use super::Session;
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
    let answered_before = action.version().get_untracked();
    Effect::new(move |_| {
        let answered_since = action.version().get() > answered_before;
        if answered_since && matches!(action.value().get(), Some(Ok(()))) {
            navigate(to, Default::default());
        }
    });
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::expect();
    let login = session.login;
    navigate_on_success(login, "/account");
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
            <PageHeader title="Sign in to Ferry" subtitle="Bulk SMS for your business"/>
            <section class="card auth-card">
                <ActionForm action=login attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField
                        label="Login name"
                        name="login_name"
                        autocomplete="username"
                        required=true
                        error=field_error(value, "login_name")
                    />
                    <TextField
                        label="Password"
                        name="password"
                        kind="password"
                        autocomplete="current-password"
                        required=true
                        error=field_error(value, "password")
                    />
                    <Show when=move || asked_for_code.get()>
                        <TextField
                            label="Authentication code"
                            name="code"
                            autocomplete="one-time-code"
                            hint="The 6 digits your authenticator app shows, or one of your recovery codes."
                            error=code_error
                        />
                    </Show>
                    <SubmitButton label="Sign in" pending_label="Signing in…" pending=login.pending()/>
                </ActionForm>
                <p class="auth-switch">"New to Ferry? " <a href="/signup">"Create a trial account"</a></p>
                <p class="auth-switch"><a href="/reset-password">"Forgot your password?"</a></p>
            </section>
        </div>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = Session::expect();
    let signup = session.signup;
    navigate_on_success(signup, "/account");
    let value = signup.value();
    view! {
        <div class="auth-page">
            <PageHeader
                title="Create a trial account"
                subtitle="You start with HK$5.00 of credit to send test messages to your own mobile. Upload your business registration to send to anyone."
            />
            <section class="card auth-card">
                <ActionForm action=signup attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(value)/>
                    <TextField
                        label="Login name"
                        name="login_name"
                        autocomplete="username"
                        hint="3 to 32 letters, digits, dots, dashes or underscores."
                        required=true
                        error=field_error(value, "login_name")
                    />
                    <TextField
                        label="Password"
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 10 characters."
                        required=true
                        error=field_error(value, "password")
                    />
                    <TextField
                        label="Confirm password"
                        name="password_confirmation"
                        kind="password"
                        autocomplete="new-password"
                        required=true
                        error=field_error(value, "password_confirmation")
                    />
                    <TextField
                        label="Company name"
                        name="company_name"
                        autocomplete="organization"
                        required=true
                        error=field_error(value, "company_name")
                    />
                    <TextField
                        label="Contact email"
                        name="contact_email"
                        kind="email"
                        autocomplete="email"
                        required=true
                        error=field_error(value, "contact_email")
                    />
                    <TextField
                        label="Registered mobile number"
                        name="mobile"
                        kind="tel"
                        autocomplete="tel"
                        hint="Your trial messages can only go to this number. Hong Kong numbers need no country code."
                        placeholder="+852 9123 4567"
                        required=true
                        error=field_error(value, "mobile")
                    />
                    <SubmitButton label="Create account" pending_label="Creating account…" pending=signup.pending()/>
                </ActionForm>
                <p class="auth-switch">"Already have an account? " <a href="/login">"Sign in"</a></p>
            </section>
        </div>
    }
}

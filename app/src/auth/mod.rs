//! Accounts and sign-in (PRODUCT.md §2, §13): sign-up into a trial account with HK$5.00 of
//! credit, login/logout with Argon2id and server-side sessions, throttled failed logins.

pub(crate) mod pages;
pub mod reset;
pub mod signup_form;

#[cfg(feature = "ssr")]
pub use engine::auth::access_log;
#[cfg(feature = "ssr")]
pub mod context;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub use engine::auth::verify;

pub use pages::{LoginPage, SignupPage};
pub use reset::ResetPasswordPage;

use crate::error::AppError;
use leptos::prelude::*;

pub use engine::auth::{AccountStatus, Role, Viewer};

/// The signed-in account, or `None` for a visitor.
#[server(endpoint = "viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(context::request_context()?.viewer)
}

#[server(endpoint = "signup")]
pub async fn signup(
    login_name: String,
    password: String,
    password_confirmation: String,
    company_name: String,
    contact_email: String,
    mobile: String,
) -> Result<(), AppError> {
    crate::error::with_status(
        store::signup(signup_form::SignupForm {
            login_name,
            password,
            password_confirmation,
            company_name,
            contact_email,
            mobile,
        })
        .await,
    )
}

/// `code` is the second factor, for accounts with two-factor sign-in: the form asks for it
/// when the password was right and it is missing.
#[server(endpoint = "login")]
pub async fn login(
    login_name: String,
    password: String,
    #[server(default)] code: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_status(store::login(&login_name, &password, code.as_deref()).await)
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::error::with_status(store::logout().await)
}

/// The registered mobile still waiting to be verified (E.164 digits), or `None` once it is
/// (or for accounts that need no verification).
#[server(endpoint = "mobile_verification")]
pub async fn mobile_verification() -> Result<Option<String>, AppError> {
    crate::error::with_status(
        async {
            let viewer = context::require_viewer()?;
            let db = context::server_state()?.db;
            Ok(verify::pending_mobile(&db, viewer.account_id).await?)
        }
        .await,
    )
}

/// Sends a new verification code to the registered mobile.
#[server(endpoint = "send_mobile_code")]
pub async fn send_mobile_code() -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = context::require_viewer()?;
            let state = context::server_state()?;
            let ip = context::request_context()?.ip;
            Ok(verify::send_verification(&state.db, viewer.account_id, ip).await?)
        }
        .await,
    )
}

/// Checks the verification code the customer typed.
#[server(endpoint = "verify_mobile")]
pub async fn verify_mobile(code: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let viewer = context::require_viewer()?;
            let db = context::server_state()?.db;
            Ok(verify::confirm_verification(&db, viewer.account_id, &code).await?)
        }
        .await,
    )
}

/// The auth actions and the viewer resource they refresh, shared by the whole portal.
#[derive(Clone, Copy)]
pub struct Session {
    pub login: ServerAction<Login>,
    pub signup: ServerAction<Signup>,
    pub logout: ServerAction<Logout>,
    pub viewer: Resource<Result<Option<Viewer>, AppError>>,
    /// Bumped by whatever in this tab changed the balance; the navigation reads it again.
    balance_version: RwSignal<u64>,
}

impl Session {
    pub fn provide() -> Session {
        let login = ServerAction::<Login>::new();
        let signup = ServerAction::<Signup>::new();
        let logout = ServerAction::<Logout>::new();
        let viewer = Resource::new(
            move || {
                (
                    login.version().get(),
                    signup.version().get(),
                    logout.version().get(),
                )
            },
            |_| current_viewer(),
        );
        let session = Session {
            login,
            signup,
            logout,
            viewer,
            balance_version: RwSignal::new(0),
        };
        provide_context(session);
        session
    }

    pub fn expect() -> Session {
        expect_context::<Session>()
    }

    /// Tells the navigation that the balance may have changed (a send, a resend, a deleted
    /// batch, charges seen on a live result), so it shows the new one without a reload.
    pub fn balance_changed(&self) {
        self.balance_version.update(|v| *v += 1);
    }

    /// How many times [`Session::balance_changed`] was called.
    pub fn balance_version(&self) -> u64 {
        self.balance_version.get()
    }
}

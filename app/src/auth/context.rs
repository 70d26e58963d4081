//! Server-side request context: the database, the auth settings, the caller's IP and account.
//!
//! The server's session middleware resolves the cookie once per request and stores a
//! [`RequestContext`] in the request's extensions; pages and server functions read it here.

use super::Viewer;
use crate::error::AppError;
use engine::db::Db;
use leptos::prelude::*;
use std::net::IpAddr;

pub use engine::auth::AuthSettings;

/// Installation-wide settings the portal's pages use.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    /// The China signature (3–6 characters) for accounts without an approved custom one (§5).
    pub default_china_signature: String,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            default_china_signature: "Ferry".into(),
        }
    }
}

/// What every page and server function on the server can reach.
#[derive(Debug, Clone)]
pub struct ServerState {
    pub db: Db,
    pub auth: AuthSettings,
    pub portal: PortalSettings,
    pub access_log: super::access_log::AccessLog,
    /// Stores submitted batches, many requests per transaction.
    pub batches: engine::delivery::store::BatchWriter,
    /// Open live-progress streams, capped per account.
    pub live_streams: crate::delivery::events::LiveStreams,
    /// This process's SMSC connections, once its dispatcher has started (none without one).
    pub links: DispatcherLinks,
    /// Names of ferry.toml's SMSC connections, which the console shows but cannot edit.
    pub smscs_in_file: std::sync::Arc<[String]>,
}

/// Set once by the server after the dispatcher starts; read by the console's connections page.
pub type DispatcherLinks =
    std::sync::Arc<std::sync::OnceLock<engine::delivery::dispatcher::SmscLinks>>;

pub fn server_state() -> Result<ServerState, AppError> {
    use_context::<ServerState>()
        .ok_or_else(|| AppError::internal("context", "ServerState missing from context"))
}

/// Who sent this request and from where.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub ip: IpAddr,
    pub viewer: Option<Viewer>,
    /// SHA-256 of the presented session token, when it named a live session.
    pub session_token_hash: Option<String>,
}

pub fn request_context() -> Result<RequestContext, AppError> {
    let parts = use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::internal("context", "request parts missing from context"))?;
    parts
        .extensions
        .get::<RequestContext>()
        .cloned()
        .ok_or_else(|| AppError::internal("context", "session middleware did not run"))
}

pub fn require_viewer() -> Result<Viewer, AppError> {
    request_context()?.viewer.ok_or(AppError::Unauthenticated)
}

pub fn require_staff() -> Result<Viewer, AppError> {
    let viewer = require_viewer()?;
    if viewer.acts_as_staff() {
        Ok(viewer)
    } else if viewer.needs_two_factor_setup() {
        Err(AppError::ForbiddenBecause(
            crate::i18n::tr::auth_error_staff_needs_two_factor(crate::i18n::page_lang()).into(),
        ))
    } else {
        Err(AppError::Forbidden)
    }
}

/// A signed-in customer (an account or sub-account, never staff), for what only customers do.
pub fn require_customer() -> Result<Viewer, AppError> {
    let viewer = require_viewer()?;
    if viewer.is_staff() {
        Err(AppError::Forbidden)
    } else {
        Ok(viewer)
    }
}

/// Runs a server function's body for the caller `who` admits, with the database; an error
/// also sets the response's status code. Every door starts this way, so it is written once.
async fn run_as<T, F>(
    who: fn() -> Result<Viewer, AppError>,
    body: impl FnOnce(Viewer, Db) -> F,
) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>>,
{
    let run = async {
        let viewer = who()?;
        let db = server_state()?.db;
        body(viewer, db).await
    };
    crate::error::with_status(run.await)
}

/// [`run_as`] for any signed-in caller.
pub async fn as_viewer<T, F>(body: impl FnOnce(Viewer, Db) -> F) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>>,
{
    run_as(require_viewer, body).await
}

/// [`run_as`] for customers only (accounts and sub-accounts).
pub async fn as_customer<T, F>(body: impl FnOnce(Viewer, Db) -> F) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>>,
{
    run_as(require_customer, body).await
}

/// [`run_as`] for staff only.
pub async fn as_staff<T, F>(body: impl FnOnce(Viewer, Db) -> F) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>>,
{
    run_as(require_staff, body).await
}

pub const SESSION_COOKIE: &str = "ferry_session";

/// The session cookie: HttpOnly (no script can read it) and SameSite=Strict (no other site's
/// form or fetch carries it, the first line of CSRF defence).
pub fn session_cookie(token: &str, settings: &AuthSettings) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        settings.session_ttl.as_secs(),
        secure_attribute(settings)
    )
}

pub fn clear_session_cookie(settings: &AuthSettings) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure_attribute(settings)
    )
}

/// `; Secure` when the site is served over HTTPS, for every cookie Ferry sets.
pub fn secure_attribute(settings: &AuthSettings) -> &'static str {
    if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// Reads the session token from a `Cookie` header value.
pub fn session_token_from_cookies(header: &str) -> Option<&str> {
    cookie_value(header, SESSION_COOKIE).filter(|v| !v.is_empty())
}

/// The value of cookie `name` in a `Cookie` header value.
pub fn cookie_value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_token_among_other_cookies() {
        assert_eq!(
            session_token_from_cookies("a=1; ferry_session=abc; b=2"),
            Some("abc")
        );
        assert_eq!(session_token_from_cookies("ferry_session="), None);
        assert_eq!(session_token_from_cookies("other=1"), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_same_site_strict() {
        let mut settings = AuthSettings::default();
        let c = session_cookie("tok", &settings);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure"));
        settings.secure_cookies = true;
        assert!(session_cookie("tok", &settings).ends_with("; Secure"));
    }
}

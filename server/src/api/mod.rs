//! The HTTP API (`/api/v1`, PRODUCT.md §11): what a customer's own system calls with an API
//! key. JSON in and out, one error shape, the portal's sending rules (it calls the same
//! `engine::broadcast::store` path), idempotency keys and per-key rate limits.
//!
//! Every request passes [`authenticate`] first: the key (`Authorization: Bearer …`), the
//! account's IP allow-list, the key's rate limit; the call is then recorded in the access log
//! with its source IP (§13). Handlers act for [`Caller::account_id`] only, so another
//! account's message or batch id is simply not found.

mod error;
mod idempotent;
mod limiter;
pub(crate) mod messages;
pub mod openapi;
pub(crate) mod replies;
pub(crate) mod resources;
pub(crate) mod send;

pub use error::ApiError;

use crate::config::ApiSettings;
use app::auth::context::{RequestContext, ServerState};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use engine::api_keys::store::{authenticate as check_key, ApiCaller, KeyRefused};
use http::{header, HeaderMap, StatusCode};
use std::net::IpAddr;
use std::sync::Arc;

/// What every API handler sees. axum clones the state for every request (the extractor and
/// the key middleware each take one): behind an `Arc` that is one count, not a copy of every
/// setting and handle.
#[derive(Clone)]
pub struct ApiState {
    pub server: Arc<ServerState>,
    limiter: Arc<limiter::RateLimiter>,
}

/// Who is calling: the key and the account it acts for.
pub type Caller = ApiCaller;

/// The `/api/v1` routes, for merging into the application router (whose layers, such as body
/// limits and timeouts, then apply to them too).
impl ApiState {
    /// The state of one door; each door built from it has its own rate limiter.
    pub fn new(server: ServerState, settings: &ApiSettings) -> ApiState {
        ApiState {
            server: Arc::new(server),
            limiter: Arc::new(limiter::RateLimiter::new(
                settings.requests_per_second,
                settings.burst,
            )),
        }
    }
}

pub fn router(server: ServerState, settings: &ApiSettings) -> Router {
    let state = ApiState::new(server, settings);
    let keyed = Router::new()
        .route("/api/v1/messages", post(send::send))
        .route("/api/v1/messages/{id}", get(messages::message))
        .route("/api/v1/batches", post(send::send_batch))
        .route(
            "/api/v1/batches/{id}",
            get(messages::batch).delete(messages::delete_batch),
        )
        .route("/api/v1/balance", get(messages::balance))
        .route("/api/v1/replies", get(replies::replies))
        .route("/api/v1/replies/{id}", get(replies::reply))
        .route("/api/v1", any(no_such_endpoint))
        .route("/api/v1/{*rest}", any(no_such_endpoint))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state.clone());
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .merge(keyed)
        .merge(crate::soap::routes(state))
}

/// Is `path` answered by a door that authenticates with an API key (the JSON API, SOAP),
/// rather than by the portal with its session cookie?
pub fn is_api_path(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/") || path == "/soap"
}

async fn no_such_endpoint() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such API endpoint; see /api/v1/openapi.json.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not take that method.",
    )
}

/// The key behind the request, its limits, and the access log.
async fn authenticate(State(state): State<ApiState>, mut req: Request, next: Next) -> Response {
    let Some(ip) = req.extensions().get::<RequestContext>().map(|c| c.ip) else {
        return ApiError::internal("api", "request context missing").into_response();
    };
    let caller = match bearer_token(req.headers()) {
        Ok(secret) => admit(&state, &secret, ip).await,
        Err(e) => Err(e),
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = match within_limit(&state, &caller) {
        Err(e) => e.into_response(),
        Ok(()) => {
            req.extensions_mut().insert(caller.clone());
            next.run(req).await
        }
    };
    state.server.access_log.record(
        caller.account_id,
        ip,
        method.as_str(),
        &path,
        response.status().as_u16(),
    );
    response
}

/// The caller behind an API key presented from `ip`: the key must be live and the IP inside the
/// account's allow-list. Every door with a key (JSON, SOAP) admits callers here, then checks
/// [`within_limit`] (a refusal for the rate is still the caller's call, and logged as theirs).
pub(crate) async fn admit(state: &ApiState, secret: &str, ip: IpAddr) -> Result<Caller, ApiError> {
    let caller = match check_key(&state.server.db, secret, ip).await {
        Ok(caller) => caller,
        Err(KeyRefused::Database(e)) => return Err(ApiError::internal("api key", e)),
        Err(e @ (KeyRefused::Unknown | KeyRefused::Revoked)) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                e.to_string(),
            ))
        }
        Err(e @ (KeyRefused::OutsideAllowList(_) | KeyRefused::StaffAccount)) => {
            tracing::warn!(%ip, error = %e, "API request refused");
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                e.to_string(),
            ));
        }
    };
    Ok(caller)
}

/// The key's rate limit (429 with `Retry-After` when over it).
pub(crate) fn within_limit(state: &ApiState, caller: &Caller) -> Result<(), ApiError> {
    state
        .limiter
        .check(caller.key_id)
        .map_err(ApiError::rate_limited)
}

/// The API key from `Authorization: Bearer <key>`.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<String, ApiError> {
    let missing = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            "Send your API key as `Authorization: Bearer <key>`; create one on the API keys page.",
        )
    };
    let value = headers.get(header::AUTHORIZATION).ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?.trim();
    let (scheme, key) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
        return Err(missing());
    }
    Ok(key.trim().to_string())
}

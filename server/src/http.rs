//! The HTTP stack: the Leptos portal and its server functions, static files, and the
//! middleware every request passes (client IP, session, CSRF guard, access log, headers).

use crate::config::Config;
use app::auth::context::{session_token_from_cookies, RequestContext, ServerState};
use app::auth::store::resolve_session;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http::{header, HeaderValue, Method, StatusCode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::{IpAddr, SocketAddr};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Per-process settings the middleware needs.
#[derive(Clone)]
struct Guard {
    state: ServerState,
    trust_forwarded_for: bool,
}

/// Builds the whole application router for `state`, serving the browser half from
/// `config.site_dir`.
pub fn router(config: &Config, state: ServerState) -> Router {
    let options = leptos_options(config);
    let routes = generate_route_list(app::App);
    let pkg_dir = config.site_dir.join("pkg");

    // Server functions are registered by `leptos_routes_with_context` under /api/ with the
    // same context as the pages.
    let context_state = state.clone();
    let provide = move || provide_context(context_state.clone());

    let guard = Guard {
        state,
        trust_forwarded_for: config.trust_forwarded_for,
    };

    Router::new()
        .leptos_routes_with_context(&options, routes, provide, {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .route(
            "/account/statement.csv",
            axum::routing::get(app::ledger::page::statement_csv).with_state(guard.state.clone()),
        )
        .route(
            "/batches/{id}/events",
            axum::routing::get(app::delivery::events::batch_events).with_state(guard.state.clone()),
        )
        .route(
            "/batches/{id}/messages.csv",
            axum::routing::get(app::delivery::export::batch_csv).with_state(guard.state.clone()),
        )
        .route(
            "/address-book/contacts.csv",
            axum::routing::get(app::address_book::store::contacts_csv)
                .with_state(guard.state.clone()),
        )
        .route(
            "/documents/{id}",
            axum::routing::get(document).with_state(guard.state.clone()),
        )
        .nest_service(
            "/pkg",
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(options)
        .layer(middleware::from_fn_with_state(guard, request_guard))
        // Receipts and certificates are up to 10 MB; leave room for the multipart framing.
        .layer(axum::extract::DefaultBodyLimit::max(12 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("ferry")
        .site_root(config.site_dir.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(leptos::config::Env::PROD)
        .build()
}

/// Runs before every request: works out who is calling and from where, refuses cross-site
/// writes, and records authenticated API calls with their source IP (§13).
async fn request_guard(State(guard): State<Guard>, mut req: Request, next: Next) -> Response {
    let ip = client_ip(&req, guard.trust_forwarded_for);

    if is_cross_site_write(&req) {
        tracing::warn!(%ip, path = %req.uri().path(), "refused cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted. Open Ferry directly and try again.",
        )
            .into_response();
    }

    let token = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session_token_from_cookies)
        .map(str::to_owned);
    let (viewer, session_token_hash) = match token {
        Some(token) => match resolve_session(&guard.state.db, &token).await {
            // The IP allow-list applies to every request, not only to sign-in: a session
            // carried to another network stops working there.
            Ok(Some(s))
                if !app::settings::IpAllowList::parse(&s.ip_allow_list)
                    .unwrap_or_default()
                    .allows(ip) =>
            {
                tracing::warn!(account_id = s.viewer.account_id, %ip, "request outside the IP allow-list");
                (None, None)
            }
            Ok(Some(s)) => (Some(s.viewer), Some(s.token_hash)),
            Ok(None) => (None, None),
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Ferry cannot reach its database right now.",
                )
                    .into_response();
            }
        },
        None => (None, None),
    };
    let account_id = viewer.as_ref().map(|v| v.account_id);
    req.extensions_mut().insert(RequestContext {
        ip,
        viewer,
        session_token_hash,
    });

    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;

    if let (Some(account_id), true) = (account_id, path.starts_with("/api/")) {
        guard.state.access_log.record(
            account_id,
            ip,
            method.as_str(),
            &path,
            response.status().as_u16(),
        );
    }
    response
}

/// An uploaded document, to its own account or to staff; 404 for anyone else, so document
/// ids cannot be probed.
async fn document(
    State(state): State<ServerState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::Extension(ctx): axum::Extension<RequestContext>,
) -> Response {
    let Some(viewer) = ctx.viewer else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
    };
    match app::documents::fetch_for(&state.db, &viewer, id).await {
        Ok(Some((filename, content_type, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{filename}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "Not found.").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "document lookup failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            )
                .into_response()
        }
    }
}

fn client_ip(req: &Request<Body>, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// SameSite=Strict already keeps the session cookie off other sites' requests; this refuses
/// them outright, using the browser's own `Sec-Fetch-Site` and `Origin` headers.
fn is_cross_site_write(req: &Request<Body>) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return true;
        }
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(origin)
                .trim_end_matches('/');
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request<Body> {
        let mut b = Request::builder().method(Method::POST).uri("/api/login");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).expect("request")
    }

    #[test]
    fn same_origin_posts_pass_and_cross_site_posts_are_refused() {
        assert!(!is_cross_site_write(&post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!is_cross_site_write(&post(&[("host", "127.0.0.1:3000")])));
        assert!(is_cross_site_write(&post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.example")
        ])));
        assert!(is_cross_site_write(&post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null")
        ])));
        assert!(is_cross_site_write(&post(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(!is_cross_site_write(&post(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let req = post(&[("x-forwarded-for", "203.0.113.5, 10.0.0.1")]);
        assert_eq!(client_ip(&req, true).to_string(), "203.0.113.5");
        assert_eq!(client_ip(&req, false).to_string(), "127.0.0.1");
    }
}

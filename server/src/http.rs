//! The HTTP stack: the Leptos portal and its server functions, static files, and the
//! middleware every request passes (client IP, session, CSRF guard, access log, headers).

use crate::config::Config;
use app::auth::context::{session_token_from_cookies, RequestContext, ServerState};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use engine::auth::accounts::resolve_session;
use http::{header, HeaderValue, Method, StatusCode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::{IpAddr, SocketAddr};
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The largest request body: a 10 MB document or a 11 MB register, with its multipart framing.
pub const MAX_BODY_BYTES: usize = 12 * 1024 * 1024;
/// The largest body read whole (form and JSON server functions).
pub const MAX_FORM_BODY_BYTES: usize = 4 * 1024 * 1024;
/// A request body that sends nothing for this long is cut off.
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// A request must be answered within this (a 12 MB upload at 1 Mbit/s takes ~100 s); streamed
/// responses (live progress, CSV exports) only need their first byte within it.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Per-process settings the middleware needs, shared behind an `Arc`: axum clones a
/// middleware's state for every request, and cloning these (strings, lists, a dozen handles)
/// was a visible part of serving one.
struct Guard {
    state: ServerState,
    trusted_proxies: engine::settings::IpAllowList,
}

/// The portal's routes, generated once per process. Generating them renders the app with
/// resource loading switched off by a process-wide flag (leptos_server's
/// `SuppressResourceLoad`, leptos-rs/leptos#4773): a page that another router of the same
/// process renders meanwhile waits for its resources forever. Generated before the first router
/// exists, the list is never generated while anything renders.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// Builds the whole application router for `state`, serving the browser half from
/// `config.site_dir`.
pub fn router(config: &Config, state: ServerState) -> Router {
    let options = leptos_options(config);
    let routes = route_list();
    let pkg_dir = config.site_dir.join("pkg");

    // Server functions are registered by `leptos_routes_with_context` under /api/ with the
    // same context as the pages.
    let context_state = state.clone();
    let provide = move || provide_context(context_state.clone());

    let endpoints = crate::metrics::Endpoints {
        db: state.db.clone(),
        // Checked when the configuration was loaded.
        allow: config.metrics_allow().unwrap_or_default(),
    };
    let guard = Guard {
        state,
        // Checked when the configuration was loaded.
        trusted_proxies: config.trusted_proxies().unwrap_or_default(),
    };

    let router = Router::new()
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
        .route("/healthz", axum::routing::get(crate::metrics::healthz))
        .route(
            "/readyz",
            axum::routing::get(crate::metrics::readyz).with_state(endpoints.clone()),
        )
        .route(
            "/metrics",
            axum::routing::get(crate::metrics::metrics_text).with_state(endpoints),
        )
        .route(
            "/inbox/events",
            axum::routing::get(app::inbox::events::inbox_events).with_state(guard.state.clone()),
        )
        .route(
            "/inbox/replies.csv",
            axum::routing::get(app::inbox::export::replies_csv).with_state(guard.state.clone()),
        )
        .route(
            "/language",
            axum::routing::post(app::i18n::switch::switch_language).with_state(guard.state.clone()),
        )
        .route(
            "/address-book/contacts.csv",
            axum::routing::get(app::address_book::contacts_csv).with_state(guard.state.clone()),
        )
        .route(
            "/documents/{id}",
            axum::routing::get(document).with_state(guard.state.clone()),
        )
        // `no-cache`: the browser revalidates (Last-Modified) before using a stored file, so
        // it never runs one build's lazy WebAssembly modules against another build's main one.
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-cache"),
                ))
                .service(
                    ServeDir::new(pkg_dir)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(options)
        .merge(crate::api::router(guard.state.clone(), &config.api));
    // Over HTTPS, browsers are told never to use plain HTTP for this host again.
    let hsts = config.tls.cert.is_some().then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_str(&format!("max-age={}", config.tls.hsts_max_age_s))
                .unwrap_or(HeaderValue::from_static("max-age=31536000")),
        )
    });
    // Every request passes these, outermost first. One stack around the whole router rather
    // than `Router::layer`, which boxes each route once per layer: axum clones a route's
    // service for every request, so a dozen layers were a dozen allocations per request.
    let every_request = tower::ServiceBuilder::new()
        .option_layer(hsts)
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // Pages set their own policy, with the nonce of their scripts (`app::shell`); every
        // other response (JSON, CSV, files, errors) may load nothing and run nothing.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        // A body that stops arriving, and a request that takes too long as a whole.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // The layers below change the bodies' types; the router and `from_fn` take axum's.
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_IDLE_TIMEOUT,
        ))
        // Every body, streamed uploads included: the largest file (10 MB) and its framing.
        // A larger Content-Length is refused before a byte is read.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(MapRequestBodyLayer::new(Body::new))
        .layer(middleware::from_fn(cut_off_body))
        // Bodies read whole (forms, JSON): a 50,000-number list is about 1 MB.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BODY_BYTES))
        .layer(middleware::from_fn(multipart_guard))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(guard),
            request_guard,
        ));
    Router::new().fallback_service(every_request.service(router))
}

/// The portal's requests (server functions, forms): a body cut off while it was read, because
/// it went over its limit without saying so upfront (no Content-Length) or stopped arriving
/// for [`BODY_IDLE_TIMEOUT`], is answered 413 or 408 with the portal's error (what the page
/// shows), as a body that announced its length is. The server functions' reader does not know
/// these errors and answered 500, as if Ferry had failed.
///
/// The limit: [`MAX_BODY_BYTES`] for multipart uploads (read as streams, each field bounded by
/// its reader), [`MAX_FORM_BODY_BYTES`] for every other body, which is read whole: the server
/// functions read forms and JSON whole up to [`MAX_BODY_BYTES`] before. The doors with API keys
/// (JSON, SOAP) are left alone: they read through axum's extractors, which have that limit
/// (`DefaultBodyLimit`) and answer in their own shapes (a SOAP fault is a 500 by its standard).
async fn cut_off_body(req: Request, next: Next) -> Response {
    if crate::api::is_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(names_multipart);
    // What decides the answer's language (the session is read later), kept for the rare
    // refusal rather than worked out for every request.
    let language_headers: Vec<_> = [header::COOKIE, header::ACCEPT_LANGUAGE]
        .into_iter()
        .filter_map(|name| Some((name.clone(), req.headers().get(&name)?.clone())))
        .collect();
    let limit = if multipart {
        MAX_BODY_BYTES
    } else {
        MAX_FORM_BODY_BYTES
    };
    let cut = std::sync::Arc::new(std::sync::OnceLock::new());
    let req = req.map(|body| {
        let body = if multipart {
            body
        } else {
            Body::new(http_body_util::Limited::new(body, limit))
        };
        Body::new(WatchedBody {
            body,
            cut: cut.clone(),
        })
    });
    let response = next.run(req).await;
    match cut.get() {
        Some(&status) if response.status().is_server_error() => {
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("The request is larger than {} MB.", limit >> 20)
            } else {
                format!(
                    "The request stopped arriving for {} seconds; please try again.",
                    BODY_IDLE_TIMEOUT.as_secs()
                )
            };
            let lang = app::i18n::request_lang(&language_headers.into_iter().collect(), None);
            // The encoding server functions answer errors in, so the page shows the message.
            let error =
                app::error::AppError::field("body", app::i18n::from_english(lang, &message));
            (status, axum::Json(error)).into_response()
        }
        _ => response,
    }
}

/// A request body that notes why it was cut off (see [`cut_off_body`]).
struct WatchedBody {
    body: Body,
    cut: std::sync::Arc<std::sync::OnceLock<StatusCode>>,
}

impl http_body::Body for WatchedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.body).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Err(e))) = &polled {
            if let Some(status) = cut_off_status(e) {
                let _ = self.cut.set(status);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// 413 for a body over the limit, 408 for one that stopped arriving, from the error's chain.
fn cut_off_status(error: &(dyn std::error::Error + 'static)) -> Option<StatusCode> {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return Some(StatusCode::PAYLOAD_TOO_LARGE);
        }
        if e.is::<tower_http::timeout::TimeoutError>() {
            return Some(StatusCode::REQUEST_TIMEOUT);
        }
        source = e.source();
    }
    None
}

/// The plain-HTTP listener of an HTTPS installation: every request, whatever its method, is
/// sent to the same host and path over HTTPS on `https_port` (308 keeps a POST a POST).
pub fn https_redirect(https_port: u16) -> Router {
    Router::new().fallback(move |req: Request| async move {
        match https_location(&req, https_port) {
            Some(location) => (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response(),
            None => (
                StatusCode::BAD_REQUEST,
                "This server speaks HTTPS; the request has no valid Host header to redirect to.",
            )
                .into_response(),
        }
    })
}

fn https_location(req: &Request, https_port: u16) -> Option<String> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())?;
    // A Host header is parsed as an authority, so nothing but a host and port can end up in
    // the Location (no path, user info or second URL).
    let authority: http::uri::Authority = host.parse().ok()?;
    if host.contains('@') {
        return None;
    }
    let port = match https_port {
        443 => String::new(),
        p => format!(":{p}"),
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    Some(format!("https://{}{port}{path}", authority.host()))
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
async fn request_guard(
    State(guard): State<std::sync::Arc<Guard>>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&req, &guard.trusted_proxies);

    // The API authenticates with a key in a header, never with the session cookie, so a
    // cross-site page cannot make the browser call it on someone's behalf.
    let is_api = crate::api::is_api_path(req.uri().path());
    if !is_api && is_cross_site_write(&req) {
        tracing::warn!(%ip, path = %req.uri().path(), "refused cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted. Open Ferry directly and try again.",
        )
            .into_response();
    }

    let token = (!is_api)
        .then(|| req.headers().get(header::COOKIE))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(session_token_from_cookies)
        .map(str::to_owned);
    let (viewer, session_token_hash) = match token {
        Some(token) => match resolve_session(&guard.state.db, &token).await {
            // The IP allow-list applies to every request, not only to sign-in: a session
            // carried to another network stops working there.
            Ok(Some(s))
                if !engine::settings::IpAllowList::parse(&s.ip_allow_list)
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
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    crate::metrics::metrics().record_http(
        crate::metrics::Door::of(&path),
        started.elapsed(),
        response.status().as_u16(),
    );

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

/// Server functions that take uploads (multipart/form-data).
const UPLOAD_ENDPOINTS: [&str; 6] = [
    "/api/import_recipients",
    "/api/import_dnc_register",
    "/api/import_consents",
    "/api/import_contacts",
    "/api/record_payment",
    "/api/upload_registration",
];

/// server_fn reads an upload's boundary from its Content-Type and panics when there is none;
/// such a request gets 400 here instead, with what to send.
async fn multipart_guard(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && req.uri().path().starts_with("/api/") {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let is_multipart = content_type.as_deref().is_some_and(names_multipart);
        // RFC 2046: a boundary is 1 to 70 characters.
        let boundary_ok = content_type.as_deref().is_some_and(|ct| {
            multer::parse_boundary(ct).is_ok_and(|b| (1..=70).contains(&b.len()))
        });
        let upload = UPLOAD_ENDPOINTS.contains(&req.uri().path());
        if (is_multipart || upload) && !boundary_ok {
            return (
                StatusCode::BAD_REQUEST,
                "Send this form as multipart/form-data with a boundary in its Content-Type.",
            )
                .into_response();
        }
        if is_multipart {
            // The multipart parser reads for as long as the body has data ready; handing it
            // one frame per poll lets the field limits act after each frame instead of after
            // whatever the client managed to send.
            let (parts, body) = req.into_parts();
            let req = Request::from_parts(parts, Body::new(FrameByFrame::new(body)));
            return next.run(req).await;
        }
    }
    next.run(req).await
}

/// Whether a Content-Type names a multipart body (any subtype, any case).
fn names_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/")
}

/// A body that returns `Pending` (waking itself at once) after every frame, so a reader that
/// loops "while data is ready" takes one frame per poll.
struct FrameByFrame {
    inner: Body,
    yield_next: bool,
}

impl FrameByFrame {
    fn new(inner: Body) -> FrameByFrame {
        FrameByFrame {
            inner,
            yield_next: false,
        }
    }
}

impl http_body::Body for FrameByFrame {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if std::mem::take(&mut self.yield_next) {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(_))) = &polled {
            self.yield_next = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A panic in a handler becomes a 500 with a reference to the log line, never a dropped
/// connection; server_fn's own panic on a request without a multipart boundary is the
/// client's error (400).
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    if message.contains("couldn't parse boundary") {
        return (
            StatusCode::BAD_REQUEST,
            "Send this form as multipart/form-data with a boundary in its Content-Type.",
        )
            .into_response();
    }
    let reference = app::error::AppError::internal("handler panicked", message);
    (StatusCode::INTERNAL_SERVER_ERROR, reference.to_string()).into_response()
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
    match engine::documents::fetch_for(&state.db, viewer.account_id, viewer.acts_as_staff(), id)
        .await
    {
        Ok(Some((filename, content_type, bytes))) => {
            // The type is the one sniffed at upload, never the uploader's claim. A document
            // is always downloaded, never shown inside Ferry's origin (a PDF or an SVG can
            // carry script), and sandboxed in case a browser shows it anyway.
            let disposition = "attachment";
            let ascii_name: String = filename
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("{disposition}; filename=\"{ascii_name}\""),
                    ),
                    (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
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

/// The caller's address: the peer's, unless the peer is a trusted proxy, in which case the
/// rightmost `X-Forwarded-For` hop that is not itself a trusted proxy. Entries left of it were
/// written by the client and prove nothing.
fn client_ip(req: &Request<Body>, trusted_proxies: &engine::settings::IpAllowList) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted_proxies.contains(peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        // A malformed header is not evidence of anything: use the proxy's own address.
        .unwrap_or_default();
    hops.into_iter()
        .rev()
        .find(|hop| !trusted_proxies.contains(*hop))
        .unwrap_or(peer)
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
    // HTTP/2 carries the host in the request target (`:authority`) instead of a header.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
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
        // An origin with nothing to compare it to is refused, not waved through.
        (Some(_), None) => true,
        (None, _) => false,
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
        // No Host to compare the Origin with: refused (fail closed).
        assert!(is_cross_site_write(&post(&[(
            "origin",
            "https://evil.example"
        )])));
        assert!(!is_cross_site_write(&post(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
    }

    fn from_peer(peer: &str, forwarded: Option<&str>) -> Request<Body> {
        let mut req = post(
            &forwarded
                .map(|f| vec![("x-forwarded-for", f)])
                .unwrap_or_default(),
        );
        let addr: SocketAddr = format!("{peer}:40000").parse().expect("peer");
        req.extensions_mut().insert(ConnectInfo(addr));
        req
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies_and_only_its_rightmost_hops() {
        let proxies = engine::settings::IpAllowList::parse("10.0.0.0/8").expect("list");
        let none = engine::settings::IpAllowList::default();
        // A client claiming an address directly is ignored.
        let req = from_peer("198.51.100.7", Some("203.0.113.5"));
        assert_eq!(client_ip(&req, &proxies).to_string(), "198.51.100.7");
        // Through the proxy: the hop the proxy saw, not what the client wrote before it.
        let req = from_peer("10.0.0.1", Some("192.0.2.99, 203.0.113.5"));
        assert_eq!(client_ip(&req, &proxies).to_string(), "203.0.113.5");
        // Two trusted proxies in a row are skipped.
        let req = from_peer("10.0.0.1", Some("192.0.2.99, 203.0.113.5, 10.0.0.2"));
        assert_eq!(client_ip(&req, &proxies).to_string(), "203.0.113.5");
        // Nothing configured: never believed; garbage: the proxy's own address.
        assert_eq!(client_ip(&req, &none).to_string(), "10.0.0.1");
        let req = from_peer("10.0.0.1", Some("not-an-ip"));
        assert_eq!(client_ip(&req, &proxies).to_string(), "10.0.0.1");
    }

    /// What the body layers' readers fail with is recognised under axum's wrapping.
    #[tokio::test]
    async fn a_cut_off_body_is_told_apart_by_why_it_was_cut() {
        use http_body_util::BodyExt;
        let over = Body::new(http_body_util::Limited::new(
            Body::from(vec![b'a'; 100]),
            10,
        ));
        let e = over.collect().await.expect_err("over the limit");
        assert_eq!(cut_off_status(&e), Some(StatusCode::PAYLOAD_TOO_LARGE));

        let silent = Body::from_stream(futures::stream::pending::<
            Result<bytes::Bytes, std::io::Error>,
        >());
        let idle = Body::new(tower_http::timeout::TimeoutBody::new(
            std::time::Duration::from_millis(10),
            silent,
        ));
        let e = idle.collect().await.expect_err("idle");
        assert_eq!(cut_off_status(&e), Some(StatusCode::REQUEST_TIMEOUT));

        let other = Body::from_stream(futures::stream::once(async {
            Err::<bytes::Bytes, _>(std::io::Error::other("reset"))
        }));
        let e = other.collect().await.expect_err("reset");
        assert_eq!(cut_off_status(&e), None);
    }
}

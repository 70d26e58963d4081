//! Shared by the HTTP tests: a client that drives the real router in-process, carrying the
//! session cookie like a browser.
#![allow(dead_code)]

pub mod api;
pub mod dispatch;
pub mod process;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use engine::db::testing::TestDb;
use http::{header, Request, StatusCode};
use server::config::Config;
use std::net::SocketAddr;
use tower::ServiceExt;

#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub cookie: Option<String>,
    /// The database behind the router, to read what a person would read on their phone.
    pub db: engine::db::Db,
}

pub struct Reply {
    pub status: StatusCode,
    pub body: String,
    pub set_cookie: Vec<String>,
    /// Where a redirect points.
    pub location: Option<String>,
}

pub fn router_for(t: &TestDb, ip: [u8; 4]) -> Router {
    let config = Config::default();
    let state = server::server_state(&config, t.db.clone());
    // What `into_make_service_with_connect_info` does for a real socket.
    let peer = SocketAddr::from((ip, 40000));
    server::http::router(&config, state).layer(axum::middleware::map_request(
        move |mut req: Request<Body>| async move {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        },
    ))
}

/// The real router served over TCP on loopback (for third-party clients run as processes);
/// calls come from 127.0.0.1. Serves until the test's runtime ends.
pub async fn serve_on_loopback(t: &TestDb) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = router_for(t, [127, 0, 0, 1]);
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

impl Client {
    pub fn new(t: &TestDb) -> Client {
        Client {
            router: router_for(t, [192, 0, 2, 10]),
            cookie: None,
            db: t.db.clone(),
        }
    }

    pub async fn call(&mut self, req: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(req).await.expect("response");
        let status = response.status();
        let set_cookie: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for c in &set_cookie {
            if let Some(pair) = c.split(';').next() {
                self.cookie = if pair.ends_with('=') {
                    None
                } else {
                    Some(pair.to_string())
                };
            }
        }
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .expect("body");
        Reply {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            set_cookie,
            location,
        }
    }

    /// Calls a server function the way the browser does (same-origin form POST).
    pub async fn server_fn(&mut self, name: &str, form: &[(&str, &str)]) -> Reply {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = Request::post(format!("/api/{name}"))
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.call(req.body(Body::from(body)).expect("request"))
            .await
    }

    /// Renders a page. A render that takes over 20 s fails the test: none may stall (the
    /// stall once seen here was route generation in a concurrent test suppressing resource
    /// loads process-wide; see `server::http::route_list`).
    pub async fn page(&mut self, path: &str) -> Reply {
        let mut req = Request::get(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ACCEPT, "text/html,application/xhtml+xml");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let req = req.body(Body::empty()).expect("request");
        tokio::time::timeout(std::time::Duration::from_secs(20), self.call(req))
            .await
            .unwrap_or_else(|_| panic!("rendering {path} stalled for 20 s"))
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs up a trial account (registered mobile +852 9123 4567) without verifying its mobile.
pub async fn sign_up_unverified(c: &mut Client, login: &str) -> Reply {
    c.server_fn(
        "signup",
        &[
            ("login_name", login),
            ("password", "a long enough password"),
            ("password_confirmation", "a long enough password"),
            ("company_name", "Acme Ltd"),
            ("contact_email", "ops@acme.example"),
            ("mobile", "+852 9123 4567"),
        ],
    )
    .await
}

/// Signs up a trial account and verifies its mobile with the code the SMS carried, as its
/// owner would.
pub async fn sign_up(c: &mut Client, login: &str) -> Reply {
    let reply = sign_up_unverified(c, login).await;
    if reply.status == StatusCode::OK {
        let code = last_code_sms(&c.db, login, "Mobile verification code").await;
        let r = c.server_fn("verify_mobile", &[("code", &code)]).await;
        assert_eq!(r.status, StatusCode::OK, "verify {login}: {}", r.body);
    }
    reply
}

/// The one-time code in the last SMS of `kind` sent to `login`'s account (the batch's text).
pub async fn last_code_sms(db: &engine::db::Db, login: &str, kind: &str) -> String {
    use sqlx::Row;
    let text: String = sqlx::query(
        "SELECT b.final_text FROM batches b JOIN accounts a ON a.id = b.account_id \
         WHERE a.login_name = $1 AND b.content = $2 ORDER BY b.id DESC LIMIT 1",
    )
    .bind(login)
    .bind(kind)
    .fetch_one(db.pool())
    .await
    .expect("code sms")
    .try_get(0)
    .expect("text");
    text.split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| w.len() == 8 && w.bytes().all(|b| b.is_ascii_digit()))
        .expect("an 8-digit code in the SMS")
        .to_string()
}

/// Calls a server function with a JSON body (for functions declared with `input = Json`).
impl Client {
    pub async fn server_fn_json(&mut self, name: &str, body: serde_json::Value) -> Reply {
        let mut req = Request::post(format!("/api/{name}"))
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.call(req.body(Body::from(body.to_string())).expect("request"))
            .await
    }
}

impl Client {
    /// A client at another source address sharing this one's session cookie.
    pub fn from_ip(t: &TestDb, ip: [u8; 4], cookie: Option<String>) -> Client {
        Client {
            router: router_for(t, ip),
            cookie,
            db: t.db.clone(),
        }
    }

    /// Calls a multipart server function (uploads) with text fields and one file.
    pub async fn server_fn_multipart(
        &mut self,
        name: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Reply {
        const BOUNDARY: &str = "ferrytestboundary7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, filename, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let mut req = Request::post(format!("/api/{name}"))
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::ACCEPT, "application/json");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.call(req.body(Body::from(body)).expect("request"))
            .await
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let mut req = Request::get(path).header(header::HOST, "127.0.0.1:3000");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.call(req.body(Body::empty()).expect("request")).await
    }
}

/// Signs in the first staff account (created on demand) and returns its client.
pub async fn staff(t: &TestDb) -> Client {
    let password = match engine::auth::accounts::ensure_first_staff(&t.db)
        .await
        .expect("staff")
    {
        Some((_, password)) => password,
        None => panic!("staff() must be called once per database"),
    };
    let mut c = Client::new(t);
    let r = c
        .server_fn("login", &[("login_name", "admin"), ("password", &password)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "staff login: {}", r.body);
    set_up_two_factor(&mut c, t).await;
    c
}

/// Sets up two-factor sign-in for the client's account through the portal's server functions,
/// as its owner's authenticator app would (staff powers need it); returns the secret.
pub async fn set_up_two_factor(c: &mut Client, t: &TestDb) -> Vec<u8> {
    let r = c.server_fn("two_factor_begin", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "two-factor set-up: {}", r.body);
    let (secret, code) = pending_totp_code(&t.db).await;
    let r = c.server_fn("two_factor_confirm", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK, "two-factor confirm: {}", r.body);
    secret
}

/// The secret being set up (what the QR code carries; a test's database has one set-up at a
/// time) and the code an authenticator app shows for it now.
pub async fn pending_totp_code(db: &engine::db::Db) -> (Vec<u8>, String) {
    let pending: String = sqlx::query_scalar(
        "SELECT totp_pending_secret FROM accounts WHERE totp_pending_secret IS NOT NULL",
    )
    .fetch_one(db.pool())
    .await
    .expect("pending secret");
    let secret = hex::decode(pending).expect("hex");
    let step = engine::auth::two_factor::step_of(engine::db::now_ms());
    let code = format!("{:06}", engine::auth::two_factor::code_at(&secret, step));
    (secret, code)
}

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

pub async fn account_id(t: &TestDb, login: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT id FROM accounts WHERE login_name = $1")
        .bind(login)
        .fetch_one(t.db.pool())
        .await
        .expect("account")
        .try_get(0)
        .expect("id")
}

pub async fn balance(t: &TestDb, login: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT balance_minor FROM accounts WHERE login_name = $1")
        .bind(login)
        .fetch_one(t.db.pool())
        .await
        .expect("account")
        .try_get(0)
        .expect("balance")
}

/// A signed-in customer allowed to send anywhere (status normal), with `balance` to spend.
pub async fn normal_customer(t: &TestDb, login: &str, balance: sms::Money) -> (Client, i64) {
    let mut c = Client::new(t);
    sign_up(&mut c, login).await;
    let id = account_id(t, login).await;
    sqlx::query("UPDATE accounts SET status = 'normal' WHERE id = $1")
        .bind(id)
        .execute(t.db.pool())
        .await
        .expect("normal");
    dispatch::post_entry(&t.db, id, app::ledger::EntryKind::TopUp, balance, "top-up").await;
    (c, id)
}

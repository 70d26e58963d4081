//! Black-box tests of sign-up, sign-in, sessions, throttling, CSRF and staff-only access,
//! through the real router and server functions, against SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use common::{sign_up, Client};
use engine::db::testing::all_backends;
use http::{header, Request, StatusCode};
use sqlx::Row;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_signs_in_with_a_strict_http_only_cookie_and_hk5_balance() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        let reply = sign_up(&mut c, "acme").await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", t.name, reply.body);
        let cookie = reply.set_cookie.first().expect("session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );

        let viewer = c.server_fn("viewer", &[]).await;
        assert_eq!(viewer.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&viewer.body).expect("json");
        assert_eq!(v["login_name"], "acme", "{}", t.name);
        assert_eq!(v["status"], "Trial");
        assert_eq!(v["balance"], 50_000, "HK$5.00 in 1/10,000 HKD");

        let page = c.page("/account").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("HK$5.00"), "{}", t.name);
        assert!(page.body.contains("Trial credit"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejected_sign_up_field_gets_its_own_message() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        let reply = c
            .server_fn(
                "signup",
                &[
                    ("login_name", "x"),
                    ("password", "short"),
                    ("password_confirmation", "different"),
                    ("company_name", ""),
                    ("contact_email", "nope"),
                    ("mobile", "123"),
                ],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        for field in [
            "login_name",
            "password",
            "password_confirmation",
            "company_name",
            "contact_email",
            "mobile",
        ] {
            assert!(
                reply.body.contains(&format!("\"{field}\"")),
                "{field}: {}",
                reply.body
            );
        }
        assert!(reply.set_cookie.is_empty());
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM accounts WHERE role = 'customer'")
            .fetch_one(t.db.pool())
            .await
            .expect("count")
            .try_get(0)
            .expect("n");
        assert_eq!(n, 0, "{}", t.name);

        sign_up(&mut c, "taken").await;
        let mut other = Client::new(&t);
        let reply = sign_up(&mut other, "TAKEN").await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("login name is taken"), "{}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_logout_and_the_session_is_gone_after_logout() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "ops").await;
        let before_logout = c.cookie.clone().expect("cookie");
        let out = c.server_fn("logout", &[]).await;
        assert_eq!(out.status, StatusCode::OK);
        assert!(out.set_cookie.iter().any(|s| s.contains("Max-Age=0")));
        // The old token no longer works even if a client kept it.
        c.cookie = Some(before_logout);
        let v = c.server_fn("viewer", &[]).await;
        assert_eq!(v.body, "null", "{}", t.name);
        assert_eq!(c.page("/account").await.status, StatusCode::FOUND);

        let bad = c
            .server_fn(
                "login",
                &[("login_name", "ops"), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("incorrect"), "{}", bad.body);

        let ok = c
            .server_fn(
                "login",
                &[
                    ("login_name", "OPS"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}: {}", t.name, ok.body);
        let v = c.server_fn("viewer", &[]).await;
        assert!(v.body.contains("\"ops\""), "{}", v.body);

        // Source IP and time of every login and API call are recorded (§13).
        let logins: i64 = sqlx::query(
            "SELECT COUNT(*) FROM login_attempts WHERE login_name = 'ops' AND ip = '192.0.2.10'",
        )
        .fetch_one(t.db.pool())
        .await
        .expect("q")
        .try_get(0)
        .expect("n");
        assert_eq!(logins, 3, "sign-up, failure, success: {}", t.name);
        // The access log is written in groups about every 50 ms.
        let mut calls = 0i64;
        for _ in 0..100 {
            calls = sqlx::query(
                "SELECT COUNT(*) FROM access_log WHERE ip = '192.0.2.10' AND path = '/api/viewer'",
            )
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("n");
            if calls >= 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(calls >= 1, "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_failed_login_within_fifteen_minutes_is_throttled_even_with_the_right_password() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "target").await;
        c.server_fn("logout", &[]).await;
        for _ in 0..5 {
            let r = c
                .server_fn(
                    "login",
                    &[("login_name", "target"), ("password", "guess guess guess")],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let r = c
            .server_fn(
                "login",
                &[
                    ("login_name", "target"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: {}",
            t.name,
            r.body
        );
        assert!(
            r.body.contains("Too many failed sign-in attempts"),
            "{}",
            r.body
        );
        assert!(r.set_cookie.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused_before_any_server_function_runs() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        let req = Request::post("/api/login")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "https://attacker.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("login_name=a&password=b"))
            .expect("request");
        let r = c.call(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", t.name);
        let attempts: i64 = sqlx::query("SELECT COUNT(*) FROM login_attempts")
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("n");
        assert_eq!(attempts, 0);
    }
}

/// Every kind of response passes the same middleware: a page, a server function, the JSON
/// API and its description, a refused cross-site post, a page that does not exist and a body over the
/// limit all carry the security headers, and only pages get a policy that runs scripts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    use tower::ServiceExt;
    let t = engine::db::testing::sqlite().await;
    let router = common::router_for(&t, [192, 0, 2, 10]);
    let get = |path: &str| {
        Request::get(path)
            .header(header::HOST, "127.0.0.1:3000")
            .body(Body::empty())
            .expect("request")
    };
    let post = |path: &str, origin: &str, content_type: &str, body: Body| {
        Request::post(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .expect("request")
    };
    let same = "http://127.0.0.1:3000";
    let form = "application/x-www-form-urlencoded";
    let cases = [
        ("page", get("/login"), StatusCode::OK),
        (
            "server function",
            post(
                "/api/login",
                same,
                form,
                Body::from("login_name=a&password=b"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "JSON API without a key",
            post(
                "/api/v1/messages",
                same,
                "application/json",
                Body::from("{}"),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "cross-site post",
            post(
                "/api/login",
                "https://attacker.example",
                form,
                Body::from("a=b"),
            ),
            StatusCode::FORBIDDEN,
        ),
        (
            "API description",
            get("/api/v1/openapi.json"),
            StatusCode::OK,
        ),
        ("missing page", get("/no-such-page"), StatusCode::NOT_FOUND),
        (
            "body announced over the limit",
            {
                let mut req = post("/api/login", same, form, Body::from("a=b"));
                let over = (server::http::MAX_BODY_BYTES + 1).to_string();
                req.headers_mut()
                    .insert(header::CONTENT_LENGTH, over.parse().expect("length"));
                req
            },
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        ("health", get("/healthz"), StatusCode::OK),
    ];
    for (what, req, status) in cases {
        let response = router.clone().oneshot(req).await.expect("response");
        assert_eq!(response.status(), status, "{what}");
        let h = response.headers();
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "same-origin"),
            ("cross-origin-opener-policy", "same-origin"),
        ] {
            assert_eq!(
                h.get(name).map(|v| v.as_bytes()),
                Some(value.as_bytes()),
                "{what}: {name}"
            );
        }
        assert!(
            h.get("strict-transport-security").is_none(),
            "{what}: plain HTTP"
        );
        let policy = h["content-security-policy"].to_str().expect("ascii");
        if what == "page" || what == "missing page" {
            assert!(
                policy.contains("script-src 'self' 'nonce-"),
                "{what}: {policy}"
            );
        } else {
            assert_eq!(
                policy,
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                "{what}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_staff_reach_the_admin_console_page_and_its_data() {
    for t in all_backends().await {
        let (login, password) = app::auth::store::ensure_first_staff(&t.db)
            .await
            .expect("ok")
            .expect("staff created");

        let mut visitor = Client::new(&t);
        assert_eq!(visitor.page("/admin").await.status, StatusCode::FOUND);
        assert_eq!(
            visitor.server_fn("admin_overview", &[]).await.status,
            StatusCode::UNAUTHORIZED
        );

        let mut customer = Client::new(&t);
        sign_up(&mut customer, "customer1").await;
        let page = customer.page("/admin").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", t.name);
        assert!(!page.body.contains("Recent sign-in attempts"));
        let data = customer.server_fn("admin_overview", &[]).await;
        assert_eq!(data.status, StatusCode::FORBIDDEN, "{}", data.body);

        let mut staff = Client::new(&t);
        let r = staff
            .server_fn("login", &[("login_name", &login), ("password", &password)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        common::set_up_two_factor(&mut staff, &t).await;
        let page = staff.page("/admin").await;
        assert_eq!(page.status, StatusCode::OK, "{}", t.name);
        assert!(page.body.contains("Recent sign-in attempts"));
        let data = staff.server_fn("admin_overview", &[]).await;
        assert_eq!(data.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&data.body).expect("json");
        assert_eq!(v["customer_accounts"], 1);
        assert_eq!(v["staff_accounts"], 1);
    }
}

/// Staff two-factor sign-in (§13), over the real router: a staff login without it reaches no
/// staff power and is sent to set it up; once set up, signing in needs a code, a wrong or
/// replayed code fails like a wrong password, and a recovery code works once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_need_two_factor_sign_in_and_every_code_works_once() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let (_, password) = engine::auth::accounts::ensure_first_staff(&t.db)
            .await
            .expect("staff")
            .expect("first staff");
        let login = |code: Option<&str>| {
            let mut fields = vec![
                ("login_name".to_string(), "admin".to_string()),
                ("password".to_string(), password.clone()),
            ];
            if let Some(code) = code {
                fields.push(("code".into(), code.into()));
            }
            fields
        };
        async fn sign_in(c: &mut Client, fields: &[(String, String)]) -> common::Reply {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            c.server_fn("login", &fields).await
        }

        let mut c = Client::new(&t);
        let r = sign_in(&mut c, &login(None)).await;
        assert_eq!(r.status, StatusCode::OK, "{ctx}: {}", r.body);
        let refused = c.server_fn("admin_overview", &[]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{ctx}");
        assert!(
            refused.body.contains("Set up two-factor sign-in first"),
            "{}",
            refused.body
        );
        let page = c.page("/admin").await;
        assert_eq!(
            page.location.as_deref(),
            Some("/account/two-factor"),
            "{ctx}: the console sends them to set-up"
        );

        let secret = common::set_up_two_factor(&mut c, &t).await;
        let ok = c.server_fn("admin_overview", &[]).await;
        assert_eq!(ok.status, StatusCode::OK, "{ctx}: {}", ok.body);
        let audit: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.enable'")
                .fetch_one(t.db.pool())
                .await
                .expect("audit");
        assert_eq!(audit, 1, "{ctx}");

        // A new sign-in: the right password alone asks for the code, counting no failure.
        let mut d = Client::new(&t);
        let asked = sign_in(&mut d, &login(None)).await;
        assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY, "{ctx}");
        assert!(asked.body.contains("\"code\""), "{}", asked.body);
        assert!(d.cookie.is_none(), "{ctx}: no session without the code");

        let step = engine::auth::two_factor::step_of(engine::db::now_ms());
        let code = |s: u64| format!("{:06}", engine::auth::two_factor::code_at(&secret, s));
        let wrong = format!(
            "{:06}",
            (code(step + 1).parse::<u32>().expect("digits") + 1) % 1_000_000
        );
        let bad = sign_in(&mut d, &login(Some(&wrong))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{ctx}");
        assert!(bad.body.contains("not right"), "{}", bad.body);
        // The code that confirmed set-up was used already; the next step's works, once.
        let replay = sign_in(&mut d, &login(Some(&code(step)))).await;
        assert_eq!(
            replay.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{ctx}: replay"
        );
        let next = sign_in(&mut d, &login(Some(&code(step + 1)))).await;
        assert_eq!(next.status, StatusCode::OK, "{ctx}: {}", next.body);
        let mut e = Client::new(&t);
        let again = sign_in(&mut e, &login(Some(&code(step + 1)))).await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{ctx}: replay"
        );

        // Wrong codes are failed sign-ins: they show in the attempts log.
        let failures: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE login_name = 'admin' AND succeeded = 0",
        )
        .fetch_one(t.db.pool())
        .await
        .expect("attempts");
        assert_eq!(failures, 3, "{ctx}: the wrong code and the two replays");
    }
}

//! Hostile requests through the real router (issue 12): bodies and fields far over their
//! limits, malformed uploads, oversized recipient lists, live-progress streams by the dozen,
//! parallel guessing of passwords and codes, sign-up floods, and the quieter leaks (an
//! allow-list refusal that confirms a password, a resend that skips today's rules, a document
//! served inline). Every test runs on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use common::{
    account_id, last_code_sms, normal_customer, sign_up, sign_up_unverified, Client, PDF,
};
use engine::db::testing::{all_backends, TestDb};
use futures::StreamExt;
use http::{header, Request, StatusCode};
use sms::Money;
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const BOUNDARY: &str = "hostileboundary42";

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.db.pool())
        .await
        .expect("query")
        .try_get(0)
        .expect("count")
}

/// A multipart body that opens field `name` and then sends `size` bytes of `a`, made lazily;
/// `pulled` counts what the server actually read.
fn endless_field(name: &str, filename: Option<&str>, size: u64, pulled: Arc<AtomicU64>) -> Body {
    let disposition = match filename {
        Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
        None => format!("form-data; name=\"{name}\""),
    };
    let head = format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n");
    let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
    let chunks = size.div_ceil(chunk.len() as u64);
    let stream = futures::stream::once(async move { bytes::Bytes::from(head) })
        .chain(futures::stream::iter(0..chunks).map(move |_| chunk.clone()))
        .map(move |b| {
            pulled.fetch_add(b.len() as u64, Ordering::Relaxed);
            Ok::<_, std::io::Error>(b)
        });
    Body::from_stream(stream)
}

fn multipart_post(c: &Client, path: &str, content_type: &str, body: Body) -> Request<Body> {
    let mut req = Request::post(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = &c.cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(body).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_gb_text_field_is_refused_after_4_kb_and_the_server_keeps_answering() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "bigfield").await;
        let pulled = Arc::new(AtomicU64::new(0));
        let body = endless_field("reference", None, 2 << 30, pulled.clone());
        let req = multipart_post(
            &c,
            "/api/record_payment",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
        );
        let r = c.call(req).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            t.name,
            r.body
        );
        assert!(r.body.contains("longer than 4 KB"), "{}", r.body);
        let read = pulled.load(Ordering::Relaxed);
        assert!(
            read < 1 << 20,
            "{}: the server read {read} bytes of a 2 GB field",
            t.name
        );
        // Still serving.
        assert_eq!(c.page("/account").await.status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_its_limit_is_refused_the_moment_it_passes_it() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "bigfile").await;
        let pulled = Arc::new(AtomicU64::new(0));
        let body = endless_field("file", Some("list.csv"), 11 << 20, pulled.clone());
        let req = multipart_post(
            &c,
            "/api/import_recipients",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
        );
        let r = c.call(req).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("the limit is 6 MB"), "{}", r.body);
        let read = pulled.load(Ordering::Relaxed);
        assert!(read < 7 << 20, "{}: read {read} bytes", t.name);
    }
}

/// A body over its limit that does not announce its length is cut off while it is read; a
/// server function answered that with 500 (as if Ferry had failed), now 413 with the portal's
/// error. Forms and JSON are read whole, so their limit is 4 MB for the server functions as
/// for the JSON API (they read up to 12 MB before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_goes_over_the_limit_unannounced_is_answered_413() {
    let t = engine::db::testing::sqlite().await;
    let mut c = Client::new(&t);
    let form_post = |path: &str, body: Vec<u8>| {
        Request::post(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    };
    for size in [
        server::http::MAX_FORM_BODY_BYTES + 1,
        server::http::MAX_BODY_BYTES + 1,
    ] {
        for path in ["/api/login", "/api/signup"] {
            let r = c.call(form_post(path, vec![b'a'; size])).await;
            assert_eq!(
                r.status,
                StatusCode::PAYLOAD_TOO_LARGE,
                "{path} {size}: {}",
                r.body
            );
            // The portal's error, as the page decodes it.
            let error: app::error::AppError = serde_json::from_str(&r.body).expect("AppError");
            assert_eq!(
                error,
                app::error::AppError::field("body", "The request is larger than 4 MB."),
                "{path} {size}"
            );
        }
    }
    // In the reader's language.
    let mut req = form_post(
        "/api/login",
        vec![b'a'; server::http::MAX_FORM_BODY_BYTES + 1],
    );
    req.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        "zh-HK,zh;q=0.9".parse().expect("header"),
    );
    let r = c.call(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let error: app::error::AppError = serde_json::from_str(&r.body).expect("AppError");
    assert_eq!(
        error,
        app::error::AppError::field("body", "請求大於 4 MB。")
    );
    // Under the limit, the same route answers for itself.
    let r = c
        .call(form_post("/api/login", b"login_name=a&password=b".to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_announces_more_than_the_limit_is_refused_before_it_is_read() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "announcer").await;
        let pulled = Arc::new(AtomicU64::new(0));
        let mut req = multipart_post(
            &c,
            "/api/import_recipients",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            endless_field("file", Some("x.csv"), 1 << 20, pulled.clone()),
        );
        req.headers_mut().insert(
            header::CONTENT_LENGTH,
            "2147483648".parse().expect("length"),
        );
        let r = c.call(req).await;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}: {}",
            t.name,
            r.body
        );
        assert!(pulled.load(Ordering::Relaxed) < 128 * 1024);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_without_a_valid_multipart_boundary_get_400_not_a_panic() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "noboundary").await;
        for (path, content_type) in [
            ("/api/import_recipients", "multipart/form-data"),
            ("/api/import_recipients", "multipart/form-data; boundary="),
            ("/api/import_recipients", "application/json"),
            ("/api/record_payment", "text/plain"),
            ("/api/login", "multipart/form-data; charset=utf-8"),
        ] {
            let req = multipart_post(&c, path, content_type, Body::from("--x\r\n"));
            let r = c.call(req).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{}: {path} with {content_type}: {}",
                t.name,
                r.body
            );
            assert!(r.body.contains("multipart/form-data"), "{}", r.body);
        }
        assert_eq!(c.page("/broadcast").await.status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_more_than_16_fields_is_refused() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "manyfields").await;
        let fields: Vec<(String, String)> = (0..17)
            .map(|i| (format!("f{i}"), "x".to_string()))
            .collect();
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = c
            .server_fn_multipart(
                "import_recipients",
                &refs,
                Some(("file", "a.csv", b"91234567")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("more than 16 fields"), "{}", r.body);
    }
}

fn economic(recipients: &str) -> serde_json::Value {
    serde_json::json!({
        "route": "HkEconomic", "purpose": "Notification", "text": "Sale today", "recipients": recipients,
        "client": { "encoding": "GSM7", "parts": 1, "unit_price": 2200 },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipient_lists_are_counted_before_they_are_parsed_and_refused_rows_are_echoed_in_part() {
    for t in all_backends().await {
        let (mut c, _) = normal_customer(&t, "lister", Money::hkd(10_000)).await;
        let huge: String = "91234567\n".repeat(100_001);
        let r = c.server_fn_json("check_broadcast", economic(&huge)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("100001 rows is more than a batch can take"),
            "{}",
            r.body
        );

        let mut list: String = (0..3_000).map(|i| format!("bad{i}\n")).collect();
        list.push_str("91234567\n");
        let r = c.server_fn_json("check_broadcast", economic(&list)).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let v = json(&r.body);
        assert_eq!(v["recipients"], 1);
        assert_eq!(v["rejected_total"], 3_000);
        assert_eq!(v["rejected"].as_array().map(Vec::len), Some(1_000));
    }
}

/// Opens `/batches/{id}/events` and returns the response with its body unread.
async fn open_stream(c: &Client, batch_id: i64) -> http::Response<Body> {
    let mut req =
        Request::get(format!("/batches/{batch_id}/events")).header(header::HOST, "127.0.0.1:3000");
    if let Some(cookie) = &c.cookie {
        req = req.header(header::COOKIE, cookie);
    }
    c.router
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response")
}

async fn batch_for(t: &TestDb, account: i64, scheduled_at: Option<i64>) -> i64 {
    use engine::delivery::store::{create_batch, NewBatch};
    create_batch(
        &t.db,
        &NewBatch {
            scheduled_at,
            ..NewBatch::on_route(
                account,
                sms::Route::HkEconomic,
                "Live",
                [("85291234567".to_string(), Money::from_minor(2_200))],
            )
        },
    )
    .await
    .expect("batch")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_progress_streams_are_capped_per_account_end_for_later_batches_and_at_sign_out() {
    for t in all_backends().await {
        let (mut c, account) = normal_customer(&t, "watcher", Money::hkd(100)).await;
        // No dispatcher runs here: the batch stays unfinished and its streams stay open.
        let running = batch_for(&t, account, None).await;
        let mut open = Vec::new();
        for _ in 0..app::delivery::events::MAX_STREAMS_PER_ACCOUNT {
            let r = open_stream(&c, running).await;
            assert_eq!(r.status(), StatusCode::OK, "{}", t.name);
            open.push(r);
        }
        let fifth = open_stream(&c, running).await;
        assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS, "{}", t.name);
        assert!(fifth.headers().contains_key(header::RETRY_AFTER));
        // Another account has its own allowance.
        let (other, other_account) = normal_customer(&t, "other", Money::hkd(100)).await;
        let theirs = batch_for(&t, other_account, None).await;
        assert_eq!(open_stream(&other, theirs).await.status(), StatusCode::OK);
        // A closed stream gives its place back.
        open.pop();
        assert_eq!(open_stream(&c, running).await.status(), StatusCode::OK);
        drop(open);

        // A batch due next year: one summary, then the stream ends and says why.
        let later = batch_for(&t, account, Some(engine::db::now_ms() + 365 * 86_400_000)).await;
        let r = open_stream(&c, later).await;
        let text = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            axum::body::to_bytes(r.into_body(), 1 << 20),
        )
        .await
        .expect("a stream for a scheduled batch ends by itself")
        .expect("body");
        let text = String::from_utf8_lossy(&text);
        assert!(text.contains("event: summary"), "{text}");
        assert!(text.contains("event: end\ndata: scheduled"), "{text}");

        // Signing out ends the streams of that session.
        let r = open_stream(&c, running).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(c.server_fn("logout", &[]).await.status, StatusCode::OK);
        let text = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            axum::body::to_bytes(r.into_body(), 1 << 20),
        )
        .await
        .expect("the stream ends after sign-out")
        .expect("body");
        assert!(
            String::from_utf8_lossy(&text).contains("data: signed-out"),
            "{}",
            t.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_all_counted_and_only_five_are_tried() {
    for t in all_backends().await {
        let mut owner = Client::new(&t);
        sign_up(&mut owner, "guessed").await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let mut c = Client::new(&t);
                tokio::spawn(async move {
                    c.server_fn(
                        "login",
                        &[("login_name", "guessed"), ("password", "wrong wrong wrong")],
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task"));
        }
        let tried = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
            .count();
        let throttled = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((tried, throttled), (5, 15), "{}: {statuses:?}", t.name);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM login_attempts WHERE login_name = 'guessed' AND succeeded = 0"
            )
            .await,
            5
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_lock_the_owner_out_of_a_login_from_a_known_address() {
    for t in all_backends().await {
        let mut owner = Client::from_ip(&t, [198, 51, 100, 1], None);
        sign_up(&mut owner, "admin2").await;
        owner.server_fn("logout", &[]).await;
        // Fifty strangers, one guess each: the login is closed to new addresses for an hour.
        for i in 0..50u8 {
            let mut stranger = Client::from_ip(&t, [203, 0, 113, i], None);
            let r = stranger
                .server_fn(
                    "login",
                    &[("login_name", "admin2"), ("password", "guess guess")],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        }
        let mut another = Client::from_ip(&t, [203, 0, 113, 200], None);
        let r = another
            .server_fn(
                "login",
                &[
                    ("login_name", "admin2"),
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
        // The owner, from the address they signed up from, still gets in.
        let r = owner
            .server_fn(
                "login",
                &[
                    ("login_name", "admin2"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_list_refusal_says_the_same_whether_the_password_was_right_or_wrong() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "fenced").await;
        let r = c
            .server_fn(
                "update_settings",
                &[
                    ("validity_minutes", "120"),
                    ("single_sms_limit", ""),
                    ("ip_allow_list", "192.0.2.0/24"),
                    ("unsubscribe_hotline", ""),
                    ("callback_url", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut outside = Client::from_ip(&t, [203, 0, 113, 9], None);
        let right = outside
            .server_fn(
                "login",
                &[
                    ("login_name", "fenced"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        let wrong = outside
            .server_fn(
                "login",
                &[("login_name", "fenced"), ("password", "not it at all")],
            )
            .await;
        assert_eq!(right.status, StatusCode::FORBIDDEN, "{}", t.name);
        assert_eq!((right.status, &right.body), (wrong.status, &wrong.body));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_current_passwords_are_throttled_on_a_signed_in_session() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "stolen").await;
        let change = |current: &'static str| {
            [
                ("current_password", current),
                ("new_password", "brand new password"),
                ("new_password_confirmation", "brand new password"),
            ]
        };
        for _ in 0..5 {
            let r = c.server_fn("change_password", &change("guess guess")).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        }
        let r = c
            .server_fn("change_password", &change("a long enough password"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: {}",
            t.name,
            r.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reset_code_guesses_each_use_up_an_attempt() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "forgot").await;
        c.server_fn("logout", &[]).await;
        let r = c
            .server_fn("request_password_reset", &[("login_name", "forgot")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let code = last_code_sms(&t.db, "forgot", "Password reset code").await;
        // Eight guesses: over the five a code allows, under the ten an account gets a day.
        let tasks: Vec<_> = (0..8u32)
            .map(|i| {
                let mut c = Client::from_ip(&t, [198, 51, 100, i as u8], None);
                tokio::spawn(async move {
                    c.server_fn(
                        "reset_password",
                        &[
                            ("login_name", "forgot"),
                            ("code", &format!("{:08}", 10_000_000 + i)),
                            ("new_password", "attacker password"),
                            ("new_password_confirmation", "attacker password"),
                        ],
                    )
                    .await
                    .status
                })
            })
            .collect();
        for task in tasks {
            assert_ne!(task.await.expect("task"), StatusCode::OK);
        }
        let attempts = count(
            &t,
            "SELECT attempts FROM password_resets r JOIN accounts a ON a.id = r.account_id WHERE a.login_name = 'forgot'",
        )
        .await;
        assert_eq!(attempts, 5, "{}: at most five guesses per code", t.name);
        // Even the right code is refused now: its attempts are used up.
        let r = c
            .server_fn(
                "reset_password",
                &[
                    ("login_name", "forgot"),
                    ("code", &code),
                    ("new_password", "owner password!"),
                    ("new_password_confirmation", "owner password!"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_requests_get_one_answer_whatever_the_account_and_are_limited_per_address() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "known").await;
        let mut odd = Client::from_ip(&t, [198, 51, 100, 77], None);
        sign_up(&mut odd, "oddmobile").await;
        sqlx::query("UPDATE accounts SET mobile = 'not a number' WHERE login_name = 'oddmobile'")
            .execute(t.db.pool())
            .await
            .expect("odd mobile");
        let mut stranger = Client::from_ip(&t, [203, 0, 113, 50], None);
        let mut answers = Vec::new();
        for login in ["known", "nobody-at-all", "oddmobile"] {
            let r = stranger
                .server_fn("request_password_reset", &[("login_name", login)])
                .await;
            answers.push((r.status, r.body));
        }
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "{}: {answers:?}",
            t.name
        );
        assert_eq!(answers[0].0, StatusCode::OK);
        for _ in 3..10 {
            stranger
                .server_fn("request_password_reset", &[("login_name", "nobody-at-all")])
                .await;
        }
        let r = stranger
            .server_fn("request_password_reset", &[("login_name", "known")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: {}",
            t.name,
            r.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_account_sends_nothing_until_its_mobile_is_verified() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        let r = sign_up_unverified(&mut c, "fresh").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let own = serde_json::json!({
            "route": "HkBusiness", "purpose": "Notification", "text": "Hi", "recipients": "91234567",
            "client": { "encoding": "GSM7", "parts": 1, "unit_price": 3200 },
        });
        let r = c.server_fn_json("check_broadcast", own.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}: {}", t.name, r.body);
        assert!(
            r.body.contains("Verify your registered mobile"),
            "{}",
            r.body
        );
        let r = c.server_fn("verify_mobile", &[("code", "00000000")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let code = last_code_sms(&t.db, "fresh", "Mobile verification code").await;
        // The code went out free of charge: the trial credit is whole.
        assert_eq!(common::balance(&t, "fresh").await, 50_000);
        let r = c.server_fn("verify_mobile", &[("code", &code)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c.server_fn_json("check_broadcast", own).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_are_limited_per_address_and_codes_per_number() {
    for t in all_backends().await {
        let mut c = Client::from_ip(&t, [198, 51, 100, 3], None);
        for i in 0..10 {
            let r = sign_up_unverified(&mut c, &format!("farm{i}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        }
        let r = sign_up_unverified(&mut c, "farm10").await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: {}",
            t.name,
            r.body
        );
        // Ten accounts named the same mobile, but it received only three codes today.
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM mobile_verifications WHERE mobile = '85291234567'"
            )
            .await,
            3,
            "{}",
            t.name
        );
        let r = c.server_fn("send_mobile_code", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("this mobile number"), "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_sandboxed_and_pdfs_are_downloaded_not_shown() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "payer").await;
        let r = c
            .server_fn_multipart(
                "record_payment",
                &[("amount", "300"), ("method", "FPS"), ("reference", "R1")],
                Some(("receipt", "receipt \"x\".pdf", PDF)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let id = count(&t, "SELECT MAX(id) FROM documents").await;
        let response = c
            .router
            .clone()
            .oneshot(
                Request::get(format!("/documents/{id}"))
                    .header(header::HOST, "127.0.0.1:3000")
                    .header(header::COOKIE, c.cookie.clone().expect("cookie"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        let disposition = h[header::CONTENT_DISPOSITION].to_str().expect("ascii");
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(!disposition.contains("\"x\""), "{disposition}");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "sandbox");
        assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_follows_todays_rules_for_sender_ids_keywords_and_do_not_call() {
    use engine::delivery::store::{create_batch, NewBatch};
    for t in all_backends().await {
        let (mut c, account) = normal_customer(&t, "resender", Money::hkd(1_000)).await;
        let failed = |route, sender: Option<&str>, text: &str, numbers: &[&str]| NewBatch {
            sender_id: sender.map(str::to_string),
            ..NewBatch::on_route(
                account,
                route,
                text,
                numbers
                    .iter()
                    .map(|n| (n.to_string(), Money::from_minor(3_200))),
            )
        };
        let fail_all = |batch: i64| {
            let db = t.db.clone();
            async move {
                sqlx::query("UPDATE messages SET status = 21, error_code = 1 WHERE batch_id = $1")
                    .bind(batch)
                    .execute(db.pool())
                    .await
                    .expect("fail");
            }
        };
        // A sender ID staff have since retired.
        sqlx::query(
            "INSERT INTO sender_ids (account_id, sender_id, registered, status, created_by, created_at, retired_at) \
             VALUES ($1, 'OldBrand', 0, 'retired', $1, 0, 1)",
        )
        .bind(account)
        .execute(t.db.pool())
        .await
        .expect("retired sender id");
        let b = create_batch(
            &t.db,
            &failed(
                sms::Route::HkBusiness,
                Some("OldBrand"),
                "Hi",
                &["85291234567"],
            ),
        )
        .await
        .expect("batch");
        fail_all(b).await;
        let r = c
            .server_fn(
                "resend_batch",
                &[("batch_id", &b.to_string()), ("error_codes", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}: {}", t.name, r.body);
        assert!(r.body.contains("OldBrand"), "{}", r.body);

        // A China text with a keyword from today's library.
        let keyword: String = sqlx::query("SELECT keyword FROM china_keywords LIMIT 1")
            .fetch_one(t.db.pool())
            .await
            .expect("keyword")
            .try_get(0)
            .expect("text");
        let b = create_batch(
            &t.db,
            &failed(
                sms::Route::China,
                None,
                &format!("Offer {keyword}"),
                &["8613800138000"],
            ),
        )
        .await
        .expect("batch");
        fail_all(b).await;
        let r = c
            .server_fn(
                "resend_batch",
                &[("batch_id", &b.to_string()), ("error_codes", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}: {}", t.name, r.body);

        // Numbers now on the do-not-call register are left out, as UNDELIVERABLE 10.
        let mut admin = common::staff(&t).await;
        let r = admin
            .server_fn_multipart(
                "import_dnc_register",
                &[("register_date", "2026-11-01")],
                Some(("file", "dnc.csv", b"61234567\r\n")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let b = create_batch(
            &t.db,
            &failed(
                sms::Route::HkEconomic,
                None,
                "Hi",
                &["85261234567", "85291234567"],
            ),
        )
        .await
        .expect("batch");
        fail_all(b).await;
        let r = c
            .server_fn(
                "resend_batch",
                &[("batch_id", &b.to_string()), ("error_codes", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let resent: i64 = r.body.trim().parse().expect("id");
        let rows = sqlx::query(
            "SELECT destination, status, error_code FROM messages WHERE batch_id = $1 ORDER BY destination",
        )
        .bind(resent)
        .fetch_all(t.db.pool())
        .await
        .expect("rows");
        let got: Vec<(String, i64, Option<i64>)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("85261234567".to_string(), 21, Some(10)),
                ("85291234567".to_string(), 2, None)
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_imports_are_capped_and_written_in_chunks() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "bookkeeper").await;
        let too_many: String = (0..50_001)
            .map(|i| format!("Name {i},{}\r\n", 91_000_000 + i))
            .collect();
        let r = c
            .server_fn_multipart(
                "import_contacts",
                &[],
                Some(("file", "c.csv", too_many.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("more than 50000 filled rows"), "{}", r.body);
        let fine: String = (0..2_500)
            .map(|i| format!("Name {i},{}\r\n", 91_000_000 + i))
            .collect();
        let r = c
            .server_fn_multipart(
                "import_contacts",
                &[],
                Some(("file", "c.csv", fine.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let account = account_id(&t, "bookkeeper").await;
        assert_eq!(
            count(
                &t,
                &format!("SELECT COUNT(*) FROM contacts WHERE account_id = {account}")
            )
            .await,
            2_500
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statement_csv_streams_every_entry_across_chunks() {
    use engine::ledger::store::{post, Posting};
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "longledger").await;
        let account = account_id(&t, "longledger").await;
        let mut tx = t.db.pool().begin().await.expect("tx");
        for i in 0..5_100 {
            post(
                &mut tx,
                Posting {
                    account_id: account,
                    kind: app::ledger::EntryKind::TopUp,
                    amount: Money::from_minor(1),
                    description: &format!("entry {i}"),
                    reference: None,
                    created_by: None,
                },
            )
            .await
            .expect("post");
        }
        tx.commit().await.expect("commit");
        let r = c.get("/account/statement.csv").await;
        assert_eq!(r.status, StatusCode::OK);
        // Header, trial credit, 5,100 top-ups.
        assert_eq!(r.body.lines().count(), 1 + 1 + 5_100, "{}", t.name);
        assert!(r
            .body
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("entry 5099")));
    }
}

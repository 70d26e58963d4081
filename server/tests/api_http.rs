//! The HTTP API (`/api/v1`, PRODUCT.md §11, issue 14) through the real router, on SQLite and
//! PostgreSQL: keys, sending to at most 20 numbers with one id per accepted number and a reason
//! per refused row, the bulk call, status and balance, isolation between accounts, the IP
//! allow-list, revoked keys, one error shape for every bad field, idempotency under a race,
//! rate limits, and §14's last-credit race over the API.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::api::{assert_error, batches, customer_with_key, send, Api};
use engine::db::testing::all_backends;
use http::{header, Request, StatusCode};
use serde_json::{json, Value};
use sms::{Money, Route};
use std::net::SocketAddr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_sends_reads_status_and_balance_and_sees_only_its_own_account() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "apione", Money::hkd(100)).await;
        let sent = api
            .post(
                "/api/v1/messages",
                &send(&["91234567", "not a number", "+852 6123 4567"]),
            )
            .await;
        assert_eq!(
            sent.status,
            StatusCode::CREATED,
            "{}: {}",
            t.name,
            sent.json
        );
        let messages = sent.json["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2, "{}: {}", t.name, sent.json);
        assert_eq!(messages[0]["to"], "85291234567");
        assert_eq!(messages[1]["to"], "85261234567");
        let rejected = sent.json["rejected"].as_array().expect("rejected");
        assert_eq!(rejected.len(), 1, "{}", sent.json);
        assert_eq!(
            rejected[0]["row"], 2,
            "the refused item's position: {}",
            sent.json
        );
        assert!(rejected[0]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()));
        assert_eq!(sent.json["parts"], 1);
        let batch_id = sent.json["batch_id"].as_i64().expect("batch id");
        let message_id = messages[0]["id"].as_i64().expect("message id");

        let one = api.get(&format!("/api/v1/messages/{message_id}")).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.json);
        assert_eq!(one.json["batch_id"], batch_id);
        assert_eq!(one.json["status"], "UPLOAD SUCCESS");
        assert_eq!(one.json["status_code"], 2);
        assert_eq!(one.json["route"], Route::HkEconomic.as_str());
        let batch = api.get(&format!("/api/v1/batches/{batch_id}")).await;
        assert_eq!(batch.status, StatusCode::OK, "{}", batch.json);
        assert_eq!(batch.json["total_messages"], 3, "{}", batch.json);
        assert_eq!(batch.json["messages"].as_array().map(Vec::len), Some(3));
        let balance = api.get("/api/v1/balance").await;
        assert_eq!(balance.status, StatusCode::OK);
        assert_eq!(
            balance.json["balance_minor"],
            common::balance(&t, "apione").await
        );
        assert_eq!(balance.json["held_minor"], 0);
        assert_eq!(balance.json["currency"], "HKD");

        // Another account's key finds nothing of it, nor does a sub-account's.
        let (other, _) = customer_with_key(&t, "apitwo", Money::hkd(10)).await;
        for path in [
            format!("/api/v1/messages/{message_id}"),
            format!("/api/v1/batches/{batch_id}"),
        ] {
            assert_error(
                &other.get(&path).await,
                StatusCode::NOT_FOUND,
                "not_found",
                None,
                &path,
            );
        }
        let staff_id = engine::testing::staff(&t.db, "apistaff").await;
        let sub = engine::testing::customer_account(
            &t.db,
            "apisub",
            "Apione Dept",
            engine::auth::AccountStatus::Normal,
        )
        .await;
        engine::staff::accounts::store::link(&t.db, staff_id, sub, "apione")
            .await
            .expect("link the sub-account");
        let key = engine::api_keys::store::create(&t.db, sub, "sub")
            .await
            .expect("key");
        let sub_api = Api {
            router: api.router.clone(),
            key: key.secret,
        };
        for path in [
            format!("/api/v1/messages/{message_id}"),
            format!("/api/v1/batches/{batch_id}"),
        ] {
            assert_error(
                &sub_api.get(&path).await,
                StatusCode::NOT_FOUND,
                "not_found",
                None,
                &format!("a sub-account's key against the primary's {path}"),
            );
        }
        for path in [
            "/api/v1/messages/0",
            "/api/v1/messages/abc",
            "/api/v1/batches/99999999",
        ] {
            assert_error(
                &api.get(path).await,
                StatusCode::NOT_FOUND,
                "not_found",
                None,
                path,
            );
        }
        assert_error(
            &api.get("/api/v1/nothing-here").await,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
            "unknown endpoint",
        );

        // No key, a malformed header, a revoked key.
        let anonymous = Api {
            router: api.router.clone(),
            key: String::new(),
        };
        let a = anonymous.get("/api/v1/balance").await;
        assert_error(
            &a,
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            None,
            "no key",
        );
        assert!(a.headers.contains_key(header::WWW_AUTHENTICATE));
        let wrong = Api {
            router: api.router.clone(),
            key: "ferry_nonsense".into(),
        };
        assert_error(
            &wrong.get("/api/v1/balance").await,
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            None,
            "unknown key",
        );
        let listed = engine::api_keys::store::list(&t.db, account)
            .await
            .expect("keys");
        assert!(
            listed[0].last_used_at.is_some(),
            "{}: last use recorded",
            t.name
        );
        assert_eq!(listed[0].last_used_ip.as_deref(), Some("192.0.2.10"));
        engine::api_keys::store::revoke(&t.db, account, listed[0].id)
            .await
            .expect("revoke");
        assert_error(
            &api.get("/api/v1/balance").await,
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            None,
            "revoked key",
        );

        // Every call is in the access log with its source IP (§13); a background writer
        // stores it within about 50 ms.
        let mut logged = 0;
        for _ in 0..100 {
            logged = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM access_log WHERE account_id = $1 AND ip = '192.0.2.10' AND path LIKE '/api/v1/%'",
            )
            .bind(account)
            .fetch_one(t.db.pool())
            .await
            .expect("log");
            if logged >= 5 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(logged >= 5, "{}: {logged} API calls logged", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_gets_its_own_clear_error_and_never_a_500() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "apibad", Money::hkd(100)).await;
        let before = batches(&t, account).await;
        let many: Vec<String> = (0..21).map(|i| format!("9{:07}", 1_000_000 + i)).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let cases: Vec<(Value, StatusCode, &str, Option<&str>)> = vec![
            (
                send(&many),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("to"),
            ),
            (
                send(&[]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("to"),
            ),
            (
                send(&["91234567", " "]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("to[1]"),
            ),
            (
                send(&["91234567,61234567"]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("to[0]"),
            ),
            (
                json!({"to": ["91234567"], "route": "hk_economic"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("text"),
            ),
            (
                json!({"to": ["91234567"], "text": "hi", "route": "hk_gold"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("route"),
            ),
            (
                json!({"to": "91234567", "text": "hi", "route": "hk_economic"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("to"),
            ),
            (
                json!({"to": ["91234567"], "text": "hi", "route": "hk_economic", "colour": "red"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("colour"),
            ),
            (
                json!({"to": ["91234567"], "text": "hi", "route": "hk_economic", "validity_minutes": 5}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("validity_minutes"),
            ),
            (
                json!({"to": ["91234567"], "text": "hi", "route": "hk_economic", "schedule_at": "tomorrow"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("schedule_at"),
            ),
            (
                json!({"to": ["91234567"], "text": "", "route": "hk_economic"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("text"),
            ),
            (
                json!({"to": ["91234567"], "text": "x".repeat(1600), "route": "hk_economic"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("text"),
            ),
            (
                json!({"to": ["nope", "also nope"], "text": "hi", "route": "hk_economic"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("to"),
            ),
            (
                json!({"to": ["91234567"], "text": "hi", "route": "hk_business", "sender_id": "Nobody"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("sender_id"),
            ),
        ];
        for (body, status, code, field) in cases {
            let a = api.post("/api/v1/messages", &body).await;
            assert_error(&a, status, code, field, &format!("{}: {body}", t.name));
        }
        for raw in [
            "",
            "{",
            "[1,2]",
            "{\"to\": [\"91234567\"]} trailing",
            "null",
        ] {
            let a = api.call("POST", "/api/v1/messages", Some(raw), &[]).await;
            assert!(
                a.status == StatusCode::BAD_REQUEST || a.status == StatusCode::UNPROCESSABLE_ENTITY,
                "{raw:?}: {} {}",
                a.status,
                a.json
            );
            assert!(a.json["error"]["code"].is_string(), "{raw:?}: {}", a.json);
        }
        let a = api.call("PUT", "/api/v1/messages", Some("{}"), &[]).await;
        assert_error(
            &a,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
            "PUT",
        );
        assert_eq!(
            batches(&t, account).await,
            before,
            "{}: nothing above was sent",
            t.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_request_gets_the_first_answer_and_sends_once_even_when_the_twins_race() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "apiidem", Money::hkd(100)).await;
        let before = batches(&t, account).await;
        let body = send(&["91234567", "61234567"]).to_string();
        let key = [("Idempotency-Key", "order-4711")];
        let (a, b) = tokio::join!(
            api.call("POST", "/api/v1/messages", Some(&body), &key),
            api.call("POST", "/api/v1/messages", Some(&body), &key),
        );
        assert_eq!(a.status, StatusCode::CREATED, "{}: {}", t.name, a.json);
        assert_eq!(b.status, a.status, "{}", b.json);
        assert_eq!(a.json, b.json, "{}: both twins get the same answer", t.name);
        let again = api
            .call("POST", "/api/v1/messages", Some(&body), &key)
            .await;
        assert_eq!(again.json, a.json);
        assert_eq!(
            again
                .headers
                .get("idempotent-replayed")
                .map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        assert_eq!(
            batches(&t, account).await,
            before + 1,
            "{}: sent once",
            t.name
        );

        let other = send(&["51234567"]).to_string();
        let reused = api
            .call("POST", "/api/v1/messages", Some(&other), &key)
            .await;
        assert_error(
            &reused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            Some("Idempotency-Key"),
            "reuse",
        );
        // A refusal is an answer too: the same refused request is refused the same way.
        let bad = json!({"to": ["91234567"], "text": "", "route": "hk_economic"}).to_string();
        let k2 = [("Idempotency-Key", "order-4712")];
        let first = api.call("POST", "/api/v1/messages", Some(&bad), &k2).await;
        let second = api.call("POST", "/api/v1/messages", Some(&bad), &k2).await;
        assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((second.status, second.json), (first.status, first.json));
        let long_key = "k".repeat(300);
        let a = api
            .call(
                "POST",
                "/api/v1/messages",
                Some(&body),
                &[("Idempotency-Key", long_key.as_str())],
            )
            .await;
        assert_error(
            &a,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            Some("Idempotency-Key"),
            "long key",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_api_sends_for_the_last_credit_accept_exactly_what_the_balance_covers() {
    for t in all_backends().await {
        let price = engine::pricing::store::current(&t.db, engine::db::now_ms())
            .await
            .expect("prices")
            .base_price(Route::HkEconomic)
            .expect("HK Economic price");
        // Each send is 20 numbers; the balance covers exactly four of them (sign-up's credit
        // included).
        let (api, account) = customer_with_key(&t, "apilast", Money::hkd(1)).await;
        let per_send = price.minor() * 20;
        let top_up = per_send * 4 - common::balance(&t, "apilast").await;
        assert!(
            top_up > 0,
            "the price list makes 80 messages cost more than the sign-up credit"
        );
        let staff_id = engine::testing::staff(&t.db, "apilaststaff").await;
        engine::testing::top_up(&t.db, account, staff_id, Money::from_minor(top_up)).await;
        let mut sends = tokio::task::JoinSet::new();
        for i in 0..5 {
            let api = Api {
                router: api.router.clone(),
                key: api.key.clone(),
            };
            sends.spawn(async move {
                let numbers: Vec<String> = (0..20)
                    .map(|j| format!("9{:07}", 2_000_000 + i * 100 + j))
                    .collect();
                let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
                api.post("/api/v1/messages", &send(&numbers)).await
            });
        }
        let mut accepted = 0;
        let mut refused = 0;
        while let Some(a) = sends.join_next().await {
            let a = a.expect("send");
            match a.status {
                StatusCode::CREATED => accepted += 1,
                _ => {
                    assert_error(
                        &a,
                        StatusCode::CONFLICT,
                        "insufficient_balance",
                        None,
                        &t.name,
                    );
                    assert_eq!(a.json["error"]["error_code"], 16, "§8 code: {}", a.json);
                    refused += 1;
                }
            }
        }
        assert_eq!((accepted, refused), (4, 1), "{}", t.name);
        assert!(common::balance(&t, "apilast").await >= 0, "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ip_allow_list_and_the_rate_limit_apply_to_keys() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "apilimits", Money::hkd(10)).await;
        sqlx::query("UPDATE accounts SET ip_allow_list = '203.0.113.0/24' WHERE id = $1")
            .bind(account)
            .execute(t.db.pool())
            .await
            .expect("allow-list");
        assert_error(
            &api.get("/api/v1/balance").await,
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
            "outside the allow-list",
        );
        sqlx::query("UPDATE accounts SET ip_allow_list = '' WHERE id = $1")
            .bind(account)
            .execute(t.db.pool())
            .await
            .expect("allow-list");

        let mut config = server::config::Config::default();
        config.api.requests_per_second = 1;
        config.api.burst = 2;
        let state = server::server_state(&config, t.db.clone());
        let peer = SocketAddr::from(([192, 0, 2, 10], 40000));
        let limited = Api {
            router: server::http::router(&config, state).layer(axum::middleware::map_request(
                move |mut req: Request<Body>| async move {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                },
            )),
            key: api.key.clone(),
        };
        assert_eq!(limited.get("/api/v1/balance").await.status, StatusCode::OK);
        assert_eq!(limited.get("/api/v1/balance").await.status, StatusCode::OK);
        let third = limited.get("/api/v1/balance").await;
        assert_error(
            &third,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            None,
            "over the burst",
        );
        let wait: u64 = third.headers[header::RETRY_AFTER]
            .to_str()
            .expect("header")
            .parse()
            .expect("seconds");
        assert!((1..=2).contains(&wait), "{wait}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_call_takes_50000_numbers_and_a_scheduled_batch_is_deleted_only_early() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "apibulk", Money::hkd(20_000)).await;
        let numbers: Vec<String> = (0..50_000)
            .map(|i| format!("9{:07}", 1_000_000 + i))
            .collect();
        let mut body = json!({ "to": numbers, "text": "Sale today", "route": "hk_economic" });
        let bulk = api.post("/api/v1/batches", &body).await;
        assert_eq!(
            bulk.status,
            StatusCode::CREATED,
            "{}: {}",
            t.name,
            bulk.json
        );
        assert_eq!(bulk.json["recipients"], 50_000, "{}", bulk.json);
        let batch_id = bulk.json["batch_id"].as_i64().expect("batch id");
        let stored = api
            .get(&format!("/api/v1/batches/{batch_id}?page=500"))
            .await;
        assert_eq!(stored.json["total_messages"], 50_000, "{}", t.name);
        assert_eq!(stored.json["page"], 500);
        assert_eq!(stored.json["messages"].as_array().map(Vec::len), Some(100));
        assert_error(
            &api.get(&format!("/api/v1/batches/{batch_id}?page=zero"))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            Some("page"),
            "a bad page",
        );
        body["to"]
            .as_array_mut()
            .expect("list")
            .push(json!("61234567"));
        assert_error(
            &api.post("/api/v1/batches", &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            Some("to"),
            "50,001 numbers",
        );

        // Scheduled two hours ahead: deletable; half an hour ahead: too late (§7).
        let at = |minutes: i64| {
            let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
            t.format(&time::format_description::well_known::Rfc3339)
                .expect("time")
        };
        let later = json!({"to": ["91234567"], "text": "Later", "route": "hk_economic", "schedule_at": at(120)});
        let soon = json!({"to": ["91234567"], "text": "Soon", "route": "hk_economic", "schedule_at": at(30)});
        let later = api.post("/api/v1/messages", &later).await;
        assert_eq!(later.status, StatusCode::CREATED, "{}", later.json);
        assert!(later.json["scheduled_at"].is_string(), "{}", later.json);
        let soon = api.post("/api/v1/messages", &soon).await;
        let (later_id, soon_id) = (
            later.json["batch_id"].clone(),
            soon.json["batch_id"].clone(),
        );
        let (other, _) = customer_with_key(&t, "apibulk2", Money::hkd(1)).await;
        let path = format!("/api/v1/batches/{later_id}");
        assert_error(
            &other.call("DELETE", &path, None, &[]).await,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
            "another account's batch",
        );
        let deleted = api.call("DELETE", &path, None, &[]).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json);
        assert_eq!(api.get(&path).await.json["deleted"], true);
        assert_error(
            &api.call("DELETE", &format!("/api/v1/batches/{soon_id}"), None, &[])
                .await,
            StatusCode::CONFLICT,
            "too_late_to_delete",
            None,
            "half an hour ahead",
        );
        let _ = account;
    }
}

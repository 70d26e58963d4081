//! Sending rules through the real router (issue 19): a 50,000-row submission keeps every row,
//! numbers typed without a country code take the account's (or the batch's) default, a resend
//! of several error codes goes to exactly those numbers and is delivered, a business
//! registration is rejected with its reason, staff change the price list and the composer's
//! figures follow, and a primary account cannot read its sub-account's batches. SQLite and
//! PostgreSQL.

mod common;

use common::dispatch::{dispatcher_for, fast, new_batch, numbers, simulator, wait_final};
use common::{account_id, normal_customer, sign_up, staff, Client, PDF};
use engine::db::testing::all_backends;
use engine::delivery::store::create_batch;
use http::StatusCode;
use serde_json::{json, Value};
use smpp::{MsgIdMatching, Outcome};
use sms::{Money, Route};
use sqlx::Row;
use std::collections::HashMap;
use std::time::Duration;

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn economic(text: &str, recipients: &str) -> Value {
    json!({
        "route": "HkEconomic", "purpose": "Notification", "text": text, "recipients": recipients,
        "client": { "encoding": "GSM7", "parts": 1, "unit_price": 2200 },
        "sender_id": "", "schedule_at": "",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50000_row_submission_stores_50000_rows_each_with_a_price_or_a_reason() {
    for t in all_backends().await {
        let (mut c, account) = normal_customer(&t, "bulk", Money::hkd(20_000)).await;
        // 49,980 distinct numbers, 10 invalid rows and 10 repeats: 50,000 rows.
        let mut rows: Vec<String> = (0..49_980u64)
            .map(|i| format!("{}", 91_000_000 + i))
            .collect();
        for i in 0..10u64 {
            rows.insert(1_000 * i as usize + 5, format!("bad-{i}"));
            rows.insert(1_000 * i as usize + 7, format!("{}", 91_000_000 + i));
        }
        assert_eq!(rows.len(), 50_000);
        let r = c
            .server_fn_json(
                "submit_broadcast",
                economic("Bulk notice", &rows.join("\n")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let batch: i64 = r.body.trim().parse().expect("batch id");
        let counts = sqlx::query(
            "SELECT status, COUNT(*), CAST(COALESCE(SUM(unit_price_minor), 0) AS BIGINT), \
             COUNT(input_row), COUNT(reason) FROM messages WHERE batch_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(batch)
        .fetch_all(t.db.pool())
        .await
        .expect("counts");
        let got: Vec<(i64, i64, i64, i64, i64)> = counts
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        assert_eq!(
            got,
            vec![
                // Refused and repeated rows: UPLOAD FAILED, uncharged, each with row and reason.
                (1, 20, 0, 20, 20),
                // The rest waiting to go, each at its price.
                (2, 49_980, 49_980 * 2_200, 0, 0),
            ],
            "{}",
            t.name
        );
        let total: i64 = sqlx::query("SELECT total_messages FROM batches WHERE id = $1")
            .bind(batch)
            .fetch_one(t.db.pool())
            .await
            .expect("batch")
            .get(0);
        assert_eq!(total, 50_000);
        // The results page lists them with their row and reason.
        let r = c
            .server_fn(
                "batch_detail",
                &[
                    ("batch_id", &batch.to_string()),
                    ("status", "1"),
                    ("error", "0"),
                    ("number", ""),
                    ("page", "1"),
                ],
            )
            .await;
        let v = json_of(&r.body);
        assert_eq!(v["matching"], 20, "{}", r.body);
        let first = &v["messages"][0];
        assert_eq!(first["input_row"], 6, "{}", r.body);
        assert_eq!(first["destination"], "bad-0");
        assert_eq!(first["error_code"], 9);
        // …and so does the CSV, with the explanation.
        let csv = c.get(&format!("/batches/{batch}/messages.csv")).await;
        assert_eq!(csv.body.lines().count(), 1 + 50_000, "{}", t.name);
        let line = csv
            .body
            .lines()
            .find(|l| l.contains(",bad-3,"))
            .expect("refused row in the CSV");
        assert!(
            line.contains("UPLOAD FAILED") && line.contains("Row 3006:"),
            "{line}"
        );
        let repeat = csv
            .body
            .lines()
            .find(|l| l.contains("the same number as row"))
            .expect("repeat in the CSV");
        // A refused row keeps what was typed, and has no route.
        assert!(repeat.contains(",91000000,1,1,UPLOAD FAILED,"), "{repeat}");
        assert!(
            repeat.contains(",,8,Row 8: the same number as row 1: sent once."),
            "{repeat}"
        );
        assert_eq!(account_id(&t, "bulk").await, account);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_without_a_country_code_take_the_accounts_or_the_batchs_default() {
    for t in all_backends().await {
        let (mut c, _) = normal_customer(&t, "abroad", Money::hkd(100)).await;
        let check = |cc: Option<u16>| {
            let mut v = json!({
                "route": "HkBusiness", "purpose": "Notification", "text": "Hi", "recipients": "13800138000",
                "client": { "encoding": "GSM7", "parts": 1, "unit_price": 3200 },
            });
            if let Some(cc) = cc {
                v["default_country_code"] = cc.into();
            }
            v
        };
        // With Hong Kong's code the 11 digits are no Hong Kong number.
        let r = c.server_fn_json("check_broadcast", check(None)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // The batch's own choice…
        let r = c.server_fn_json("check_broadcast", check(Some(86))).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        assert_eq!(json_of(&r.body)["routes"][0]["route"], "China");
        // …or the account's setting.
        let r = c
            .server_fn(
                "update_settings",
                &[
                    ("validity_minutes", "120"),
                    ("single_sms_limit", ""),
                    ("ip_allow_list", ""),
                    ("unsubscribe_hotline", ""),
                    ("callback_url", ""),
                    ("default_country_code", "86"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c.server_fn_json("check_broadcast", check(None)).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        // An unknown code is refused by the settings and by the check.
        let r = c
            .server_fn(
                "update_settings",
                &[
                    ("validity_minutes", "120"),
                    ("single_sms_limit", ""),
                    ("ip_allow_list", ""),
                    ("unsubscribe_hotline", ""),
                    ("callback_url", ""),
                    ("default_country_code", "999"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = c.server_fn_json("check_broadcast", check(Some(999))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("default_country_code"), "{}", r.body);
        // The import takes it too.
        let r = c
            .server_fn_multipart(
                "import_recipients",
                &[("default_country_code", "86")],
                Some(("file", "cn.csv", b"13800138000\r\n")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("8613800138000"), "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resend_of_several_error_codes_goes_to_exactly_those_numbers_and_is_delivered() {
    for t in all_backends().await {
        let (mut c, account) = normal_customer(&t, "resender", Money::hkd(100)).await;
        sqlx::query(
            "INSERT INTO sender_ids (account_id, sender_id, registered, status, created_by, created_at) VALUES ($1, 'FerryTest', 0, 'active', $1, 0)",
        )
        .bind(account)
        .execute(t.db.pool())
        .await
        .expect("sender id");
        let dests = numbers(4, 9_000);
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.outcome_by_destination = HashMap::from([
            (dests[1].clone(), Outcome::UnknownSubscriber),
            (dests[2].clone(), Outcome::BlockedAsSpam),
            (dests[3].clone(), Outcome::HandsetOffThenExpired),
        ]);
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let first = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "First try", &dests),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, first, Duration::from_secs(20)).await;
        let errors: Vec<Option<i64>> = ms.iter().map(|m| m.error).collect();
        assert_eq!(errors, vec![None, Some(3), Some(5), Some(1)], "{}", t.name);
        // The handsets are reachable now.
        sim.set_behaviour(fast(vec![(Outcome::Delivered, 1)]));
        let r = c
            .server_fn(
                "resend_batch",
                &[("batch_id", &first.to_string()), ("error_codes", "3,5")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let resent: i64 = r.body.trim().parse().expect("id");
        let ms = wait_final(&t.db, resent, Duration::from_secs(20)).await;
        d.shutdown().await;
        let got: Vec<(String, i64, i64)> = ms
            .iter()
            .map(|m| (m.destination.clone(), m.status, m.charge))
            .collect();
        assert_eq!(
            got,
            vec![(dests[1].clone(), 22, 3_200), (dests[2].clone(), 22, 3_200)],
            "{}",
            t.name
        );
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_business_registration_tells_the_customer_why() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "unclear").await;
        let r = c
            .server_fn_multipart(
                "upload_registration",
                &[],
                Some(("certificate", "br.pdf", PDF)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let id = r.body.trim().to_string();
        let decide = |reason: &'static str| {
            [
                ("registration_id", id.clone()),
                ("approve", "false".to_string()),
                ("reason", reason.to_string()),
            ]
        };
        let pairs = decide("");
        let without: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.server_fn("decide_registration", &without).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {}",
            t.name,
            r.body
        );
        let pairs = decide("The certificate is blurred; upload a clear scan.");
        let with: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.server_fn("decide_registration", &with).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c.server_fn("my_registrations", &[]).await;
        let v = json_of(&r.body);
        assert_eq!(v[0]["status"], "rejected", "{}", r.body);
        assert_eq!(
            v[0]["reject_reason"],
            "The certificate is blurred; upload a clear scan."
        );
        let status: String =
            sqlx::query("SELECT status FROM accounts WHERE login_name = 'unclear'")
                .fetch_one(t.db.pool())
                .await
                .expect("account")
                .get(0);
        assert_eq!(status, "trial", "still a trial account");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_change_the_price_list_and_the_composer_charges_the_new_price() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let (mut c, _) = normal_customer(&t, "pricewatch", Money::hkd(100)).await;
        let r = admin
            .server_fn(
                "add_price",
                &[
                    ("route", "HK_ECONOMIC"),
                    ("prefix", "8526"),
                    ("unit_price", "0.15"),
                    ("effective_from", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        // A customer cannot.
        let r = c
            .server_fn(
                "add_price",
                &[
                    ("route", "HK_ECONOMIC"),
                    ("prefix", ""),
                    ("unit_price", "0.01"),
                    ("effective_from", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = c
            .server_fn_json("check_broadcast", economic("Hi", "61234567\n91234567"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // 6xxx numbers at the new prefix price, the rest at the route's.
        assert_eq!(json_of(&r.body)["total"], 1_500 + 2_200, "{}", t.name);
        let audit: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'price.add'")
            .fetch_one(t.db.pool())
            .await
            .expect("audit")
            .get(0);
        assert_eq!(audit, 1, "the change is audited");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_account_cannot_read_its_sub_accounts_batches() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let (mut primary, _) = normal_customer(&t, "headoffice", Money::hkd(100)).await;
        let (mut dept, dept_id) = normal_customer(&t, "marketing", Money::hkd(100)).await;
        let r = admin
            .server_fn(
                "link_sub_account",
                &[
                    ("account_id", &dept_id.to_string()),
                    ("primary_login", "headoffice"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let r = dept
            .server_fn_json("submit_broadcast", economic("Dept only", "61234567"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let batch = r.body.trim().to_string();
        let detail = [
            ("batch_id", batch.as_str()),
            ("status", "0"),
            ("error", "0"),
            ("number", ""),
            ("page", "1"),
        ];
        assert_eq!(
            dept.server_fn("batch_detail", &detail).await.status,
            StatusCode::OK
        );
        let r = primary.server_fn("batch_detail", &detail).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}: {}", t.name, r.body);
        assert_eq!(
            primary
                .get(&format!("/batches/{batch}/messages.csv"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            primary
                .get(&format!("/batches/{batch}/events"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let list = primary
            .server_fn(
                "search_batches",
                &[
                    ("from", ""),
                    ("to", ""),
                    ("sender_id", ""),
                    ("status", "0"),
                    ("page", "1"),
                ],
            )
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(!list.body.contains("Dept only"), "{}", list.body);
    }
}

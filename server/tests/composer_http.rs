//! The server's recomputation of a composed broadcast: it agrees with the browser's figures or
//! refuses, enforces the keyword library, the trial restriction and the length limit, and
//! reports every rejected row with its row number and reason.

mod common;

use common::{normal_customer, sign_up, Client};
use engine::db::testing::all_backends;
use http::StatusCode;
use serde_json::{json, Value};
use sms::Money;
use sqlx::Row;

fn request(
    route: &str,
    text: &str,
    recipients: &str,
    encoding: &str,
    parts: u8,
    price: i64,
) -> Value {
    json!({
        "route": route,
        "purpose": "Notification",
        "text": text,
        "recipients": recipients,
        "client": { "encoding": encoding, "parts": parts, "unit_price": price }
    })
}

#[tokio::test]
async fn the_server_agrees_with_the_composer_and_quotes_the_valid_recipients() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "quote").await;
        let r = c
            .server_fn_json(
                "check_broadcast",
                request(
                    "HkBusiness",
                    "Hello {world}",
                    "9123 4567\n852 9123 4567\n5",
                    "GSM7",
                    1,
                    3_200,
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let v: Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(v["units"], 15, "braces count 2 each");
        assert_eq!(v["recipients"], 1);
        assert_eq!(v["duplicates_removed"], 1);
        assert_eq!(v["total"], 3_200);
        assert_eq!(v["rejected"][0]["row"], 3);
        assert!(v["rejected"][0]["reason"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
    }
}

#[tokio::test]
async fn figures_that_disagree_with_the_servers_are_refused() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "tamper").await;
        // 161 GSM characters are 2 parts; a page claiming 1 part is refused.
        let text = "x".repeat(161);
        let r = c
            .server_fn_json(
                "check_broadcast",
                request("HkBusiness", &text, "91234567", "GSM7", 1, 3_200),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}: {}", t.name, r.body);
        assert!(r.body.contains("Ferry counts 2 part(s)"), "{}", r.body);
        // A lowered price is refused too.
        let r = c
            .server_fn_json(
                "check_broadcast",
                request("HkBusiness", "hi", "91234567", "GSM7", 1, 1),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    }
}

#[tokio::test]
async fn too_long_text_is_refused_never_cut() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "long").await;
        let r = c
            .server_fn_json(
                "check_broadcast",
                request("HkBusiness", &"a".repeat(460), "91234567", "GSM7", 3, 3_200),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", t.name);
        assert!(
            r.body
                .contains("460 characters, at most 459 fit in 3 parts"),
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn china_messages_with_a_library_keyword_are_refused_on_the_server() {
    for t in all_backends().await {
        let (mut c, _) = normal_customer(&t, "china", Money::hkd(100)).await;
        let text = "代開發票 call us";
        // The keyword library applies to mainland numbers only.
        let r = c
            .server_fn_json(
                "check_broadcast",
                request("HkBusiness", text, "91234567", "UCS2", 1, 3_200),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let r = c
            .server_fn_json(
                "check_broadcast",
                request(
                    "HkBusiness",
                    text,
                    "91234567\n8613800138000",
                    "UCS2",
                    1,
                    3_200,
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", t.name);
        assert!(r.body.contains("代開發票"), "{}", r.body);
        assert!(r.body.contains("remove the mainland numbers"), "{}", r.body);
    }
}

#[tokio::test]
async fn the_route_is_chosen_for_hong_kong_only_and_follows_every_other_number() {
    for t in all_backends().await {
        let (mut c, account) = normal_customer(&t, "mixed", Money::hkd(100)).await;
        let list = "91234567\n+86 138 0013 8000\n+853 6612 3456\n+44 7911 123456\nnot a number";
        // "China" is not a choice: mainland numbers take it by themselves.
        let r = c
            .server_fn_json(
                "check_broadcast",
                request("China", "Hello", list, "GSM7", 1, 4_500),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("\"route\""), "{}", r.body);

        let r = c
            .server_fn_json(
                "check_broadcast",
                request("HkEconomic", "Hello", list, "GSM7", 1, 2_200),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let v: Value = serde_json::from_str(&r.body).expect("json");
        let routes: Vec<(String, i64, i64, i64)> = v["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .map(|q| {
                (
                    q["route"].as_str().expect("route").to_string(),
                    q["recipients"].as_i64().expect("n"),
                    q["parts"].as_i64().expect("parts"),
                    q["total"].as_i64().expect("total"),
                )
            })
            .collect();
        // Hong Kong at HK Economic, the mainland number with the signature and suffix on the
        // China route, Macau and the UK on International at their own prefixes' prices.
        assert_eq!(
            routes,
            vec![
                ("HkEconomic".into(), 1, 1, 2_200),
                ("China".into(), 1, 1, 4_500),
                ("International".into(), 2, 1, 4_800 + 8_800),
            ],
            "{}",
            t.name
        );
        assert_eq!(v["total"], 2_200 + 4_500 + 4_800 + 8_800);
        assert_eq!(v["china_text"], "[Ferry]Hello/退訂回T");
        assert_eq!(v["rejected_total"], 1);

        // Sent as one batch: each message on its route, with its parts and price; the refused
        // row stored as UPLOAD FAILED with its place and reason.
        let mut send = request("HkEconomic", "Hello", list, "GSM7", 1, 2_200);
        send["sender_id"] = "".into();
        send["schedule_at"] = "".into();
        let r = c.server_fn_json("submit_broadcast", send).await;
        // International numbers show a sender ID, and this account has none.
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("International route show a sender ID"),
            "{}",
            r.body
        );
        sqlx::query(
            "INSERT INTO sender_ids (account_id, sender_id, registered, status, created_by, created_at) VALUES ($1, 'Mixed', 0, 'active', $1, 0)",
        )
        .bind(account)
        .execute(t.db.pool())
        .await
        .expect("sender id");
        let mut send = request("HkEconomic", "Hello", list, "GSM7", 1, 2_200);
        send["sender_id"] = "Mixed".into();
        send["schedule_at"] = "".into();
        let r = c.server_fn_json("submit_broadcast", send).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let batch: i64 = r.body.trim().parse().expect("id");
        let rows = sqlx::query(
            "SELECT destination, route, parts, unit_price_minor, status, error_code, input_row FROM messages WHERE batch_id = $1 ORDER BY id",
        )
        .bind(batch)
        .fetch_all(t.db.pool())
        .await
        .expect("messages");
        type Row = (
            String,
            Option<String>,
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let got: Vec<Row> = rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                )
            })
            .collect();
        let route = |r: &str| Some(r.to_string());
        assert_eq!(
            got,
            vec![
                (
                    "85291234567".into(),
                    route("HK_ECONOMIC"),
                    1,
                    2_200,
                    2,
                    None,
                    None
                ),
                (
                    "8613800138000".into(),
                    route("CHINA"),
                    1,
                    4_500,
                    2,
                    None,
                    None
                ),
                (
                    "85366123456".into(),
                    route("INTERNATIONAL"),
                    1,
                    4_800,
                    2,
                    None,
                    None
                ),
                (
                    "447911123456".into(),
                    route("INTERNATIONAL"),
                    1,
                    8_800,
                    2,
                    None,
                    None
                ),
                ("not a number".into(), None, 1, 0, 1, Some(9), Some(5)),
            ],
            "{}",
            t.name
        );
        let stored: (String, Option<String>) =
            sqlx::query("SELECT route, china_text FROM batches WHERE id = $1")
                .bind(batch)
                .fetch_one(t.db.pool())
                .await
                .map(|r| (r.get(0), r.get(1)))
                .expect("batch");
        assert_eq!(
            stored,
            ("HK_ECONOMIC".into(), Some("[Ferry]Hello/退訂回T".into()))
        );
    }
}

#[tokio::test]
async fn mainland_numbers_need_a_declared_purpose_and_promotions_an_approved_signature() {
    for t in all_backends().await {
        let (mut c, _) = normal_customer(&t, "promoter", Money::hkd(100)).await;
        let mut r = request(
            "HkBusiness",
            "Sale today",
            "8613800138000",
            "GSM7",
            1,
            3_200,
        );
        r["purpose"] = "Promotion".into();
        let reply = c.server_fn_json("check_broadcast", r.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        assert!(reply.body.contains("\"purpose\""), "{}", reply.body);
        assert!(
            reply.body.contains("approved custom China signature"),
            "{}",
            reply.body
        );
        // Hong Kong numbers alone: a promotion needs no China signature.
        // Not declared at all: mainland numbers need the declaration (§5).
        let mut undeclared = r.clone();
        undeclared["purpose"] = serde_json::Value::Null;
        let reply = c
            .server_fn_json("check_broadcast", undeclared.clone())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        assert!(reply.body.contains("Declare whether"), "{}", reply.body);
        // Hong Kong numbers alone need no declaration, and a promotion no China signature.
        undeclared["recipients"] = "91234567".into();
        let reply = c.server_fn_json("check_broadcast", undeclared).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", t.name, reply.body);
        r["recipients"] = "91234567".into();
        let reply = c.server_fn_json("check_broadcast", r).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", t.name, reply.body);
    }
}

#[tokio::test]
async fn a_trial_account_can_only_send_to_its_registered_mobile() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "trialist").await; // registered mobile +852 9123 4567
        let r = c
            .server_fn_json(
                "check_broadcast",
                request("HkBusiness", "hi", "61234567", "GSM7", 1, 3_200),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", t.name);
        assert!(r.body.contains("registered mobile"), "{}", r.body);
    }
}

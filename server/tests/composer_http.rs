//! The server's recomputation of a composed broadcast: it agrees with the browser's figures or
//! refuses, enforces the keyword library, the trial restriction and the length limit, and
//! reports every rejected row with its row number and reason.

mod common;

use app::db::testing::all_backends;
use common::{sign_up, Client};
use http::StatusCode;
use serde_json::{json, Value};

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
        let mut c = Client::new(&t);
        sign_up(&mut c, "china").await;
        let r = c
            .server_fn_json(
                "check_broadcast",
                request(
                    "China",
                    "代開發票 call us",
                    "8613800138000",
                    "UCS2",
                    1,
                    4_500,
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", t.name);
        assert!(r.body.contains("代開發票"), "{}", r.body);
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

//! Calling the HTTP API (`/api/v1`) through the real router with a key, as a customer's system
//! does.

use super::{normal_customer, router_for};
use axum::body::Body;
use axum::Router;
use engine::db::testing::TestDb;
use http::{header, Request, StatusCode};
use serde_json::{json, Value};
use sms::Money;
use tower::ServiceExt;

pub struct Api {
    pub router: Router,
    pub key: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub json: Value,
    pub headers: http::HeaderMap,
}

impl Api {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key));
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request");
        let response = self.router.clone().oneshot(req).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{method} {path}: not JSON ({status}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        Answer {
            status,
            json,
            headers,
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call("POST", path, Some(&body.to_string()), &[]).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None, &[]).await
    }
}

/// A customer with `balance` and an API key, calling from 192.0.2.10.
pub async fn customer_with_key(t: &TestDb, login: &str, balance: Money) -> (Api, i64) {
    let (_, account) = normal_customer(t, login, balance).await;
    let key = engine::api_keys::store::create(&t.db, account, "tests")
        .await
        .expect("key");
    (
        Api {
            router: router_for(t, [192, 0, 2, 10]),
            key: key.secret,
        },
        account,
    )
}

/// A normal customer `login` made directly in the database (no sign-up, so no first batch)
/// with `balance`, the sender ID `ACME` (created by the staff login `<login>staff`) and an API
/// key: for the tests that drive a real `ferry serve` process. Returns the account and the key.
pub async fn sender_with_key(t: &TestDb, login: &str, balance: Money) -> (i64, String) {
    let staff = engine::testing::staff(&t.db, &format!("{login}staff")).await;
    let account = engine::testing::customer(&t.db, login, staff, balance).await;
    engine::sender_ids::store::create(&t.db, staff, account, "ACME", false)
        .await
        .expect("sender ID");
    let key = engine::api_keys::store::create(&t.db, account, login)
        .await
        .expect("key")
        .secret;
    (account, key)
}

/// Batches of `account` (sign-up already sent one: the mobile verification code).
pub async fn batches(t: &TestDb, account: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM batches WHERE account_id = $1")
        .bind(account)
        .fetch_one(t.db.pool())
        .await
        .expect("count batches")
}

pub fn send(to: &[&str]) -> Value {
    json!({ "to": to, "text": "Your code is 123456", "route": "hk_economic" })
}

pub fn assert_error(a: &Answer, status: StatusCode, code: &str, field: Option<&str>, ctx: &str) {
    assert_eq!(a.status, status, "{ctx}: {}", a.json);
    assert_eq!(a.json["error"]["code"], code, "{ctx}: {}", a.json);
    assert!(
        a.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.len() > 10),
        "{ctx}: a message for people: {}",
        a.json
    );
    if let Some(field) = field {
        assert_eq!(a.json["error"]["field"], field, "{ctx}: {}", a.json);
    }
}

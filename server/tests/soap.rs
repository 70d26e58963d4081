//! The SOAP 1.1 door (`/soap`, PRODUCT.md §11, issue 15) through the real router: the WSDL,
//! every operation on SQLite and PostgreSQL with the JSON API's rules and isolation, faults
//! that name the field, hostile XML (entities, DTDs, depth, size, encodings) answered with a
//! fault and never a crash, and python zeep (PyPI) building its client from the WSDL alone,
//! sending 1,000 numbers and reading their statuses, with every envelope checked against the
//! WSDL's XSD by xmlschema (PyPI).

mod common;

use axum::body::Body;
use axum::Router;
use common::api::{batches, customer_with_key};
use common::router_for;
use engine::db::testing::{all_backends, sqlite};
use http::{header, Request, StatusCode};
use sms::Money;
use std::process::Command;
use tower::ServiceExt;

const NS: &str = "urn:ferry:sms:soap:v1";

struct Answer {
    status: StatusCode,
    body: String,
    retry_after: Option<String>,
}

impl Answer {
    /// The text of the first `<name>` in the answer.
    fn value(&self, name: &str) -> Option<&str> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(&self.body[start..end])
    }

    fn assert_fault(&self, faultcode: &str, code: &str, field: Option<&str>, ctx: &str) {
        assert_eq!(
            self.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{ctx}: a SOAP 1.1 fault is HTTP 500: {}",
            self.body
        );
        assert_eq!(
            self.value("faultcode"),
            Some(faultcode),
            "{ctx}: {}",
            self.body
        );
        assert_eq!(self.value("code"), Some(code), "{ctx}: {}", self.body);
        assert!(
            self.value("faultstring").is_some_and(|m| m.len() > 10),
            "{ctx}: a faultstring for people: {}",
            self.body
        );
        if let Some(field) = field {
            assert_eq!(self.value("field"), Some(field), "{ctx}: {}", self.body);
        }
    }
}

async fn post(router: &Router, body: impl Into<Body>, extra: &[(&str, &str)]) -> Answer {
    let mut req = Request::builder()
        .method("POST")
        .uri("/soap")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let response = router
        .clone()
        .oneshot(req.body(body.into()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    Answer {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        retry_after,
    }
}

fn envelope(operation: &str, inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:f="{NS}">
  <soapenv:Header/>
  <soapenv:Body><f:{operation}>{inner}</f:{operation}></soapenv:Body>
</soapenv:Envelope>"#
    )
}

fn key_element(key: &str) -> String {
    format!("<f:apiKey>{key}</f:apiKey>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wsdl_is_served_with_this_servers_address() {
    let t = sqlite().await;
    let router = router_for(&t, [192, 0, 2, 10]);
    let response = router
        .clone()
        .oneshot(
            Request::get("/soap?wsdl")
                .header(header::HOST, "sms.example.com:8443")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .is_ok_and(|ct| ct.starts_with("text/xml")));
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let wsdl = String::from_utf8_lossy(&body);
    assert!(wsdl.contains(r#"<soap:address location="http://sms.example.com:8443/soap"/>"#));
    for op in [
        "SendBatch",
        "GetMessageStatus",
        "GetBatchStatus",
        "GetBalance",
    ] {
        assert!(
            wsdl.contains(&format!(r#"soapAction="urn:ferry:sms:soap:v1#{op}""#)),
            "{op}"
        );
    }
    // A Host that is not a plain host[:port] is not echoed into the document.
    let response = router
        .oneshot(
            Request::get("/soap?wsdl")
                .header(header::HOST, "a\"><x y=\"")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    assert!(String::from_utf8_lossy(&body).contains("location=\"http://localhost/soap\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_works_with_the_json_apis_rules_and_isolation() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let (api, account) = customer_with_key(&t, "soapone", Money::hkd(100)).await;
        let (other, _) = customer_with_key(&t, "soaptwo", Money::hkd(100)).await;
        let router = &api.router;
        let key = key_element(&api.key);
        let before = batches(&t, account).await;

        let sent = post(
            router,
            envelope(
                "SendBatch",
                &format!(
                    "{key}<f:to>91234567</f:to><f:to>not a number</f:to><f:to>+852 6123 4567</f:to>\
                     <f:text>Your code is 123456 &amp; more</f:text><f:route>HK_ECONOMIC</f:route>"
                ),
            ),
            &[],
        )
        .await;
        assert_eq!(sent.status, StatusCode::OK, "{ctx}: {}", sent.body);
        assert_eq!(sent.value("recipients"), Some("2"), "{ctx}: {}", sent.body);
        assert_eq!(sent.value("rejectedTotal"), Some("1"));
        assert_eq!(sent.value("row"), Some("2"), "the refused item's position");
        assert_eq!(sent.value("currency"), Some("HKD"));
        assert_eq!(batches(&t, account).await, before + 1, "{ctx}: one batch");
        let batch_id: i64 = sent
            .value("batchId")
            .and_then(|b| b.parse().ok())
            .expect("batch id");

        let batch = post(
            router,
            envelope(
                "GetBatchStatus",
                &format!("{key}<f:batchId>{batch_id}</f:batchId>"),
            ),
            &[],
        )
        .await;
        assert_eq!(batch.status, StatusCode::OK, "{ctx}: {}", batch.body);
        assert_eq!(batch.value("totalMessages"), Some("3"), "{}", batch.body);
        assert_eq!(
            batch.value("text"),
            Some("Your code is 123456 &amp; more"),
            "escaped back"
        );
        let message_id: i64 = batch
            .body
            .split("<message><id>")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .and_then(|id| id.parse().ok())
            .expect("a message id");
        let one = post(
            router,
            envelope(
                "GetMessageStatus",
                &format!("{key}<f:messageId>{message_id}</f:messageId>"),
            ),
            &[],
        )
        .await;
        assert_eq!(one.status, StatusCode::OK, "{ctx}: {}", one.body);
        assert_eq!(one.value("status"), Some("UPLOAD SUCCESS"), "{}", one.body);
        assert_eq!(one.value("batchId"), Some(batch_id.to_string().as_str()));

        // The key may also come in the HTTP header, as with the JSON API.
        let balance = post(
            router,
            envelope("GetBalance", ""),
            &[("authorization", &format!("Bearer {}", api.key))],
        )
        .await;
        assert_eq!(balance.status, StatusCode::OK, "{ctx}: {}", balance.body);
        let json = api.get("/api/v1/balance").await;
        assert_eq!(
            balance.value("availableMinor"),
            Some(json.json["available_minor"].to_string().as_str()),
            "the same balance as the JSON API"
        );

        // Another account's ids are not found; nothing says they exist.
        for (op, inner) in [
            (
                "GetBatchStatus",
                format!("<f:batchId>{batch_id}</f:batchId>"),
            ),
            (
                "GetMessageStatus",
                format!("<f:messageId>{message_id}</f:messageId>"),
            ),
        ] {
            let theirs = post(
                router,
                envelope(op, &format!("{}{inner}", key_element(&other.key))),
                &[],
            )
            .await;
            theirs.assert_fault("soap:Client", "not_found", None, ctx);
        }
        post(
            router,
            envelope("GetBatchStatus", &format!("{key}<f:batchId>0</f:batchId>")),
            &[],
        )
        .await
        .assert_fault("soap:Client", "not_found", None, ctx);

        // Keys: none, wrong, revoked.
        post(router, envelope("GetBalance", ""), &[])
            .await
            .assert_fault("soap:Client", "missing_api_key", None, ctx);
        post(router, envelope("GetBalance", &key_element("nope")), &[])
            .await
            .assert_fault("soap:Client", "invalid_api_key", None, ctx);

        // Each bad field gets its own fault naming it; nothing is sent.
        let before = batches(&t, account).await;
        let base = "<f:to>91234567</f:to><f:text>Hi</f:text>";
        for (inner, field, code) in [
            (
                format!("{key}<f:to>91234567</f:to><f:text>Hi</f:text><f:route>HK_FAST</f:route>"),
                "route",
                "invalid_request",
            ),
            (
                format!("{key}<f:to>91234567</f:to><f:route>HK_ECONOMIC</f:route>"),
                "text",
                "invalid_request",
            ),
            (
                format!("{key}{base}<f:route>HK_ECONOMIC</f:route><f:scheduleAt>tomorrow</f:scheduleAt>"),
                "scheduleAt",
                "invalid_request",
            ),
            (
                format!("{key}{base}<f:route>HK_ECONOMIC</f:route><f:validityMinutes>ten</f:validityMinutes>"),
                "validityMinutes",
                "invalid_request",
            ),
            (
                format!("{key}{base}<f:route>HK_ECONOMIC</f:route><f:colour>red</f:colour>"),
                "colour",
                "invalid_request",
            ),
            (
                format!("{key}{base}<f:text>Again</f:text><f:route>HK_ECONOMIC</f:route>"),
                "text",
                "invalid_request",
            ),
            (
                format!("{key}<f:to> </f:to><f:text>Hi</f:text><f:route>HK_ECONOMIC</f:route>"),
                "to[1]",
                "invalid_request",
            ),
            (
                format!("{key}{base}<f:route>HK_BUSINESS</f:route><f:senderId>NOSUCHID</f:senderId>"),
                "senderId",
                "invalid_request",
            ),
        ] {
            let refused = post(router, envelope("SendBatch", &inner), &[]).await;
            refused.assert_fault("soap:Client", code, Some(field), &format!("{ctx}: {inner}"));
        }
        assert_eq!(batches(&t, account).await, before, "{ctx}: nothing sent");

        // More than the balance (the sign-up credit) covers: §8's error code 16 in the detail.
        let (poor, _) = customer_with_key(&t, "soappoor", Money::from_minor(1)).await;
        let many: String = (0..5_000)
            .map(|n| format!("<f:to>9123{n:04}</f:to>"))
            .collect();
        let broke = post(
            &poor.router,
            envelope(
                "SendBatch",
                &format!(
                    "{}{many}<f:text>Hi</f:text><f:route>HK_ECONOMIC</f:route>",
                    key_element(&poor.key)
                ),
            ),
            &[],
        )
        .await;
        broke.assert_fault("soap:Client", "insufficient_balance", None, ctx);
        assert_eq!(broke.value("errorCode"), Some("16"), "{}", broke.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_xml_gets_a_fault_and_the_server_carries_on() {
    let t = sqlite().await;
    let (api, account) = customer_with_key(&t, "soaphostile", Money::hkd(100)).await;
    let router = &api.router;
    let key = key_element(&api.key);
    let before = batches(&t, account).await;
    let laughs = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
{}"#,
        envelope(
            "SendBatch",
            &format!(
                "{key}<f:to>91234567</f:to><f:text>&lol2;</f:text><f:route>HK_ECONOMIC</f:route>"
            )
        )
    );
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>{}"#,
        envelope(
            "SendBatch",
            &format!(
                "{key}<f:to>91234567</f:to><f:text>&secret;</f:text><f:route>HK_ECONOMIC</f:route>"
            )
        )
    );
    let deep = envelope(
        "GetBalance",
        &format!("{key}{}{}", "<f:x>".repeat(50_000), "</f:x>".repeat(50_000)),
    );
    let wide = envelope("GetBalance", &format!("{key}{}", "<f:x/>".repeat(200_000)));
    let oversized = envelope(
        "SendBatch",
        &format!(
            "{key}{}<f:text>Hi</f:text><f:route>HK_ECONOMIC</f:route>",
            "<f:to>91234567</f:to>".repeat(250_000)
        ),
    );
    let soap12 =
        r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#
            .to_string();
    let must_understand = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><w:Security xmlns:w="urn:x" s:mustUnderstand="1"/></s:Header><s:Body><f:GetBalance xmlns:f="{NS}">{}</f:GetBalance></s:Body></s:Envelope>"#,
        key_element(&api.key)
    );
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "billion laughs",
            laughs.into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "external entity",
            xxe.into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "undefined entity",
            envelope("GetBalance", &format!("{key}&nbsp;")).into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "50,000 deep",
            deep.into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "200,000 elements",
            wide.into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "5 MB",
            oversized.into_bytes(),
            "soap:Client",
            "body_too_large",
        ),
        (
            "cut off",
            envelope("GetBalance", &key).as_bytes()[..120].to_vec(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "mismatched tags",
            envelope("GetBalance", &format!("{key}<f:a></f:b>")).into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "not UTF-8",
            b"\xff\xfe<\x00a\x00>\x00".to_vec(),
            "soap:Client",
            "invalid_xml",
        ),
        ("empty", Vec::new(), "soap:Client", "invalid_xml"),
        (
            "JSON",
            br#"{"to": ["91234567"]}"#.to_vec(),
            "soap:Client",
            "invalid_xml",
        ),
        (
            "not an envelope",
            b"<GetBalance/>".to_vec(),
            "soap:Client",
            "not_a_soap_envelope",
        ),
        (
            "SOAP 1.2",
            soap12.into_bytes(),
            "soap:VersionMismatch",
            "version_mismatch",
        ),
        (
            "mustUnderstand",
            must_understand.into_bytes(),
            "soap:MustUnderstand",
            "must_understand",
        ),
        (
            "unknown operation",
            envelope("DeleteEverything", &key).into_bytes(),
            "soap:Client",
            "unknown_operation",
        ),
        (
            "wrong namespace",
            envelope("GetBalance", &key)
                .replace(NS, "urn:someone-else")
                .into_bytes(),
            "soap:Client",
            "unknown_operation",
        ),
        (
            "processing instruction",
            envelope("GetBalance", &format!("{key}<?php system('id') ?>")).into_bytes(),
            "soap:Client",
            "invalid_xml",
        ),
    ];
    for (what, body, faultcode, code) in cases {
        let answer = post(router, body, &[]).await;
        answer.assert_fault(faultcode, code, None, what);
        assert!(
            !answer.body.contains("root:"),
            "{what}: nothing of a local file comes back"
        );
    }
    assert_eq!(batches(&t, account).await, before, "nothing was sent");
    // Still serving.
    let balance = post(router, envelope("GetBalance", &key), &[]).await;
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.body);
    assert!(balance.retry_after.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_builds_a_client_from_the_wsdl_and_sends_a_thousand_numbers() {
    // The test command always sets it (and installs zeep and xmlschema in its venv first).
    let Some(python) = std::env::var_os("FERRY_PYTHON") else {
        eprintln!("skipped: FERRY_PYTHON is not set (scripts/test.sh sets it)");
        return;
    };
    let t = sqlite().await;
    let (api, account) = customer_with_key(&t, "soapzeep", Money::hkd(10_000)).await;
    let addr = common::serve_on_loopback(&t).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/soap/zeep_client.py");
    let key = api.key.clone();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(format!("http://{addr}"))
            .arg(key)
            .output()
            .expect("run python")
    })
    .await
    .expect("python");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "zeep client failed:\n{out}\n{err}");
    let seen: serde_json::Value = serde_json::from_str(out.trim()).expect("its JSON line");
    assert_eq!(seen["messages"], 1000, "{seen}");
    assert_eq!(seen["pages"], 10, "{seen}");
    assert!(seen["validated"]["requests"].as_i64() >= Some(14), "{seen}");
    assert_eq!(seen["validated"]["faults"], 2, "{seen}");
    let batch_id = seen["batch_id"].as_i64().expect("batch id");
    let stored: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages m JOIN batches b ON b.id = m.batch_id \
         WHERE b.id = $1 AND b.account_id = $2",
    )
    .bind(batch_id)
    .bind(account)
    .fetch_one(t.db.pool())
    .await
    .expect("count");
    assert_eq!(stored, 1000);
    eprintln!("{out}");
}

//! Observability (issue 17): a real `ferry serve` answers `/healthz` and `/readyz`, and
//! `/metrics` (Prometheus text) shows the messages an API send created by status and route,
//! the simulator link bound with its submit and receipt counters, and the API's latency
//! histogram; an address outside `[metrics] allow` is refused.

mod common;

use common::process::{ferry, serve, test_dir, write_config};
use common::router_for;
use engine::db::testing::sqlite;
use http::{header, Request, StatusCode};
use sms::Money;
use std::time::{Duration, Instant};
use tower::ServiceExt;

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// The value of the series line that starts with `prefix` (labels included).
fn value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_ferry_reports_health_readiness_and_metrics() {
    let t = sqlite().await;
    let (_, key) = common::api::sender_with_key(&t, "metrics", Money::hkd(100)).await;
    let dir = test_dir("ferry-metrics");
    let config = write_config(
        &dir,
        &t.url,
        "[simulator]\nreceipt_delay_ms = 20\n[simulator.outcomes]\ndelivered = 1\n\
         handset_off_then_delivered = 0\nhandset_off_then_expired = 0\n\
         unknown_subscriber = 0\nblocked_as_spam = 0\n",
    );
    let (mut child, addr, _) = serve(&config);
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    assert_eq!(
        get(&client, &format!("{base}/healthz")).await,
        (200, "ok\n".into())
    );
    assert_eq!(
        get(&client, &format!("{base}/readyz")).await,
        (200, "ready\n".into())
    );

    let sent = client
        .post(format!("{base}/api/v1/messages"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                // HK Business: a route with delivery receipts (HK Economic has none).
                "to": ["91234567", "61234567", "+852 9123 0000"],
                "text": "Your code is 123456", "route": "hk_business", "sender_id": "ACME",
            })
            .to_string(),
        )
        .send()
        .await
        .expect("send");
    let status = sent.status().as_u16();
    assert_eq!(status, 201, "{}", sent.text().await.unwrap_or_default());

    // Every message delivered: the database figures (refreshed every 5 s) and the counters.
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let (status, text) = get(&client, &format!("{base}/metrics")).await;
        assert_eq!(status, 200, "{text}");
        let delivered = value(
            &text,
            "ferry_messages{status=\"DELIVERED\",code=\"22\",route=\"HK_BUSINESS\"}",
        );
        if delivered == Some(3.0)
            && value(&text, "ferry_smsc_receipts_total{smsc=\"simulator\"}") == Some(3.0)
        {
            break text;
        }
        assert!(Instant::now() < deadline, "never all delivered:\n{text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(
        value(&text, "ferry_smsc_bound{smsc=\"simulator\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "ferry_smsc_submits_accepted_total{smsc=\"simulator\"}"
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(value(&text, "ferry_queue_due"), Some(0.0), "{text}");
    assert_eq!(
        value(
            &text,
            "ferry_http_request_duration_seconds_count{door=\"api\"}"
        ),
        Some(1.0),
        "the one API call: {text}"
    );
    assert!(text.contains("# TYPE ferry_http_request_duration_seconds histogram"));
    // The writer's ticks: the three messages went in with one intake transaction, were
    // claimed and held (one job on SQLite), recorded and had their receipts stored in
    // transactions of at most three rows.
    assert_eq!(
        value(&text, "ferry_writer_tick_rows_sum{kind=\"intake\"}"),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "ferry_writer_tick_rows_count{kind=\"intake\"}"),
        Some(1.0),
        "{text}"
    );
    for kind in ["claim", "outcome", "receipt"] {
        let rows = value(
            &text,
            &format!("ferry_writer_tick_rows_sum{{kind=\"{kind}\"}}"),
        );
        assert!(rows.is_some_and(|r| r >= 3.0), "{kind}: {text}");
        let up_to_5 = value(
            &text,
            &format!("ferry_writer_tick_rows_bucket{{kind=\"{kind}\",le=\"5\"}}"),
        );
        let all = value(
            &text,
            &format!("ferry_writer_tick_rows_bucket{{kind=\"{kind}\",le=\"+Inf\"}}"),
        );
        assert!(up_to_5.is_some() && up_to_5 == all, "{kind}: {text}");
    }
    assert_eq!(
        value(&text, "ferry_writer_tick_rows_count{kind=\"reply\"}"),
        Some(0.0)
    );
    child.kill().expect("stop");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn metrics_are_refused_outside_the_allow_list() {
    let t = sqlite().await;
    // The test router calls from 192.0.2.10, which the default (loopback only) does not allow.
    let router = router_for(&t, [192, 0, 2, 10]);
    let req = Request::get("/metrics")
        .header(header::HOST, "127.0.0.1:3000")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = router.clone().oneshot(req).await.expect("response");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let req = Request::get("/healthz")
        .header(header::HOST, "127.0.0.1:3000")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(
        router.oneshot(req).await.expect("response").status(),
        StatusCode::OK
    );
}

/// `log_format = "json"`: every line `ferry serve` logs is one JSON object with its time,
/// level, target and fields (here the simulator link binding at start).
#[test]
fn json_logs_are_one_object_per_line() {
    use std::io::{BufRead, BufReader};
    let dir = test_dir("ferry-json-logs");
    let mut child = common::process::KillOnDrop(
        ferry()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("FERRY_DATA_DIR", &dir)
            .env("FERRY_LOG", "info")
            .env("FERRY_LOG_FORMAT", "json")
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn ferry"),
    );
    let stderr = child.0.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let bound = loop {
        let line = lines.next().expect("a log line").expect("utf-8");
        let entry: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["timestamp"].is_string(), "{line}");
        assert!(entry["level"].is_string(), "{line}");
        if entry["fields"]["message"] == "SMSC bound" {
            break entry;
        }
        assert!(Instant::now() < deadline, "never bound");
    };
    assert_eq!(bound["level"], "INFO");
    assert_eq!(bound["fields"]["smsc"], "simulator");
    assert!(bound["target"]
        .as_str()
        .is_some_and(|t| t.starts_with("engine")));
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

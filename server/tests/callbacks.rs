//! Delivery-status callbacks (§11, issue 14): a real local HTTP receiver that fails the first
//! three attempts gets the message's final status exactly once, after back-off, signed with the
//! account's secret, even though the real `ferry` process is SIGKILLed and restarted mid-retry;
//! and the API takes a callback URL per request, falls back to the account's default, and
//! refuses a bad one with its own error.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use common::api::{assert_error, customer_with_key, send};
use common::dispatch::{customer, new_batch, numbers};
use common::process::{spawn_ferry, test_dir, write_config};
use engine::callbacks::{self, CallbackState};
use engine::db::testing::all_backends;
use engine::db::{now_ms, Db};
use engine::delivery::store::{create_batch, NewBatch};
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use sms::{Money, Route};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    event_id: String,
    signed: bool,
    answered: u16,
    body: Value,
}

#[derive(Clone)]
struct Receiver {
    secret: String,
    fail_first: usize,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let signed = callbacks::verify(
        &r.secret,
        &header(callbacks::TIMESTAMP_HEADER),
        &header(callbacks::SIGNATURE_HEADER),
        &body,
        now_ms() / 1000,
        300,
    );
    let mut seen = r.seen.lock().expect("lock");
    let answered = if seen.len() < r.fail_first { 500 } else { 200 };
    seen.push(Seen {
        at: Instant::now(),
        event_id: header(callbacks::EVENT_ID_HEADER),
        signed,
        answered,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    StatusCode::from_u16(answered).expect("status")
}

async fn start_receiver(receiver: Receiver) -> String {
    let app = Router::new()
        .route("/status", post(receive))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/status")
}

fn seen(r: &Receiver) -> Vec<Seen> {
    r.seen.lock().expect("lock").clone()
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh SQLite database in its own directory (another process, `ferry serve`, opens it
/// too), a customer with HK$10 and a receiver that fails its first `fail_first` requests.
async fn hooked(
    dir_name: &str,
    login: &str,
    fail_first: usize,
) -> (std::path::PathBuf, String, Db, i64, Receiver) {
    let dir = test_dir(dir_name);
    let url = format!("sqlite://{}/ferry.db", dir.display());
    let db = Db::connect(&url).await.expect("db");
    db.migrate().await.expect("migrate");
    let account = customer(&db, login, Money::hkd(10)).await;
    let receiver = Receiver {
        secret: engine::callbacks::store::secret(&db, account)
            .await
            .expect("secret"),
        fail_first,
        seen: Arc::default(),
    };
    (dir, url, db, account, receiver)
}

async fn outbox(db: &Db) -> Vec<(i64, i64)> {
    sqlx::query_as("SELECT state, attempts FROM status_callbacks")
        .fetch_all(db.pool())
        .await
        .expect("outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_status_once_signed_after_back_off_across_a_kill() {
    let (dir, url, db, account, receiver) = hooked("ferry-callbacks", "hooked", 3).await;
    let callback_url = start_receiver(receiver.clone()).await;
    let batch = create_batch(
        &db,
        &NewBatch {
            callback_url: Some(callback_url),
            ..new_batch(
                account,
                Route::HkBusiness,
                "Your parcel is on its way",
                &numbers(1, 0),
            )
        },
    )
    .await
    .expect("batch");
    let config = write_config(
        &dir,
        &url,
        "[simulator]\nreceipt_delay_ms = 20\n\
         [simulator.outcomes]\ndelivered = 1\nhandset_off_then_delivered = 0\nhandset_off_then_expired = 0\nunknown_subscriber = 0\nblocked_as_spam = 0\n\
         [callbacks]\nfirst_retry_ms = 300\nmax_retry_ms = 5000\ntimeout_ms = 1000\npoll_ms = 50\nallow_private_targets = true\n",
    );

    let mut ferry = spawn_ferry(&config);
    // Killed while the second attempt is being answered (so it may not be recorded).
    wait_for("the second attempt", Duration::from_secs(30), || {
        seen(&receiver).len() >= 2
    })
    .await;
    ferry.kill().expect("SIGKILL");
    let _ = ferry.wait();
    let mut ferry = spawn_ferry(&config);
    wait_for("a 2xx answer", Duration::from_secs(30), || {
        seen(&receiver).iter().any(|s| s.answered == 200)
    })
    .await;
    // Recorded as delivered, and nothing sent after that.
    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox(&db).await.first().map(|o| o.0) != Some(CallbackState::Delivered.code()) {
        assert!(
            Instant::now() < deadline,
            "never recorded: {:?}",
            outbox(&db).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    ferry.kill().expect("kill");
    let _ = ferry.wait();

    let seen = seen(&receiver);
    let answers: Vec<u16> = seen.iter().map(|s| s.answered).collect();
    assert_eq!(
        answers,
        vec![500, 500, 500, 200],
        "three failures, then one delivery"
    );
    assert!(
        seen.iter().all(|s| s.signed),
        "every attempt signed: {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| s.event_id == seen[0].event_id && !s.event_id.is_empty()),
        "one event id for every attempt"
    );
    // Back-off: 300 ms after the first failure, then at least 600 ms.
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(290));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(590));
    let message = &seen[3].body["message"];
    assert_eq!(seen[3].body["type"], "message.status");
    assert_eq!(message["status"], "DELIVERED");
    assert_eq!(message["batch_id"], batch);
    assert_eq!(message["to"], "85290000000");
    assert_eq!(message["final"], true);
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_takes_a_callback_url_or_the_account_default_and_refuses_a_bad_one() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "hookapi", Money::hkd(100)).await;
        let url_of = |batch: &Value| {
            let db = t.db.clone();
            let id = batch["batch_id"].as_i64().expect("batch id");
            async move {
                let url: Option<String> =
                    sqlx::query_scalar("SELECT callback_url FROM batches WHERE id = $1")
                        .bind(id)
                        .fetch_one(db.pool())
                        .await
                        .expect("batch");
                let owed: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM messages WHERE batch_id = $1 AND callback_pending = 1",
                )
                .bind(id)
                .fetch_one(db.pool())
                .await
                .expect("messages");
                (url, owed)
            }
        };
        let mut body = send(&["91234567", "91234568"]);
        let plain = api.post("/api/v1/messages", &body).await;
        assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.json);
        assert_eq!(url_of(&plain.json).await, (None, 0), "{}", t.name);

        body["callback_url"] = "https://hooks.acme.example/sms?token=abc".into();
        let hooked = api.post("/api/v1/messages", &body).await;
        assert_eq!(hooked.status, StatusCode::CREATED, "{}", hooked.json);
        assert_eq!(
            url_of(&hooked.json).await,
            (Some("https://hooks.acme.example/sms?token=abc".into()), 2)
        );

        for bad in [
            "ftp://hooks.acme.example",
            "https://",
            "https://a b.example",
        ] {
            body["callback_url"] = bad.into();
            let refused = api.post("/api/v1/messages", &body).await;
            assert_error(
                &refused,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("callback_url"),
                bad,
            );
        }

        // The account's default applies when a request names none.
        sqlx::query("UPDATE accounts SET status_callback_url = $1 WHERE id = $2")
            .bind("https://default.acme.example/status")
            .bind(account)
            .execute(t.db.pool())
            .await
            .expect("default");
        body.as_object_mut().expect("object").remove("callback_url");
        let defaulted = api.post("/api/v1/messages", &body).await;
        assert_eq!(
            url_of(&defaulted.json).await,
            (Some("https://default.acme.example/status".into()), 2),
            "{}",
            t.name
        );
    }
}

/// Callback URLs are customers' input (SSRF): by default Ferry calls no address of its own
/// host or network, whether the URL names one (`127.0.0.1`) or a name resolves to one
/// (`localhost`); the receiver on this machine sees nothing, and each outbox row says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_to_the_servers_own_network_are_refused_by_default() {
    let (dir, url, db, account, receiver) = hooked("ferry-callbacks-ssrf", "inward", 0).await;
    let by_address = start_receiver(receiver.clone()).await;
    let by_name = by_address.replace("127.0.0.1", "localhost");
    for callback_url in [by_address, by_name] {
        create_batch(
            &db,
            &NewBatch {
                callback_url: Some(callback_url),
                ..new_batch(account, Route::HkBusiness, "Inward", &numbers(1, 0))
            },
        )
        .await
        .expect("batch");
    }
    let config = write_config(
        &dir,
        &url,
        "[simulator]\nreceipt_delay_ms = 20\n\
         [callbacks]\nfirst_retry_ms = 300\ntimeout_ms = 1000\npoll_ms = 50\n",
    );
    let mut ferry = spawn_ferry(&config);
    let results = || async {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT url, last_result FROM status_callbacks ORDER BY id",
        )
        .fetch_all(db.pool())
        .await
        .expect("outbox")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let tried = loop {
        let rows = results().await;
        if rows.len() == 2 && rows.iter().all(|(_, r)| r.is_some()) {
            break rows;
        }
        assert!(Instant::now() < deadline, "never tried: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    ferry.kill().expect("kill");
    let _ = ferry.wait();
    let said = |i: usize| tried[i].1.clone().unwrap_or_default();
    assert!(said(0).contains("not a public address"), "{tried:?}");
    assert!(said(1).contains("no public address"), "{tried:?}");
    assert!(seen(&receiver).is_empty(), "nothing reached this machine");
    let states: Vec<i64> = outbox(&db).await.into_iter().map(|o| o.0).collect();
    assert_eq!(
        states[0],
        CallbackState::GaveUp.code(),
        "an address in the URL never becomes public: given up at once"
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

//! Two-way SMS over real SMPP (PRODUCT.md §10, issue 16): an SMSC built on PyPI `smpplib` (a
//! library we did not write) sends replies to the real `ferry` process: a single GSM-7 reply,
//! a concatenated one whose parts arrive out of order (UDH), a UCS-2 one split inside a
//! character (sar_* TLVs), one with a part that never comes (kept after the timeout with the
//! gap marked), one to a number nobody holds (kept for staff), and a STOP that the SMSC
//! delivers again after `ferry` is SIGKILLed and restarted (stored, called back and opted out
//! once). Each reply reaches the account's signed callback once; another account sees none of
//! them over the API.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use common::api::customer_with_key;
use common::process::{ferry, start};
use engine::db::testing::{all_backends, TestDb};
use engine::db::{now_ms, Db};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use sms::Money;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const INBOUND: &str = "85260001111";
const NOBODYS: &str = "85260009999";
const HANDSET: &str = "85291234567";
const OTHER_HANDSET: &str = "85261234567";

/// The smpplib SMSC as a child process; dropping it closes its stdin, which ends it.
struct Smsc {
    child: Child,
    port: u16,
    answers: mpsc::Receiver<Value>,
}

impl Smsc {
    fn start(python: &std::ffi::OsStr, script: &Value, dir: &std::path::Path) -> Smsc {
        use std::io::BufRead;
        let path = dir.join("smsc-script.json");
        std::fs::write(&path, script.to_string()).expect("script");
        let mut child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/two_way/smpplib_smsc.py"
            ))
            .arg("0")
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the smpplib SMSC");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let ready = answers
            .recv_timeout(Duration::from_secs(30))
            .expect("the SMSC listening");
        let port = ready["listening"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .expect("port");
        Smsc {
            child,
            port,
            answers,
        }
    }

    /// Waits until every message index in `want` was answered with status 0 (and not "lost").
    fn wait_acknowledged(&self, want: &[usize], seen: &mut Vec<Value>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let done = |seen: &[Value], i: usize| {
            seen.iter()
                .any(|a| a["resp"] == i && a["status"] == 0 && a["lost"] == false)
        };
        while !want.iter().all(|&i| done(seen, i)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok(answer) => seen.push(answer),
                Err(_) => panic!("the SMSC did not get answers for {want:?}; so far {seen:?}"),
            }
        }
    }
}

impl Drop for Smsc {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gsm7(text: &str) -> Vec<u8> {
    smpp::gsm7::encode(text).expect("GSM-7")
}

fn ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// One deliver_sm of the script.
fn mo(from: &str, to: &str, data_coding: u8, body: Vec<u8>) -> Value {
    json!({
        "source_addr": from, "destination_addr": to, "data_coding": data_coding,
        "esm_class": 0, "short_message_hex": hex::encode(body), "sar": null,
    })
}

/// Part `seq` of `total` with a concatenation UDH (8-bit reference).
fn udh_part(from: &str, to: &str, reference: u8, total: u8, seq: u8, text: &str) -> Value {
    let mut body = vec![0x05, 0x00, 0x03, reference, total, seq];
    body.extend(gsm7(text));
    let mut v = mo(from, to, 0, body);
    v["esm_class"] = json!(0x40);
    v
}

/// Part `seq` of `total` marked with sar_* TLVs instead of a UDH.
fn sar_part(from: &str, to: &str, reference: u16, total: u8, seq: u8, body: Vec<u8>) -> Value {
    let mut v = mo(from, to, 8, body);
    v["sar"] = json!({ "ref": reference, "total": total, "seq": seq });
    v
}

#[derive(Clone, Default)]
struct Callbacks {
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Vec<(bool, Value)>>>,
}

async fn receive(State(r): State<Callbacks>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let secret = r.secret.lock().expect("lock").clone();
    let signed = engine::callbacks::verify(
        &secret,
        &header(engine::callbacks::TIMESTAMP_HEADER),
        &header(engine::callbacks::SIGNATURE_HEADER),
        &body,
        now_ms() / 1000,
        300,
    );
    let event = serde_json::from_slice(&body).unwrap_or(Value::Null);
    r.seen.lock().expect("lock").push((signed, event));
    StatusCode::OK
}

async fn callback_receiver(callbacks: Callbacks) -> String {
    let app = Router::new()
        .route("/replies", post(receive))
        .with_state(callbacks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/replies")
}

fn serve(config: &std::path::Path) -> Child {
    let mut command = ferry();
    command
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env_remove("DATABASE_URL");
    start(command).0
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn wait_until(what: &str, db: &Db, sql: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = count(db, sql).await;
        if n == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {n}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_over_real_smpp_are_stored_once_routed_called_back_and_isolated() {
    // The test command always sets it (and installs smpplib in its venv first).
    let Some(python) = std::env::var_os("FERRY_PYTHON") else {
        eprintln!("skipped: FERRY_PYTHON is not set (scripts/test.sh sets it)");
        return;
    };
    for t in all_backends().await {
        replies_on(&t, &python).await;
    }
}

async fn replies_on(t: &TestDb, python: &std::ffi::OsStr) {
    let ctx = t.name.as_str();
    let db = &t.db;
    let dir = std::env::temp_dir().join(format!("ferry-two-way-{}-{}", std::process::id(), ctx));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let staff = engine::testing::staff(db, "twowaystaff").await;
    let (api, account) = customer_with_key(t, "twoway", Money::hkd(100)).await;
    let (other_api, _) = customer_with_key(t, "twowayother", Money::hkd(100)).await;
    engine::two_way::store::assign_number(db, staff, account, INBOUND, "")
        .await
        .expect("assign");
    let callbacks = Callbacks::default();
    *callbacks.secret.lock().expect("lock") = engine::callbacks::store::secret(db, account)
        .await
        .expect("secret");
    let url = callback_receiver(callbacks.clone()).await;
    sqlx::query("UPDATE accounts SET callback_url = $1 WHERE id = $2")
        .bind(&url)
        .bind(account)
        .execute(db.pool())
        .await
        .expect("callback url");

    // "你好😀世界": the emoji's two UTF-16 units are split between the two parts.
    let chinese = ucs2("你好😀世界");
    let (first_half, second_half) = chinese.split_at(6);
    let script = json!([
        mo(HANDSET, INBOUND, 0, gsm7("YES")),
        udh_part(HANDSET, INBOUND, 42, 3, 3, "part three."),
        udh_part(HANDSET, INBOUND, 42, 3, 1, "Part one, "),
        udh_part(HANDSET, INBOUND, 42, 3, 2, "part two, "),
        sar_part(HANDSET, INBOUND, 0x1234, 2, 2, second_half.to_vec()),
        sar_part(HANDSET, INBOUND, 0x1234, 2, 1, first_half.to_vec()),
        mo(HANDSET, NOBODYS, 0, gsm7("Anyone there?")),
        udh_part(HANDSET, INBOUND, 7, 3, 1, "Alpha "),
        udh_part(HANDSET, INBOUND, 7, 3, 3, "Gamma"),
    ]);
    let mut stop = mo(OTHER_HANDSET, INBOUND, 0, gsm7("STOP"));
    stop["lose_first_resp"] = json!(true);
    let mut script = script.as_array().expect("list").clone();
    script.push(stop);
    let smsc = Smsc::start(python, &Value::Array(script), &dir);
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{}\"\ndata_dir = \"{}\"\n\
             [simulator]\nenabled = false\n\
             [callbacks]\npoll_ms = 100\nallow_private_targets = true\n\
             [two_way]\npart_timeout_s = 2\n\
             [[smsc]]\nname = \"smpplib\"\naddress = \"127.0.0.1:{}\"\nsystem_id = \"ferry\"\npassword = \"secret\"\n",
            t.url,
            dir.display(),
            smsc.port
        ),
    )
    .expect("config");

    let mut child = serve(&config);
    let mut answers = Vec::new();
    smsc.wait_acknowledged(&[0, 1, 2, 3, 4, 5, 6, 7, 8], &mut answers);
    // The STOP was stored and answered; the SMSC acts as if the answer never came.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answers.iter().any(|a| a["resp"] == 9 && a["lost"] == true) {
        let left = deadline.saturating_duration_since(Instant::now());
        answers.push(smsc.answers.recv_timeout(left).expect("the STOP answered"));
    }
    // Ferry dies; the SMSC delivers the STOP again to the new process.
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let mut child = serve(&config);
    smsc.wait_acknowledged(&[9], &mut answers);

    // The missing part's timeout (2 s) stores the incomplete reply.
    let mine = format!("SELECT COUNT(*) FROM replies WHERE account_id = {account}");
    wait_until(ctx, db, &mine, 5).await;
    let page = api.get("/api/v1/replies").await;
    assert_eq!(page.status, StatusCode::OK, "{ctx}: {}", page.json);
    let replies = page.json["data"].as_array().expect("data").clone();
    let texts: Vec<&str> = replies
        .iter()
        .map(|r| r["text"].as_str().unwrap_or(""))
        .collect();
    for expected in [
        "YES",
        "Part one, part two, part three.",
        "你好😀世界",
        "Alpha […]Gamma",
        "STOP",
    ] {
        assert!(
            texts.contains(&expected),
            "{ctx}: {expected:?} in {texts:?}"
        );
    }
    let stop = replies
        .iter()
        .find(|r| r["text"] == "STOP")
        .expect("the STOP");
    assert_eq!(stop["from"], OTHER_HANDSET, "{ctx}");
    assert_eq!(stop["opted_out"], true, "{ctx}");
    let incomplete = replies
        .iter()
        .find(|r| r["text"] == "Alpha […]Gamma")
        .expect("incomplete");
    assert_eq!(
        (
            incomplete["parts"].as_i64(),
            incomplete["missing_parts"].as_i64()
        ),
        (Some(3), Some(1)),
        "{ctx}"
    );
    assert_eq!(
        count(db, "SELECT copies FROM replies WHERE text = 'STOP'").await,
        2,
        "{ctx}: delivered twice, stored once"
    );
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) FROM opt_outs WHERE account_id = {account}")
        )
        .await,
        1,
        "{ctx}"
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM replies WHERE account_id IS NULL AND recipient = '85260009999'"
        )
        .await,
        1,
        "{ctx}: the unassigned number's reply is kept for staff"
    );
    let id = stop["id"].as_i64().expect("id");
    assert_eq!(
        api.get(&format!("/api/v1/replies/{id}")).await.json["text"],
        "STOP",
        "{ctx}"
    );

    // Another account sees none of it.
    let theirs = other_api.get("/api/v1/replies").await;
    assert_eq!(theirs.status, StatusCode::OK, "{ctx}");
    assert_eq!(theirs.json["data"], json!([]), "{ctx}");
    let probe = other_api.get(&format!("/api/v1/replies/{id}")).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{ctx}: {}", probe.json);

    // Each reply was called back once, signed, however often the SMSC delivered it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while callbacks.seen.lock().expect("lock").len() < 5 {
        assert!(Instant::now() < deadline, "{ctx}: callbacks never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = callbacks.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 5, "{ctx}: {seen:?}");
    assert!(seen.iter().all(|(signed, _)| *signed), "{ctx}: signed");
    assert!(
        seen.iter().all(|(_, e)| e["type"] == "reply.received"),
        "{ctx}: {seen:?}"
    );
    let mut ids: Vec<i64> = seen
        .iter()
        .filter_map(|(_, e)| e["reply"]["id"].as_i64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "{ctx}: one callback per reply");

    child.kill().expect("stop");
    let _ = child.wait();
    drop(smsc);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The portal and the API show an account its own replies only (inbox, conversation, CSV);
/// a STOP puts the number on that account's opt-out list, so its next send leaves the number
/// out as `18 Opted Out`, free, while another account still sends to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_seen_only_by_their_account_and_stop_is_honoured_when_sending() {
    use common::normal_customer;
    use engine::two_way::store::{receive, IncomingPart};
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let staff = engine::testing::staff(db, "isostaff").await;
        let (mut mine, account) = normal_customer(&t, "isomine", Money::hkd(100)).await;
        let (mut theirs, _) = normal_customer(&t, "isotheirs", Money::hkd(100)).await;
        engine::two_way::store::assign_number(db, staff, account, INBOUND, "")
            .await
            .expect("assign");
        let part = |from: &str, text: &str| IncomingPart {
            smsc: "op".into(),
            sender: from.into(),
            recipient: INBOUND.into(),
            data_coding: 0,
            body: gsm7(text),
            concat: None,
        };
        let settings = engine::two_way::TwoWaySettings::default();
        receive(
            db,
            &settings,
            vec![part(HANDSET, "See you at 3pm"), part(OTHER_HANDSET, "STOP")],
        )
        .await
        .expect("receive");

        let list = |page: &str| -> Value { serde_json::from_str(page).expect("JSON") };
        let inbox = |number: &str| {
            [
                ("number", number.to_string()),
                ("from", String::new()),
                ("to", String::new()),
                ("before", "0".to_string()),
            ]
        };
        let form = inbox("");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = mine.server_fn("inbox_replies", &form).await;
        assert_eq!(r.status, StatusCode::OK, "{ctx}: {}", r.body);
        let page = list(&r.body);
        assert_eq!(page["replies"].as_array().map(Vec::len), Some(2), "{ctx}");
        assert_eq!(page["unread"], 2, "{ctx}");
        let r = theirs.server_fn("inbox_replies", &form).await;
        assert_eq!(r.status, StatusCode::OK, "{ctx}: {}", r.body);
        assert_eq!(
            list(&r.body)["replies"],
            json!([]),
            "{ctx}: another account's inbox"
        );
        let r = theirs
            .server_fn("inbox_conversation", &[("number", HANDSET)])
            .await;
        // Sign-up sent them a code at this number: their own message, and no reply of ours.
        let lines = list(&r.body);
        assert!(
            lines
                .as_array()
                .is_some_and(|l| l.iter().all(|line| line.get("Received").is_none())),
            "{ctx}: another account's conversation: {lines}"
        );
        let csv = theirs.get("/inbox/replies.csv").await;
        assert_eq!(csv.status, StatusCode::OK, "{ctx}");
        assert_eq!(
            csv.body.lines().count(),
            1,
            "{ctx}: the header only: {}",
            csv.body
        );
        let csv = mine
            .get(&format!("/inbox/replies.csv?number={HANDSET}"))
            .await;
        assert!(csv.body.contains("See you at 3pm"), "{ctx}: {}", csv.body);
        assert!(
            !csv.body.contains("STOP"),
            "{ctx}: the number filter: {}",
            csv.body
        );
        let r = mine
            .server_fn("inbox_conversation", &[("number", HANDSET)])
            .await;
        assert!(r.body.contains("See you at 3pm"), "{ctx}: {}", r.body);
        let r = mine.server_fn("inbox_replies", &form).await;
        assert_eq!(
            list(&r.body)["unread"],
            1,
            "{ctx}: the conversation was read"
        );
        let signed_out = common::Client::new(&t).get("/inbox/events").await;
        assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED, "{ctx}");

        // Sending: the opted-out number is left out for this account only.
        let body = json!({
            "to": [OTHER_HANDSET, HANDSET], "text": "Our shop opens at 10", "route": "hk_economic",
        });
        let (api, _) = common::api::customer_with_key(&t, "isoapi", Money::hkd(100)).await;
        let my_api = common::api::Api {
            router: api.router.clone(),
            key: engine::api_keys::store::create(db, account, "iso")
                .await
                .expect("key")
                .secret,
        };
        let sent = my_api.post("/api/v1/messages", &body).await;
        assert_eq!(sent.status, StatusCode::CREATED, "{ctx}: {}", sent.json);
        assert_eq!(sent.json["opted_out"], 1, "{ctx}: {}", sent.json);
        assert_eq!(sent.json["recipients"], 1, "{ctx}: {}", sent.json);
        let code: i64 = sqlx::query_scalar(
            "SELECT error_code FROM messages WHERE account_id = $1 AND destination = $2",
        )
        .bind(account)
        .bind(OTHER_HANDSET)
        .fetch_one(db.pool())
        .await
        .expect("the opted-out row");
        assert_eq!(code, 18, "{ctx}");
        let other = api.post("/api/v1/messages", &body).await;
        assert_eq!(other.json["opted_out"], 0, "{ctx}: {}", other.json);
        assert_eq!(other.json["recipients"], 2, "{ctx}");
    }
}

/// The built-in simulator's control endpoint sends a long UCS-2 reply in parts over real
/// SMPP, as a handset would; `ferry` puts it back together. Refusals name the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_control_endpoint_sends_a_long_reply_in_parts() {
    let t = engine::db::testing::sqlite().await;
    let db = &t.db;
    let staff = engine::testing::staff(db, "simstaff").await;
    let account = engine::testing::customer(db, "simreplies", staff, Money::hkd(10)).await;
    engine::two_way::store::assign_number(db, staff, account, INBOUND, "")
        .await
        .expect("assign");
    let dir = std::env::temp_dir().join(format!("ferry-sim-control-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let control = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr");
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{}\"\ndata_dir = \"{}\"\n\
             [simulator]\ncontrol_listen = \"{control}\"\n",
            t.url,
            dir.display()
        ),
    )
    .expect("config");
    let mut child = serve(&config);
    let client = reqwest::Client::new();
    let url = format!("http://{control}/replies");
    let text: String = "多謝你的訊息，我們會盡快回覆。".repeat(12);
    let answer = loop {
        let r = client
            .post(&url)
            .header("content-type", "application/json")
            .body(json!({ "from": HANDSET, "to": INBOUND, "text": text }).to_string())
            .send()
            .await
            .expect("control endpoint");
        // 409 until the dispatcher has bound to the simulator.
        if r.status() != reqwest::StatusCode::CONFLICT {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(answer.status(), reqwest::StatusCode::ACCEPTED);
    let body: Value = serde_json::from_str(&answer.text().await.expect("body")).expect("JSON");
    let parts = body["parts"].as_i64().expect("parts");
    assert_eq!(parts, 3, "{body}");
    let sql = format!("SELECT COUNT(*) FROM replies WHERE account_id = {account}");
    wait_until("the long reply", db, &sql, 1).await;
    let (stored, stored_parts): (String, i64) =
        sqlx::query_as("SELECT text, parts FROM replies WHERE account_id = $1")
            .bind(account)
            .fetch_one(db.pool())
            .await
            .expect("reply");
    assert_eq!(stored, text);
    assert_eq!(stored_parts, parts);
    let refused = client
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({ "from": HANDSET, "to": "", "text": "Hi" }).to_string())
        .send()
        .await
        .expect("control endpoint");
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = serde_json::from_str(&refused.text().await.expect("body")).expect("JSON");
    assert_eq!(body["error"]["field"], "to");
    child.kill().expect("stop");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

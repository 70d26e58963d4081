//! The hostile-input suite against a real `ferry serve` (issue 12): a stranger with a trial
//! account throws spreadsheet and zip bombs, a 2 GB form field, a 2 GB Content-Length, broken
//! multipart headers, a slow-loris connection, a 100,001-row list, a pile of live-progress
//! streams and a parallel password guess at it, while a canary keeps asking for a page. After
//! all of that the same process still serves pages and delivers a batch end to end.

mod common;

use engine::import::test_files::{xls_far_corner, xlsx_far_corner, xlsx_sheet_bomb};
use sqlx::Row;
use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Ferry {
    child: Child,
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

impl Drop for Ferry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_ferry() -> Ferry {
    let dir = std::env::temp_dir().join(format!("ferry-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let mut command = common::process::ferry();
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env("FERRY_DATA_DIR", &dir)
        .env("FERRY_SIMULATOR__RECEIPT_DELAY_MS", "100")
        .env("FERRY_SIMULATOR__OUTCOMES__DELIVERED", "100")
        .env("FERRY_SIMULATOR__OUTCOMES__HANDSET_OFF_THEN_DELIVERED", "0")
        .env("FERRY_SIMULATOR__OUTCOMES__HANDSET_OFF_THEN_EXPIRED", "0")
        .env("FERRY_SIMULATOR__OUTCOMES__UNKNOWN_SUBSCRIBER", "0")
        .env("FERRY_SIMULATOR__OUTCOMES__BLOCKED_AS_SPAM", "0");
    let (child, addr) = common::process::start(command);
    Ferry { child, addr, dir }
}

/// A response as the test needs it.
struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// One HTTP/1.1 request on its own connection (`Connection: close`), body sent whole.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    read_reply(&mut stream).await
}

async fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn cookie_of(reply: &Reply) -> String {
    reply
        .head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

async fn server_fn(
    addr: SocketAddr,
    cookie: Option<&str>,
    name: &str,
    pairs: &[(&str, &str)],
) -> Reply {
    let mut headers = vec![
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Accept", "application/json".to_string()),
    ];
    if let Some(c) = cookie {
        headers.push(("Cookie", c.to_string()));
    }
    request(
        addr,
        "POST",
        &format!("/api/{name}"),
        &headers,
        &form(pairs),
    )
    .await
}

async fn json_fn(addr: SocketAddr, cookie: &str, name: &str, body: serde_json::Value) -> Reply {
    request(
        addr,
        "POST",
        &format!("/api/{name}"),
        &[
            ("Content-Type", "application/json".to_string()),
            ("Accept", "application/json".to_string()),
            ("Cookie", cookie.to_string()),
        ],
        body.to_string().as_bytes(),
    )
    .await
}

const BOUNDARY: &str = "ferryhostile0123";

async fn upload(addr: SocketAddr, cookie: &str, endpoint: &str, bytes: &[u8]) -> Reply {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    request(
        addr,
        "POST",
        &format!("/api/{endpoint}"),
        &[
            (
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
            ("Accept", "application/json".to_string()),
            ("Cookie", cookie.to_string()),
        ],
        &body,
    )
    .await
}

/// Streams a chunked multipart body whose `reference` field never ends (up to 2 GB) until
/// the server answers; returns the answer and how many bytes went out.
async fn endless_field(addr: SocketAddr, cookie: &str) -> (Reply, u64) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /api/record_payment HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\nAccept: application/json\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    write.write_all(head.as_bytes()).await.expect("head");
    let sent = Arc::new(AtomicU64::new(0));
    let writer = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let first = format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"reference\"\r\n\r\n"
            );
            let chunk = vec![b'a'; 64 * 1024];
            let mut frame = format!("{:x}\r\n{first}\r\n", first.len()).into_bytes();
            while sent.load(Ordering::Relaxed) < 2 << 30 {
                if write.write_all(&frame).await.is_err() {
                    return;
                }
                sent.fetch_add(frame.len() as u64, Ordering::Relaxed);
                frame = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk.clone(),
                    b"\r\n".to_vec(),
                ]
                .concat();
            }
        })
    };
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), read.read_to_end(&mut raw)).await;
    writer.abort();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (
        Reply {
            status,
            head: String::new(),
            body,
        },
        sent.load(Ordering::Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hostile_trial_account_cannot_stop_or_starve_a_real_ferry() {
    let ferry = start_ferry();
    let addr = ferry.addr;

    // The canary: a page every 250 ms; the slowest answer is reported at the end.
    let stop = Arc::new(AtomicBool::new(false));
    let canary = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut failures = 0;
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let r = tokio::time::timeout(
                    Duration::from_secs(10),
                    request(addr, "GET", "/login", &[], b""),
                )
                .await;
                match r {
                    Ok(r) if r.status == 200 => slowest = slowest.max(start.elapsed()),
                    _ => failures += 1,
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            (slowest, failures)
        })
    };

    let r = server_fn(
        addr,
        None,
        "signup",
        &[
            ("login_name", "mallory"),
            ("password", "a long enough password"),
            ("password_confirmation", "a long enough password"),
            ("company_name", "Mallory Ltd"),
            ("contact_email", "m@mallory.example"),
            ("mobile", "+852 9123 4567"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = cookie_of(&r);
    // The owner's side of sign-up: the code the SMS carried verifies the mobile.
    let db = engine::db::Db::connect(&format!("sqlite://{}/ferry.db", ferry.dir.display()))
        .await
        .expect("db");
    let text: String = sqlx::query(
        "SELECT final_text FROM batches WHERE content = 'Mobile verification code' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .expect("code sms")
    .try_get(0)
    .expect("text");
    let code: String = text
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| w.len() == 8 && w.bytes().all(|b| b.is_ascii_digit()))
        .expect("code")
        .to_string();
    let r = server_fn(addr, Some(&cookie), "verify_mobile", &[("code", &code)]).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Spreadsheet bombs, in parallel with everything else below.
    let bombs = {
        let cookie = cookie.clone();
        tokio::spawn(async move {
            let corner = upload(addr, &cookie, "import_recipients", &xlsx_far_corner()).await;
            assert_eq!(corner.status, 200, "far-corner xlsx: {}", corner.body);
            assert!(corner.body.contains("85291234567"), "{}", corner.body);
            let xls = upload(addr, &cookie, "import_recipients", &xls_far_corner()).await;
            assert_eq!(xls.status, 200, "far-corner xls: {}", xls.body);
            let bomb = upload(
                addr,
                &cookie,
                "import_recipients",
                &xlsx_sheet_bomb(1 << 30),
            )
            .await;
            assert_eq!(bomb.status, 422, "zip bomb: {}", bomb.body);
            assert!(bomb.body.contains("unpacks to more than"), "{}", bomb.body);
        })
    };

    // A 2 GB form field: answered long before 2 GB went out.
    let (r, sent) = endless_field(addr, &cookie).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("longer than 4 KB"), "{}", r.body);
    assert!(sent < 64 << 20, "{sent} bytes were sent before the answer");

    // A 2 GB Content-Length: refused before any body is read.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(format!("POST /api/import_recipients HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 2147483648\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("head");
    let r = read_reply(&mut stream).await;
    assert_eq!(r.status, 413, "{}", r.head);

    // Broken multipart headers.
    for content_type in ["multipart/form-data", "application/json"] {
        let r = request(
            addr,
            "POST",
            "/api/import_recipients",
            &[
                ("Content-Type", content_type.into()),
                ("Cookie", cookie.clone()),
            ],
            b"--x--",
        )
        .await;
        assert_eq!(r.status, 400, "{content_type}: {}", r.body);
    }

    // Slow loris: a request line and then nothing. The connection is closed within seconds.
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("partial");
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "a request whose headers never end is cut off"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );

    // A list longer than any batch: refused by counting, not parsing.
    let huge = "91234567\n".repeat(100_001);
    let r = json_fn(
        addr,
        &cookie,
        "check_broadcast",
        serde_json::json!({
            "route": "HkBusiness", "purpose": "Notification", "text": "x", "recipients": huge,
            "client": { "encoding": "GSM7", "parts": 1, "unit_price": 3200 },
        }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("100001 rows"), "{}", r.body);

    // Twenty parallel guesses at the staff login: five are tried, fifteen throttled.
    let guesses: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(async move {
                server_fn(
                    addr,
                    None,
                    "login",
                    &[("login_name", "admin"), ("password", "guess")],
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.expect("guess"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        15,
        "{statuses:?}"
    );

    bombs.await.expect("bombs");
    stop.store(true, Ordering::Relaxed);
    let (slowest, failures) = canary.await.expect("canary");
    assert_eq!(failures, 0, "the canary page failed {failures} times");
    assert!(
        slowest < Duration::from_secs(5),
        "slowest page: {slowest:?}"
    );

    // Still alive, still sending: a batch to the verified mobile is delivered.
    let r = request(
        addr,
        "GET",
        "/broadcast",
        &[("Cookie", cookie.clone())],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let send = serde_json::json!({
        "route": "HkEconomic", "purpose": "Notification", "text": "Still here", "recipients": "91234567",
        "client": { "encoding": "GSM7", "parts": 1, "unit_price": 2200 },
        "sender_id": "", "schedule_at": "",
    });
    let r = json_fn(addr, &cookie, "submit_broadcast", send).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let batch: i64 = r.body.trim().parse().expect("batch id");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status: i64 = sqlx::query("SELECT status FROM messages WHERE batch_id = $1")
            .bind(batch)
            .fetch_one(db.pool())
            .await
            .expect("message")
            .try_get(0)
            .expect("status");
        if status == 5 || status == 22 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the batch was not sent (status {status})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    db.close().await;
    let mut ferry = ferry;
    assert!(
        ferry.child.try_wait().expect("wait").is_none(),
        "ferry is still running"
    );
}

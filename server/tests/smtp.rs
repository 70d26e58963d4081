//! The email API (SMTP, PRODUCT.md §11, issue 15): Python's smtplib, a client we did not write,
//! sends mails that become batches, on SQLite and PostgreSQL, with and without STARTTLS; a mail
//! sent again with the same Message-ID is answered with its first batch and not sent again,
//! also after a crash between storing the batch and answering (simulated in the database, and
//! for real by SIGKILLing `ferry` and restarting it); refusals say why.

mod common;

use common::api::{batches, customer_with_key};
use common::process::{ferry, start_listening};
use engine::db::testing::{all_backends, sqlite};
use engine::db::Db;
use engine::email_intake::ABANDONED_AFTER_MS;
use server::config::Config;
use sms::Money;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A minimal SMTP client for the tests that need to stop half-way.
struct Client {
    io: BufReader<TcpStream>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> (Client, u16) {
        let io = BufReader::new(TcpStream::connect(addr).await.expect("connect"));
        let mut client = Client { io };
        let (code, _) = client.reply().await;
        (client, code)
    }

    async fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = self.io.read_line(&mut line).await.expect("read");
            assert!(n > 0, "connection closed; so far: {text}");
            text.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                let code = line.get(..3).and_then(|c| c.parse().ok()).expect("code");
                return (code, text);
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.io.get_mut().write_all(bytes).await.expect("write");
    }

    async fn cmd(&mut self, line: &str) -> (u16, String) {
        self.write(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    async fn login(addr: SocketAddr, key: &str) -> Client {
        use base64::Engine as _;
        let (mut c, code) = Client::connect(addr).await;
        assert_eq!(code, 220);
        assert_eq!(c.cmd("EHLO tests.example").await.0, 250);
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0u\0{key}"));
        let (code, text) = c.cmd(&format!("AUTH PLAIN {plain}")).await;
        assert_eq!(code, 235, "{text}");
        c
    }

    /// MAIL, RCPT, DATA and the mail, up to (not including) its answer.
    async fn start_mail(&mut self, to: &str, mail: &str) {
        assert_eq!(self.cmd("MAIL FROM:<ops@customer.example>").await.0, 250);
        assert_eq!(self.cmd(&format!("RCPT TO:<{to}>")).await.0, 250);
        assert_eq!(self.cmd("DATA").await.0, 354);
        self.write(format!("{mail}\r\n.\r\n").as_bytes()).await;
    }

    /// A whole mail from `from` (without asserting its answer).
    async fn mail_from(&mut self, from: &str, to: &str, mail: &str) -> (u16, String) {
        assert_eq!(self.cmd(&format!("MAIL FROM:<{from}>")).await.0, 250);
        assert_eq!(self.cmd(&format!("RCPT TO:<{to}>")).await.0, 250);
        assert_eq!(self.cmd("DATA").await.0, 354);
        self.write(format!("{mail}\r\n.\r\n").as_bytes()).await;
        self.reply().await
    }

    async fn mail(&mut self, to: &str, mail: &str) -> (u16, String) {
        self.start_mail(to, mail).await;
        self.reply().await
    }
}

fn parcel_mail(message_id: &str) -> String {
    format!(
        "From: ops@customer.example\r\nTo: sms@ferry.example\r\nSubject: \r\nMessage-ID: <{message_id}>\r\n\r\nYour parcel is ready."
    )
}

/// The email API served in-process over the test database, on loopback.
async fn listener(t: &engine::db::testing::TestDb, tls: Option<(&str, &str)>) -> SocketAddr {
    listener_with(t, tls, None).await
}

async fn listener_with(
    t: &engine::db::testing::TestDb,
    tls: Option<(&str, &str)>,
    relay: Option<String>,
) -> SocketAddr {
    let mut config = Config::default();
    config.smtp.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    config.smtp.reply_relay = relay;
    config.smtp.reply_from = "ferry@sms.example".into();
    if let Some((cert, key)) = tls {
        config.smtp.tls_cert = Some(cert.into());
        config.smtp.tls_key = Some(key.into());
    }
    let state = server::server_state(&config, t.db.clone());
    let smtp = server::smtp::start(&config, state)
        .await
        .expect("start")
        .expect("listening");
    let addr = smtp.addr;
    // Serves until the test's runtime ends.
    std::mem::forget(smtp);
    addr
}

fn batch_of(reply: &str) -> i64 {
    reply
        .split("batch ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or_else(|| panic!("no batch in {reply:?}"))
}

fn run_smtplib(addr: SocketAddr, key: &str, ca: Option<&str>) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/smtplib_client.py");
    let mut command = Command::new("python3");
    command
        .arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(key);
    if let Some(ca) = ca {
        command.arg(ca);
    }
    let run = command.output().expect("run python3");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "smtplib client failed:\n{out}\n{err}");
    serde_json::from_str(out.trim()).expect("its JSON")
}

fn assert_smtplib_answers(seen: &serde_json::Value, ctx: &str) -> (i64, i64) {
    let answer = |name: &str| -> (i64, String) {
        (
            seen[name][0].as_i64().unwrap_or_default(),
            seen[name][1].as_str().unwrap_or_default().to_string(),
        )
    };
    let (code, first) = answer("first");
    assert_eq!(code, 250, "{ctx}: {seen}");
    assert!(first.contains("2 numbers accepted"), "{ctx}: {first}");
    assert!(
        first.contains("85291234567="),
        "{ctx}: message ids: {first}"
    );
    let (code, again) = answer("again");
    assert_eq!(code, 250, "{ctx}: {again}");
    assert!(again.contains("Already sent"), "{ctx}: {again}");
    assert_eq!(batch_of(&again), batch_of(&first), "{ctx}");
    let (code, bulk) = answer("bulk");
    assert_eq!(code, 250, "{ctx}: {bulk}");
    assert!(bulk.contains("1000 numbers accepted"), "{ctx}: {bulk}");
    assert_eq!(answer("html").0, 250, "{ctx}: {seen}");
    let (code, why) = answer("unknown_sender_id");
    assert_eq!(code, 550, "{ctx}: {why}");
    assert!(why.to_lowercase().contains("sender"), "{ctx}: {why}");
    let (code, why) = answer("too_long");
    assert_eq!(code, 550, "{ctx}: {why}");
    assert!(why.contains("too long"), "{ctx}: {why}");
    let (code, why) = answer("not_a_number");
    assert_eq!(code, 550, "{ctx}: {why}");
    assert!(why.contains("not a phone number"), "{ctx}: {why}");
    let (code, why) = answer("wrong_key");
    assert_eq!(code, 535, "{ctx}: {why}");
    assert!(why.contains("API key"), "{ctx}: {why}");
    let (code, sent) = answer("key_in_header");
    assert_eq!(
        code, 250,
        "{ctx}: without AUTH, the key in X-Ferry-Key: {sent}"
    );
    let (code, why) = answer("wrong_key_in_header");
    assert_eq!(code, 550, "{ctx}: {why}");
    assert!(why.contains("5.7.8 invalid_api_key"), "{ctx}: {why}");
    let (code, why) = answer("no_key");
    assert_eq!(code, 550, "{ctx}: {why}");
    assert!(why.contains("No API key"), "{ctx}: {why}");
    (batch_of(&first), batch_of(&bulk))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_mails_become_batches_once_and_refusals_say_why() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let (api, account) = customer_with_key(&t, "mailer", Money::hkd(1_000)).await;
        let before = batches(&t, account).await;
        let addr = listener(&t, None).await;
        let key = api.key.clone();
        let seen = tokio::task::spawn_blocking(move || run_smtplib(addr, &key, None))
            .await
            .expect("smtplib");
        let (first, bulk) = assert_smtplib_answers(&seen, ctx);
        // The parcel, bulk, HTML and relayed mails: four batches, no more.
        assert_eq!(batches(&t, account).await, before + 4, "{ctx}: {seen}");
        let text: String = sqlx::query_scalar("SELECT content FROM batches WHERE id = $1")
            .bind(first)
            .fetch_one(t.db.pool())
            .await
            .expect("batch");
        assert_eq!(text, "Your parcel is ready for collection.");
        let text: String = sqlx::query_scalar("SELECT content FROM batches WHERE id = $1")
            .bind(bulk)
            .fetch_one(t.db.pool())
            .await
            .expect("batch");
        assert_eq!(
            text, "Office closed on Monday.",
            "numbers and signature left out"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_smtplib_starts_tls_before_auth() {
    let dir = std::env::temp_dir().join(format!("ferry-smtp-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("certificate");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("key");
    let t = sqlite().await;
    let (api, account) = customer_with_key(&t, "tlsmailer", Money::hkd(1_000)).await;
    let before = batches(&t, account).await;
    let addr = listener(
        &t,
        Some((
            cert_path.to_str().expect("path"),
            key_path.to_str().expect("path"),
        )),
    )
    .await;
    // Without TLS, AUTH is refused: the key never crosses the network in the clear.
    let (mut plain, _) = Client::connect(addr).await;
    assert_eq!(plain.cmd("EHLO tests.example").await.0, 250);
    assert_eq!(plain.cmd("AUTH PLAIN AGEAYg==").await.0, 538);
    let key = api.key.clone();
    let ca = cert_path.to_str().expect("path").to_string();
    let seen = tokio::task::spawn_blocking(move || run_smtplib(addr, &key, Some(&ca)))
        .await
        .expect("smtplib");
    assert_smtplib_answers(&seen, "tls");
    assert_eq!(batches(&t, account).await, before + 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_storing_and_answering_sends_nothing_again() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let (api, account) = customer_with_key(&t, "crashmail", Money::hkd(100)).await;
        let addr = listener(&t, None).await;
        let mut c = Client::login(addr, &api.key).await;
        let (code, first) = c.mail("85291234567@x", &parcel_mail("p1@c")).await;
        assert_eq!(code, 250, "{ctx}: {first}");
        let batch = batch_of(&first);
        let before = batches(&t, account).await;

        // What a death after the batch committed and before it was recorded leaves: a claim
        // without its batch (the batch carries the claim's reference).
        sqlx::query("UPDATE email_intake SET batch_id = NULL WHERE account_id = $1")
            .bind(account)
            .execute(t.db.pool())
            .await
            .expect("lose the record");
        let (code, again) = c.mail("85291234567@x", &parcel_mail("p1@c")).await;
        assert_eq!(code, 250, "{ctx}: {again}");
        assert!(again.contains("Already sent"), "{ctx}: {again}");
        assert_eq!(batch_of(&again), batch);
        assert_eq!(
            batches(&t, account).await,
            before,
            "{ctx}: nothing sent again"
        );

        // A claim whose process died before storing anything: recent, the mail is being
        // handled (try later); old, it is taken over and sent.
        sqlx::query(
            "INSERT INTO email_intake (account_id, identity, claimed_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(account)
        .bind(sha2_hex("p2@c"))
        .bind(engine::db::now_ms())
        .execute(t.db.pool())
        .await
        .expect("a live claim");
        let (code, busy) = c.mail("85291234567@x", &parcel_mail("p2@c")).await;
        assert_eq!(code, 451, "{ctx}: {busy}");
        sqlx::query("UPDATE email_intake SET claimed_at = claimed_at - $1 WHERE identity = $2")
            .bind(ABANDONED_AFTER_MS + 1)
            .bind(sha2_hex("p2@c"))
            .execute(t.db.pool())
            .await
            .expect("a dead claim");
        let (code, sent) = c.mail("85291234567@x", &parcel_mail("p2@c")).await;
        assert_eq!(code, 250, "{ctx}: {sent}");
        assert!(sent.contains("Sent as batch"), "{ctx}: {sent}");
        assert_eq!(batches(&t, account).await, before + 1);
        assert_eq!(c.cmd("QUIT").await.0, 221);
    }
}

/// aiosmtpd as the relay answers go through: its mails, one JSON object each.
struct Relay {
    child: std::process::Child,
    mails: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl Relay {
    fn start(python: &std::ffi::OsStr, port: u16) -> Relay {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/relay_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start aiosmtpd");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, mails) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let ready = mails
            .recv_timeout(Duration::from_secs(30))
            .expect("aiosmtpd listening");
        assert_eq!(ready["listening"], port);
        Relay { child, mails }
    }

    fn next(&self) -> serde_json::Value {
        self.mails
            .recv_timeout(Duration::from_secs(30))
            .expect("an answer reached the relay")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_mailed_to_the_sender_and_retried_until_the_relay_takes_them() {
    // The test command always sets it (and installs aiosmtpd in its venv first).
    let Some(python) = std::env::var_os("FERRY_PYTHON") else {
        eprintln!("skipped: FERRY_PYTHON is not set (scripts/test.sh sets it)");
        return;
    };
    let t = sqlite().await;
    let (api, account) = customer_with_key(&t, "answered", Money::hkd(100)).await;
    // A port with nothing on it yet: the first attempts fail.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let addr = listener_with(&t, None, Some(format!("127.0.0.1:{port}"))).await;
    let mut c = Client::login(addr, &api.key).await;
    let (code, sent) = c.mail("85291234567@x", &parcel_mail("answer-1@c")).await;
    assert_eq!(code, 250, "{sent}");
    let refused_mail =
        "From: ops@customer.example\r\nSubject: NOSUCHID\r\nMessage-ID: <answer-2@c>\r\n\r\nHello";
    let (code, refused) = c.mail("85291234567@x", refused_mail).await;
    assert_eq!(code, 550, "{refused}");
    let too_long = format!(
        "From: ops@customer.example\r\nSubject: \r\nMessage-ID: <answer-3@c>\r\n\r\n{}",
        "x".repeat(5_000)
    );
    let (code, refused) = c.mail("85291234567@x", &too_long).await;
    assert_eq!(code, 550, "{refused}");

    // The three answers are stored and their first attempt fails: the relay is down.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_replies WHERE account_id = $1 AND attempts >= 1 AND sent_at IS NULL AND last_error IS NOT NULL",
        )
        .bind(account)
        .fetch_one(t.db.pool())
        .await
        .expect("count");
        if failed == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the attempts never failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let relay = Relay::start(&python, port);
    // The back-off (10 s first) is the sender's; the test does not wait it out.
    sqlx::query("UPDATE email_replies SET next_attempt_at = 0 WHERE account_id = $1")
        .bind(account)
        .execute(t.db.pool())
        .await
        .expect("due now");
    let mut answers = [relay.next(), relay.next(), relay.next()];
    answers.sort_by_key(|a| {
        let content = a["content"].as_str().unwrap_or("");
        (content.contains("Not sent"), content.contains("answer-3"))
    });
    let (ok, no, long) = (&answers[0], &answers[1], &answers[2]);
    assert_eq!(ok["to"][0], "ops@customer.example");
    assert_eq!(ok["from"], "ferry@sms.example");
    let content = ok["content"].as_str().expect("content");
    assert!(
        content.contains(&format!("Subject: Sent as batch {}", batch_of(&sent))),
        "{content}"
    );
    assert!(content.contains("In-Reply-To: <answer-1@c>"), "{content}");
    assert!(
        content.contains("Auto-Submitted: auto-replied"),
        "{content}"
    );
    assert!(
        content.contains("85291234567="),
        "the message id: {content}"
    );
    let content = no["content"].as_str().expect("content");
    assert!(content.contains("Subject: Not sent"), "{content}");
    assert!(content.contains("In-Reply-To: <answer-2@c>"), "{content}");
    assert!(
        content.to_lowercase().contains("sender"),
        "the reason: {content}"
    );
    let content = long["content"].as_str().expect("content");
    assert!(content.contains("Subject: Not sent"), "{content}");
    assert!(content.contains("In-Reply-To: <answer-3@c>"), "{content}");
    assert!(content.contains("too long"), "the reason: {content}");
    // The relay shows a mail before it answers 250; the sender records it after.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_replies WHERE account_id = $1 AND sent_at IS NOT NULL",
        )
        .bind(account)
        .fetch_one(t.db.pool())
        .await
        .expect("count");
        if sent == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{sent} of 3 answers recorded as sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A mail without AUTH whose X-Ferry-Key is wrong (or missing) is refused in the
/// conversation, and the refusal is mailed too, but only to an address an account registered
/// as its contact and only a few times an hour: MAIL FROM can be forged, and answering any
/// address would make Ferry a source of backscatter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_answered_by_mail_only_at_a_registered_address() {
    let Some(python) = std::env::var_os("FERRY_PYTHON") else {
        eprintln!("skipped: FERRY_PYTHON is not set (scripts/test.sh sets it)");
        return;
    };
    let t = sqlite().await;
    let (_, account) = customer_with_key(&t, "wrongkey", Money::hkd(100)).await;
    sqlx::query("UPDATE accounts SET contact_email = 'Ops@Registered.example' WHERE id = $1")
        .bind(account)
        .execute(t.db.pool())
        .await
        .expect("contact");
    let before = batches(&t, account).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let relay = Relay::start(&python, port);
    let addr = listener_with(&t, None, Some(format!("127.0.0.1:{port}"))).await;
    let (mut c, _) = Client::connect(addr).await;
    assert_eq!(c.cmd("EHLO relay.customer.example").await.0, 250);
    let unvouched = |from: &str, key: Option<&str>, id: &str| {
        let key = key
            .map(|k| format!("X-Ferry-Key: {k}\r\n"))
            .unwrap_or_default();
        (
            from.to_string(),
            format!("From: {from}\r\n{key}Subject: \r\nMessage-ID: <{id}>\r\n\r\nHello"),
        )
    };
    for (from, key, id) in [
        // A stranger's address: refused, and not answered by mail.
        ("someone@elsewhere.example", Some("ferry_wrong"), "s-1@c"),
        // The account's contact address (in another case): refused and answered.
        ("ops@registered.example", Some("ferry_wrong"), "r-1@c"),
        ("ops@registered.example", None, "r-2@c"),
    ] {
        let (from, mail) = unvouched(from, key, id);
        let (code, why) = c.mail_from(&from, "85291234567@x", &mail).await;
        assert_eq!(code, 550, "{from}: {why}");
        let expected = if key.is_some() {
            "5.7.8 invalid_api_key"
        } else {
            "5.7.0 No API key"
        };
        assert!(why.contains(expected), "{from}: {why}");
    }
    for expected in ["<r-1@c>", "<r-2@c>"] {
        let answer = relay.next();
        assert_eq!(answer["to"][0], "ops@registered.example", "{answer}");
        let content = answer["content"].as_str().expect("content");
        assert!(content.contains("Subject: Not sent"), "{content}");
        assert!(
            content.contains(&format!("In-Reply-To: {expected}")),
            "{content}"
        );
        let reason = if expected == "<r-1@c>" {
            "invalid_api_key"
        } else {
            "X-Ferry-Key"
        };
        assert!(content.contains(reason), "{content}");
    }
    // At most a few an hour to one address, however many mails come.
    for n in 0..10 {
        let id = format!("m-{n}@c");
        let (from, mail) = unvouched("ops@registered.example", Some("ferry_wrong"), &id);
        assert_eq!(c.mail_from(&from, "85291234567@x", &mail).await.0, 550);
    }
    let count = |sql: &'static str| {
        let db = t.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(db.pool())
                .await
                .expect("count")
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM email_replies WHERE unvouched = 1 AND to_address = 'ops@registered.example'").await,
        engine::email_replies::STRANGER_ANSWERS_PER_HOUR
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM email_replies WHERE to_address = 'someone@elsewhere.example'")
            .await,
        0,
        "a stranger's address is never answered"
    );
    assert_eq!(batches(&t, account).await, before, "nothing was sent");
    drop(relay);
}

fn sha2_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_killed_while_answering_a_mail_sends_it_once_after_restart() {
    let dir = std::env::temp_dir().join(format!("ferry-smtp-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}/ferry.db", dir.display());
    let db = Db::connect(&url).await.expect("db");
    db.migrate().await.expect("migrate");
    let staff = engine::testing::staff(&db, "killstaff").await;
    let account = engine::testing::customer(&db, "killmail", staff, Money::hkd(100)).await;
    let key = engine::api_keys::store::create(&db, account, "mail")
        .await
        .expect("key")
        .secret;
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{url}\"\ndata_dir = \"{}\"\n\
             [smtp]\nlisten = \"127.0.0.1:0\"\n",
            dir.display()
        ),
    )
    .expect("config");
    let serve = || {
        let mut command = ferry();
        command
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env_remove("DATABASE_URL");
        let (child, _, smtp) = start_listening(command);
        (child, smtp.expect("the email API listens"))
    };
    let count = |db: Db| async move {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM batches WHERE account_id = $1 AND content = 'Your parcel is ready.'",
        )
        .bind(account)
        .fetch_one(db.pool())
        .await
        .expect("count");
        n
    };

    let (mut child, addr) = serve();
    let mut c = Client::login(addr, &key).await;
    c.start_mail("85291234567@x", &parcel_mail("killed@c"))
        .await;
    // SIGKILL as soon as the batch is in the database: before or just after the answer left.
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(db.clone()).await == 0 {
        assert!(Instant::now() < deadline, "the mail was never stored");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    drop(c);

    let (mut child, addr) = serve();
    let mut c = Client::login(addr, &key).await;
    let (code, again) = c.mail("85291234567@x", &parcel_mail("killed@c")).await;
    assert_eq!(code, 250, "{again}");
    assert!(again.contains("Already sent"), "{again}");
    assert_eq!(count(db.clone()).await, 1, "one batch, never two");
    child.kill().expect("stop");
    let _ = child.wait();
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_mail_and_an_overlong_line_are_refused_and_the_connection_carries_on() {
    let t = sqlite().await;
    let (api, account) = customer_with_key(&t, "bigmail", Money::hkd(100)).await;
    let before = batches(&t, account).await;
    let addr = listener(&t, None).await;
    let mut c = Client::login(addr, &api.key).await;
    assert_eq!(c.cmd(&"N".repeat(10_000)).await.0, 500, "line too long");
    // 5 MB of body: read to its end and discarded, then refused with its size.
    let body = "Subject: \r\n\r\n";
    let big: String = std::iter::repeat_n("y".repeat(998) + "\r\n", 5_300).collect();
    let (code, text) = c.mail("85291234567@x", &format!("{body}{big}")).await;
    assert_eq!(code, 552, "{text}");
    assert_eq!(batches(&t, account).await, before, "nothing sent");
    // The same connection still takes a mail.
    let (code, sent) = c.mail("85291234567@x", &parcel_mail("after-big@c")).await;
    assert_eq!(code, 250, "{sent}");
    assert_eq!(c.cmd("QUIT").await.0, 221);
}

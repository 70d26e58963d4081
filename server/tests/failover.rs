//! SMSC failover (issue 17): two SMSCs on one route, each a real `ferry simulator` process
//! speaking SMPP; the preferred one is killed with SIGKILL mid-batch. Every message still ends
//! final exactly once, charged once, the rest going through the fallback, and `/metrics` shows
//! the switch, as does the staff console's connections page; once the preferred SMSC is back,
//! new messages go to it again.

mod common;

use common::process::{ferry, serve, test_dir, write_config, KillOnDrop};
use engine::db::testing::{sqlite, TestDb};
use sms::Money;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `ferry simulator` on `addr` as its own process, once it listens.
fn simulator(addr: SocketAddr) -> Child {
    let mut child = ferry()
        .arg("simulator")
        .arg("--listen")
        .arg(addr.to_string())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn simulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    match lines.next() {
        Some(Ok(line)) if line.contains("simulator listening") => {}
        other => panic!("simulator did not start: {other:?}"),
    }
    std::thread::spawn(move || for _ in lines {});
    child
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// The value of the series line that starts with `prefix` (labels included).
fn value(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

struct Ferry {
    client: reqwest::Client,
    base: String,
    key: String,
    /// A signed-in staff session (with two-factor sign-in set up).
    staff_cookie: String,
}

impl Ferry {
    /// `ferry serve` on `t`'s database with the built-in simulator off and `smscs` (`[[smsc]]`
    /// tables) as its connections, signed in as staff with `staff_password`. The process is
    /// killed when the returned guard drops.
    async fn start(
        t: &TestDb,
        staff_password: &str,
        key: String,
        dir: &std::path::Path,
        smscs: &str,
    ) -> (Ferry, KillOnDrop) {
        let config = write_config(
            dir,
            &t.url,
            &format!("[simulator]\nenabled = false\n{smscs}"),
        );
        let (child, addr, _) = serve(&config);
        let process = KillOnDrop(child);
        let mut f = Ferry {
            client: reqwest::Client::new(),
            base: format!("http://{addr}"),
            key,
            staff_cookie: String::new(),
        };
        f.staff_session(&t.db, staff_password).await;
        (f, process)
    }

    /// Signs the first staff login in over HTTP and sets up its two-factor sign-in, as the
    /// console requires.
    async fn staff_session(&mut self, db: &engine::db::Db, password: &str) {
        let login = self
            .client
            .post(format!("{}/api/login", self.base))
            .form(&[("login_name", "admin"), ("password", password)])
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), 200);
        let cookie = login.headers()["set-cookie"].to_str().expect("ascii");
        self.staff_cookie = cookie.split(';').next().expect("pair").to_string();
        self.staff_fn("two_factor_begin", &[]).await;
        let (_, code) = common::pending_totp_code(db).await;
        self.staff_fn("two_factor_confirm", &[("code", code.as_str())])
            .await;
    }

    async fn staff_fn(&self, name: &str, form: &[(&str, &str)]) -> String {
        let r = self
            .client
            .post(format!("{}/api/{name}", self.base))
            .header("cookie", &self.staff_cookie)
            .form(form)
            .send()
            .await
            .expect("server function");
        let status = r.status();
        let body = r.text().await.expect("body");
        assert_eq!(status, 200, "{name}: {body}");
        body
    }

    /// The console's view of one connection.
    async fn console(&self, smsc: &str) -> serde_json::Value {
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&self.staff_fn("smsc_connections", &[]).await).expect("json");
        list.into_iter()
            .find(|c| c["name"] == smsc)
            .expect("the connection is listed")
    }

    async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    async fn accepted(&self, smsc: &str) -> f64 {
        value(
            &self.metrics().await,
            &format!("ferry_smsc_submits_accepted_total{{smsc=\"{smsc}\"}}"),
        )
    }

    async fn bound(&self, smsc: &str) -> f64 {
        value(
            &self.metrics().await,
            &format!("ferry_smsc_bound{{smsc=\"{smsc}\"}}"),
        )
    }

    async fn send(&self, numbers: &[String]) {
        let sent = self
            .client
            .post(format!("{}/api/v1/batches", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "to": numbers, "text": "Your code is 123456", "route": "hk_economic",
                })
                .to_string(),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(
            sent.status(),
            201,
            "{}",
            sent.text().await.unwrap_or_default()
        );
    }

    async fn wait_until(&self, what: &str, mut done: impl AsyncFnMut(&Ferry) -> bool) {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(90);
        while !done(self).await {
            assert!(
                Instant::now() < deadline,
                "never: {what}\n{}",
                self.metrics().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("{what}: after {:?}", start.elapsed());
    }
}

fn numbers(from: u32, count: u32) -> Vec<String> {
    (from..from + count).map(|i| format!("9{i:07}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_smsc_fails_over_and_back_without_losing_or_doubling_a_message() {
    let t = sqlite().await;
    let (_, staff_password) = engine::auth::accounts::ensure_first_staff(&t.db)
        .await
        .expect("staff")
        .expect("first staff");
    let (account, key) = common::api::sender_with_key(&t, "failover", Money::hkd(1_000)).await;
    let (a_addr, b_addr) = (free_addr(), free_addr());
    let mut a = KillOnDrop(simulator(a_addr));
    let _b = KillOnDrop(simulator(b_addr));

    let dir = test_dir("ferry-failover");
    // The preferred SMSC takes 100 submits a second, so the batch is still on its way to it
    // when it is killed; the fallback has no limit.
    let (f, _ferry) = Ferry::start(
        &t,
        &staff_password,
        key,
        &dir,
        &format!(
            "[[smsc]]\nname = \"preferred\"\naddress = \"{a_addr}\"\nroutes = [\"HK_ECONOMIC\"]\n\
             priority = 1\nmax_per_second = 100\nwindow = 20\n\
             [[smsc]]\nname = \"fallback\"\naddress = \"{b_addr}\"\nroutes = [\"HK_ECONOMIC\"]\n\
             priority = 2\nwindow = 20\n"
        ),
    )
    .await;
    f.wait_until("both SMSCs bound", async |f| {
        f.bound("preferred").await == 1.0 && f.bound("fallback").await == 1.0
    })
    .await;

    // 600 messages; the preferred SMSC is killed after it has taken 100 of them.
    let first = numbers(1_000_000, 600);
    f.send(&first).await;
    f.wait_until("100 accepted by the preferred SMSC", async |f| {
        f.accepted("preferred").await >= 100.0
    })
    .await;
    a.0.kill().expect("SIGKILL the preferred SMSC");
    let _ = a.0.wait();
    let not_final: Vec<String> = sms::DeliveryStatus::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.code().to_string())
        .collect();
    let waiting_sql = format!(
        "SELECT COUNT(*) FROM messages WHERE status IN ({})",
        not_final.join(", ")
    );
    f.wait_until("every message final", async |_| {
        let waiting: i64 = sqlx::query_scalar(&waiting_sql)
            .fetch_one(t.db.pool())
            .await
            .expect("count");
        waiting == 0
    })
    .await;

    let metrics = f.metrics().await;
    assert_eq!(
        value(&metrics, "ferry_smsc_bound{smsc=\"preferred\"}"),
        0.0,
        "{metrics}"
    );
    let (preferred, fallback) = (
        value(
            &metrics,
            "ferry_smsc_submits_accepted_total{smsc=\"preferred\"}",
        ),
        value(
            &metrics,
            "ferry_smsc_submits_accepted_total{smsc=\"fallback\"}",
        ),
    );
    assert!(preferred < 600.0 && fallback > 0.0, "{metrics}");
    // The console shows the same: the preferred connection down, the fallback taking over.
    let (down, up) = (f.console("preferred").await, f.console("fallback").await);
    assert_eq!(down["bound"], false, "{down}");
    assert_eq!(down["priority"], 1);
    assert_eq!(up["bound"], true, "{up}");
    assert_eq!(up["accepted"].as_f64(), Some(fallback), "{up}");
    assert_eq!(up["routes"], serde_json::json!(["HK Economic"]), "{up}");
    // Every message final once, submitted (none refused), and charged once.
    let submitted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status = $1")
        .bind(i64::from(sms::DeliveryStatus::Submitted.code()))
        .fetch_one(t.db.pool())
        .await
        .expect("count");
    assert_eq!(submitted, 600);
    let charges: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(-amount_minor), 0) FROM ledger_entries \
         WHERE account_id = $1 AND kind = 'charge'",
    )
    .bind(account)
    .fetch_one(t.db.pool())
    .await
    .expect("charges");
    let price = charges / 600;
    assert!(
        price > 0 && charges == price * 600,
        "600 charges of one price: {charges}"
    );
    assert_eq!(
        engine::ledger::store::accounts_out_of_balance(&t.db)
            .await
            .expect("check"),
        Vec::<i64>::new()
    );
    // The messages in flight on the killed link were sent again, on the fallback: at most a
    // window's worth more submits than messages.
    assert!(
        preferred + fallback >= 600.0 && preferred + fallback <= 620.0,
        "{preferred} + {fallback}"
    );

    // The preferred SMSC comes back; new messages go to it again, none to the fallback.
    let _a = KillOnDrop(simulator(a_addr));
    f.wait_until("the preferred SMSC bound again", async |f| {
        f.bound("preferred").await == 1.0
    })
    .await;
    let preferred_before = f.accepted("preferred").await;
    let fallback_before = f.accepted("fallback").await;
    f.send(&numbers(2_000_000, 50)).await;
    f.wait_until("the second batch accepted", async |f| {
        f.accepted("preferred").await >= preferred_before + 50.0
    })
    .await;
    assert_eq!(f.accepted("fallback").await, fallback_before);
    let _ = std::fs::remove_dir_all(&dir);
}

impl Ferry {
    /// A server function's status and body, whatever the status.
    async fn staff_call(&self, name: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}/api/{name}", self.base))
            .header("cookie", &self.staff_cookie)
            .form(form)
            .send()
            .await
            .expect("server function");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    /// The console's view of one connection, if it lists it.
    async fn listed(&self, smsc: &str) -> Option<serde_json::Value> {
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&self.staff_fn("smsc_connections", &[]).await).expect("json");
        list.into_iter().find(|c| c["name"] == smsc)
    }

    /// Sends `count` messages and waits until `smsc` has accepted all of them.
    async fn send_through(&self, smsc: &str, from: u32, count: u32) {
        let before = self.accepted(smsc).await;
        self.send(&numbers(from, count)).await;
        self.wait_until(&format!("{count} accepted by {smsc}"), async |f| {
            f.accepted(smsc).await >= before + f64::from(count)
        })
        .await;
    }
}

/// Staff add a connection in the console, and the dispatcher binds it and routes by its
/// priority; disabling it unbinds it (its route's messages go to the next connection), an edit
/// reconnects with the new settings, a change made by another process on the database is
/// picked up by polling, and an enabled connection cannot be removed. Every step is audited
/// and every message is accepted exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_manage_smsc_connections_in_the_console() {
    let t = sqlite().await;
    let (staff_login, staff_password) = engine::auth::accounts::ensure_first_staff(&t.db)
        .await
        .expect("staff")
        .expect("first staff");
    let staff: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login_name = $1")
        .bind(&staff_login)
        .fetch_one(t.db.pool())
        .await
        .expect("staff id");
    let (_, key) = common::api::sender_with_key(&t, "console", Money::hkd(1_000)).await;
    let (a_addr, b_addr) = (free_addr(), free_addr());
    let _a = KillOnDrop(simulator(a_addr));
    let _b = KillOnDrop(simulator(b_addr));
    let dir = test_dir("ferry-console-smsc");
    let (f, _ferry) = Ferry::start(
        &t,
        &staff_password,
        key,
        &dir,
        &format!(
            "[[smsc]]\nname = \"from-file\"\naddress = \"{a_addr}\"\nroutes = [\"HK_ECONOMIC\"]\n\
             priority = 1\nwindow = 20\n"
        ),
    )
    .await;
    f.wait_until("the file's SMSC bound", async |f| {
        f.bound("from-file").await == 1.0
    })
    .await;
    let file = f.listed("from-file").await.expect("listed");
    assert_eq!(file["source"], "File", "{file}");
    assert!(file["managed"].is_null());

    let b = b_addr.to_string();
    let backup = |priority: &'static str| {
        vec![
            ("name", "backup"),
            ("address", b.as_str()),
            ("system_id", "ferry"),
            ("password", "ferry"),
            ("priority", priority),
            ("window", "10"),
            ("max_per_second", ""),
            ("msg_id_matching", "auto"),
            ("route_hk_economic", "on"),
        ]
    };
    // A name ferry.toml already uses, and a broken address, are refused field by field.
    let mut clash = backup("0");
    clash[0].1 = "from-file";
    clash[1].1 = "no port";
    let (status, body) = f.staff_call("save_smsc_connection", &clash).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("\"name\"") && body.contains("\"address\""),
        "{body}"
    );

    // Added with priority 0, it takes the route's messages at once.
    f.staff_fn("save_smsc_connection", &backup("0")).await;
    f.wait_until("the console's SMSC bound", async |f| {
        f.bound("backup").await == 1.0
    })
    .await;
    let added = f.listed("backup").await.expect("listed");
    assert_eq!(added["source"], "Console", "{added}");
    assert_eq!(added["running"], true);
    assert_eq!(added["window"], 10);
    let id = added["managed"]["id"].as_i64().expect("id").to_string();
    let file_before = f.accepted("from-file").await;
    f.send_through("backup", 3_000_000, 30).await;
    assert_eq!(f.accepted("from-file").await, file_before);

    // Disabled: unbound and gone from the dispatcher; the file's connection takes over.
    f.staff_fn(
        "set_smsc_connection_enabled",
        &[("id", id.as_str()), ("enabled", "false")],
    )
    .await;
    f.wait_until("the console's SMSC retired", async |f| {
        f.listed("backup")
            .await
            .is_some_and(|c| c["running"] == false)
    })
    .await;
    assert!(!f.metrics().await.contains("smsc=\"backup\""));
    f.send_through("from-file", 3_100_000, 30).await;

    // Edited to priority 5 and a limit, then enabled by another process on the database:
    // this one notices by polling, binds it, and it stays the fallback.
    let mut edit = backup("5");
    edit.push(("id", id.as_str()));
    edit[3].1 = ""; // keep the password
    edit[6].1 = "50";
    f.staff_fn("save_smsc_connection", &edit).await;
    engine::delivery::connections::store::set_enabled(&t.db, staff, id.parse().expect("id"), true)
        .await
        .expect("enable elsewhere");
    f.wait_until("the edited SMSC bound again", async |f| {
        f.bound("backup").await == 1.0
    })
    .await;
    let edited = f.listed("backup").await.expect("listed");
    assert_eq!(edited["priority"], 5, "{edited}");
    assert_eq!(edited["max_per_second"], 50.0, "{edited}");
    let backup_before = f.accepted("backup").await;
    f.send_through("from-file", 3_200_000, 30).await;
    assert_eq!(f.accepted("backup").await, backup_before);

    // Removing needs it disabled first.
    let (status, body) = f
        .staff_call("remove_smsc_connection", &[("id", id.as_str())])
        .await;
    assert_eq!(status, 409, "{body}");
    f.staff_fn(
        "set_smsc_connection_enabled",
        &[("id", id.as_str()), ("enabled", "false")],
    )
    .await;
    f.staff_fn("remove_smsc_connection", &[("id", id.as_str())])
        .await;
    assert!(f.listed("backup").await.is_none());

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'smsc.%' ORDER BY id")
            .fetch_all(t.db.pool())
            .await
            .expect("audit");
    assert_eq!(
        actions,
        [
            "smsc.add",
            "smsc.disable",
            "smsc.edit",
            "smsc.enable",
            "smsc.disable",
            "smsc.remove"
        ]
    );
    // 90 messages, each accepted once, across the two connections.
    let total = f.accepted("from-file").await;
    assert_eq!(total + 30.0, 90.0, "{}", f.metrics().await);
    let _ = std::fs::remove_dir_all(&dir);
}

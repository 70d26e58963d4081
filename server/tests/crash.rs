//! The crash test (§ "Nothing lost, nothing doubled"): a 20,000-message batch, the real `ferry`
//! process killed with SIGKILL at random moments five times and restarted each time. At the
//! end every message has exactly one final status, none was charged twice, the ledger sums
//! match, and the simulator saw at most a window's worth of duplicate submits per crash.

use app::ledger::EntryKind;
use engine::db::{now_ms, Db};
use engine::delivery::store::{create_batch, NewBatch};
use engine::ledger::store::accounts_out_of_balance;
use rand::Rng;
use smpp::{Behaviour, Outcome, Simulator, SimulatorConfig};
use sms::{Money, Route};
use sqlx::Row;
use std::time::{Duration, Instant};

mod common;

use common::process::spawn_ferry;

const MESSAGES: usize = 20_000;
const KILLS: usize = 5;
const WINDOW: u64 = 100;

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(db.pool())
        .await
        .expect("query")
        .try_get(0)
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_five_times_loses_nothing_and_charges_nothing_twice() {
    let dir = std::env::temp_dir().join(format!("ferry-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}/ferry.db", dir.display());
    let db = Db::connect(&url).await.expect("db");
    db.migrate().await.expect("migrate");

    let account: i64 = sqlx::query(
        "INSERT INTO accounts (login_name, password_hash, role, status, company_name, contact_email, mobile, created_at) \
         VALUES ('crash', 'x', 'customer', 'normal', 'Co', 'a@b.example', '85291234567', $1) RETURNING id",
    )
    .bind(now_ms())
    .fetch_one(db.pool())
    .await
    .expect("account")
    .try_get(0)
    .expect("id");
    let price = Money::from_minor(3_200);
    let opening = Money::hkd(10_000);
    common::dispatch::post_entry(&db, account, EntryKind::TopUp, opening, "t").await;
    let recipients: Vec<(String, Money)> = (0..MESSAGES)
        .map(|i| (format!("8529{:07}", i), price))
        .collect();
    let batch = create_batch(
        &db,
        &NewBatch {
            sender_id: Some("Crash".into()),
            ..NewBatch::on_route(account, Route::HkBusiness, "crash test", recipients)
        },
    )
    .await
    .expect("batch");

    let sim = Simulator::start(SimulatorConfig {
        behaviour: Behaviour {
            receipt_delay: Duration::from_millis(10),
            outcomes: vec![(Outcome::Delivered, 1)],
            ..Behaviour::default()
        },
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator");
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{url}\"\ndata_dir = \"{}\"\n\
             [simulator]\nenabled = false\n\
             [dispatcher]\nworkers = 2\nclaim_batch = 200\n\
             [[smsc]]\nname = \"sim\"\naddress = \"{}\"\nsystem_id = \"ferry\"\npassword = \"pw\"\nwindow = {WINDOW}\n",
            dir.display(),
            sim.addr
        ),
    )
    .expect("config");

    let mut rng = rand::thread_rng();
    for kill in 0..KILLS {
        let mut child = spawn_ferry(&config);
        let wait = rng.gen_range(300..2_000);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let done = count(&db, &format!("SELECT COUNT(*) FROM messages WHERE batch_id = {batch} AND status IN (5, 20, 21, 22)")).await;
        eprintln!(
            "kill {} after {wait} ms: {done} of {MESSAGES} final",
            kill + 1
        );
    }
    let mut child = spawn_ferry(&config);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let done = count(&db, &format!("SELECT COUNT(*) FROM messages WHERE batch_id = {batch} AND status IN (5, 20, 21, 22)")).await;
        if done == MESSAGES as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {MESSAGES} final after the last restart"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    child.kill().expect("kill");
    let _ = child.wait();

    // Every message exactly once, each with one final status.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM messages").await,
        MESSAGES as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM messages WHERE status = 22").await,
        MESSAGES as i64
    );
    // One charge per message, none twice.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'charge'"
        )
        .await,
        MESSAGES as i64
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(DISTINCT reference) FROM ledger_entries WHERE kind = 'charge'"
        )
        .await,
        MESSAGES as i64
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM messages WHERE charge_minor <> 3200"
        )
        .await,
        0
    );
    let row = sqlx::query("SELECT balance_minor, held_minor FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(db.pool())
        .await
        .expect("acct");
    let (balance, held): (i64, i64) = (row.try_get(0).expect("b"), row.try_get(1).expect("h"));
    assert_eq!(held, 0);
    assert_eq!(balance, opening.minor() - MESSAGES as i64 * price.minor());
    assert!(accounts_out_of_balance(&db)
        .await
        .expect("check")
        .is_empty());
    let stats = sim.stats();
    eprintln!(
        "crash test: {} submits, {} accepted, {} duplicate submits after {KILLS} kills (bound {} = window {WINDOW} x {KILLS})",
        stats.submits, stats.accepted, stats.duplicates, WINDOW * KILLS as u64
    );
    assert!(
        stats.duplicates <= WINDOW * KILLS as u64,
        "{} duplicates",
        stats.duplicates
    );
    sim.shutdown();
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

//! Two `ferry serve` processes on one PostgreSQL database (PRODUCT.md §14, Jasmin #292): both
//! dispatch the same 4,000-message batch to one SMSC, claiming with `FOR UPDATE SKIP LOCKED`,
//! and no message is submitted twice. Runs when the test command's PostgreSQL is up.

mod common;

use common::dispatch::{customer, fast, new_batch, numbers, wait_final};
use engine::db::testing::postgres;
use engine::delivery::store::create_batch;
use smpp::{Outcome, Simulator, SimulatorConfig};
use sms::{Money, Route};
use sqlx::Row;
use std::process::Child;
use std::time::Duration;

const MESSAGES: usize = 4_000;

struct Ferry(Child);

impl Drop for Ferry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_ferry(config: &std::path::Path, database_url: &str) -> Ferry {
    let mut command = common::process::ferry();
    command
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url);
    Ferry(common::process::start(command).0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ferry_processes_on_one_postgresql_never_submit_a_message_twice() {
    let Some(t) = postgres().await else { return };
    let sim = Simulator::start(SimulatorConfig {
        behaviour: fast(vec![(Outcome::Delivered, 1)]),
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator");
    let dir = std::env::temp_dir().join(format!("ferry-two-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        format!(
            "[simulator]\nenabled = false\n[retention]\nenabled = false\n[dispatcher]\nclaim_batch = 50\n\
             [[smsc]]\nname = \"sim\"\naddress = \"{}\"\nsystem_id = \"ferry\"\npassword = \"pw\"\nwindow = 50\n",
            sim.addr
        ),
    )
    .expect("config");
    let account = customer(&t.db, "twonodes", Money::hkd(10_000)).await;
    let batch = create_batch(
        &t.db,
        &new_batch(
            account,
            Route::HkBusiness,
            "two nodes",
            &numbers(MESSAGES, 40_000),
        ),
    )
    .await
    .expect("batch");
    let a = spawn_ferry(&config, &t.url);
    let b = spawn_ferry(&config, &t.url);
    let ms = wait_final(&t.db, batch, Duration::from_secs(120)).await;
    drop((a, b));
    assert!(ms.iter().all(|m| m.status == 22 && m.charge == 3_200));
    let stats = sim.stats();
    assert_eq!(
        stats.accepted, MESSAGES as u64,
        "every message submitted once"
    );
    assert_eq!(stats.duplicates, 0, "no message submitted twice");
    // Both processes took part.
    let nodes: i64 =
        sqlx::query("SELECT COUNT(DISTINCT claimed_by) FROM messages WHERE batch_id = $1")
            .bind(batch)
            .fetch_one(t.db.pool())
            .await
            .expect("nodes")
            .get(0);
    assert_eq!(nodes, 2, "both processes dispatched");
    let charges: i64 = sqlx::query(
        "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'charge' AND account_id = $1",
    )
    .bind(account)
    .fetch_one(t.db.pool())
    .await
    .expect("charges")
    .get(0);
    assert_eq!(charges, MESSAGES as i64, "one charge per message");
    sim.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

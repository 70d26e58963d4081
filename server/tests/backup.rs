//! Backup and restore (issue 17): `ferry backup` copies the SQLite database while a real
//! `ferry serve` is sending, the copy is checked and holds every balance equal to its entries;
//! `ferry restore` refuses while Ferry runs and refuses a damaged file, and otherwise puts the
//! backup back, keeping the database it replaced, after which Ferry starts on it again.

mod common;

use common::process::{ferry, serve, test_dir, write_config, KillOnDrop};
use engine::db::testing::sqlite;
use engine::db::Db;
use sms::Money;
use std::path::Path;
use std::process::Output;

fn run(config: &Path, args: &[&str]) -> Output {
    ferry()
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run ferry")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

async fn send(client: &reqwest::Client, base: &str, key: &str) {
    let sent = client
        .post(format!("{base}/api/v1/messages"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "to": ["91234567", "61234567", "+852 9123 0000"],
                "text": "Your code is 123456", "route": "hk_business", "sender_id": "ACME",
            })
            .to_string(),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 201);
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_sending_restores_with_every_balance_equal_to_its_entries() {
    let t = sqlite().await;
    let (_, key) = common::api::sender_with_key(&t, "backup", Money::hkd(100)).await;
    let dir = test_dir("ferry-backup");
    let config = write_config(&dir, &t.url, "[simulator]\nreceipt_delay_ms = 20\n");
    let (child, addr, _) = serve(&config);
    let mut child = KillOnDrop(child);
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();

    // The backup is taken while sends go on: each one holds, charges and posts receipts.
    send(&client, &base, &key).await;
    let sending = {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        tokio::spawn(async move {
            for _ in 0..10 {
                send(&client, &base, &key).await;
            }
        })
    };
    let backup = dir.join("ferry-backup.db");
    let backup_arg = backup.to_str().expect("path");
    let config_path = config.clone();
    let backup_arg_owned = backup_arg.to_string();
    let taken =
        tokio::task::spawn_blocking(move || run(&config_path, &["backup", &backup_arg_owned]))
            .await
            .expect("backup");
    assert!(taken.status.success(), "{}", text(&taken.stderr));
    assert!(
        text(&taken.stdout).contains("every balance equals its entries"),
        "{}",
        text(&taken.stdout)
    );
    sending.await.expect("sends");
    let in_backup = engine::backup::verify(&backup)
        .await
        .expect("a whole backup");
    assert!(
        in_backup.messages >= 3,
        "the first send is in it: {in_backup}"
    );

    // A backup never overwrites a file, and nothing is restored under a running Ferry.
    let again = run(&config, &["backup", backup_arg]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    let refused = run(&config, &["restore", backup_arg]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("locked by another Ferry process"),
        "{}",
        text(&refused.stderr)
    );

    // Work after the backup, which the restore will take back.
    send(&client, &base, &key).await;
    child.0.kill().expect("stop ferry");
    let _ = child.0.wait();
    let entries_before_restore = count(&t.db, "ledger_entries").await;
    let messages_before_restore = count(&t.db, "messages").await;
    assert_eq!(messages_before_restore, 12 * 3);
    assert!(messages_before_restore > in_backup.messages);
    t.db.close().await;

    // A damaged file is refused and the database is left as it was.
    let damaged = dir.join("damaged.db");
    let mut bytes = std::fs::read(&backup).expect("read");
    let middle = bytes.len() / 2;
    bytes.truncate(middle);
    std::fs::write(&damaged, &bytes).expect("write");
    let broken = run(&config, &["restore", damaged.to_str().expect("path")]);
    assert!(!broken.status.success());
    let db = Db::connect(&t.url).await.expect("reopen");
    assert_eq!(count(&db, "ledger_entries").await, entries_before_restore);
    db.close().await;

    let restored = run(&config, &["restore", backup_arg]);
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let said = text(&restored.stdout);
    assert!(said.contains("kept as"), "{said}");
    let db = Db::connect(&t.url).await.expect("reopen");
    assert_eq!(count(&db, "ledger_entries").await, in_backup.ledger_entries);
    assert_eq!(count(&db, "messages").await, in_backup.messages);
    assert_eq!(
        engine::ledger::store::accounts_out_of_balance(&db)
            .await
            .expect("check"),
        Vec::<i64>::new(),
        "every balance equals the sum of its entries"
    );
    db.close().await;
    // The replaced database is whole and holds the later work.
    let kept = said
        .lines()
        .find_map(|l| l.split("kept as ").nth(1))
        .expect("kept path");
    let kept = engine::backup::verify(Path::new(kept.trim()))
        .await
        .expect("the replaced database is kept whole");
    assert_eq!(kept.ledger_entries, entries_before_restore);
    assert_eq!(kept.messages, messages_before_restore);

    // Ferry starts on the restored database (the lock is free again) and is ready.
    let (child, addr, _) = serve(&config);
    let _child = KillOnDrop(child);
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_postgresql_backup_is_pointed_at_pg_dump() {
    let dir = test_dir("ferry-backup-pg");
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        "database_url = \"postgres://ferry@127.0.0.1:1/ferry\"\n",
    )
    .expect("config");
    let out = run(
        &config,
        &["backup", dir.join("x.db").to_str().expect("path")],
    );
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(said.contains("pg_restore"), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! Delivery results through the real router (§6, §9): the do-not-call tick at send time, the
//! period search, per-message filters and paging, the streamed CSV export, the status chart,
//! the 30-day usage figures and the retention job with a moved clock. Every test runs on
//! SQLite and PostgreSQL.

mod common;

use app::ledger::EntryKind;
use common::{normal_customer as sender, staff, Client};
use engine::db::now_ms;
use engine::db::testing::{all_backends, TestDb};
use engine::delivery::store::{create_batch, NewBatch};
use engine::ledger::store::{post, Posting};
use http::StatusCode;
use sms::{Money, Route};
use sqlx::Row;

const DAY: i64 = 24 * 60 * 60 * 1000;

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.db.pool())
        .await
        .expect("query")
        .try_get(0)
        .expect("count")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn economic(recipients: &str, filter_dnc: bool) -> serde_json::Value {
    serde_json::json!({
        "route": "HkEconomic", "purpose": "Notification", "text": "Sale today", "recipients": recipients,
        "client": { "encoding": "GSM7", "parts": 1, "unit_price": 2200 },
        "filter_dnc": filter_dnc
    })
}

#[tokio::test]
async fn the_do_not_call_tick_leaves_listed_numbers_out_uncharged_and_shows_them_in_the_result() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let register: String = (0..10).map(|i| format!("{}\r\n", 91_000_000 + i)).collect();
        let r = admin
            .server_fn_multipart(
                "import_dnc_register",
                &[("register_date", "2026-11-01")],
                Some(("file", "dnc.csv", register.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let (mut c, account) = sender(&t, "dncsender", Money::from_minor(1_000_000)).await;
        let r = c
            .server_fn(
                "add_consent",
                &[
                    ("consent_number", "91000001"),
                    ("consent_date", "2026-10-01"),
                    ("note", "opted in at the counter"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list = "91000000\n91000001\n61234567\n91000002\nnot a number";

        // The check shows what the tick removes, and prices only what is sent.
        let v = json(
            &c.server_fn_json("check_broadcast", economic(list, true))
                .await
                .body,
        );
        assert_eq!(v["recipients"], 2, "{}: {v}", t.name);
        assert_eq!(v["dnc_filtered"], 2);
        assert_eq!(v["total"], 2 * 2200);
        assert_eq!(
            v["rejected"][0]["row"], 5,
            "a bad row stays rejected for itself"
        );
        // Without the tick nothing is filtered (and the field may be left out entirely).
        let mut unticked = economic(list, false);
        unticked
            .as_object_mut()
            .expect("object")
            .remove("filter_dnc");
        let v = json(&c.server_fn_json("check_broadcast", unticked).await.body);
        assert_eq!(v["recipients"], 4);
        assert_eq!(v["dnc_filtered"], 0);

        let mut send = economic(list, true);
        send["sender_id"] = "".into();
        send["schedule_at"] = "".into();
        let r = c.server_fn_json("submit_broadcast", send).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let batch: i64 = r.body.trim().parse().expect("batch id");
        let rows = sqlx::query(
            "SELECT destination, status, error_code, charge_minor, unit_price_minor, done_at FROM messages WHERE batch_id = $1 ORDER BY destination",
        )
        .bind(batch)
        .fetch_all(t.db.pool())
        .await
        .expect("messages");
        let got: Vec<(String, i64, Option<i64>, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.get::<String, _>(0),
                    r.get::<i64, _>(1),
                    r.get::<Option<i64>, _>(2),
                    r.get::<i64, _>(3) + r.get::<i64, _>(4),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("85261234567".into(), 2, None, 2200),
                ("85291000000".into(), 21, Some(10), 0),
                ("85291000001".into(), 2, None, 2200),
                ("85291000002".into(), 21, Some(10), 0),
                // The refused row is kept with the batch, UPLOAD FAILED (§6).
                ("not a number".into(), 1, Some(9), 0),
            ],
            "{}",
            t.name
        );
        assert!(rows
            .iter()
            .all(|r| r.get::<i64, _>(1) != 21 || r.get::<Option<i64>, _>(5).is_some()));
        // The result lists them under their error, and they cannot be resent.
        let r = c
            .server_fn(
                "batch_detail",
                &[
                    ("batch_id", &batch.to_string()),
                    ("status", "0"),
                    ("error", "10"),
                    ("number", ""),
                    ("page", "1"),
                ],
            )
            .await;
        let v = json(&r.body);
        assert_eq!(v["matching"], 2, "{}", r.body);
        assert_eq!(v["summary"]["total_messages"], 5, "every row of the list");
        // Every error the batch has, in code order: the refused row's 9, then do-not-call.
        assert_eq!(v["errors"][0]["code"], 9);
        assert_eq!(v["errors"][1]["code"], 10);
        assert_eq!(v["errors"][1]["count"], 2);
        let r = c
            .server_fn(
                "resend_batch",
                &[("batch_id", &batch.to_string()), ("error_codes", "10")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("do-not-call"), "{}", r.body);

        // A list that is wholly on the register has nothing to send, and says so.
        let mut send = economic("91000000\n91000002", true);
        send["sender_id"] = "".into();
        send["schedule_at"] = "".into();
        let r = c.server_fn_json("submit_broadcast", send).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("do-not-call register"), "{}", r.body);
        assert_eq!(
            count(
                &t,
                &format!("SELECT COUNT(*) FROM batches WHERE account_id = {account} AND purpose <> 'verification'")
            )
            .await,
            1
        );
    }
}

fn batch(account_id: i64, sender_id: &str, first: u64, n: u64) -> NewBatch {
    NewBatch {
        sender_id: Some(sender_id.into()),
        validity_minutes: 60,
        ..NewBatch::on_route(
            account_id,
            Route::HkBusiness,
            &format!("Notice from {sender_id}"),
            (first..first + n).map(|i| (format!("8526{i:07}"), Money::from_minor(3_200))),
        )
    }
}

/// Moves a batch's send and creation time, as if it had been sent at `at`.
async fn sent_at(t: &TestDb, batch_id: i64, at: i64) {
    sqlx::query("UPDATE batches SET created_at = $1, scheduled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(batch_id)
        .execute(t.db.pool())
        .await
        .expect("move batch");
}

fn detail_args(
    batch: i64,
    status: &str,
    error: &str,
    number: &str,
    page: &str,
) -> Vec<(String, String)> {
    [
        ("batch_id", batch.to_string()),
        ("status", status.into()),
        ("error", error.into()),
        ("number", number.into()),
        ("page", page.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn call(c: &mut Client, name: &str, args: &[(String, String)]) -> serde_json::Value {
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = c.server_fn(name, &args).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
    json(&r.body)
}

#[tokio::test]
async fn results_search_filter_page_chart_and_export_a_6000_message_batch() {
    for t in all_backends().await {
        let (mut c, account) = sender(&t, "resultsco", Money::from_minor(100_000_000)).await;
        let (mut stranger, _) = sender(&t, "stranger", Money::from_minor(1)).await;
        let big = create_batch(&t.db, &batch(account, "FerryShop", 0, 6_000))
            .await
            .expect("big batch");
        let small = create_batch(&t.db, &batch(account, "FerryBank", 10_000, 3))
            .await
            .expect("small batch");
        let now = now_ms();
        sent_at(&t, small, now - 10 * DAY).await;
        // The big batch ran: 5,000 delivered, 900 unknown subscriber, 100 still processing.
        sqlx::query(
            "UPDATE messages SET status = 22, submitted_at = $2, done_at = $3, charge_minor = 3200 WHERE batch_id = $1 AND id % 60 <> 0 AND id % 6 <> 1",
        )
        .bind(big)
        .bind(now - 60_000)
        .bind(now - 30_000)
        .execute(t.db.pool())
        .await
        .expect("delivered");
        sqlx::query(
            "UPDATE messages SET status = 21, error_code = 3, submitted_at = $2, done_at = $2, charge_minor = 3200 WHERE batch_id = $1 AND id % 6 = 1 AND id % 60 <> 0",
        )
        .bind(big)
        .bind(now - 50_000)
        .execute(t.db.pool())
        .await
        .expect("undeliverable");
        sqlx::query(
            "UPDATE messages SET status = 4, submitted_at = $2 WHERE batch_id = $1 AND id % 60 = 0",
        )
        .bind(big)
        .bind(now - 40_000)
        .execute(t.db.pool())
        .await
        .expect("processing");
        let by_status = |status: i64| {
            let t = &t;
            async move {
                count(
                    t,
                    &format!("SELECT COUNT(*) FROM messages WHERE batch_id = {big} AND status = {status}"),
                )
                .await
            }
        };
        let (delivered, undeliverable, processing) =
            (by_status(22).await, by_status(21).await, by_status(4).await);
        assert_eq!(delivered + undeliverable + processing, 6_000);
        assert_eq!(processing, 100);

        // Period search: by date, sender ID and message status.
        let search = |from: &str, to: &str, sender: &str, status: &str| -> Vec<(String, String)> {
            [
                ("from", from),
                ("to", to),
                ("sender_id", sender),
                ("status", status),
                ("page", "1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let today = app::ledger::hkt_day_label(app::ledger::hkt_day(now));
        let ten_days_ago = app::ledger::hkt_day_label(app::ledger::hkt_day(now - 10 * DAY));
        let v = call(&mut c, "search_batches", &search("", "", "", "0")).await;
        assert_eq!(v["total"], 2, "{}: {v}", t.name);
        assert_eq!(v["batches"][0]["id"], big, "newest first");
        assert_eq!(
            v["sender_ids"],
            serde_json::json!(["FerryBank", "FerryShop"])
        );
        let v = call(&mut c, "search_batches", &search(&today, &today, "", "0")).await;
        assert_eq!(v["total"], 1);
        assert_eq!(v["batches"][0]["id"], big);
        let v = call(
            &mut c,
            "search_batches",
            &search(&ten_days_ago, &ten_days_ago, "", "0"),
        )
        .await;
        assert_eq!(v["batches"][0]["id"], small);
        assert_eq!(v["total"], 1);
        let v = call(&mut c, "search_batches", &search("", "", "FerryBank", "0")).await;
        assert_eq!(v["batches"][0]["id"], small);
        let v = call(&mut c, "search_batches", &search("", "", "", "21")).await;
        assert_eq!(
            v["total"], 1,
            "only the big batch has UNDELIVERABLE messages"
        );
        assert_eq!(v["batches"][0]["total_messages"], 6_000);
        assert_eq!(
            v["batches"][0]["total_charge"],
            (delivered + undeliverable) * 3_200
        );
        // Bad input names its field.
        let r = c
            .server_fn(
                "search_batches",
                &[
                    ("from", "26/11/2026"),
                    ("to", ""),
                    ("sender_id", ""),
                    ("status", "0"),
                    ("page", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("from") && r.body.contains("YYYY-MM-DD"),
            "{}",
            r.body
        );
        // Another account finds nothing of this one.
        let v = call(&mut stranger, "search_batches", &search("", "", "", "0")).await;
        assert_eq!(v["total"], 0);

        // Per-message filters and paging.
        let v = call(&mut c, "batch_detail", &detail_args(big, "0", "0", "", "1")).await;
        assert_eq!(v["matching"], 6_000);
        assert_eq!(v["pages"], 60);
        assert_eq!(v["messages"].as_array().map(Vec::len), Some(100));
        assert_eq!(
            v["errors"],
            serde_json::json!([{ "code": 3, "label": "Unknown Subscriber", "count": undeliverable }])
        );
        let v = call(
            &mut c,
            "batch_detail",
            &detail_args(big, "0", "0", "", "60"),
        )
        .await;
        assert_eq!(v["page"], 60);
        assert_eq!(v["messages"].as_array().map(Vec::len), Some(100));
        let v = call(
            &mut c,
            "batch_detail",
            &detail_args(big, "21", "3", "", "1"),
        )
        .await;
        assert_eq!(v["matching"], undeliverable);
        assert!(v["messages"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|m| m["status"] == 21 && m["error_code"] == 3));
        let v = call(
            &mut c,
            "batch_detail",
            &detail_args(big, "4", "0", "", "99"),
        )
        .await;
        assert_eq!(v["matching"], 100);
        assert_eq!(v["page"], 1, "a page past the end shows the last page");
        let v = call(
            &mut c,
            "batch_detail",
            &detail_args(big, "0", "0", "+852 6000 0123", "1"),
        )
        .await;
        assert_eq!(v["matching"], 1);
        assert_eq!(v["messages"][0]["destination"], "85260000123");
        let r = stranger
            .server_fn(
                "batch_detail",
                &[
                    ("batch_id", &big.to_string()),
                    ("status", "0"),
                    ("error", "0"),
                    ("number", ""),
                    ("page", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The chart's last slice is where the batch stands now.
        let v = call(
            &mut c,
            "batch_timeline",
            &[("batch_id".to_string(), big.to_string())],
        )
        .await;
        let last = |label: &str| {
            v["series"]
                .as_array()
                .expect("series")
                .iter()
                .find(|s| s["label"] == label)
                .and_then(|s| s["counts"].as_array().and_then(|c| c.last()).cloned())
                .unwrap_or_else(|| panic!("{label} in {v}"))
        };
        assert_eq!(last("DELIVERED"), delivered, "{}", t.name);
        assert_eq!(last("UNDELIVERABLE"), undeliverable);
        assert_eq!(last("Processing"), processing);
        assert_eq!(last("Waiting"), 0);
        let page = c.page(&format!("/results/{big}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("data-testid=\"status-chart\""),
            "chart rendered on the server"
        );

        // The export: every message, once, in id order, across the 5,000-row chunks.
        let r = c.get(&format!("/batches/{big}/messages.csv")).await;
        assert_eq!(r.status, StatusCode::OK);
        let lines: Vec<&str> = r.body.lines().collect();
        assert_eq!(lines.len(), 6_001, "{}", t.name);
        assert!(lines[0]
            .starts_with("message_id,number,parts,status_code,status,error_code,error,charge_hkd"));
        let ids: Vec<i64> = lines[1..]
            .iter()
            .map(|l| {
                l.split(',')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("id")
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered, no repeats");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains(",21,UNDELIVERABLE,3,Unknown Subscriber,0.3200,"))
                .count() as i64,
            undeliverable
        );
        assert_eq!(
            stranger
                .get(&format!("/batches/{big}/messages.csv"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            Client::new(&t)
                .get(&format!("/batches/{big}/messages.csv"))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn thirty_day_usage_counts_charges_per_hong_kong_day_net_of_refunds() {
    for t in all_backends().await {
        let (_, account) = sender(&t, "usageco", Money::from_minor(1_000_000)).await;
        let now = now_ms();
        let entries = [
            (EntryKind::Charge, 3_200, 0),
            (EntryKind::Charge, 3_200, 0),
            (EntryKind::Refund, 3_200, 0),
            (EntryKind::Charge, 6_400, 3),
            (EntryKind::Charge, 9_999, 31), // outside the 30 days
        ];
        for (i, (kind, amount, days_ago)) in entries.into_iter().enumerate() {
            let mut tx = t.db.pool().begin().await.expect("tx");
            let entry = post(
                &mut tx,
                Posting {
                    account_id: account,
                    kind,
                    amount: Money::from_minor(amount),
                    description: "usage",
                    reference: Some(&format!("usage-{i}")),
                    created_by: None,
                },
            )
            .await
            .expect("post");
            sqlx::query("UPDATE ledger_entries SET created_at = $1 WHERE id = $2")
                .bind(now - days_ago * DAY)
                .bind(entry.id)
                .execute(&mut *tx)
                .await
                .expect("move");
            tx.commit().await.expect("commit");
        }
        let usage = engine::ledger::store::daily_usage(&t.db, account, now, 30)
            .await
            .expect("usage");
        assert_eq!(usage.len(), 30);
        let today = usage.last().expect("today");
        assert_eq!(
            today.date,
            app::ledger::hkt_day_label(app::ledger::hkt_day(now))
        );
        assert_eq!(
            (today.messages, today.spend.minor()),
            (2, 3_200),
            "{}",
            t.name
        );
        let three = &usage[26];
        assert_eq!((three.messages, three.spend.minor()), (1, 6_400));
        assert_eq!(usage.iter().map(|d| d.messages).sum::<i64>(), 3);
        // Top-ups are not usage.
        assert!(usage.iter().all(|d| d.spend.minor() >= 0));
    }
}

#[tokio::test]
async fn retention_deletes_final_messages_past_two_months_in_chunks_and_keeps_the_ledger() {
    for t in all_backends().await {
        let (_, account) = sender(&t, "retainco", Money::from_minor(10_000_000)).await;
        let now = now_ms();
        let old = create_batch(&t.db, &batch(account, "Old", 0, 2_500))
            .await
            .expect("old");
        let recent = create_batch(&t.db, &batch(account, "Recent", 5_000, 10))
            .await
            .expect("recent");
        let mut far = batch(account, "Future", 9_000, 5);
        far.scheduled_at = Some(now + 400 * DAY);
        let future = create_batch(&t.db, &far).await.expect("scheduled");
        // The old batch finished 70 days ago, except 5 messages still retrying; the recent one
        // finished 50 days ago. The scheduled batch was created long ago.
        sent_at(&t, old, now - 71 * DAY).await;
        sqlx::query("UPDATE messages SET status = 22, done_at = $2, charge_minor = 3200 WHERE batch_id = $1")
            .bind(old)
            .bind(now - 70 * DAY)
            .execute(t.db.pool())
            .await
            .expect("old done");
        sqlx::query("UPDATE messages SET status = 19, done_at = NULL WHERE batch_id = $1 AND id IN (SELECT id FROM messages WHERE batch_id = $1 ORDER BY id LIMIT 5)")
            .bind(old)
            .execute(t.db.pool())
            .await
            .expect("retrying");
        sqlx::query("UPDATE messages SET status = 22, done_at = $2 WHERE batch_id = $1")
            .bind(recent)
            .bind(now - 50 * DAY)
            .execute(t.db.pool())
            .await
            .expect("recent done");
        // The statements above stand in for the dispatcher, which also takes the messages it
        // sends off the account's waiting reserve (intake reserved them).
        sqlx::query(
            "UPDATE accounts SET waiting_minor = (SELECT COALESCE(SUM(parts * unit_price_minor), 0) \
             FROM messages WHERE account_id = $1 AND status IN (2, 3)) WHERE id = $1",
        )
        .bind(account)
        .execute(t.db.pool())
        .await
        .expect("reserve as dispatched");
        sqlx::query("UPDATE batches SET created_at = $1 WHERE id = $2")
            .bind(now - 200 * DAY)
            .bind(future)
            .execute(t.db.pool())
            .await
            .expect("old schedule");
        let ledger_before = count(&t, "SELECT COUNT(*) FROM ledger_entries").await;
        let balance_before = count(
            &t,
            &format!("SELECT balance_minor FROM accounts WHERE id = {account}"),
        )
        .await;

        // The clock as the job sees it today: 2 months back is about 61 days.
        let purged = engine::retention::purge(
            &t.db,
            engine::retention::cutoff(now, 2),
            1_000,
            std::time::Duration::ZERO,
        )
        .await
        .expect("purge");
        assert_eq!(purged.messages, 2_495, "{}", t.name);
        assert_eq!(
            purged.batches, 0,
            "the old batch still has retrying messages"
        );
        let left = |b: i64| {
            let t = &t;
            async move {
                count(
                    t,
                    &format!("SELECT COUNT(*) FROM messages WHERE batch_id = {b}"),
                )
                .await
            }
        };
        assert_eq!(left(old).await, 5);
        assert_eq!(left(recent).await, 10);
        assert_eq!(left(future).await, 5, "waiting messages are never deleted");

        // Move the clock 15 days on: the recent batch's messages pass 2 months too; once the
        // retrying ones ended, the old batch goes with its last messages.
        sqlx::query(
            "UPDATE messages SET status = 20, done_at = $2 WHERE batch_id = $1 AND status = 19",
        )
        .bind(old)
        .bind(now - 69 * DAY)
        .execute(t.db.pool())
        .await
        .expect("expired");
        let later = now + 15 * DAY;
        let purged = engine::retention::purge(
            &t.db,
            engine::retention::cutoff(later, 2),
            3,
            std::time::Duration::ZERO,
        )
        .await
        .expect("purge");
        assert_eq!(purged.messages, 15);
        assert_eq!(purged.batches, 1);
        assert_eq!(left(recent).await, 0);
        assert_eq!(left(future).await, 5);
        assert_eq!(
            count(
                &t,
                &format!("SELECT COUNT(*) FROM batches WHERE id = {old}")
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &t,
                &format!("SELECT COUNT(*) FROM batches WHERE id = {future}")
            )
            .await,
            1
        );
        // Money is untouched: the ledger keeps every entry and still adds up.
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM ledger_entries").await,
            ledger_before
        );
        assert_eq!(
            count(
                &t,
                &format!("SELECT balance_minor FROM accounts WHERE id = {account}")
            )
            .await,
            balance_before
        );
        assert!(engine::ledger::store::accounts_out_of_balance(&t.db)
            .await
            .expect("balances")
            .is_empty());
    }
}

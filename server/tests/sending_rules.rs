//! Sending correctness over real SMPP (issue 19, PRODUCT.md §2, §7, §12): sender IDs reach
//! the handset as the customer registered them, operator throttling is waited out within the
//! validity period instead of failing the message, one long message's parts each count on
//! their own (an accepted part is never sent again and is charged even when a later part is
//! refused), and retries back off and stop at the validity period. SQLite and PostgreSQL.

mod common;

use common::dispatch::*;
use engine::db::now_ms;
use engine::db::testing::all_backends;
use engine::delivery::dispatcher::{self, DispatcherConfig, DispatcherHandle};
use engine::delivery::store::{create_batch, NewBatch};
use smpp::{MsgIdMatching, Outcome, PartRule, SimulatorHandle};
use sms::{Money, Route};
use sqlx::Row;
use std::time::Duration;

const ESME_RTHROTTLED: u32 = 0x58;
const ESME_RSUBMITFAIL: u32 = 0x45;

/// A dispatcher whose SMPP client gives up on a throttled part after two quick tries (the
/// production default waits minutes), so retries at the dispatcher are what the test sees.
fn impatient_dispatcher(db: &engine::db::Db, sim: &SimulatorHandle) -> DispatcherHandle {
    dispatcher::start(
        db.clone(),
        DispatcherConfig {
            workers: 1,
            claim_batch: 50,
            idle_poll: Duration::from_millis(50),
            expiry_grace: Duration::from_millis(500),
            smscs: vec![sim_smsc(sim, 10, MsgIdMatching::Auto)],
            throttle_backoff: Duration::from_millis(5),
            max_deferrals: 2,
            ..DispatcherConfig::default()
        },
    )
}

/// A GSM-7 text of three parts (460 characters would be four; 400 is three).
fn three_part_text() -> String {
    (0..400)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

/// How many times the simulator accepted part `seq` of messages to `destination`.
fn accepted(sim: &SimulatorHandle, destination: &str, seq: u8) -> usize {
    sim.stats()
        .parts
        .iter()
        .filter(|p| {
            p.destination == destination
                && !p.message_id.is_empty()
                && p.concat.map_or(1, |c| c.seq) == seq
        })
        .count()
}

async fn attempts(db: &engine::db::Db, batch_id: i64) -> i64 {
    sqlx::query("SELECT attempts FROM messages WHERE batch_id = $1")
        .bind(batch_id)
        .fetch_one(db.pool())
        .await
        .expect("message")
        .try_get(0)
        .expect("attempts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sender_ids_reach_the_operator_as_registered_with_their_type_of_number() {
    for t in all_backends().await {
        let account = customer(&t.db, "senders", Money::hkd(100)).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        // (sender ID, destination, what the operator must see: source, TON, NPI)
        let cases = [
            ("#FerryReg", "85291000001", ("#FerryReg", 5, 0)),
            ("85299887766", "85291000002", ("85299887766", 1, 1)),
            ("12345", "85291000003", ("12345", 5, 0)),
            ("FerryShop", "85291000004", ("FerryShop", 5, 0)),
        ];
        let mut batches = Vec::new();
        for (sender, destination, _) in cases {
            let batch = NewBatch {
                sender_id: Some(sender.into()),
                ..new_batch(
                    account,
                    Route::HkBusiness,
                    "Hello",
                    &[destination.to_string()],
                )
            };
            batches.push(create_batch(&t.db, &batch).await.expect("batch"));
        }
        for b in batches {
            wait_final(&t.db, b, Duration::from_secs(20)).await;
        }
        d.shutdown().await;
        let stats = sim.stats();
        for (sender, destination, (source, ton, npi)) in cases {
            let part = stats
                .parts
                .iter()
                .find(|p| p.destination == destination)
                .expect("submitted");
            assert_eq!(
                (part.source.as_str(), part.source_ton, part.source_npi),
                (source, ton, npi),
                "{}: sender ID {sender}",
                t.name
            );
        }
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_operator_that_throttles_is_waited_out_and_the_message_delivered() {
    for t in all_backends().await {
        let account = customer(&t.db, "throttled", Money::hkd(100)).await;
        let destination = "85291000010";
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        // Three throttling answers: the client gives up after two, the dispatcher retries.
        behaviour.part_rules = vec![PartRule {
            destination: destination.into(),
            seq: 1,
            status: ESME_RTHROTTLED,
            times: 3,
        }];
        let sim = simulator(behaviour).await;
        let d = impatient_dispatcher(&t.db, &sim);
        let batch = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                "Hello",
                &[destination.to_string()],
            ),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(30)).await;
        d.shutdown().await;
        assert_eq!(
            (ms[0].status, ms[0].charge),
            (22, 3_200),
            "{}: throttling is not failure: {ms:?}",
            t.name
        );
        assert!(attempts(&t.db, batch).await >= 2, "{}", t.name);
        assert_eq!(accepted(&sim, destination, 1), 1);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttling_that_outlasts_the_validity_period_ends_expired_and_uncharged() {
    for t in all_backends().await {
        let account = customer(&t.db, "forever", Money::hkd(100)).await;
        let destination = "85291000020";
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.part_rules = vec![PartRule {
            destination: destination.into(),
            seq: 1,
            status: ESME_RTHROTTLED,
            times: u32::MAX,
        }];
        let sim = simulator(behaviour).await;
        let batch = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                "Hello",
                &[destination.to_string()],
            ),
        )
        .await
        .expect("batch");
        // The batch went out 119 minutes 57 seconds ago with a 2-hour validity: 3 s are left.
        sqlx::query("UPDATE batches SET scheduled_at = $1 WHERE id = $2")
            .bind(now_ms() - 120 * 60_000 + 3_000)
            .bind(batch)
            .execute(t.db.pool())
            .await
            .expect("age the batch");
        let d = impatient_dispatcher(&t.db, &sim);
        let ms = wait_final(&t.db, batch, Duration::from_secs(30)).await;
        d.shutdown().await;
        assert_eq!(
            (ms[0].status, ms[0].error, ms[0].charge),
            (20, Some(7), 0),
            "{}: EXPIRED, error 7, nothing charged: {ms:?}",
            t.name
        );
        assert!(
            attempts(&t.db, batch).await >= 2,
            "{}: retried first",
            t.name
        );
        assert_eq!(
            balance(&t.db, account).await,
            (1_000_000, 0),
            "no hold left"
        );
        assert_eq!(accepted(&sim, destination, 1), 0);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_later_part_ends_the_message_and_only_the_parts_accepted_are_charged() {
    for t in all_backends().await {
        let account = customer(&t.db, "halfway", Money::hkd(100)).await;
        let destination = "85291000030";
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.part_rules = vec![PartRule {
            destination: destination.into(),
            seq: 2,
            status: ESME_RSUBMITFAIL,
            times: u32::MAX,
        }];
        let sim = simulator(behaviour).await;
        let d = impatient_dispatcher(&t.db, &sim);
        let text = three_part_text();
        let batch = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                &text,
                &[destination.to_string()],
            ),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(30)).await;
        // Part 1's receipt arrives after the refusal; let it be stored.
        tokio::time::sleep(Duration::from_millis(300)).await;
        d.shutdown().await;
        assert_eq!(
            (ms[0].status, ms[0].error, ms[0].charge),
            (21, Some(8), 3_200),
            "{}: UNDELIVERABLE 8, part 1 (delivered) charged: {ms:?}",
            t.name
        );
        assert_eq!(accepted(&sim, destination, 1), 1, "part 1 sent once");
        assert_eq!(accepted(&sim, destination, 3), 0, "part 3 never sent");
        assert_eq!(balance(&t.db, account).await, (1_000_000 - 3_200, 0));
        assert_eq!(charges(&t.db, account).await, 1);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_long_message_never_sends_an_accepted_part_twice() {
    for t in all_backends().await {
        let account = customer(&t.db, "resume", Money::hkd(100)).await;
        let destination = "85291000040";
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        // Part 2 is throttled past the client's patience once, then accepted.
        behaviour.part_rules = vec![PartRule {
            destination: destination.into(),
            seq: 2,
            status: ESME_RTHROTTLED,
            times: 3,
        }];
        let sim = simulator(behaviour).await;
        let d = impatient_dispatcher(&t.db, &sim);
        let batch = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                &three_part_text(),
                &[destination.to_string()],
            ),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(30)).await;
        d.shutdown().await;
        assert_eq!(
            (ms[0].status, ms[0].charge),
            (22, 3 * 3_200),
            "{}: delivered, three parts charged once: {ms:?}",
            t.name
        );
        for seq in 1..=3 {
            assert_eq!(
                accepted(&sim, destination, seq),
                1,
                "{}: part {seq}",
                t.name
            );
        }
        assert_eq!(sim.stats().duplicates, 0);
        // The handset joins them: one reference for all three parts, across both attempts.
        let stats = sim.stats();
        let message = stats
            .messages
            .iter()
            .find(|m| m.destination == destination)
            .expect("reassembled");
        assert_eq!(message.text, three_part_text());
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_without_a_connection_back_off_and_stop_at_the_validity_period() {
    for t in all_backends().await {
        let account = customer(&t.db, "nobody", Money::hkd(100)).await;
        // An SMSC address where nothing listens.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let address = closed.local_addr().expect("addr").to_string();
        drop(closed);
        let batch = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                "Hello",
                &["85291000050".to_string()],
            ),
        )
        .await
        .expect("batch");
        sqlx::query("UPDATE batches SET scheduled_at = $1 WHERE id = $2")
            .bind(now_ms() - 120 * 60_000 + 4_000)
            .bind(batch)
            .execute(t.db.pool())
            .await
            .expect("age the batch");
        let d = dispatcher::start(
            t.db.clone(),
            DispatcherConfig {
                workers: 1,
                idle_poll: Duration::from_millis(50),
                smscs: vec![engine::delivery::dispatcher::SmscConfig {
                    name: "down".into(),
                    address,
                    system_id: "ferry".into(),
                    password: "pw".into(),
                    routes: Route::ALL.to_vec(),
                    window: 10,
                    max_per_second: None,
                    msg_id_matching: MsgIdMatching::Auto,
                    priority: 1,
                }],
                ..DispatcherConfig::default()
            },
        );
        let ms = wait_final(&t.db, batch, Duration::from_secs(40)).await;
        d.shutdown().await;
        assert_eq!(
            (ms[0].status, ms[0].error, ms[0].charge),
            (20, Some(7), 0),
            "{}: {ms:?}",
            t.name
        );
        // Backing off: 2 s, then 4 s would pass the deadline; a retry every 2 s for ever
        // would have made many more attempts.
        let n = attempts(&t.db, batch).await;
        assert!((1..=4).contains(&n), "{}: {n} attempts", t.name);
        assert_eq!(balance(&t.db, account).await, (1_000_000, 0));
    }
}

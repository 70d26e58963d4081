//! The delivery engine against Ferry's SMSC simulator over real TCP on loopback: every status
//! transition and charging rule of §7/§8, China composition, concatenated parts, scheduling,
//! deletion, resend, insufficient balance mid-batch, id formats, restarts, dropped connections
//! and several dispatchers at once. Each test runs on SQLite and PostgreSQL.

mod common;

use app::ledger::EntryKind;
use common::dispatch::*;
use engine::db::now_ms;
use engine::db::testing::all_backends;
use engine::delivery::store::{self, create_batch, NewBatch};
use engine::ledger::store::{post, Posting};
use smpp::{IdFormat, MsgIdMatching, Outcome};
use sms::{Money, Route};
use sqlx::Row;
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_receipt_outcome_becomes_its_status_and_accepted_messages_are_charged_once() {
    for t in all_backends().await {
        let account = customer(&t.db, "outcomes", Money::hkd(100)).await;
        let dests = numbers(5, 1000);
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.outcome_by_destination = HashMap::from([
            (dests[1].clone(), Outcome::HandsetOffThenDelivered),
            (dests[2].clone(), Outcome::HandsetOffThenExpired),
            (dests[3].clone(), Outcome::UnknownSubscriber),
            (dests[4].clone(), Outcome::BlockedAsSpam),
        ]);
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "Your code is 1234", &dests),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        let by: HashMap<_, _> = ms
            .iter()
            .map(|m| (m.destination.clone(), m.clone()))
            .collect();
        assert_eq!(by[&dests[0]].status, 22, "{}: DELIVERED", t.name);
        assert_eq!(by[&dests[1]].status, 22, "handset off, then delivered");
        assert_eq!(
            (by[&dests[2]].status, by[&dests[2]].error),
            (20, Some(1)),
            "handset off, then EXPIRED"
        );
        assert_eq!(
            (by[&dests[3]].status, by[&dests[3]].error),
            (21, Some(3)),
            "unknown subscriber"
        );
        assert_eq!(
            (by[&dests[4]].status, by[&dests[4]].error),
            (21, Some(5)),
            "blocked as spam"
        );
        // The operator accepted all five: each is charged once, whatever the receipt said.
        assert!(ms.iter().all(|m| m.charge == 3_200), "{:?}", ms);
        assert_eq!(charges(&t.db, account).await, 5);
        assert_eq!(
            balance(&t.db, account).await,
            (1_000_000 - 16_000, 0),
            "{}",
            t.name
        );
        assert_eq!(sim.stats().duplicates, 0);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operator_rejections_are_undeliverable_and_never_charged() {
    for t in all_backends().await {
        let account = customer(&t.db, "rejected", Money::hkd(10)).await;
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.reject_percent = 100;
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "hi", &numbers(4, 2000)),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        assert!(
            ms.iter()
                .all(|m| m.status == 21 && m.error == Some(8) && m.charge == 0),
            "{}: {ms:?}",
            t.name
        );
        assert_eq!(charges(&t.db, account).await, 0);
        assert_eq!(
            balance(&t.db, account).await,
            (100_000, 0),
            "holds released: {}",
            t.name
        );
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn insufficient_balance_in_the_middle_of_a_batch_stops_those_messages_uncharged_for_good() {
    for t in all_backends().await {
        // Enough for 3 of 5 messages at HK$0.32, once another batch took its share meanwhile.
        let account = customer(&t.db, "short", Money::from_minor(5 * 3_200)).await;
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "hi", &numbers(5, 3000)),
        )
        .await
        .expect("accepted: balance covers it now");
        // Before dispatch, staff take HK$0.64 away (e.g. a fee): the balance now covers 3.
        post_entry(
            &t.db,
            account,
            EntryKind::Fee,
            Money::from_minor(6_400),
            "fee",
        )
        .await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        let delivered = ms
            .iter()
            .filter(|m| m.status == 22 && m.charge == 3_200)
            .count();
        let refused = ms
            .iter()
            .filter(|m| m.status == 21 && m.error == Some(16) && m.charge == 0)
            .count();
        assert_eq!((delivered, refused), (3, 2), "{}: {ms:?}", t.name);
        assert_eq!(
            balance(&t.db, account).await,
            (0, 0),
            "a charge equal to the balance is accepted; never below zero"
        );
        // A top-up does not retry them (§7): they stay UNDELIVERABLE.
        post_entry(&t.db, account, EntryKind::TopUp, Money::hkd(300), "t").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = messages(&t.db, batch).await;
        assert_eq!(after.iter().filter(|m| m.error == Some(16)).count(), 2);
        d.shutdown().await;
        assert_eq!(sim.stats().accepted, 3);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_over_the_balance_is_refused_whole_with_the_shortfall() {
    for t in all_backends().await {
        let account = customer(&t.db, "poor", Money::from_minor(3 * 3_200)).await;
        let err = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "hi", &numbers(4, 4000)),
        )
        .await
        .expect_err("over balance");
        assert!(
            err.to_string().contains("HK$0.32 more is needed"),
            "{}: {err}",
            t.name
        );
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM messages")
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("n");
        assert_eq!(n, 0);
        // Exactly the balance is fine.
        create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "hi", &numbers(3, 4000)),
        )
        .await
        .expect("exact");
        // Waiting messages count against the balance: a second batch cannot promise it again.
        let err = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "hi", &numbers(1, 4100)),
        )
        .await
        .expect_err("already promised");
        assert!(err.to_string().contains("insufficient balance"), "{err}");
        check_ledger(&t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_for_the_last_credit_accept_exactly_what_the_balance_covers() {
    const N: usize = 8;
    for t in all_backends().await {
        let account = customer(&t.db, "race", Money::from_minor((N as i64 - 1) * 3_200)).await;
        let mut tasks = Vec::new();
        for i in 0..N {
            let db = t.db.clone();
            tasks.push(tokio::spawn(async move {
                create_batch(
                    &db,
                    &new_batch(
                        account,
                        Route::HkBusiness,
                        "hi",
                        &numbers(1, 5000 + i as u64),
                    ),
                )
                .await
                .is_ok()
            }));
        }
        let mut accepted = 0;
        for task in tasks {
            if task.await.expect("task") {
                accepted += 1;
            }
        }
        assert_eq!(accepted, N - 1, "{}", t.name);
        check_ledger(&t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hk_economic_ends_at_submitted_without_receipts_and_china_is_composed_and_refunded() {
    for t in all_backends().await {
        let account = customer(&t.db, "routes", Money::hkd(50)).await;
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.outcome_by_destination =
            HashMap::from([("8613800138001".to_string(), Outcome::UnknownSubscriber)]);
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let econ = create_batch(
            &t.db,
            &new_batch(account, Route::HkEconomic, "Economy", &numbers(2, 6000)),
        )
        .await
        .expect("econ");
        let business = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "Business", &numbers(1, 7000)),
        )
        .await
        .expect("business");
        let composed = sms::china::compose(
            "您的驗證碼是 123456",
            &sms::ChinaSignature::parse("Ferry").expect("sig"),
        );
        let china = NewBatch {
            content: "您的驗證碼是 123456".into(),
            ..new_batch(
                account,
                Route::China,
                &composed.text,
                &["8613800138000".to_string(), "8613800138001".to_string()],
            )
        };
        let china = create_batch(&t.db, &china).await.expect("china");
        wait_final(&t.db, business, Duration::from_secs(20)).await;
        let econ_ms = wait_final(&t.db, econ, Duration::from_secs(20)).await;
        assert!(
            econ_ms.iter().all(|m| m.status == 5 && m.charge == 3_200),
            "{}: SUBMITTED is final: {econ_ms:?}",
            t.name
        );
        let china_ms = wait_final(&t.db, china, Duration::from_secs(20)).await;
        d.shutdown().await;
        assert_eq!(china_ms[0].status, 22);
        assert_eq!(
            (china_ms[1].status, china_ms[1].charge),
            (21, 0),
            "UNDELIVERABLE China is refunded: {china_ms:?}"
        );
        let refunds: i64 = sqlx::query("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'refund'")
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("n");
        assert_eq!(refunds, 1);
        // What the operator received: signature first, suffix last, no sender ID on China.
        let seen = sim.stats();
        let china_text = seen
            .messages
            .iter()
            .find(|m| m.destination == "8613800138000")
            .expect("china message");
        assert_eq!(china_text.text, "[Ferry]您的驗證碼是 123456/退訂回T");
        let china_part = seen
            .parts
            .iter()
            .find(|p| p.destination == "8613800138000")
            .expect("china part");
        assert!(
            china_part.source.is_empty(),
            "no sender ID on China: {:?}",
            china_part.source
        );
        let econ_part = seen
            .parts
            .iter()
            .find(|p| p.destination == numbers(1, 6000)[0])
            .expect("econ");
        assert_eq!(
            econ_part.registered_delivery, 0,
            "HK Economic asks for no receipt"
        );
        assert!(econ_part.source.is_empty(), "no sender ID on HK Economic");
        let business = seen
            .parts
            .iter()
            .find(|p| p.destination == numbers(1, 7000)[0])
            .expect("business part");
        assert_eq!(
            (business.source.as_str(), business.source_ton),
            ("FerryTest", 5),
            "HK Business shows the sender ID, alphanumeric"
        );
        assert_eq!(business.registered_delivery, 1);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_message_goes_as_concatenated_parts_and_is_charged_per_part() {
    for t in all_backends().await {
        let account = customer(&t.db, "long", Money::hkd(10)).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let text = format!("{}{{tail}}", "Long message ".repeat(25));
        let mut nb = new_batch(account, Route::HkBusiness, &text, &numbers(2, 7000));
        assert_eq!(nb.parts, 3);
        nb.sender_id = Some("FerryTest".into());
        let batch = create_batch(&t.db, &nb).await.expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        assert!(
            ms.iter().all(|m| m.status == 22 && m.charge == 3 * 3_200),
            "{}: {ms:?}",
            t.name
        );
        let seen = sim.stats();
        assert_eq!(seen.parts.len(), 6, "3 parts × 2 recipients");
        for m in &seen.messages {
            assert_eq!(m.text, text.replace('\n', "\r\n"), "reassembled exactly");
            assert_eq!(m.parts, 3);
            assert!(m.reference.is_some());
        }
        for dest in numbers(2, 7000) {
            let mut seqs: Vec<(u16, u8, u8)> = seen
                .parts
                .iter()
                .filter(|p| p.destination == dest)
                .map(|p| {
                    let c = p.concat.expect("UDH");
                    (c.reference, c.total, c.seq)
                })
                .collect();
            seqs.sort();
            assert_eq!(
                seqs.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(),
                vec![(3, 1), (3, 2), (3, 3)]
            );
            assert!(
                seqs.iter().all(|s| s.0 == seqs[0].0),
                "one reference per message"
            );
        }
        assert!(seen
            .parts
            .iter()
            .filter(|p| p.destination.starts_with("8529"))
            .all(|p| p.source == "FerryTest" && p.source_ton == 5));
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scheduled_batches_wait_in_the_database_and_go_on_time_and_can_be_deleted_only_early() {
    for t in all_backends().await {
        let account = customer(&t.db, "sched", Money::hkd(10)).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let mut soon = new_batch(account, Route::HkBusiness, "soon", &numbers(2, 8000));
        soon.scheduled_at = Some(now_ms() + 1_500);
        let soon = create_batch(&t.db, &soon).await.expect("soon");
        let mut later = new_batch(account, Route::HkBusiness, "later", &numbers(2, 8100));
        later.scheduled_at = Some(now_ms() + 2 * 3_600_000);
        let later = create_batch(&t.db, &later).await.expect("later");
        let mut near = new_batch(account, Route::HkBusiness, "near", &numbers(1, 8200));
        near.scheduled_at = Some(now_ms() + 30 * 60_000);
        let near = create_batch(&t.db, &near).await.expect("near");
        let mut past = new_batch(account, Route::HkBusiness, "past", &numbers(1, 8300));
        past.scheduled_at = Some(now_ms() - 60_000);
        let past = create_batch(&t.db, &past).await.expect("past = now");

        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            messages(&t.db, soon).await.iter().all(|m| m.status == 3),
            "{}: SCHEDULING until due",
            t.name
        );
        // The scheduled messages' cost is what intake counts as spent (kept on the account row,
        // checked against the messages by check_ledger).
        check_ledger(&t).await;
        wait_final(&t.db, past, Duration::from_secs(10)).await;
        wait_final(&t.db, soon, Duration::from_secs(10)).await;
        assert!(messages(&t.db, later).await.iter().all(|m| m.status == 3));

        assert_eq!(
            store::delete_batch(&t.db, account, near).await.expect("q"),
            store::DeleteOutcome::TooLate
        );
        assert_eq!(
            store::delete_batch(&t.db, account + 999, later)
                .await
                .expect("q"),
            store::DeleteOutcome::NotFound
        );
        assert_eq!(
            store::delete_batch(&t.db, account, later).await.expect("q"),
            store::DeleteOutcome::Deleted
        );
        assert!(messages(&t.db, later).await.is_empty());
        d.shutdown().await;
        sim.shutdown();
        check_ledger(&t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resend_creates_a_batch_of_exactly_the_recipients_with_the_chosen_errors() {
    for t in all_backends().await {
        let account = customer(&t.db, "resend", Money::hkd(10)).await;
        let dests = numbers(4, 9000);
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.outcome_by_destination = HashMap::from([
            (dests[1].clone(), Outcome::UnknownSubscriber),
            (dests[3].clone(), Outcome::UnknownSubscriber),
            (dests[2].clone(), Outcome::BlockedAsSpam),
        ]);
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "retry me", &dests),
        )
        .await
        .expect("batch");
        wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        let picked = store::recipients_with_errors(
            &t.db,
            account,
            batch,
            &[sms::ErrorCode::UnknownSubscriber],
        )
        .await
        .expect("q")
        .expect("own batch");
        let hk = Some("HK_BUSINESS".to_string());
        assert_eq!(
            picked,
            vec![(dests[1].clone(), hk.clone()), (dests[3].clone(), hk)],
            "{}",
            t.name
        );
        assert!(
            store::recipients_with_errors(
                &t.db,
                account + 1,
                batch,
                &[sms::ErrorCode::UnknownSubscriber]
            )
            .await
            .expect("q")
            .is_none(),
            "other accounts: not found"
        );
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receipts_match_across_hex_and_decimal_ids_and_when_they_overtake_the_response() {
    for t in all_backends().await {
        let account = customer(&t.db, "ids", Money::hkd(10)).await;
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.response_id = IdFormat::Hex;
        behaviour.receipt_id = IdFormat::ZeroPadded { width: 12 };
        behaviour.receipt_tlvs = false;
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "hex", &numbers(5, 9500)),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        assert!(ms.iter().all(|m| m.status == 22), "{}: {ms:?}", t.name);
        d.shutdown().await;
        sim.shutdown();

        let mut early = fast(vec![(Outcome::Delivered, 1)]);
        early.receipt_before_response = true;
        let sim = simulator(early).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "early", &numbers(5, 9600)),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        assert!(
            ms.iter().all(|m| m.status == 22),
            "{}: receipt before submit_sm_resp: {ms:?}",
            t.name
        );
        d.shutdown().await;
        sim.shutdown();
    }
}

/// An SMSC resends every receipt it saw no `deliver_sm_resp` for, so across dropped
/// connections repeats of applied receipts arrive in bulk. A repeat for a finished message is
/// acknowledged and changes nothing; only a receipt whose part is unknown is parked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_repeated_receipt_for_a_finished_message_is_acknowledged_and_not_parked() {
    for t in all_backends().await {
        let account = customer(&t.db, "repeats", Money::hkd(10)).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "repeats", &numbers(3, 9700)),
        )
        .await
        .expect("batch");
        let before = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        sim.shutdown();
        let (smsc, delivered_id): (String, String) = sqlx::query_as(
            "SELECT p.smsc, p.smsc_message_id FROM message_parts p \
             JOIN messages m ON m.id = p.message_id WHERE m.batch_id = $1 ORDER BY p.message_id LIMIT 1",
        )
        .bind(batch)
        .fetch_one(t.db.pool())
        .await
        .expect("a delivered part");
        let receipt = |id: &str, status| store::Receipt {
            smsc: smsc.clone(),
            keys: MsgIdMatching::Auto.receipt_keys(id),
            status,
            error: None,
        };
        let parked = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM unmatched_receipts")
                .fetch_one(t.db.pool())
                .await
                .expect("parked receipts")
        };
        // The same report again, and a late contrary one: both land on a final message.
        let matched = store::apply_receipts(
            &t.db,
            vec![
                receipt(&delivered_id, sms::DeliveryStatus::Delivered),
                receipt(&delivered_id, sms::DeliveryStatus::Undeliverable),
            ],
        )
        .await
        .expect("repeats acknowledged");
        assert_eq!(matched, 0, "{}", t.name);
        assert_eq!(parked().await, 0, "{}: a repeat is not parked", t.name);
        assert_eq!(
            messages(&t.db, batch).await,
            before,
            "{}: a final message does not change again",
            t.name
        );
        // A receipt for a part nobody recorded yet (it overtook its submit_sm_resp) waits.
        store::apply_receipts(
            &t.db,
            vec![receipt(
                "not-yet-recorded-77",
                sms::DeliveryStatus::Delivered,
            )],
        )
        .await
        .expect("parked");
        assert_eq!(parked().await, 1, "{}: an unknown id is parked", t.name);
        let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM unmatched_receipt_keys")
            .fetch_one(t.db.pool())
            .await
            .expect("keys");
        assert_eq!(
            keys,
            MsgIdMatching::Auto
                .receipt_keys("not-yet-recorded-77")
                .len() as i64,
            "{}: parked under each of its keys",
            t.name
        );
        check_ledger(&t).await;
    }
}

/// Receipts that overtake their `submit_sm_resp` wait, parked, and are applied together once
/// the acceptance is recorded: several for one part in the order they arrived (a RETRY and
/// then the final report end DELIVERED, not RETRY), each message charged once, nothing left
/// parked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parked_receipts_are_applied_together_in_arrival_order_once_their_parts_are_known() {
    for t in all_backends().await {
        let account = customer(&t.db, "parked", Money::hkd(10)).await;
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "parked", &numbers(3, 9800)),
        )
        .await
        .expect("batch");
        let claimed = claim_and_hold(&t.db, "parked-node").await;
        assert_eq!(claimed.len(), 3, "{}", t.name);
        let smsc = "sim";
        let receipt = |id: &str, status, error| store::Receipt {
            smsc: smsc.into(),
            keys: MsgIdMatching::Exact.receipt_keys(id),
            status,
            error,
        };
        use sms::{DeliveryStatus as S, ErrorCode};
        // Arrival order: a RETRY then DELIVERED for the first, in separate deliveries for the
        // second, UNDELIVERABLE for the third.
        store::apply_receipts(
            &t.db,
            vec![
                receipt("early-0", S::Retry, Some(ErrorCode::Unknown)),
                receipt("early-1", S::Retry, Some(ErrorCode::Unknown)),
                receipt("early-0", S::Delivered, None),
                receipt(
                    "early-2",
                    S::Undeliverable,
                    Some(ErrorCode::UnknownSubscriber),
                ),
            ],
        )
        .await
        .expect("parked");
        store::apply_receipts(&t.db, vec![receipt("early-1", S::Delivered, None)])
            .await
            .expect("parked");
        let results: Vec<_> = claimed
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), accepted_as(&format!("early-{i}"))))
            .collect();
        store::record_many(&t.db, results).await.expect("accepted");
        assert_eq!(
            store::apply_unmatched_receipts(&t.db)
                .await
                .expect("applied"),
            5,
            "{}",
            t.name
        );
        let ms = messages(&t.db, batch).await;
        let statuses: Vec<i64> = ms.iter().map(|m| m.status).collect();
        assert_eq!(statuses, vec![22, 22, 21], "{}: {ms:?}", t.name);
        assert!(ms.iter().all(|m| m.charge > 0), "{}: {ms:?}", t.name);
        for table in ["unmatched_receipts", "unmatched_receipt_keys"] {
            let left: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(t.db.pool())
                .await
                .expect("count");
            assert_eq!(left, 0, "{}: {table} emptied", t.name);
        }
        assert_eq!(
            store::apply_unmatched_receipts(&t.db)
                .await
                .expect("nothing"),
            0,
            "{}",
            t.name
        );
        check_ledger(&t).await;
    }
}

/// Receipts parked by an earlier version, whose `Auto` keys named the hex and decimal readings
/// of their id as `x:`/`d:` (parts no longer store those keys), find parts stored with today's
/// keys once a dispatcher's start has given those keys their current `z:` forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receipts_parked_by_an_earlier_version_find_parts_stored_with_todays_keys() {
    for t in all_backends().await {
        let account = customer(&t.db, "upgrade", Money::hkd(10)).await;
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "upgrade", &numbers(2, 9850)),
        )
        .await
        .expect("batch");
        let claimed = claim_and_hold(&t.db, "upgrade-node").await;
        assert_eq!(claimed.len(), 2, "{}", t.name);
        let smsc = "sim";
        // What the earlier version's `receipt_keys` made of a decimal receipt id for a hex
        // submit id, and of a hex one for a decimal submit id.
        let parked = |keys: &[&str]| store::Receipt {
            smsc: smsc.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            status: sms::DeliveryStatus::Delivered,
            error: None,
        };
        store::apply_receipts(
            &t.db,
            vec![
                parked(&["6699", "x:6699", "d:26265", "z:6699"]),
                parked(&["1a2b3c", "d:1715004", "z:1a2b3c"]),
            ],
        )
        .await
        .expect("parked");
        let results: Vec<_> = claimed
            .iter()
            .zip(["1A2B", "1715004"])
            .map(|(m, id)| {
                (
                    m.clone(),
                    store::SubmitResult::Accepted {
                        smsc: smsc.into(),
                        parts: vec![(1, id.to_string(), MsgIdMatching::Auto.submit_keys(id))],
                        final_on_acceptance: false,
                        expires_at: now_ms() + 3_600_000,
                    },
                )
            })
            .collect();
        store::record_many(&t.db, results).await.expect("accepted");
        assert_eq!(
            store::apply_unmatched_receipts(&t.db).await.expect("pass"),
            0,
            "{}: the parts no longer have x:/d: keys",
            t.name
        );
        assert_eq!(
            store::add_current_forms_to_parked_keys(&t.db)
                .await
                .expect("brought up to date"),
            3,
            "{}",
            t.name
        );
        assert_eq!(
            store::apply_unmatched_receipts(&t.db).await.expect("pass"),
            2,
            "{}",
            t.name
        );
        let ms = messages(&t.db, batch).await;
        assert!(ms.iter().all(|m| m.status == 22), "{}: {ms:?}", t.name);
        assert_eq!(
            store::add_current_forms_to_parked_keys(&t.db)
                .await
                .expect("nothing left"),
            0,
            "{}",
            t.name
        );
        check_ledger(&t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_over_the_single_sms_charge_limit_is_not_sent_or_charged() {
    for t in all_backends().await {
        let account = customer(&t.db, "limited", Money::hkd(10)).await;
        sqlx::query("UPDATE accounts SET single_sms_limit_minor = 5000 WHERE id = $1")
            .bind(account)
            .execute(t.db.pool())
            .await
            .expect("limit");
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let one = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "short", &numbers(1, 9700)),
        )
        .await
        .expect("one part");
        let two = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                &"x".repeat(200),
                &numbers(1, 9800),
            ),
        )
        .await
        .expect("two parts");
        let a = wait_final(&t.db, one, Duration::from_secs(20)).await;
        let b = wait_final(&t.db, two, Duration::from_secs(20)).await;
        d.shutdown().await;
        assert_eq!(a[0].status, 22);
        assert_eq!(
            (b[0].status, b[0].error, b[0].charge),
            (21, Some(12), 0),
            "{}: HK$0.64 > HK$0.50 limit",
            t.name
        );
        assert_eq!(sim.stats().accepted, 1);
        sim.shutdown();
        // The refused message's cost left the account's waiting reserve.
        check_ledger(&t).await;
    }
}

/// The limit is the customer's setting, not the batch's: lowered while a batch goes out, it
/// applies to the messages not yet held (the dispatcher once kept it with the batch's facts,
/// and sent the rest of the batch under the old one).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_sms_limit_set_while_a_batch_goes_out_stops_the_rest_of_it() {
    for t in all_backends().await {
        let account = customer(&t.db, "limit-later", Money::hkd(10)).await;
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        // One message at a time, each answered after 400 ms: the limit is set while the
        // first one waits for its answer.
        behaviour.response_delay = Duration::from_millis(400);
        let sim = simulator(behaviour).await;
        let d = engine::delivery::dispatcher::start(
            t.db.clone(),
            engine::delivery::dispatcher::DispatcherConfig {
                workers: 1,
                claim_batch: 1,
                idle_poll: Duration::from_millis(50),
                expiry_grace: Duration::from_millis(500),
                smscs: vec![sim_smsc(&sim, 1, MsgIdMatching::Auto)],
                ..Default::default()
            },
        );
        // Two parts at HK$0.32: HK$0.64 each.
        let batch = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                &"x".repeat(200),
                &numbers(3, 9600),
            ),
        )
        .await
        .expect("batch");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while messages(&t.db, batch).await.iter().all(|m| m.status == 2) {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: nothing held",
                t.name
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sqlx::query("UPDATE accounts SET single_sms_limit_minor = 5000 WHERE id = $1")
            .bind(account)
            .execute(t.db.pool())
            .await
            .expect("limit");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        let outcomes: Vec<(i64, Option<i64>, i64)> =
            ms.iter().map(|m| (m.status, m.error, m.charge)).collect();
        assert_eq!(
            outcomes,
            [(22, None, 6400), (21, Some(12), 0), (21, Some(12), 0)],
            "{}: the first went out before the limit, the rest are over it",
            t.name
        );
        assert_eq!(
            sim.stats().accepted,
            2,
            "{}: the first message's two parts",
            t.name
        );
        sim.shutdown();
        check_ledger(&t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_dispatcher_finishes_the_batch_without_charging_twice() {
    for t in all_backends().await {
        let account = customer(&t.db, "restart", Money::hkd(100)).await;
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.response_delay = Duration::from_millis(2);
        let sim = simulator(behaviour).await;
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "restart", &numbers(300, 10_000)),
        )
        .await
        .expect("batch");
        for _ in 0..3 {
            let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
            tokio::time::sleep(Duration::from_millis(150)).await;
            d.shutdown().await;
        }
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let ms = wait_final(&t.db, batch, Duration::from_secs(30)).await;
        d.shutdown().await;
        assert!(
            ms.iter().all(|m| m.status == 22 && m.charge == 3_200),
            "{}",
            t.name
        );
        assert_eq!(charges(&t.db, account).await, 300);
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn everything_completes_while_the_smsc_drops_the_connection_every_few_hundred_ms() {
    for t in all_backends().await {
        let account = customer(&t.db, "drops", Money::hkd(1_000)).await;
        // (HK$1,000 covers the 3,000 messages at HK$0.32.)
        let mut behaviour = fast(vec![(Outcome::Delivered, 1)]);
        behaviour.drop_every = Some(Duration::from_millis(400));
        behaviour.response_delay = Duration::from_millis(1);
        let sim = simulator(behaviour).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let batch = create_batch(
            &t.db,
            // Enough messages to outlast several 400 ms connections.
            &new_batch(account, Route::HkBusiness, "drops", &numbers(3_000, 20_000)),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(60)).await;
        d.shutdown().await;
        let stats = sim.stats();
        assert!(
            stats.dropped_connections >= 1,
            "the simulator did drop connections"
        );
        assert!(
            ms.iter().all(|m| m.status == 22 && m.charge == 3_200),
            "{}: {:?}",
            t.name,
            ms.iter()
                .filter(|m| m.status != 22)
                .take(3)
                .collect::<Vec<_>>()
        );
        assert_eq!(
            charges(&t.db, account).await,
            3_000,
            "one charge per message whatever was resubmitted"
        );
        eprintln!(
            "{}: {} drops, {} duplicate submits",
            t.name, stats.dropped_connections, stats.duplicates
        );
        check_ledger(&t).await;
        sim.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_dispatchers_on_one_database_never_submit_a_message_twice() {
    for t in all_backends().await {
        let account = customer(&t.db, "nodes", Money::hkd(1_000)).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let nodes: Vec<_> = (0..3)
            .map(|_| dispatcher_for(&t.db, &sim, MsgIdMatching::Auto))
            .collect();
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "nodes", &numbers(600, 30_000)),
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(60)).await;
        for n in nodes {
            n.shutdown().await;
        }
        assert!(ms.iter().all(|m| m.status == 22), "{}", t.name);
        let stats = sim.stats();
        assert_eq!(
            (stats.accepted, stats.duplicates),
            (600, 0),
            "{}: no message submitted twice",
            t.name
        );
        sim.shutdown();
    }
}

/// §14, "nothing lost": on PostgreSQL two receipts for the two parts of one message, settled in
/// two transactions at once, each used to read the other part as it was and leave the message
/// in flight for good with both parts delivered (seen as a dispatch benchmark that never
/// finished). The second must wait for the first and read its part. The test's own lock on the
/// message holds both receipts inside their transactions until both have started.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receipts_for_two_parts_of_one_message_at_once_finish_it_on_postgresql() {
    for t in all_backends().await {
        if t.db.backend() != engine::db::Backend::Postgres {
            continue;
        }
        let account = customer(&t.db, "twoparts", Money::hkd(10)).await;
        let text = "A long notice. ".repeat(12);
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, &text, &numbers(1, 9900)),
        )
        .await
        .expect("batch");
        let claimed = claim_and_hold(&t.db, "two-node").await;
        assert_eq!(claimed.len(), 1);
        let (smsc, matching) = ("sim", MsgIdMatching::Exact);
        let accepted = store::SubmitResult::Accepted {
            smsc: smsc.into(),
            parts: vec![
                (1, "two-1".to_string(), matching.submit_keys("two-1")),
                (2, "two-2".to_string(), matching.submit_keys("two-2")),
            ],
            final_on_acceptance: false,
            expires_at: now_ms() + 3_600_000,
        };
        store::record_many(&t.db, vec![(claimed[0].clone(), accepted)])
            .await
            .expect("accepted");
        let id = claimed[0].id;
        // In RETRY, so that each receipt alone changes the message's status and writes it.
        sqlx::query("UPDATE messages SET status = $1 WHERE id = $2")
            .bind(i64::from(sms::DeliveryStatus::Retry))
            .bind(id)
            .execute(t.db.pool())
            .await
            .expect("retry");

        let mut lock = t.db.pool().begin().await.expect("tx");
        sqlx::query("SELECT id FROM messages WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_all(&mut *lock)
            .await
            .expect("lock");
        let delivered = |part: &str| store::Receipt {
            smsc: smsc.into(),
            keys: matching.receipt_keys(part),
            status: sms::DeliveryStatus::Delivered,
            error: None,
        };
        let (db1, db2) = (t.db.clone(), t.db.clone());
        let (r1, r2) = (delivered("two-1"), delivered("two-2"));
        let first = tokio::spawn(async move { store::apply_receipts(&db1, vec![r1]).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = tokio::spawn(async move { store::apply_receipts(&db2, vec![r2]).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        lock.commit().await.expect("release");
        first.await.expect("join").expect("first receipt");
        second.await.expect("join").expect("second receipt");
        let ms = messages(&t.db, batch).await;
        assert_eq!(ms[0].status, 22, "both parts delivered: {ms:?}");
    }
}

/// A dispatcher whose lease ran out while it was slow prepares messages that another one took
/// over and held meanwhile: it must leave them (not send them a second time) and give its own
/// hold back, so the account's held and waiting amounts count each message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_held_by_a_dispatcher_that_took_it_over_is_not_held_or_sent_again() {
    for t in all_backends().await {
        let account = customer(&t.db, "takeover", Money::hkd(10)).await;
        let batch = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "mine", &numbers(2, 9900)),
        )
        .await
        .expect("batch");
        store::heartbeat(&t.db, "slow-node")
            .await
            .expect("heartbeat");
        let slow = store::claim(&t.db, "slow-node", 10, 60_000)
            .await
            .expect("claim");
        assert_eq!(slow.len(), 2, "{}", t.name);
        // The other node's prepare ran first (it found the slow node's claim expired).
        let first = store::prepare(&t.db, &slow).await.expect("holds");
        assert!(
            first.iter().all(|d| *d == store::Prepared::Send),
            "{}",
            t.name
        );
        let again = store::prepare(&t.db, &slow).await.expect("again");
        assert!(
            again.iter().all(|d| *d == store::Prepared::TakenOver),
            "{}: {again:?}",
            t.name
        );
        let (held, waiting): (i64, i64) =
            sqlx::query_as("SELECT held_minor, waiting_minor FROM accounts WHERE id = $1")
                .bind(account)
                .fetch_one(t.db.pool())
                .await
                .expect("account");
        assert_eq!((held, waiting), (2 * 3_200, 0), "{}: held once", t.name);
        check_ledger(&t).await;
        assert!(messages(&t.db, batch).await.iter().all(|m| m.status == 4));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_facts_for_a_whole_chunk_come_in_one_read_and_an_unknown_route_is_not_sent() {
    for t in all_backends().await {
        let account = customer(&t.db, "facts", Money::hkd(100)).await;
        let business = create_batch(
            &t.db,
            &new_batch(account, Route::HkBusiness, "Business", &numbers(1, 9000)),
        )
        .await
        .expect("batch");
        let economic = create_batch(
            &t.db,
            &new_batch(account, Route::HkEconomic, "Economic", &numbers(1, 9100)),
        )
        .await
        .expect("batch");
        let future = create_batch(
            &t.db,
            &new_batch(
                account,
                Route::HkBusiness,
                "Later version",
                &numbers(1, 9200),
            ),
        )
        .await
        .expect("batch");
        // A route written by a later version of Ferry.
        sqlx::query("UPDATE batches SET route = 'hk_carrier_pigeon' WHERE id = $1")
            .bind(future)
            .execute(t.db.pool())
            .await
            .expect("route");
        let missing = future + 1_000;
        let facts = store::batches_for_sending(&t.db, &[business, economic, future, missing])
            .await
            .expect("facts");
        assert_eq!(facts.len(), 3, "{}: the missing batch is left out", t.name);
        let b = facts[&business].as_ref().expect("known route");
        assert_eq!(
            (b.route, b.final_text.as_str(), b.sender_id.is_some()),
            (Route::HkBusiness, "Business", true),
            "{}",
            t.name
        );
        let e = facts[&economic].as_ref().expect("known route");
        assert_eq!(
            (e.route, e.final_text.as_str()),
            (Route::HkEconomic, "Economic")
        );
        assert!(
            facts[&future].is_none(),
            "{}: an unknown route is not sent, and fails no other batch",
            t.name
        );
        assert!(store::batches_for_sending(&t.db, &[])
            .await
            .expect("none")
            .is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_dispatcher_sends_a_batch_as_soon_as_it_is_stored_not_at_its_next_poll() {
    for t in all_backends().await {
        let account = customer(&t.db, "wake", Money::hkd(100)).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        // Polls only once a minute: within the test's time, only the intake's wake-up can
        // start the send.
        let d = engine::delivery::dispatcher::start(
            t.db.clone(),
            engine::delivery::dispatcher::DispatcherConfig {
                idle_poll: Duration::from_secs(60),
                smscs: vec![sim_smsc(&sim, 50, MsgIdMatching::Auto)],
                ..Default::default()
            },
        );
        // Both workers have found nothing and wait.
        tokio::time::sleep(Duration::from_millis(500)).await;
        for (i, first) in [9500u64, 9600].into_iter().enumerate() {
            let batch = create_batch(
                &t.db,
                &new_batch(
                    account,
                    Route::HkBusiness,
                    "Your code is 4321",
                    &numbers(2, first),
                ),
            )
            .await
            .expect("batch");
            let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
            assert!(
                ms.iter().all(|m| m.status == 22),
                "{}: batch {i} delivered without waiting for a poll: {ms:?}",
                t.name
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        d.shutdown().await;
        check_ledger(&t).await;
    }
}

/// Two outcome groups recorded at once, each with a refusal for one account and an acceptance
/// for the other, in opposite orders: the refusal releases its hold as it comes and the
/// acceptance posts its charge last, so without a common order the two transactions lock the
/// two account rows the opposite way round (on PostgreSQL a deadlock, and the failed group's
/// accepted message would be sent again).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn groups_recorded_at_once_across_two_accounts_never_deadlock() {
    const PAIRS: usize = 25;
    for t in all_backends().await {
        let alice = customer(&t.db, "cross-a", Money::hkd(100)).await;
        let bob = customer(&t.db, "cross-b", Money::hkd(100)).await;
        for (account, first) in [(alice, 11_000u64), (bob, 12_000)] {
            create_batch(
                &t.db,
                &new_batch(
                    account,
                    Route::HkBusiness,
                    "cross",
                    &numbers(2 * PAIRS, first),
                ),
            )
            .await
            .expect("batch");
        }
        store::heartbeat(&t.db, "cross-node").await.expect("beat");
        let claimed = store::claim(&t.db, "cross-node", 1_000, 60_000)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 4 * PAIRS);
        let decisions = store::prepare(&t.db, &claimed).await.expect("holds");
        assert!(decisions.iter().all(|d| *d == store::Prepared::Send));
        let of = |account: i64| -> Vec<_> {
            claimed
                .iter()
                .filter(|m| m.account_id == account)
                .cloned()
                .collect()
        };
        let (a, b) = (of(alice), of(bob));
        let accepted = |m: &store::ClaimedMessage| accepted_as(&format!("cross-{}", m.id));
        let refused = || store::SubmitResult::refused(sms::ErrorCode::Unknown);
        for i in 0..PAIRS {
            let one = vec![
                (a[2 * i].clone(), refused()),
                (b[2 * i].clone(), accepted(&b[2 * i])),
            ];
            let other = vec![
                (b[2 * i + 1].clone(), refused()),
                (a[2 * i + 1].clone(), accepted(&a[2 * i + 1])),
            ];
            let (x, y) = tokio::join!(
                store::record_many(&t.db, one),
                store::record_many(&t.db, other)
            );
            x.unwrap_or_else(|e| panic!("{}: pair {i}, first group: {e}", t.name));
            y.unwrap_or_else(|e| panic!("{}: pair {i}, second group: {e}", t.name));
        }
        for account in [alice, bob] {
            assert_eq!(charges(&t.db, account).await, PAIRS as i64, "{}", t.name);
        }
        check_ledger(&t).await;
    }
}

/// One outcome group of acceptances for two accounts, interleaved, one message of which was
/// charged before under its reference (accepted again after a crash): every other hold becomes
/// its one charge with the running balances of posting them one by one, the charged one's hold
/// is only released, and an account whose hold no longer covers its charges fails the whole
/// group, leaving every message holding for its next attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_acceptances_charges_each_hold_once_across_accounts() {
    for t in all_backends().await {
        let alice = customer(&t.db, "group-a", Money::hkd(100)).await;
        let bob = customer(&t.db, "group-b", Money::hkd(100)).await;
        let carol = customer(&t.db, "group-c", Money::hkd(100)).await;
        // Alice's charges differ (one or two parts), so the entries' running balances show
        // the order they were posted in.
        let long = "x".repeat(200);
        for (account, text, count, first) in [
            (alice, "group", 2, 21_000u64),
            (alice, long.as_str(), 1, 21_500),
            (bob, "group", 3, 22_000),
            (carol, "group", 3, 23_000),
        ] {
            create_batch(
                &t.db,
                &new_batch(account, Route::HkBusiness, text, &numbers(count, first)),
            )
            .await
            .expect("batch");
        }
        let claimed = claim_and_hold(&t.db, "group-node").await;
        assert_eq!(claimed.len(), 9);
        let holds: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
            "SELECT id, hold_minor FROM messages WHERE account_id IN ($1, $2)",
        )
        .bind(alice)
        .bind(bob)
        .fetch_all(t.db.pool())
        .await
        .expect("holds")
        .into_iter()
        .collect();
        let of = |account: i64| -> Vec<store::ClaimedMessage> {
            claimed
                .iter()
                .filter(|m| m.account_id == account)
                .cloned()
                .collect()
        };
        let accepted = |m: &store::ClaimedMessage| accepted_as(&format!("group-{}", m.id));
        let (a, b, c) = (of(alice), of(bob), of(carol));
        assert_ne!(holds[&a[0].id], holds[&a[2].id], "{}", t.name);
        // Alice's second message already has its charge.
        let mut tx = t.db.pool().begin().await.expect("tx");
        post(
            &mut tx,
            Posting {
                account_id: alice,
                kind: EntryKind::Charge,
                amount: Money::from_minor(holds[&a[1].id]),
                description: "charged before",
                reference: Some(&format!("msg-{}", a[1].id)),
                created_by: None,
            },
        )
        .await
        .expect("charge");
        tx.commit().await.expect("commit");
        // Carol's hold was taken away (staff corrected it by hand): her charges cannot post.
        sqlx::query("UPDATE accounts SET held_minor = 0 WHERE id = $1")
            .bind(carol)
            .execute(t.db.pool())
            .await
            .expect("held");
        let group = |of: &[&store::ClaimedMessage]| -> Vec<_> {
            of.iter().map(|m| ((*m).clone(), accepted(m))).collect()
        };
        let failed = store::record_many(&t.db, group(&[&a[0], &c[0], &b[0]])).await;
        assert!(
            matches!(failed, Err(engine::ledger::store::LedgerError::NoSuchAccount(id)) if id == carol),
            "{}: {failed:?}",
            t.name
        );
        let holding: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE account_id IN ($1, $2) AND hold_minor > 0",
        )
        .bind(alice)
        .bind(bob)
        .fetch_one(t.db.pool())
        .await
        .expect("holding");
        assert_eq!(holding, 6, "{}: the failed group left no trace", t.name);

        store::record_many(&t.db, group(&[&a[0], &b[0], &a[1], &b[1], &a[2], &b[2]]))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(charges(&t.db, alice).await, 3, "{}", t.name);
        assert_eq!(charges(&t.db, bob).await, 3, "{}", t.name);
        for (account, of) in [(alice, &a), (bob, &b)] {
            let spent: i64 = of.iter().map(|m| holds[&m.id]).sum();
            assert_eq!(
                balance(&t.db, account).await,
                (Money::hkd(100).minor() - spent, 0),
                "{}: balance and held",
                t.name
            );
        }
        let charged: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, charge_minor, hold_minor FROM messages WHERE account_id IN ($1, $2) ORDER BY id",
        )
        .bind(alice)
        .bind(bob)
        .fetch_all(t.db.pool())
        .await
        .expect("messages");
        for (id, charge, hold) in charged {
            let expected = if id == a[1].id { 0 } else { holds[&id] };
            assert_eq!((charge, hold), (expected, 0), "{}: message {id}", t.name);
        }
        let parts: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM smsc_keys k JOIN message_parts p \
             ON p.message_id = k.message_id AND p.part = k.part WHERE k.smsc = 'sim' \
             AND p.smsc_message_id = 'group-' || p.message_id",
        )
        .fetch_one(t.db.pool())
        .await
        .expect("parts");
        assert!(parts >= 6, "{}: parts and keys of all six: {parts}", t.name);
        check_ledger(&t).await;
    }
}

/// A free message (a verification code the installation pays for: price 0, so nothing held)
/// is sent, recorded, retried and finished like any other, and charges nothing. (It was never
/// recorded: every recorder looked for a message holding its charge, and a free one holds
/// nothing, so it stayed PROCESSING with its receipts parked.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_message_is_recorded_retried_and_finished_without_a_charge() {
    for t in all_backends().await {
        let account = customer(&t.db, "free", Money::ZERO).await;
        let sim = simulator(fast(vec![(Outcome::Delivered, 1)])).await;
        let d = dispatcher_for(&t.db, &sim, MsgIdMatching::Auto);
        let dests = numbers(3, 31_000);
        let batch = create_batch(
            &t.db,
            &NewBatch {
                sender_id: Some("FerryTest".to_string()),
                ..NewBatch::on_route(
                    account,
                    Route::HkBusiness,
                    "Your code is 123456",
                    dests.iter().map(|n| (n.clone(), Money::ZERO)),
                )
            },
        )
        .await
        .expect("batch");
        let ms = wait_final(&t.db, batch, Duration::from_secs(20)).await;
        d.shutdown().await;
        assert!(
            ms.iter().all(|m| m.status == 22 && m.charge == 0),
            "{}: {ms:?}",
            t.name
        );
        assert_eq!(charges(&t.db, account).await, 0, "{}", t.name);
        assert_eq!(balance(&t.db, account).await, (0, 0), "{}", t.name);
        sim.shutdown();

        // An attempt that is to be retried leaves a free message waiting, claimed again when
        // due, and its next acceptance is recorded.
        create_batch(
            &t.db,
            &NewBatch::on_route(
                account,
                Route::HkBusiness,
                "Your code is 654321",
                [("85290032000".to_string(), Money::ZERO)],
            ),
        )
        .await
        .expect("batch");
        let first = claim_and_hold(&t.db, "free-node").await;
        assert_eq!(first.len(), 1, "{}", t.name);
        store::record_many(
            &t.db,
            vec![(
                first[0].clone(),
                store::SubmitResult::Retry {
                    retry_at: now_ms(),
                    smsc: "sim".into(),
                    accepted: Vec::new(),
                },
            )],
        )
        .await
        .expect("retry");
        let again = claim_and_hold(&t.db, "free-node").await;
        assert_eq!(again.len(), 1, "{}", t.name);
        assert_eq!(again[0].id, first[0].id, "{}: claimed again", t.name);
        store::record_many(
            &t.db,
            vec![(
                again[0].clone(),
                accepted_as(&format!("free-{}", again[0].id)),
            )],
        )
        .await
        .expect("accepted");
        let (status, submitted): (i64, Option<i64>) =
            sqlx::query_as("SELECT status, submitted_at FROM messages WHERE id = $1")
                .bind(again[0].id)
                .fetch_one(t.db.pool())
                .await
                .expect("message");
        assert_eq!(status, 4, "{}: PROCESSING, awaiting its receipt", t.name);
        assert!(submitted.is_some(), "{}", t.name);
        // Recorded once: a late second outcome for it is left alone.
        store::record_many(
            &t.db,
            vec![(
                again[0].clone(),
                store::SubmitResult::refused(sms::ErrorCode::Unknown),
            )],
        )
        .await
        .expect("late outcome");
        let status: i64 = sqlx::query_scalar("SELECT status FROM messages WHERE id = $1")
            .bind(again[0].id)
            .fetch_one(t.db.pool())
            .await
            .expect("status");
        assert_eq!(status, 4, "{}", t.name);
        assert_eq!(charges(&t.db, account).await, 0, "{}", t.name);
        check_ledger(&t).await;
    }
}

/// Two chunks held at once, each with a message one account cannot afford and one the other
/// account can, in opposite orders: a hold locks the account it takes, and a refusal gives the
/// refused message's reservation back afterwards, so without a common order the two
/// transactions lock the two account rows the opposite way round (on PostgreSQL a deadlock,
/// the chunk's messages given back).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn holds_for_two_accounts_at_once_never_deadlock() {
    const PAIRS: usize = 20;
    const DEAR: i64 = 1_000_000; // HK$100, more than either account keeps for it
    for t in all_backends().await {
        let opening = Money::from_minor(PAIRS as i64 * (PRICE.minor() + DEAR));
        let alice = customer(&t.db, "holds-a", opening).await;
        let bob = customer(&t.db, "holds-b", opening).await;
        for (account, first) in [(alice, 41_000u64), (bob, 42_000)] {
            create_batch(
                &t.db,
                &new_batch(account, Route::HkBusiness, "cheap", &numbers(PAIRS, first)),
            )
            .await
            .expect("cheap batch");
            create_batch(
                &t.db,
                &NewBatch {
                    sender_id: Some("FerryTest".to_string()),
                    ..NewBatch::on_route(
                        account,
                        Route::HkBusiness,
                        "dear",
                        numbers(PAIRS, first + 500)
                            .into_iter()
                            .map(|n| (n, Money::from_minor(DEAR))),
                    )
                },
            )
            .await
            .expect("dear batch");
            // Staff take the dear messages' share away: the cheap ones still fit.
            let fee = Money::from_minor(PAIRS as i64 * DEAR);
            post_entry(&t.db, account, EntryKind::Fee, fee, "fee").await;
        }
        store::heartbeat(&t.db, "holds-node").await.expect("beat");
        let claimed = store::claim(&t.db, "holds-node", 1_000, 60_000)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 4 * PAIRS, "{}", t.name);
        let of = |account: i64, dear: bool| -> Vec<store::ClaimedMessage> {
            claimed
                .iter()
                .filter(|m| m.account_id == account && (m.unit_price.minor() == DEAR) == dear)
                .cloned()
                .collect()
        };
        let (a_cheap, a_dear, b_cheap, b_dear) = (
            of(alice, false),
            of(alice, true),
            of(bob, false),
            of(bob, true),
        );
        for i in 0..PAIRS {
            let one = vec![a_dear[i].clone(), b_cheap[i].clone()];
            let other = vec![a_cheap[i].clone(), b_dear[i].clone()];
            let (x, y) = tokio::join!(store::prepare(&t.db, &one), store::prepare(&t.db, &other));
            let refused = store::Prepared::Refused(sms::ErrorCode::InsufficientBalance);
            let x = x.unwrap_or_else(|e| panic!("{}: pair {i}, first chunk: {e}", t.name));
            let y = y.unwrap_or_else(|e| panic!("{}: pair {i}, second chunk: {e}", t.name));
            assert_eq!(x, vec![refused, store::Prepared::Send], "{}", t.name);
            assert_eq!(y, vec![store::Prepared::Send, refused], "{}", t.name);
        }
        for account in [alice, bob] {
            assert_eq!(
                balance(&t.db, account).await,
                (PAIRS as i64 * PRICE.minor(), PAIRS as i64 * PRICE.minor()),
                "{}: every cheap message held",
                t.name
            );
        }
        check_ledger(&t).await;
    }
}

//! The client against the simulator over real TCP on loopback: each test starts its own
//! simulator on a random port, so they run in parallel; each is bounded in time.

mod common;

use common::*;
use smpp::client::{ESME_RINVPASWD, ESME_RTHROTTLED};
use smpp::pdu::SubmitRequest;
use smpp::simulator::{IdFormat, MoRequest, Outcome};
use smpp::{Behaviour, Client, ConnectError, Correlator, Event, MsgIdMatching, SubmitOutcome};
use sms::status::{DeliveryStatus, ErrorCode};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn quick() -> Behaviour {
    Behaviour {
        receipt_delay: Duration::from_millis(5),
        retry_delay: Duration::from_millis(5),
        ..Behaviour::default()
    }
}

#[tokio::test]
async fn binds_with_the_right_password() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, _events) = connect(client_config(&sim)).await;
        assert!(client.is_bound());
        assert_eq!(sim.stats().binds, 1);
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_esme_rinvpaswd() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let mut config = client_config(&sim);
        config.password = "wrong".into();
        let result = Client::connect(config).await;
        assert_eq!(
            result.err(),
            Some(ConnectError::BindRefused(ESME_RINVPASWD))
        );
        assert_eq!(sim.stats().refused_binds, 1);
        assert_eq!(sim.stats().binds, 0);
    })
    .await;
}

#[tokio::test]
async fn a_gsm7_message_arrives_as_data_coding_0_septets() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, _events) = connect(client_config(&sim)).await;
        let text = "Price: €5 [today] @home_";
        let outcome = client.submit(&parts("85291234567", text)[0]).await;
        assert!(
            matches!(outcome, Ok(SubmitOutcome::Accepted { .. })),
            "{outcome:?}"
        );
        let stats = sim.stats();
        let part = &stats.parts[0];
        assert_eq!(part.data_coding, 0);
        assert_eq!(part.esm_class, 0);
        assert_eq!(part.text, text);
        assert_eq!(
            (part.source_ton, part.source_npi, part.source.as_str()),
            (5, 0, "FERRY")
        );
        assert_eq!((part.dest_ton, part.dest_npi), (1, 1));
        assert_eq!(part.registered_delivery, 1);
        // One septet per byte; € is ESC 0x65; '@' is 0x00.
        assert_eq!(&part.short_message[7..9], &[0x1B, 0x65]);
        assert!(part.short_message.contains(&0x00));
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_ucs2_message_arrives_as_utf16_big_endian() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, _events) = connect(client_config(&sim)).await;
        let text = "你好 😀";
        let outcome = client.submit(&parts("85291234567", text)[0]).await;
        assert!(matches!(outcome, Ok(SubmitOutcome::Accepted { .. })));
        let stats = sim.stats();
        assert_eq!(stats.parts[0].data_coding, 8);
        assert_eq!(stats.parts[0].text, text);
        assert_eq!(stats.parts[0].short_message.len(), 2 * 5);
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn long_messages_are_concatenated_and_reassemble_exactly() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, _events) = connect(client_config(&sim)).await;
        let gsm: String = (0..400)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let gsm = format!("{gsm}€{{}}");
        let ucs2 = "長訊息測試".repeat(30); // 150 UTF-16 units → 3 parts of ≤67
        for (dest, text, expected_parts) in [("85290000001", &gsm, 3u8), ("85290000002", &ucs2, 3)]
        {
            let parts = parts(dest, text);
            assert_eq!(parts.len(), usize::from(expected_parts));
            let submits = parts.iter().map(|p| client.submit(p));
            for outcome in futures::future::join_all(submits).await {
                assert!(
                    matches!(outcome, Ok(SubmitOutcome::Accepted { .. })),
                    "{outcome:?}"
                );
            }
        }
        let stats = sim.stats();
        assert_eq!(stats.messages.len(), 2, "both messages reassembled");
        for (dest, text) in [("85290000001", &gsm), ("85290000002", &ucs2)] {
            let m = stats
                .messages
                .iter()
                .find(|m| m.destination == dest)
                .expect("message");
            assert_eq!(&m.text, text);
            assert_eq!(m.parts, 3);
            let parts: Vec<_> = stats
                .parts
                .iter()
                .filter(|p| p.destination == dest)
                .collect();
            let refs: Vec<_> = parts
                .iter()
                .map(|p| p.concat.map(|c| (c.reference, c.total)))
                .collect();
            assert!(refs.iter().all(|r| *r == Some((7, 3))), "{refs:?}");
            let mut seqs: Vec<u8> = parts
                .iter()
                .filter_map(|p| p.concat.map(|c| c.seq))
                .collect();
            seqs.sort();
            assert_eq!(seqs, [1, 2, 3]);
            assert!(parts.iter().all(|p| p.esm_class == 0x40));
        }
        assert_eq!(stats.duplicates, 0);
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_window_bounds_outstanding_submits() {
    bounded(30, async {
        let sim = simulator(Behaviour {
            response_delay: Duration::from_millis(20),
            ..quick()
        })
        .await;
        let mut config = client_config(&sim);
        config.window = 8;
        let (client, _events) = connect(config).await;
        let reqs: Vec<SubmitRequest> = (0..200)
            .map(|i| parts(&format!("8529{i:07}"), "window")[0].clone())
            .collect();
        let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, Ok(SubmitOutcome::Accepted { .. }))));
        let max = sim.stats().max_outstanding;
        assert!(max <= 8, "{max} outstanding with a window of 8");
        assert!(max >= 6, "the window should be used, got {max}");
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_throughput_limit_is_respected() {
    bounded(30, async {
        let sim = simulator(quick()).await;
        let mut config = client_config(&sim);
        config.max_per_second = Some(200.0);
        config.burst = 1;
        let (client, _events) = connect(config).await;
        let reqs: Vec<SubmitRequest> = (0..101)
            .map(|i| parts(&format!("8529{i:07}"), "rate")[0].clone())
            .collect();
        let start = Instant::now();
        let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;
        let elapsed = start.elapsed();
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, Ok(SubmitOutcome::Accepted { .. }))));
        // 100 intervals of 5 ms.
        assert!(
            elapsed >= Duration::from_millis(480),
            "{elapsed:?} is faster than 200/s"
        );
        assert!(
            // Loose: the other core may be busy with someone else's build.
            elapsed < Duration::from_secs(5),
            "{elapsed:?} is much slower than 200/s"
        );
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn receipts_of_every_outcome_map_to_status_and_error() {
    bounded(20, async {
        let outcomes = [
            ("85290000001", Outcome::Delivered),
            ("85290000002", Outcome::HandsetOffThenDelivered),
            ("85290000003", Outcome::HandsetOffThenExpired),
            ("85290000004", Outcome::UnknownSubscriber),
            ("85290000005", Outcome::BlockedAsSpam),
        ];
        let sim = simulator(Behaviour {
            outcome_by_destination: outcomes.iter().map(|(d, o)| (d.to_string(), *o)).collect(),
            ..quick()
        })
        .await;
        let (client, mut events) = connect(client_config(&sim)).await;
        for (dest, _) in outcomes {
            let r = client.submit(&parts(dest, "outcome")[0]).await;
            assert!(matches!(r, Ok(SubmitOutcome::Accepted { .. })));
        }
        let mut seen: HashMap<String, Vec<(DeliveryStatus, Option<ErrorCode>)>> = HashMap::new();
        // 5 outcomes, two of which send an intermediate receipt first: 7 receipts.
        for _ in 0..7 {
            if let Event::Receipt { receipt, .. } = next_delivery(&mut events).await {
                seen.entry(receipt.recipient.clone())
                    .or_default()
                    .push((receipt.status, receipt.error));
            }
        }
        use DeliveryStatus::*;
        assert_eq!(seen["85290000001"], [(Delivered, None)]);
        assert_eq!(
            seen["85290000002"],
            [(Retry, Some(ErrorCode::HandsetOff)), (Delivered, None)]
        );
        assert_eq!(
            seen["85290000003"],
            [
                (Retry, Some(ErrorCode::HandsetOff)),
                (Expired, Some(ErrorCode::HandsetOff))
            ]
        );
        assert_eq!(
            seen["85290000004"],
            [(Undeliverable, Some(ErrorCode::UnknownSubscriber))]
        );
        assert_eq!(
            seen["85290000005"],
            [(Undeliverable, Some(ErrorCode::BlockedAsSpam))]
        );
        until_stats(&sim, |s| s.receipts_acked == 7).await;
        client.shutdown().await;
    })
    .await;
}

/// Submits `n` messages and correlates every receipt through a [`Correlator`].
async fn correlate_all(behaviour: Behaviour, matching: MsgIdMatching, n: usize) {
    let sim = simulator(behaviour).await;
    let (client, mut events) = connect(client_config(&sim)).await;
    let mut correlator: Correlator<usize> = Correlator::new(matching, 10_000);
    let mut matched = vec![false; n];
    let reqs: Vec<SubmitRequest> = (0..n)
        .map(|i| parts(&format!("8529{i:07}"), "corr")[0].clone())
        .collect();
    let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;
    // Receipts may already be waiting in the channel: feed them only after every id is known
    // would hide the race, so interleave: first all receipts that arrived, then the ids.
    let mut early = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::Receipt { receipt, .. } = event {
            early.push(receipt);
        }
    }
    for r in early {
        if let Some((i, _)) = correlator.receipt(r) {
            matched[i] = true;
        }
    }
    for (i, o) in outcomes.into_iter().enumerate() {
        match o {
            Ok(SubmitOutcome::Accepted { message_id }) => {
                for r in correlator.accepted(&message_id, i) {
                    assert_eq!(r.status, DeliveryStatus::Delivered);
                    matched[i] = true;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    while matched.iter().any(|m| !m) {
        if let Event::Receipt { receipt, .. } = next_delivery(&mut events).await {
            let (i, r) = correlator.receipt(receipt).expect("every receipt matches");
            assert_eq!(r.status, DeliveryStatus::Delivered);
            matched[i] = true;
        }
    }
    assert_eq!(correlator.pending(), 0);
    assert_eq!(correlator.parked(), 0);
    client.shutdown().await;
}

#[tokio::test]
async fn a_receipt_that_overtakes_its_submit_sm_resp_still_correlates() {
    bounded(20, async {
        let behaviour = Behaviour {
            receipt_before_response: true,
            response_delay: Duration::from_millis(20),
            ..quick()
        };
        correlate_all(behaviour, MsgIdMatching::Auto, 50).await;
    })
    .await;
}

#[tokio::test]
async fn hex_decimal_and_zero_padded_ids_correlate() {
    bounded(30, async {
        let formats = [
            (
                IdFormat::Hex,
                IdFormat::Decimal,
                MsgIdMatching::SubmitHexReceiptDecimal,
            ),
            (
                IdFormat::Decimal,
                IdFormat::Hex,
                MsgIdMatching::SubmitDecimalReceiptHex,
            ),
            (
                IdFormat::ZeroPadded { width: 12 },
                IdFormat::Decimal,
                MsgIdMatching::IgnoreLeadingZeros,
            ),
            (
                IdFormat::Decimal,
                IdFormat::ZeroPadded { width: 12 },
                MsgIdMatching::IgnoreLeadingZeros,
            ),
        ];
        for (response_id, receipt_id, specific) in formats {
            for (matching, tlvs) in [(specific, true), (MsgIdMatching::Auto, false)] {
                let behaviour = Behaviour {
                    response_id,
                    receipt_id,
                    receipt_tlvs: tlvs,
                    ..quick()
                };
                correlate_all(behaviour, matching, 20).await;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn throttled_submits_are_retried_until_accepted() {
    bounded(30, async {
        let sim = simulator(Behaviour {
            reject_percent: 30,
            reject_status: ESME_RTHROTTLED,
            ..quick()
        })
        .await;
        let (client, _events) = connect(client_config(&sim)).await;
        let reqs: Vec<SubmitRequest> = (0..100)
            .map(|i| parts(&format!("8529{i:07}"), "throttle")[0].clone())
            .collect();
        let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, Ok(SubmitOutcome::Accepted { .. }))));
        let stats = sim.stats();
        assert_eq!(stats.accepted, 100);
        assert!(stats.rejected >= 30, "{} throttled", stats.rejected);
        assert_eq!(stats.duplicates, 0, "a throttled submit is not a duplicate");
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn persistent_throttling_is_reported_as_deferred() {
    bounded(20, async {
        let sim = simulator(Behaviour {
            reject_percent: 100,
            reject_status: ESME_RTHROTTLED,
            ..quick()
        })
        .await;
        let mut config = client_config(&sim);
        config.max_deferrals = 3;
        config.throttle_backoff = Duration::from_millis(1);
        let (client, _events) = connect(config).await;
        let outcome = client.submit(&parts("85291234567", "x")[0]).await;
        assert_eq!(
            outcome,
            Ok(SubmitOutcome::Deferred {
                command_status: ESME_RTHROTTLED
            })
        );
        assert_eq!(sim.stats().rejected, 4);
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn rejected_submits_are_reported_as_rejected_and_get_no_receipt() {
    bounded(20, async {
        let sim = simulator(Behaviour {
            reject_percent: 100,
            reject_status: 0x45, // ESME_RSUBMITFAIL
            ..quick()
        })
        .await;
        let (client, mut events) = connect(client_config(&sim)).await;
        let outcome = client.submit(&parts("85291234567", "no")[0]).await;
        assert_eq!(
            outcome,
            Ok(SubmitOutcome::Rejected {
                command_status: 0x45
            })
        );
        assert_eq!(
            smpp::client::rejection_error(0x45),
            ErrorCode::OperatorRejected
        );
        assert!(
            ErrorCode::OperatorRejected.never_handed_over(),
            "so it is not charged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!matches!(events.try_recv(), Ok(Event::Receipt { .. })));
        assert_eq!(sim.stats().receipts_sent, 0);
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn enquire_link_works_both_ways() {
    bounded(20, async {
        // The client only asks when the link has been idle for its interval, so the simulator
        // must leave it idle that long between its own enquiries.
        let sim = simulator(Behaviour {
            enquire_link_every: Some(Duration::from_millis(150)),
            ..quick()
        })
        .await;
        let mut config = client_config(&sim);
        config.enquire_link_interval = Duration::from_millis(40);
        let (client, _events) = connect(config).await;
        until_stats(&sim, |s| s.enquire_links >= 2 && s.enquire_link_resps >= 2).await;
        assert!(client.is_bound());
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn an_mo_message_reaches_the_client_as_an_event() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, mut events) = connect(client_config(&sim)).await;
        sim.inject_mo(MoRequest {
            from: "85291234567".into(),
            to: "85250000000".into(),
            text: "STOP 退訂".into(),
            system_id: Some(common::SYSTEM_ID.into()),
        })
        .expect("a bound receiver");
        match next_delivery(&mut events).await {
            Event::Mo { message, ack } => {
                assert_eq!(message.text, "STOP 退訂");
                assert_eq!(message.from, "85291234567");
                assert_eq!(message.to, "85250000000");
                ack.ack();
            }
            other => panic!("{other:?}"),
        }
        until_stats(&sim, |s| s.mo_acked == 1).await;
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_simulator_accepts_store_and_forward_esm_classes() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, _events) = connect(client_config(&sim)).await;
        let long = "y".repeat(200);
        for (req, esm) in [
            (parts("85291234567", "plain")[0].clone(), 0x03u8),
            (parts("85291234568", &long)[0].clone(), 0x43),
        ] {
            let mut pdu = req.into_pdu();
            pdu.esm_class = rusmpp::values::EsmClass::from(esm);
            let outcome = client.submit(&SubmitRequest::from_pdu(pdu)).await;
            assert!(
                matches!(outcome, Ok(SubmitOutcome::Accepted { .. })),
                "{esm:#x}: {outcome:?}"
            );
        }
        let stats = sim.stats();
        assert_eq!(stats.parts[0].text, "plain");
        assert_eq!(
            stats.parts[1].concat.map(|c| (c.total, c.seq)),
            Some((2, 1))
        );
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn an_unacknowledged_receipt_is_redelivered_after_a_reconnect() {
    bounded(20, async {
        let sim = simulator(quick()).await;
        let (client, mut events) = connect(client_config(&sim)).await;
        let r = client.submit(&parts("85291234567", "again")[0]).await;
        assert!(matches!(r, Ok(SubmitOutcome::Accepted { .. })));
        // Take the receipt but answer "try later": the SMSC must keep it and send it again.
        match next_delivery(&mut events).await {
            Event::Receipt { ack, .. } => ack.retry_later(),
            other => panic!("{other:?}"),
        }
        match next_delivery(&mut events).await {
            Event::Receipt { receipt, .. } => assert_eq!(receipt.status, DeliveryStatus::Delivered),
            other => panic!("{other:?}"),
        }
        until_stats(&sim, |s| s.receipts_acked == 1 && s.receipts_sent == 2).await;
        client.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn dropped_connections_lose_no_submit_silently() {
    bounded(90, async {
        let sim = simulator(Behaviour {
            drop_every: Some(Duration::from_millis(300)),
            response_delay: Duration::from_millis(1),
            ..quick()
        })
        .await;
        let mut config = client_config(&sim);
        config.window = 50;
        // ~1 s of traffic, so the connection drops several times mid-run.
        config.max_per_second = Some(2_000.0);
        let (client, mut events) = connect(config).await;
        let counter = tokio::spawn(async move {
            let (mut bound, mut disconnected, mut receipts) = (0, 0, 0);
            while let Some(e) = events.recv().await {
                match e {
                    Event::Bound { .. } => bound += 1,
                    Event::Disconnected { .. } => disconnected += 1,
                    Event::Receipt { .. } => receipts += 1,
                    _ => {}
                }
            }
            (bound, disconnected, receipts)
        });
        let reqs: Vec<SubmitRequest> = (0..2_000)
            .map(|i| parts(&format!("8529{i:07}"), "drop")[0].clone())
            .collect();
        let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;
        let (mut accepted, mut unknown) = (0u64, 0u64);
        for o in &outcomes {
            match o {
                Ok(SubmitOutcome::Accepted { .. }) => accepted += 1,
                Ok(o) if o.is_unknown() => unknown += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!(accepted + unknown, 2_000, "every submit has an outcome");
        let stats = sim.stats();
        assert!(
            stats.dropped_connections >= 1,
            "the simulator dropped connections"
        );
        // The client never claims an acceptance the SMSC did not make.
        assert!(accepted <= stats.accepted);
        assert!(stats.accepted <= accepted + unknown);
        client.shutdown().await;
        // `connect` consumed the first Bound event: these are re-binds.
        let (rebinds, disconnected, _) = counter.await.expect("counter");
        assert!(
            rebinds >= 2,
            "reconnected ({rebinds} re-binds, {disconnected} drops)"
        );
        eprintln!(
            "2,000 submits over {} connections: {accepted} accepted, {unknown} unknown",
            rebinds + 1
        );
    })
    .await;
}

#[tokio::test]
async fn the_simulators_records_stay_within_their_limit() {
    bounded(60, async {
        let config = smpp::SimulatorConfig {
            accounts: vec![smpp::simulator::Account {
                system_id: SYSTEM_ID.into(),
                password: PASSWORD.into(),
            }],
            behaviour: quick(),
            history_limit: 100,
            ..smpp::SimulatorConfig::default()
        };
        let sim = smpp::Simulator::start(config).await.expect("simulator");
        let (client, _events) = connect(client_config(&sim)).await;
        for i in 0..1_000u32 {
            let outcome = client
                .submit(&parts(&format!("8529{:07}", i), "hello")[0])
                .await;
            assert!(matches!(outcome, Ok(SubmitOutcome::Accepted { .. })));
        }
        // A recent part sent again is still recognised as a duplicate.
        let again = client.submit(&parts("85290000999", "hello")[0]).await;
        assert!(matches!(again, Ok(SubmitOutcome::Accepted { .. })));
        let stats = sim.stats();
        assert_eq!(stats.accepted, 1_001);
        assert_eq!(stats.duplicates, 1);
        assert!(stats.parts.len() <= 110, "{} parts kept", stats.parts.len());
        assert!(
            stats.messages.len() <= 110,
            "{} messages kept",
            stats.messages.len()
        );
        assert!(stats.per_destination.len() <= 100);
        client.shutdown().await;
    })
    .await;
}

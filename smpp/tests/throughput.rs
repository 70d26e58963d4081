//! Throughput of the protocol layer: submit + receipt, client ↔ simulator on loopback.
//! Ignored by default (it is a measurement, not a check); run in release mode:
//!
//! ```text
//! cargo test --release -p smpp --test throughput -- --ignored --nocapture
//! ```

mod common;

use common::*;
use smpp::{Behaviour, Correlator, Event, MsgIdMatching, SubmitOutcome};
use std::time::{Duration, Instant};

const MESSAGES: usize = 50_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run with --release -- --ignored --nocapture"]
async fn submit_and_receipt_throughput() {
    bounded(300, async {
        let sim = simulator(Behaviour {
            receipt_delay: Duration::ZERO,
            ..Behaviour::default()
        })
        .await;
        let mut config = client_config(&sim);
        config.window = 100;
        config.event_buffer = MESSAGES;
        let (client, mut events) = connect(config).await;
        let reqs: Vec<_> = (0..MESSAGES)
            .map(|i| parts(&format!("8529{i:07}"), "throughput test message")[0].clone())
            .collect();

        let start = Instant::now();
        let receipts = tokio::spawn(async move {
            let mut n = 0;
            let mut ids = Vec::with_capacity(MESSAGES);
            while n < MESSAGES {
                match events.recv().await {
                    Some(Event::Receipt { receipt, .. }) => {
                        ids.push(receipt);
                        n += 1;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            (ids, start.elapsed())
        });
        let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;
        let submit_elapsed = start.elapsed();
        let (receipts, receipt_elapsed) = receipts.await.expect("receipts");

        // Correlate every receipt, as the dispatcher will (in memory here).
        let corr_start = Instant::now();
        let mut correlator: Correlator<usize> = Correlator::new(MsgIdMatching::Auto, MESSAGES);
        for (i, o) in outcomes.into_iter().enumerate() {
            match o {
                Ok(SubmitOutcome::Accepted { message_id }) => {
                    correlator.accepted(&message_id, i);
                }
                other => panic!("{other:?}"),
            }
        }
        let matched = receipts
            .into_iter()
            .filter(|r| correlator.receipt(r.clone()).is_some())
            .count();
        let corr_elapsed = corr_start.elapsed();
        assert_eq!(matched, MESSAGES);

        let per_sec = |d: Duration| MESSAGES as f64 / d.as_secs_f64();
        eprintln!(
            "{MESSAGES} messages: all submit_sm_resp in {:.2?} ({:.0}/s), all receipts in {:.2?} \
             ({:.0} submit+receipt/s); correlating {MESSAGES} receipts took {:.2?}",
            submit_elapsed,
            per_sec(submit_elapsed),
            receipt_elapsed,
            per_sec(receipt_elapsed),
            corr_elapsed
        );
        client.shutdown().await;
    })
    .await;
}

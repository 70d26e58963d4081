//! The callback outbox against every backend: which messages move in and when, once each; the
//! claim lease; back-off, delivery and giving up; the signing secret; account scoping.

use super::*;
use crate::db::testing::all_backends;
use crate::delivery::store::{create_batch, NewBatch, Unsent};
use crate::testing::{count, fixture, HK_BUSINESS_PRICE};
use sms::{DeliveryStatus, Route};

const URL: &str = "https://acme.example/status";

async fn batch(db: &Db, account: i64, first: u64, n: u64, url: Option<&str>) -> Vec<i64> {
    let numbers = (first..first + n).map(|i| (format!("8529{i:07}"), HK_BUSINESS_PRICE));
    let mut refused = Unsent::do_not_call("123".into());
    refused.status = DeliveryStatus::UploadFailed;
    let batch = NewBatch {
        callback_url: url.map(str::to_string),
        unsent: vec![Unsent::do_not_call(format!("8526{first:07}")), refused],
        ..NewBatch::on_route(account, Route::HkBusiness, "status please", numbers)
    };
    let id = create_batch(db, &batch).await.expect("batch");
    sqlx::query_scalar("SELECT id FROM messages WHERE batch_id = $1 AND status <> $2 ORDER BY id")
        .bind(id)
        .bind(i64::from(DeliveryStatus::UploadFailed))
        .fetch_all(db.pool())
        .await
        .expect("ids")
}

/// Gives messages a final status, as a receipt would.
async fn finish(db: &Db, ids: &[i64], status: DeliveryStatus) {
    sqlx::query(&format!(
        "UPDATE messages SET status = $1, done_at = $2 WHERE id IN ({})",
        id_list(ids)
    ))
    .bind(i64::from(status))
    .bind(now_ms())
    .execute(db.pool())
    .await
    .expect("finish");
}

async fn queued(db: &Db) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT message_id, url FROM status_callbacks ORDER BY message_id")
        .fetch_all(db.pool())
        .await
        .expect("queued")
}

#[tokio::test]
async fn a_message_is_queued_once_when_final_and_only_with_a_url() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let ids = batch(&t.db, f.customer, 0, 2, Some(URL)).await;
        // The sent numbers come first, not final yet; then the do-not-call one, final at intake.
        let (sent, dnc) = (&ids[..2], ids[2]);
        batch(&t.db, f.customer, 100, 2, None).await;
        assert_eq!(enqueue_finished(&t.db, 100).await.expect("enqueue"), 1);
        assert_eq!(queued(&t.db).await, vec![(dnc, URL.to_string())]);

        finish(&t.db, &sent[..1], DeliveryStatus::Delivered).await;
        finish(&t.db, &sent[1..], DeliveryStatus::Retry).await;
        assert_eq!(enqueue_finished(&t.db, 100).await.expect("enqueue"), 1);
        assert_eq!(enqueue_finished(&t.db, 100).await.expect("again"), 0);
        finish(&t.db, &sent[1..], DeliveryStatus::Expired).await;
        assert_eq!(enqueue_finished(&t.db, 1).await.expect("last"), 1);
        let all: Vec<i64> = queued(&t.db).await.into_iter().map(|(m, _)| m).collect();
        assert_eq!(all, ids, "{}: every message with an id, once", t.name);
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM messages WHERE callback_pending = $1",
                1
            )
            .await,
            0
        );
    }
}

#[tokio::test]
async fn a_claim_leases_and_attempts_back_off_then_deliver_or_give_up() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let ids = batch(&t.db, f.customer, 0, 2, Some(URL)).await;
        finish(&t.db, &ids, DeliveryStatus::Delivered).await;
        enqueue_finished(&t.db, 100).await.expect("enqueue");

        let due = claim_due(&t.db, 10, 60_000).await.expect("claim");
        assert_eq!(due.len(), 3, "{}", t.name);
        assert!(due
            .iter()
            .all(|d| d.account_id == f.customer && d.attempts == 0));
        assert!(claim_due(&t.db, 10, 60_000)
            .await
            .expect("leased")
            .is_empty());

        let policy = RetryPolicy {
            first_retry_ms: 0,
            ..RetryPolicy::default()
        };
        let results = vec![
            (due[0].clone(), Attempt::Failed("HTTP 503".into())),
            (due[1].clone(), Attempt::Delivered("HTTP 204".into())),
            (
                due[2].clone(),
                Attempt::Abandoned("the message is gone".into()),
            ),
        ];
        record(&t.db, &policy, &results).await.expect("record");
        let rows = recent(&t.db, f.customer, 10).await.expect("recent");
        let by_id = |id: i64| rows.iter().find(|r| r.id == id).expect("row").clone();
        let failed = by_id(due[0].id);
        assert_eq!(
            (failed.state, failed.attempts, failed.last_result.as_deref()),
            (CallbackState::Waiting, 1, Some("HTTP 503"))
        );
        assert_eq!(by_id(due[1].id).state, CallbackState::Delivered);
        assert!(by_id(due[1].id).delivered_at.is_some());
        assert_eq!(by_id(due[2].id).state, CallbackState::GaveUp);
        assert_eq!(
            counts(&t.db, f.customer).await.expect("counts"),
            CallbackCounts {
                waiting: 1,
                delivered: 1,
                gave_up: 1
            }
        );

        // Due again as soon as its retry time has come (first retry 0 ms, which the policy
        // makes 1 ms so the back-off can double): claimed only once that millisecond is past,
        // which on a fast machine is not yet the case right after recording.
        while crate::db::now_ms() < failed.next_attempt_at {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let again = claim_due(&t.db, 10, 60_000).await.expect("retry");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);
        let expired = RetryPolicy {
            give_up_after_ms: 0,
            ..policy
        };
        record(
            &t.db,
            &expired,
            &[(again[0].clone(), Attempt::Failed("HTTP 500".into()))],
        )
        .await
        .expect("record");
        assert_eq!(counts(&t.db, f.customer).await.expect("counts").gave_up, 2);
        assert!(claim_due(&t.db, 10, 0).await.expect("none").is_empty());

        // Another account sees none of it.
        assert!(recent(&t.db, f.sub_account, 10)
            .await
            .expect("other")
            .is_empty());
        assert_eq!(
            counts(&t.db, f.sub_account).await.expect("other"),
            CallbackCounts::default()
        );
    }
}

#[tokio::test]
async fn the_secret_is_made_once_and_rotates() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let first = secret(&t.db, f.customer).await.expect("secret");
        assert!(first.starts_with("whsec_") && first.len() == 6 + 64);
        assert_eq!(secret(&t.db, f.customer).await.expect("again"), first);
        assert_ne!(secret(&t.db, f.sub_account).await.expect("other"), first);
        let rotated = rotate_secret(&t.db, f.customer).await.expect("rotate");
        assert_ne!(rotated, first);
        assert_eq!(secret(&t.db, f.customer).await.expect("new"), rotated);
        assert!(secret(&t.db, 999_999).await.is_err());
    }
}

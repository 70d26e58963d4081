//! Idempotency across a crash (issue 14, "nothing doubled"): a process that stored the batch and
//! died before keeping its answer leaves an unanswered claim; the retry that takes it over finds
//! the batch (stored with the claim's reference in its own transaction) and answers that the
//! request was carried out, rather than sending again. On SQLite and PostgreSQL.

mod common;

use common::api::{batches, customer_with_key, send};
use engine::db::testing::all_backends;
use engine::idempotency::ABANDONED_AFTER_MS;
use http::StatusCode;
use sms::Money;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_answer_was_lost_finds_the_batch_and_sends_nothing_again() {
    for t in all_backends().await {
        let (api, account) = customer_with_key(&t, "crashidem", Money::hkd(100)).await;
        let body = send(&["91234567"]).to_string();
        let key = [("Idempotency-Key", "order-4711")];
        let first = api
            .call("POST", "/api/v1/messages", Some(&body), &key)
            .await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.json);
        let batch_id = first.json["batch_id"].as_i64().expect("batch id");
        let before = batches(&t, account).await;

        // What a crash between the batch's commit and the answer's leaves: a claim with no
        // answer, older than any request can take.
        sqlx::query(
            "UPDATE idempotent_requests SET status = NULL, body = NULL, created_at = created_at - $1",
        )
        .bind(ABANDONED_AFTER_MS + 1)
        .execute(t.db.pool())
        .await
        .expect("lose the answer");

        for attempt in 1..=2 {
            let retry = api
                .call("POST", "/api/v1/messages", Some(&body), &key)
                .await;
            assert_eq!(
                retry.status,
                StatusCode::CONFLICT,
                "{}: {}",
                t.name,
                retry.json
            );
            assert_eq!(retry.json["error"]["code"], "request_carried_out");
            assert_eq!(
                retry.json["error"]["batch_id"], batch_id,
                "attempt {attempt}"
            );
            assert_eq!(
                batches(&t, account).await,
                before,
                "{}: nothing sent again",
                t.name
            );
        }

        // An unanswered claim whose request never reached the database is carried out.
        let other = send(&["91234568"]).to_string();
        let key2 = [("Idempotency-Key", "order-4712")];
        sqlx::query(
            "INSERT INTO idempotent_requests (api_key_id, idempotency_key, request_hash, created_at) \
             SELECT api_key_id, 'order-4712', request_hash, created_at - $1 FROM idempotent_requests WHERE idempotency_key = 'order-4711'",
        )
        .bind(ABANDONED_AFTER_MS + 1)
        .execute(t.db.pool())
        .await
        .expect("a dead claim");
        // The copied hash is the first request's: the other body is a different request.
        let refused = api
            .call("POST", "/api/v1/messages", Some(&other), &key2)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.json
        );
        let sent = api
            .call("POST", "/api/v1/messages", Some(&body), &key2)
            .await;
        assert_eq!(
            sent.status,
            StatusCode::CREATED,
            "{}: {}",
            t.name,
            sent.json
        );
        assert_eq!(batches(&t, account).await, before + 1);
    }
}

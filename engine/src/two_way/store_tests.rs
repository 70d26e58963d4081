//! Replies against every backend: routing by number and keyword, linking to the last message
//! sent, parts in any order and once each, a part that never comes, redelivery counted once,
//! STOP, callbacks queued, unrouted replies, numbers assigned and released with history, and
//! one account never seeing another's replies.

use super::store::*;
use super::*;
use crate::db::testing::all_backends;
use crate::db::Db;
use crate::delivery::store::{create_batch, NewBatch};
use crate::testing::{audit_entries, count, fixture, HK_BUSINESS_PRICE};
use sms::Route;

const INBOUND: &str = "85260001111";

fn part(sender: &str, text: &str) -> IncomingPart {
    IncomingPart {
        smsc: "op1".into(),
        sender: sender.into(),
        recipient: INBOUND.into(),
        data_coding: 0,
        body: smpp::gsm7::encode(text).expect("gsm7"),
        concat: None,
    }
}

fn ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

async fn stored(db: &Db, settings: &TwoWaySettings, parts: &[IncomingPart]) -> Vec<Received> {
    receive(db, settings, parts.to_vec())
        .await
        .expect("receive")
}

fn id_of(r: Received) -> i64 {
    match r {
        Received::Stored(id) | Received::Again(id) => id,
        Received::PartWaiting => panic!("still waiting"),
    }
}

#[tokio::test]
async fn a_reply_is_routed_linked_called_back_and_seen_only_by_its_account() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let f = fixture(db).await;
        let settings = TwoWaySettings::default();
        assign_number(db, f.staff, f.customer, "+852 6000 1111", "")
            .await
            .expect("assign");
        let batch = NewBatch::on_route(
            f.customer,
            Route::HkBusiness,
            "Reply YES to confirm",
            vec![("85291234567".to_string(), HK_BUSINESS_PRICE)],
        );
        create_batch(db, &batch).await.expect("batch");
        let sent: i64 = count(
            db,
            "SELECT MAX(id) FROM messages WHERE account_id = $1",
            f.customer,
        )
        .await;
        sqlx::query(
            "UPDATE accounts SET callback_url = 'https://acme.example/replies' WHERE id = $1",
        )
        .bind(f.customer)
        .execute(db.pool())
        .await
        .expect("url");

        // The handset's number as the operator writes it (local form) still links.
        let id = id_of(stored(db, &settings, &[part("91234567", "YES")]).await[0]);
        let reply = reply(db, f.customer, id).await.expect("reply");
        assert_eq!(reply.sender, "85291234567", "{ctx}");
        assert_eq!(reply.recipient, INBOUND, "{ctx}");
        assert_eq!(reply.text, "YES", "{ctx}");
        assert_eq!(reply.in_reply_to, Some(sent), "{ctx}");
        assert!(!reply.read && !reply.opted_out, "{ctx}");
        assert_eq!(
            unread_count(db, f.customer).await.expect("unread"),
            1,
            "{ctx}"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM status_callbacks WHERE reply_id = $1 AND url = 'https://acme.example/replies'", id).await,
            1,
            "{ctx}: the callback is queued with the reply"
        );

        // The sub-account (another account) sees none of it.
        assert!(
            matches!(
                reply_of(db, f.sub_account, id).await,
                Err(crate::Error::NotFound)
            ),
            "{ctx}"
        );
        let listed = replies(
            db,
            f.sub_account,
            &ReplyFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("list");
        assert!(listed.is_empty(), "{ctx}");
        assert_eq!(
            unread_count(db, f.sub_account).await.expect("unread"),
            0,
            "{ctx}"
        );

        // Search by number and period; the conversation has both directions in order.
        let found = replies(
            db,
            f.customer,
            &ReplyFilter {
                sender: Some("+852 9123 4567".into()),
                from_ms: Some(reply.received_at),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("search");
        assert_eq!(found.len(), 1, "{ctx}");
        let talk = conversation(db, f.customer, "91234567", 50)
            .await
            .expect("conversation");
        assert!(
            matches!(&talk[0], ConversationLine::Sent { text, .. } if text == "Reply YES to confirm"),
            "{ctx}: {talk:?}"
        );
        assert!(
            matches!(&talk[1], ConversationLine::Received(r) if r.id == id),
            "{ctx}"
        );
        assert_eq!(
            mark_read(db, f.customer, Some("91234567"))
                .await
                .expect("read"),
            1,
            "{ctx}"
        );
        assert_eq!(
            unread_count(db, f.customer).await.expect("unread"),
            0,
            "{ctx}"
        );
    }
}

async fn reply_of(db: &Db, account: i64, id: i64) -> Result<Reply, crate::Error> {
    reply(db, account, id).await
}

#[tokio::test]
async fn parts_in_any_order_make_one_reply_once_even_split_inside_a_character() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let f = fixture(db).await;
        let settings = TwoWaySettings::default();
        assign_number(db, f.staff, f.customer, INBOUND, "")
            .await
            .expect("assign");
        // "Hi 😀 there": the emoji's surrogate pair is split between parts 1 and 2.
        let bytes = ucs2("Hi 😀 there");
        let (a, rest) = bytes.split_at(8);
        let (b, c) = rest.split_at(6);
        let piece = |seq: u8, body: &[u8]| IncomingPart {
            data_coding: 8,
            body: body.to_vec(),
            concat: Some((300, 3, seq)),
            ..part("85291234567", "")
        };
        let first = stored(db, &settings, &[piece(3, c), piece(1, a)]).await;
        assert_eq!(
            first,
            vec![Received::PartWaiting, Received::PartWaiting],
            "{ctx}"
        );
        // Part 1 again (the SMSC did not get our answer), then the last one.
        let last = stored(db, &settings, &[piece(1, a), piece(2, b)]).await;
        assert_eq!(last[0], Received::PartWaiting, "{ctx}");
        let reply = reply(db, f.customer, id_of(last[1])).await.expect("reply");
        assert_eq!(reply.text, "Hi 😀 there", "{ctx}");
        assert_eq!((reply.parts, reply.missing_parts), (3, 0), "{ctx}");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM reply_parts WHERE total = $1", 3).await,
            0,
            "{ctx}"
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM replies WHERE account_id = $1",
                f.customer
            )
            .await,
            1,
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn a_part_that_never_comes_is_marked_once_the_timeout_passes() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let f = fixture(db).await;
        assign_number(db, f.staff, f.customer, INBOUND, "")
            .await
            .expect("assign");
        let waiting = TwoWaySettings::default();
        let piece = |seq: u8, text: &str| IncomingPart {
            concat: Some((9, 3, seq)),
            ..part("85291234567", text)
        };
        stored(
            db,
            &waiting,
            &[piece(1, "Part one, "), piece(3, "part three")],
        )
        .await;
        assert_eq!(
            store_timed_out_parts(db, &waiting).await.expect("sweep"),
            0,
            "{ctx}: not yet"
        );
        let expired = TwoWaySettings {
            part_timeout_ms: 0,
            ..TwoWaySettings::default()
        };
        assert_eq!(
            store_timed_out_parts(db, &expired).await.expect("sweep"),
            1,
            "{ctx}"
        );
        let all = replies(
            db,
            f.customer,
            &ReplyFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("list");
        assert_eq!(all.len(), 1, "{ctx}");
        assert_eq!(
            all[0].text,
            format!("Part one, {MISSING_PART}part three"),
            "{ctx}"
        );
        assert_eq!((all[0].parts, all[0].missing_parts), (3, 1), "{ctx}");
        // The missing part arriving after that starts a new wait, and never a second copy of
        // the parts already stored.
        assert_eq!(
            store_timed_out_parts(db, &expired).await.expect("sweep"),
            0,
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn a_reply_delivered_again_is_counted_once_and_stop_opts_the_sender_out() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let f = fixture(db).await;
        let settings = TwoWaySettings::default();
        assign_number(db, f.staff, f.customer, INBOUND, "")
            .await
            .expect("assign");
        sqlx::query(
            "UPDATE accounts SET callback_url = 'https://acme.example/replies' WHERE id = $1",
        )
        .bind(f.customer)
        .execute(db.pool())
        .await
        .expect("url");
        let stop = part("85291234567", "Stop.");
        let first = stored(db, &settings, std::slice::from_ref(&stop)).await[0];
        let again = stored(db, &settings, &[stop]).await[0];
        assert!(matches!(first, Received::Stored(_)), "{ctx}");
        assert_eq!(again, Received::Again(id_of(first)), "{ctx}");
        let reply = reply(db, f.customer, id_of(first)).await.expect("reply");
        assert_eq!(reply.copies, 2, "{ctx}");
        assert!(reply.opted_out, "{ctx}");
        let numbers = vec!["85291234567".to_string(), "85261234567".to_string()];
        let out = opted_out_among(db, f.customer, &numbers)
            .await
            .expect("opt-outs");
        assert_eq!(
            out.into_iter().collect::<Vec<_>>(),
            vec!["85291234567".to_string()],
            "{ctx}"
        );
        assert!(
            opted_out_among(db, f.sub_account, &numbers)
                .await
                .expect("opt-outs")
                .is_empty(),
            "{ctx}: the account's own list"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM status_callbacks WHERE account_id = $1 AND reply_id IS NOT NULL", f.customer).await,
            1,
            "{ctx}: one callback for the two copies"
        );
        // 退訂 in UCS-2 from another handset opts it out too.
        let tui = IncomingPart {
            data_coding: 8,
            body: ucs2("退訂"),
            ..part("85261234567", "")
        };
        stored(db, &settings, &[tui]).await;
        assert_eq!(
            opt_outs(db, f.customer, 10).await.expect("list").len(),
            2,
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn keywords_route_first_unassigned_numbers_go_to_staff_and_history_is_kept() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let f = fixture(db).await;
        let settings = TwoWaySettings::default();
        let whole = assign_number(db, f.staff, f.customer, INBOUND, "")
            .await
            .expect("assign");
        assign_number(db, f.staff, f.sub_account, INBOUND, "join")
            .await
            .expect("keyword");
        let conflict = assign_number(db, f.staff, f.sub_account, "+85260001111", "").await;
        assert!(
            matches!(conflict, Err(crate::Error::Conflict(ref m)) if m.contains("release it")),
            "{ctx}: {conflict:?}"
        );
        assert!(
            matches!(
                assign_number(db, f.staff, f.staff, "5001", "").await,
                Err(crate::Error::Invalid(_))
            ),
            "{ctx}: staff are not customers"
        );

        let out = stored(
            db,
            &settings,
            &[
                part("85291234567", "Join now"),
                part("85291234567", "Hello"),
            ],
        )
        .await;
        let joined = id_of(out[0]);
        let hello = id_of(out[1]);
        assert!(
            reply(db, f.sub_account, joined).await.is_ok(),
            "{ctx}: keyword"
        );
        assert!(
            reply(db, f.customer, hello).await.is_ok(),
            "{ctx}: the whole number"
        );

        release_number(db, f.staff, whole).await.expect("release");
        let lost = id_of(
            stored(
                db,
                &settings,
                &[part("85291234567", "Anyone there? It's about my order")],
            )
            .await[0],
        );
        let unrouted = unrouted(db, 10).await.expect("unrouted");
        assert_eq!(unrouted.len(), 1, "{ctx}");
        assert_eq!(unrouted[0].id, lost, "{ctx}");
        assert_eq!(
            unrouted[0].masked_text, "Anyon…",
            "{ctx}: staff see 5 characters"
        );
        assert!(reply(db, f.customer, lost).await.is_err(), "{ctx}");

        let history = numbers(db, None).await.expect("numbers");
        assert_eq!(history.len(), 2, "{ctx}");
        assert!(history[0].released_at.is_none(), "{ctx}: current first");
        assert!(
            history[1].released_at.is_some() && history[1].released_by.is_some(),
            "{ctx}"
        );
        assert_eq!(
            numbers(db, Some(f.sub_account)).await.expect("own").len(),
            1,
            "{ctx}"
        );
        let actions: Vec<String> = audit_entries(db).await.into_iter().map(|e| e.0).collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| a.starts_with("inbound_number."))
                .count(),
            3,
            "{ctx}: {actions:?}"
        );
        // Reassigned after release.
        assign_number(db, f.staff, f.sub_account, INBOUND, "")
            .await
            .expect("again");
    }
}

#[tokio::test]
async fn retention_removes_old_replies_and_their_callbacks_but_keeps_the_opt_out() {
    for t in all_backends().await {
        let ctx = t.name.as_str();
        let db = &t.db;
        let f = fixture(db).await;
        let settings = TwoWaySettings::default();
        assign_number(db, f.staff, f.customer, INBOUND, "")
            .await
            .expect("assign");
        sqlx::query("UPDATE accounts SET callback_url = 'https://acme.example/r' WHERE id = $1")
            .bind(f.customer)
            .execute(db.pool())
            .await
            .expect("url");
        let old = id_of(stored(db, &settings, &[part("85291234567", "STOP")]).await[0]);
        let new = id_of(stored(db, &settings, &[part("85261234567", "Thanks")]).await[0]);
        let now = crate::db::now_ms();
        sqlx::query("UPDATE replies SET received_at = $1 WHERE id = $2")
            .bind(now - 100 * 86_400_000)
            .bind(old)
            .execute(db.pool())
            .await
            .expect("age");
        let purged = crate::retention::purge(
            db,
            crate::retention::cutoff(now, 2),
            1_000,
            std::time::Duration::ZERO,
        )
        .await
        .expect("purge");
        assert_eq!(purged.replies, 1, "{ctx}");
        assert!(reply(db, f.customer, old).await.is_err(), "{ctx}");
        assert!(reply(db, f.customer, new).await.is_ok(), "{ctx}");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM status_callbacks WHERE reply_id = $1",
                old
            )
            .await,
            0,
            "{ctx}"
        );
        assert_eq!(
            opted_out_among(db, f.customer, &["85291234567".to_string()])
                .await
                .expect("opt-outs")
                .len(),
            1,
            "{ctx}: the opt-out outlives the reply"
        );
    }
}

#[tokio::test]
async fn the_export_pages_oldest_first_with_the_search_applied() {
    let t = crate::db::testing::sqlite().await;
    let db = &t.db;
    let f = fixture(db).await;
    let settings = TwoWaySettings::default();
    assign_number(db, f.staff, f.customer, INBOUND, "")
        .await
        .expect("assign");
    for i in 0..5 {
        let sender = if i % 2 == 0 {
            "85291234567"
        } else {
            "85261234567"
        };
        stored(db, &settings, &[part(sender, &format!("reply {i}"))]).await;
    }
    let filter = ReplyFilter {
        sender: Some("9123 4567".into()),
        limit: 2,
        ..ReplyFilter::default()
    };
    let first = replies_after(db, f.customer, &filter, 0)
        .await
        .expect("page");
    let texts: Vec<&str> = first.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts, ["reply 0", "reply 2"]);
    let next = replies_after(db, f.customer, &filter, first[1].id)
        .await
        .expect("page");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].text, "reply 4");
    let newest = replies(
        db,
        f.customer,
        &ReplyFilter {
            limit: 2,
            ..ReplyFilter::default()
        },
    )
    .await
    .expect("newest");
    assert_eq!(
        newest.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
        ["reply 4", "reply 3"]
    );
}

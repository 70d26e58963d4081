//! `broadcast::store` against every backend (§4–§7, §14): the composer's setup, the server's
//! check and price, and submission with an explicit [`Sender`]: cost, balance, rows, sender
//! IDs, trial accounts.

use super::*;
use crate::broadcast::{compose, ClientFigures, Purpose};
use crate::db::testing::all_backends;
use sms::DeliveryStatus;

// The stored numbers, as the rows below read them back.
const UPLOAD_SUCCESS: i64 = DeliveryStatus::UploadSuccess.code() as i64;
const UPLOAD_FAILED: i64 = DeliveryStatus::UploadFailed.code() as i64;
const UNDELIVERABLE: i64 = DeliveryStatus::Undeliverable.code() as i64;
use crate::testing::{
    balance, count, customer, fixture, staff, verified_trial, CHINA_PRICE, CUSTOMER_BALANCE,
    HK_BUSINESS_PRICE, HK_ECONOMIC_PRICE, INTERNATIONAL_PRICE, MACAU_PRICE, MOBILE, SENDER_ID,
    SUB_ACCOUNT_BALANCE,
};
use sqlx::Row;

const DEFAULT_SIGNATURE: &str = "Ferry";

fn sender(db: &Db, account_id: i64) -> Sender<'_> {
    Sender {
        db,
        account_id,
        default_china_signature: DEFAULT_SIGNATURE,
    }
}

/// What the composer would send for `text` to `recipients` on the Hong Kong `route`, with the
/// figures the page shows (the price list's general price of that route).
fn submission(route: Route, text: &str, recipients: &str) -> Submission {
    let c = compose(text, None);
    Submission {
        route,
        purpose: Some(Purpose::Notification),
        text: text.into(),
        recipients: recipients.into(),
        client: Some(ClientFigures {
            encoding: c.standard.segmentation.encoding,
            parts: c.standard.parts().unwrap_or(1),
            china_parts: None,
            unit_price: match route {
                Route::HkBusiness => HK_BUSINESS_PRICE,
                _ => HK_ECONOMIC_PRICE,
            },
        }),
        filter_dnc: false,
        default_country_code: None,
    }
}

/// `n` distinct Hong Kong mobiles, one per line.
fn hk_numbers(n: usize) -> String {
    (0..n)
        .map(|i| format!("9123 {:04}", 1000 + i))
        .collect::<Vec<_>>()
        .join("\n")
}

fn money(minor: i64) -> Money {
    Money::from_minor(minor)
}

/// A batch's messages in row order: destination, status, error code, input row, reason,
/// parts and unit price.
type MessageRow = (
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

/// An unsent message: destination, status, error code, input row, unit price.
type UnsentRow<'a> = (&'a str, i64, Option<i64>, Option<i64>, i64);

async fn messages(db: &Db, batch_id: i64) -> Vec<MessageRow> {
    sqlx::query_as(
        "SELECT destination, status, error_code, input_row, reason, parts, unit_price_minor \
         FROM messages WHERE batch_id = $1 ORDER BY id",
    )
    .bind(batch_id)
    .fetch_all(db.pool())
    .await
    .expect("messages")
}

/// Everything a refused submission must leave untouched for `account_id`: its batches,
/// messages, hold, balance and ledger entries.
async fn footprint(db: &Db, account_id: i64) -> (i64, i64, i64, Money, i64) {
    (
        count(db, "SELECT COUNT(*) FROM batches WHERE account_id = $1 AND purpose <> 'verification'", account_id).await,
        count(db, "SELECT COUNT(*) FROM messages m JOIN batches b ON b.id = m.batch_id WHERE m.account_id = $1 AND b.purpose <> 'verification'", account_id).await,
        count(db, "SELECT held_minor FROM accounts WHERE id = $1", account_id).await,
        balance(db, account_id).await,
        count(db, "SELECT COUNT(*) FROM ledger_entries WHERE account_id = $1", account_id).await,
    )
}

#[tokio::test]
async fn setup_gives_each_account_its_own_sender_ids_balance_and_prices() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = setup(&sender(&t.db, f.customer)).await.expect("setup");
        assert_eq!(s.sender_ids, [SENDER_ID], "{}", t.name);
        assert_eq!(s.balance, CUSTOMER_BALANCE, "{}", t.name);
        assert!(!s.is_trial, "{}", t.name);
        assert_eq!(s.registered_mobile, MOBILE);
        assert_eq!(s.default_country_code, 852);
        assert_eq!(s.china_signature, DEFAULT_SIGNATURE, "{}", t.name);
        assert!(!s.has_custom_china_signature);
        assert_eq!(
            s.prices.base_price(Route::HkBusiness),
            Some(HK_BUSINESS_PRICE)
        );
        assert_eq!(
            s.prices.base_price(Route::HkEconomic),
            Some(HK_ECONOMIC_PRICE)
        );
        assert!(
            !s.china_keywords.is_empty(),
            "{}: the seeded library",
            t.name
        );

        let sub = setup(&sender(&t.db, f.sub_account)).await.expect("setup");
        assert!(sub.sender_ids.is_empty(), "{}: not the primary's", t.name);
        assert_eq!(sub.balance, SUB_ACCOUNT_BALANCE, "{}", t.name);

        let id = crate::sender_ids::store::list(&t.db, f.customer, true)
            .await
            .expect("list")[0]
            .id;
        crate::sender_ids::store::retire(&t.db, f.staff, id)
            .await
            .expect("retire");
        let s = setup(&sender(&t.db, f.customer)).await.expect("setup");
        assert!(
            s.sender_ids.is_empty(),
            "{}: a retired ID is not offered",
            t.name
        );
        assert_eq!(
            setup(&sender(&t.db, f.customer + 1000)).await.map(|_| ()),
            Err(Error::NotFound),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn the_cost_is_parts_times_each_recipients_price_on_its_own_route() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = sender(&t.db, f.customer);
        // 200 GSM-7 characters: 2 parts on Hong Kong and international routes.
        let text = "a".repeat(200);
        let c = check(&s, submission(Route::HkBusiness, &text, &hk_numbers(3)))
            .await
            .expect("check");
        assert_eq!((c.units, c.parts, c.recipients), (200, 2, 3), "{}", t.name);
        assert_eq!(c.unit_price, HK_BUSINESS_PRICE);
        assert_eq!(
            c.total,
            money(3 * 2 * HK_BUSINESS_PRICE.minor()),
            "{}",
            t.name
        );
        assert_eq!(c.balance, CUSTOMER_BALANCE);
        assert_eq!(c.shortfall, None);
        assert_eq!(c.routes.len(), 1, "{}", t.name);
        assert_eq!(
            (c.routes[0].route, c.routes[0].recipients, c.routes[0].parts),
            (Route::HkBusiness, 3, 2)
        );

        // One batch, four routes, each number at its own route's price (§3, §5): Hong Kong
        // on Economic, Macau (+853, its own International price), Japan (International's
        // general price) and the mainland (China, signature and suffix added).
        let text = "Your parcel is ready for collection";
        let list = "9123 4567\n+853 6612 3456\n+81 90 1234 5678\n+86 138 0013 8000";
        let p = check_and_price(&s, &submission(Route::HkEconomic, text, list))
            .await
            .expect("check");
        let got: Vec<(&str, Route, u8, Money)> = p
            .recipients
            .iter()
            .map(|r| (r.number.as_str(), r.route, r.parts, r.unit_price))
            .collect();
        assert_eq!(
            got,
            [
                ("85291234567", Route::HkEconomic, 1, HK_ECONOMIC_PRICE),
                ("85366123456", Route::International, 1, MACAU_PRICE),
                ("819012345678", Route::International, 1, INTERNATIONAL_PRICE),
                ("8613800138000", Route::China, 1, CHINA_PRICE),
            ],
            "{}",
            t.name
        );
        assert_eq!(
            p.check.total,
            money(
                HK_ECONOMIC_PRICE.minor()
                    + MACAU_PRICE.minor()
                    + INTERNATIONAL_PRICE.minor()
                    + CHINA_PRICE.minor()
            ),
            "{}",
            t.name
        );
        let china_text = p.check.china_text.expect("mainland text");
        assert!(
            china_text.starts_with("[Ferry]") && china_text.contains(text),
            "{china_text}"
        );

        // The stored batch carries the same figures, and nothing is charged before sending.
        let writer = BatchWriter::start(t.db.clone());
        // Macau and Japan show a sender ID (International), so one is needed.
        let id = submit(
            &s,
            &writer,
            submission(Route::HkEconomic, text, list),
            SENDER_ID,
            "",
        )
        .await
        .expect("submit");
        assert_eq!(
            count(
                &t.db,
                "SELECT estimated_cost_minor FROM batches WHERE id = $1",
                id
            )
            .await,
            p.check.total.minor(),
            "{}",
            t.name
        );
        let stored: i64 = messages(&t.db, id).await.iter().map(|m| m.5 * m.6).sum();
        assert_eq!(stored, p.check.total.minor(), "{}", t.name);
        assert_eq!(
            balance(&t.db, f.customer).await,
            CUSTOMER_BALANCE,
            "{}",
            t.name
        );
    }
}

/// §4, §14 (playSMS counts `{}[]~^|€` as 1): an extension character counts 2, so 80 braces
/// fill one part and 81 need two, charged as two.
#[tokio::test]
async fn extension_characters_count_two_and_the_extra_part_is_charged() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = sender(&t.db, f.customer);
        let one = check(
            &s,
            submission(Route::HkBusiness, &"{".repeat(80), "9123 4567"),
        )
        .await
        .expect("80 braces");
        assert_eq!((one.units, one.parts), (160, 1), "{}", t.name);
        assert_eq!(one.total, HK_BUSINESS_PRICE, "{}", t.name);
        let two = check(
            &s,
            submission(Route::HkBusiness, &"{".repeat(81), "9123 4567"),
        )
        .await
        .expect("81 braces");
        assert_eq!((two.units, two.parts), (162, 2), "{}", t.name);
        assert_eq!(
            two.total,
            money(2 * HK_BUSINESS_PRICE.minor()),
            "{}",
            t.name
        );
        // A page that counted a brace as 1 (one part) is refused, not silently re-priced.
        let mut stale = submission(Route::HkBusiness, &"{".repeat(81), "9123 4567");
        stale.client.as_mut().expect("figures").parts = 1;
        assert!(
            matches!(check(&s, stale).await, Err(Error::Conflict(m)) if m.contains("Ferry counts 2 part(s)")),
            "{}",
            t.name
        );
    }
}

/// §14 (Jasmin cuts at `long_content_max_parts`): too long is refused with the numbers, never
/// cut, and nothing is stored.
#[tokio::test]
async fn a_text_past_three_parts_is_refused_never_cut_and_nothing_is_stored() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = sender(&t.db, f.customer);
        let before = footprint(&t.db, f.customer).await;
        let text = "a".repeat(460);
        let err = check(&s, submission(Route::HkBusiness, &text, "9123 4567"))
            .await
            .expect_err("460 characters");
        let m = err.message_for("message").expect("a message error");
        assert!(
            m.contains("460 characters, at most 459 fit in 3 parts")
                && m.contains("Remove 1 characters")
                && m.contains("never cuts"),
            "{}: {m}",
            t.name
        );
        let writer = BatchWriter::start(t.db.clone());
        let err = submit(
            &s,
            &writer,
            submission(Route::HkBusiness, &text, "9123 4567"),
            SENDER_ID,
            "",
        )
        .await
        .expect_err("not stored either");
        assert!(err.message_for("message").is_some(), "{err:?}");
        assert_eq!(footprint(&t.db, f.customer).await, before, "{}", t.name);
        // 459 is the last length that fits, in 3 parts.
        let c = check(
            &s,
            submission(Route::HkBusiness, &"a".repeat(459), "9123 4567"),
        )
        .await
        .expect("459 characters");
        assert_eq!(c.parts, 3, "{}", t.name);
    }
}

/// §6, §14 (playSMS #443): every row of the list ends up in the batch, sent or with its row
/// and reason; invalid, repeated and do-not-call rows do not stop the rest.
#[tokio::test]
async fn invalid_repeated_and_do_not_call_rows_are_kept_with_their_reasons_and_the_rest_is_sent() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = sender(&t.db, f.customer);
        crate::dnc::store::replace(
            &t.db,
            f.staff,
            "2024-01-31",
            "register.csv",
            &["85261234567".to_string(), "85251234567".to_string()],
        )
        .await
        .expect("register");
        // The account has consent for one listed number: it is sent.
        crate::dnc::consent::store::add(
            &t.db,
            f.customer,
            "5123 4567",
            "2024-01-01",
            "signed form",
        )
        .await
        .expect("consent");
        let list = "9123 4567\nnot a number\n+852 9123 4567\n6123 4567\n12\n5123 4567\n9876 5432";
        let mut sub = submission(Route::HkBusiness, "Sale ends today", list);
        sub.filter_dnc = true;
        let c = check(&s, sub.clone()).await.expect("check");
        assert_eq!(c.recipients, 3, "{}", t.name);
        assert_eq!(c.duplicates_removed, 1, "{}", t.name);
        assert_eq!(c.dnc_filtered, 1, "{}", t.name);
        assert_eq!(c.rejected_total, 2, "{}", t.name);
        let rejected: Vec<(usize, &str)> = c
            .rejected
            .iter()
            .map(|r| (r.row, r.input.as_str()))
            .collect();
        assert_eq!(rejected, [(2, "not a number"), (5, "12")], "{}", t.name);
        assert_eq!(c.total, money(3 * HK_BUSINESS_PRICE.minor()), "{}", t.name);

        let writer = BatchWriter::start(t.db.clone());
        let id = submit(&s, &writer, sub, SENDER_ID, "")
            .await
            .expect("submit");
        let rows = messages(&t.db, id).await;
        assert_eq!(rows.len(), 7, "{}: one message per row", t.name);
        let p = HK_BUSINESS_PRICE.minor();
        let sent: Vec<(&str, i64, i64, i64)> = rows
            .iter()
            .filter(|m| m.1 == UPLOAD_SUCCESS)
            .map(|m| (m.0.as_str(), m.1, m.5, m.6))
            .collect();
        assert_eq!(
            sent,
            [
                ("85291234567", UPLOAD_SUCCESS, 1, p),
                ("85251234567", UPLOAD_SUCCESS, 1, p),
                ("85298765432", UPLOAD_SUCCESS, 1, p),
            ],
            "{}",
            t.name
        );
        let unsent: Vec<UnsentRow> = rows
            .iter()
            .filter(|m| m.1 != UPLOAD_SUCCESS)
            .map(|m| (m.0.as_str(), m.1, m.2, m.3, m.6))
            .collect();
        assert_eq!(
            unsent,
            [
                ("not a number", UPLOAD_FAILED, Some(9), Some(2), 0),
                ("+852 9123 4567", UPLOAD_FAILED, None, Some(3), 0),
                ("12", UPLOAD_FAILED, Some(9), Some(5), 0),
                ("85261234567", UNDELIVERABLE, Some(10), None, 0),
            ],
            "{}",
            t.name
        );
        let repeat = rows.iter().find(|m| m.3 == Some(3)).expect("row 3");
        assert_eq!(
            repeat.4.as_deref(),
            Some("the same number as row 1: sent once"),
            "{}",
            t.name
        );
        assert!(
            rows.iter()
                .filter(|m| m.1 == UPLOAD_FAILED)
                .all(|m| m.4.as_deref().is_some_and(|r| !r.is_empty())),
            "{}: every refused row has its reason",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT total_messages FROM batches WHERE id = $1",
                id
            )
            .await,
            7,
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT estimated_cost_minor FROM batches WHERE id = $1",
                id
            )
            .await,
            3 * p,
            "{}",
            t.name
        );
    }
}

/// The API's send answers with its messages as its transaction stored them, read by the
/// writer before the commit: the same rows a read after it finds (the accepted numbers and the
/// refused rows, in id order), only as many as asked for, and none unless asked.
#[tokio::test]
async fn a_send_answers_with_its_stored_messages_as_a_read_after_it_would() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = sender(&t.db, f.customer);
        let writer = BatchWriter::start(t.db.clone());
        let list = "9123 4567\nnot a number\n+852 9123 4567\n6123 4567\n12";
        for (asked, answered) in [(40, 5), (3, 3), (0, 0)] {
            let options = SendOptions {
                sender_id: SENDER_ID,
                answer_messages: asked,
                ..SendOptions::default()
            };
            let sub = submission(Route::HkBusiness, "Your code is 123456", list);
            let submitted = submit_checked(&s, &writer, sub, &options)
                .await
                .expect("submit");
            let read_after = crate::delivery::store::messages_after(
                &t.db,
                f.customer,
                submitted.batch_id,
                0,
                40,
            )
            .await
            .expect("read");
            assert_eq!(read_after.len(), 5, "{}", t.name);
            assert_eq!(
                submitted.messages,
                read_after[..answered],
                "{}: asked for {asked}",
                t.name
            );
        }
    }
}

/// §7: a batch costing more than the available balance is refused whole, with the shortfall,
/// and leaves no batch, message, hold or entry; one costing exactly the balance is accepted
/// (§14, playSMS #363), and what waits to be sent is no longer available.
#[tokio::test]
async fn insufficient_balance_refuses_the_whole_batch_and_the_exact_balance_is_enough() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = sender(&t.db, f.sub_account);
        let writer = BatchWriter::start(t.db.clone());
        // HK$10 at HK$0.22 a message covers 45 (HK$9.90); 46 cost HK$10.12.
        let sub = submission(Route::HkEconomic, "Hi", &hk_numbers(46));
        let c = check(&s, sub.clone())
            .await
            .expect("a check states the shortfall");
        assert_eq!(c.total, money(46 * HK_ECONOMIC_PRICE.minor()), "{}", t.name);
        assert_eq!(c.shortfall, Some(money(1_200)), "{}", t.name);
        let before = footprint(&t.db, f.sub_account).await;
        let err = submit(&s, &writer, sub, "", "")
            .await
            .expect_err("too little");
        assert!(
            matches!(&err, Error::InsufficientBalance(m) if m.contains("Insufficient balance") && m.contains("HK$0.12")),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(footprint(&t.db, f.sub_account).await, before, "{}", t.name);

        // Exactly the balance: HK$0.32 × 3 with HK$0.96 available.
        let exact = customer(
            &t.db,
            "exact",
            f.staff,
            money(3 * HK_BUSINESS_PRICE.minor()),
        )
        .await;
        crate::sender_ids::store::create(&t.db, f.staff, exact, "Exact", false)
            .await
            .expect("sender id");
        let s = sender(&t.db, exact);
        let c = check(&s, submission(Route::HkBusiness, "Hi", &hk_numbers(3)))
            .await
            .expect("check");
        assert_eq!(c.shortfall, None, "{}", t.name);
        submit(
            &s,
            &writer,
            submission(Route::HkBusiness, "Hi", &hk_numbers(3)),
            "Exact",
            "",
        )
        .await
        .expect("a charge equal to the balance is accepted");
        // The three messages waiting to be sent hold the whole balance: one more is refused.
        let before = footprint(&t.db, exact).await;
        let err = submit(
            &s,
            &writer,
            submission(Route::HkBusiness, "Hi", "6123 4567"),
            "Exact",
            "",
        )
        .await
        .expect_err("nothing left");
        assert!(
            matches!(&err, Error::InsufficientBalance(m) if m.contains("HK$0.00 is available")),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(footprint(&t.db, exact).await, before, "{}", t.name);
    }
}

/// §14 (playSMS #522): N submissions racing for a balance that covers N−1 of them → exactly
/// N−1 accepted, and what they promise never exceeds the balance.
#[tokio::test]
async fn concurrent_submissions_never_promise_more_than_the_balance() {
    const N: i64 = 10;
    for t in all_backends().await {
        let staff_id = staff(&t.db, "admin").await;
        let id = customer(
            &t.db,
            "racer",
            staff_id,
            money((N - 1) * HK_ECONOMIC_PRICE.minor()),
        )
        .await;
        let writer = BatchWriter::start(t.db.clone());
        let mut tasks = Vec::new();
        for i in 0..N {
            let (db, writer) = (t.db.clone(), writer.clone());
            tasks.push(tokio::spawn(async move {
                let s = sender(&db, id);
                let number = format!("9123 {:04}", 2000 + i);
                submit(
                    &s,
                    &writer,
                    submission(Route::HkEconomic, "Hi", &number),
                    "",
                    "",
                )
                .await
            }));
        }
        let (mut accepted, mut refused) = (0, 0);
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => accepted += 1,
                Err(Error::InsufficientBalance(m)) if m.contains("Insufficient balance") => {
                    refused += 1
                }
                Err(e) => panic!("{}: {e:?}", t.name),
            }
        }
        assert_eq!((accepted, refused), (N - 1, 1), "{}", t.name);
        assert_eq!(
            count(
                &t.db,
                "SELECT CAST(COALESCE(SUM(parts * unit_price_minor), 0) AS BIGINT) FROM messages WHERE account_id = $1",
                id
            )
            .await,
            (N - 1) * HK_ECONOMIC_PRICE.minor(),
            "{}",
            t.name
        );
    }
}

/// §2: the customer picks one of its own active sender IDs; a sub-account cannot use its
/// primary's, nor a primary its sub-account's, and a retired ID is no longer usable.
#[tokio::test]
async fn only_the_accounts_own_active_sender_ids_can_be_used() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let writer = BatchWriter::start(t.db.clone());
        let business = || submission(Route::HkBusiness, "Hi", "9123 4567");
        let sender_id_error = |r: Result<i64, Error>| {
            r.expect_err("refused")
                .message_for("sender_id")
                .map(str::to_owned)
                .expect("a sender_id error")
        };

        // The sub-account has no ID of its own: its primary's is not one it can pick.
        let sub = sender(&t.db, f.sub_account);
        let m = sender_id_error(submit(&sub, &writer, business(), SENDER_ID, "").await);
        assert!(m.contains("has none yet"), "{}: {m}", t.name);
        crate::sender_ids::store::create(&t.db, f.staff, f.sub_account, "Dept", false)
            .await
            .expect("sub's own ID");
        let m = sender_id_error(submit(&sub, &writer, business(), SENDER_ID, "").await);
        assert_eq!(m, "Choose one of your sender IDs.", "{}", t.name);
        let id = submit(&sub, &writer, business(), "Dept", "")
            .await
            .expect("own ID");
        assert_eq!(
            sqlx::query("SELECT sender_id FROM batches WHERE id = $1")
                .bind(id)
                .fetch_one(t.db.pool())
                .await
                .expect("batch")
                .try_get::<Option<String>, _>(0)
                .expect("sender id")
                .as_deref(),
            Some("Dept"),
            "{}",
            t.name
        );

        // …and the primary cannot use the sub-account's.
        let primary = sender(&t.db, f.customer);
        let m = sender_id_error(submit(&primary, &writer, business(), "Dept", "").await);
        assert_eq!(m, "Choose one of your sender IDs.", "{}", t.name);

        // A retired ID no longer sends.
        let acme = crate::sender_ids::store::list(&t.db, f.customer, true)
            .await
            .expect("list")[0]
            .id;
        crate::sender_ids::store::retire(&t.db, f.staff, acme)
            .await
            .expect("retire");
        let before = footprint(&t.db, f.customer).await;
        let m = sender_id_error(submit(&primary, &writer, business(), SENDER_ID, "").await);
        assert!(m.contains("has none yet"), "{}: {m}", t.name);
        assert_eq!(footprint(&t.db, f.customer).await, before, "{}", t.name);

        // HK Economic shows no sender ID: none is needed, and none is stored.
        let id = submit(
            &primary,
            &writer,
            submission(Route::HkEconomic, "Hi", "9123 4567"),
            "",
            "",
        )
        .await
        .expect("economic");
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM batches WHERE id = $1 AND sender_id IS NULL",
                id
            )
            .await,
            1,
            "{}",
            t.name
        );
    }
}

/// A send takes the account's validity and status callback when it names none, and its own
/// when it does (both read with the account's other facts, in one read of its row).
#[tokio::test]
async fn a_send_takes_the_accounts_defaults_unless_it_names_its_own() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let writer = BatchWriter::start(t.db.clone());
        sqlx::query(
            "UPDATE accounts SET validity_minutes = 7, status_callback_url = $1 WHERE id = $2",
        )
        .bind("https://acme.example/status")
        .bind(f.customer)
        .execute(t.db.pool())
        .await
        .expect("settings");
        let primary = sender(&t.db, f.customer);
        let stored = |id: i64| {
            let db = t.db.clone();
            async move {
                let row =
                    sqlx::query("SELECT validity_minutes, callback_url FROM batches WHERE id = $1")
                        .bind(id)
                        .fetch_one(db.pool())
                        .await
                        .expect("batch");
                (
                    row.try_get::<i64, _>(0).expect("validity"),
                    row.try_get::<Option<String>, _>(1).expect("callback"),
                )
            }
        };
        let economic = || submission(Route::HkEconomic, "Hi", "9123 4567");

        let id = submit(&primary, &writer, economic(), "", "")
            .await
            .expect("defaults");
        assert_eq!(
            stored(id).await,
            (7, Some("https://acme.example/status".into())),
            "{}",
            t.name
        );

        let own = SendOptions {
            validity_minutes: Some(30),
            callback_url: Some("https://orders.acme.example/status"),
            ..SendOptions::default()
        };
        let id = submit_checked(&primary, &writer, economic(), &own)
            .await
            .expect("own")
            .batch_id;
        assert_eq!(
            stored(id).await,
            (30, Some("https://orders.acme.example/status".into())),
            "{}",
            t.name
        );

        // Another account's settings are not this one's.
        let sub = sender(&t.db, f.sub_account);
        let id = submit(&sub, &writer, economic(), "", "")
            .await
            .expect("sub");
        assert_eq!(
            stored(id).await,
            (crate::settings::DEFAULT_VALIDITY_MINUTES, None),
            "{}",
            t.name
        );
    }
}

/// §2: a trial account sends only to its registered mobile, once that mobile is verified;
/// staff accounts never send.
#[tokio::test]
async fn trial_accounts_send_only_to_their_verified_mobile_and_staff_never_send() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let writer = BatchWriter::start(t.db.clone());
        let unverified = crate::testing::customer_account(
            &t.db,
            "fresh",
            "Fresh",
            crate::auth::AccountStatus::Trial,
        )
        .await;
        let err = check(
            &sender(&t.db, unverified),
            submission(Route::HkEconomic, "Hi", "9123 4567"),
        )
        .await
        .expect_err("unverified");
        assert!(
            matches!(&err, Error::ForbiddenBecause(m) if m.contains("Verify your registered mobile")),
            "{}: {err:?}",
            t.name
        );

        let trial = verified_trial(&t.db, "trial").await;
        let s = sender(&t.db, trial);
        assert!(setup(&s).await.expect("setup").is_trial, "{}", t.name);
        let c = check(
            &s,
            submission(Route::HkEconomic, "Hi", "6123 4567\n9123 4567"),
        )
        .await
        .expect("check");
        assert_eq!(c.recipients, 1, "{}", t.name);
        assert_eq!(c.rejected.len(), 1, "{}", t.name);
        assert_eq!(c.rejected[0].row, 1, "{}", t.name);
        assert!(
            c.rejected[0]
                .reason
                .contains("only send to its registered mobile"),
            "{}",
            t.name
        );
        let err = check(&s, submission(Route::HkEconomic, "Hi", "6123 4567"))
            .await
            .expect_err("nobody else");
        assert!(err.message_for("recipients").is_some(), "{err:?}");
        let id = submit(
            &s,
            &writer,
            submission(Route::HkEconomic, "Hi", MOBILE),
            "",
            "",
        )
        .await
        .expect("its own mobile");
        let rows = messages(&t.db, id).await;
        assert_eq!(rows.len(), 1, "{}", t.name);
        assert_eq!(rows[0].0, MOBILE, "{}", t.name);

        assert_eq!(
            check(
                &sender(&t.db, f.staff),
                submission(Route::HkEconomic, "Hi", "9123 4567")
            )
            .await
            .map(|_| ()),
            Err(Error::Forbidden),
            "{}",
            t.name
        );
    }
}

/// §14 (playSMS #443): a 50,000-row list is stored as 50,000 messages, each with its price or
/// its row and reason.
#[tokio::test]
async fn a_50000_row_list_is_stored_row_for_row() {
    const ROWS: usize = 50_000;
    for t in all_backends().await {
        let staff_id = staff(&t.db, "admin").await;
        let id = customer(&t.db, "bulk", staff_id, Money::hkd(20_000)).await;
        // Every 1,000th row is not a number.
        let list: String = (0..ROWS)
            .map(|i| {
                if i % 1_000 == 999 {
                    format!("bad{i}\n")
                } else {
                    format!("9{:07}\n", 1_000_000 + i)
                }
            })
            .collect();
        let writer = BatchWriter::start(t.db.clone());
        let batch = submit(
            &sender(&t.db, id),
            &writer,
            submission(Route::HkEconomic, "Hi", &list),
            "",
            "",
        )
        .await
        .expect("submit");
        let bad = ROWS as i64 / 1_000;
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM messages WHERE batch_id = $1",
                batch
            )
            .await,
            ROWS as i64,
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM messages WHERE batch_id = $1 AND status = 2 AND unit_price_minor = 2200 AND parts = 1",
                batch
            )
            .await,
            ROWS as i64 - bad,
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM messages WHERE batch_id = $1 AND status = 1 AND error_code = 9 AND input_row IS NOT NULL AND reason IS NOT NULL",
                batch
            )
            .await,
            bad,
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT estimated_cost_minor FROM batches WHERE id = $1",
                batch
            )
            .await,
            (ROWS as i64 - bad) * HK_ECONOMIC_PRICE.minor(),
            "{}",
            t.name
        );
    }
}

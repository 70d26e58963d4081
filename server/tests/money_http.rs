//! Accounts and money through the real router (§2, §3, §13): top-ups and their confirmation,
//! charity bonuses, sender IDs, sub-account transfers, China signature fees, business
//! registration, settings and the IP allow-list, staff-only actions, tenant isolation and the
//! audit log. Every test runs on SQLite and PostgreSQL.

mod common;

use common::{account_id, balance, last_code_sms, sign_up, staff, Client, PDF};
use engine::db::testing::all_backends;
use http::StatusCode;
use sqlx::Row;

async fn record_payment(c: &mut Client, amount: &str) -> (StatusCode, String) {
    let r = c
        .server_fn_multipart(
            "record_payment",
            &[
                ("amount", amount),
                ("method", "Bank transfer"),
                ("reference", "TXN-1"),
            ],
            Some(("receipt", "receipt.pdf", PDF)),
        )
        .await;
    (r.status, r.body)
}

async fn count(t: &engine::db::testing::TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.db.pool())
        .await
        .expect("query")
        .try_get(0)
        .expect("count")
}

#[tokio::test]
async fn a_payment_below_hk300_or_without_a_valid_receipt_is_refused_field_by_field() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "payer").await;
        let r = c
            .server_fn_multipart(
                "record_payment",
                &[
                    ("amount", "299.99"),
                    ("method", "Carrier pigeon"),
                    ("reference", ""),
                ],
                Some(("receipt", "virus.pdf", b"MZ this is an exe")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", t.name);
        for field in ["amount", "method", "reference", "receipt"] {
            assert!(
                r.body.contains(&format!("\"{field}\"")),
                "{field}: {}",
                r.body
            );
        }
        assert!(r.body.contains("at least HK$300.00"), "{}", r.body);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM payments").await, 0);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM documents").await, 0);
    }
}

#[tokio::test]
async fn staff_confirmation_posts_the_top_up_once_even_when_confirmed_twice() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "payer").await;
        let (status, body) = record_payment(&mut c, "300").await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", t.name);
        let payment_id: i64 = body.trim().parse().expect("payment id");
        assert_eq!(
            balance(&t, "payer").await,
            50_000,
            "pending payments do not change the balance"
        );

        // A customer cannot confirm their own payment.
        let r = c
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", &payment_id.to_string()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let pending = admin.server_fn("pending_payments", &[]).await;
        assert!(pending.body.contains("TXN-1"), "{}", pending.body);
        let r = admin
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", &payment_id.to_string()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        assert_eq!(balance(&t, "payer").await, 50_000 + 3_000_000);
        let again = admin
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", &payment_id.to_string()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        assert!(again.body.contains("already confirmed"), "{}", again.body);
        assert_eq!(
            balance(&t, "payer").await,
            50_000 + 3_000_000,
            "{}: double-posted",
            t.name
        );
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'top_up'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.confirm'"
            )
            .await,
            1
        );
        assert!(engine::ledger::store::accounts_out_of_balance(&t.db)
            .await
            .expect("check")
            .is_empty());
    }
}

#[tokio::test]
async fn racing_confirmations_post_one_top_up() {
    for t in all_backends().await {
        let admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "racer").await;
        let (_, body) = record_payment(&mut c, "1000").await;
        let id = body.trim().to_string();
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let mut a = admin.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                a.server_fn(
                    "decide_payment",
                    &[("payment_id", &id), ("approve", "true"), ("reason", "")],
                )
                .await
                .status
            }));
        }
        let mut ok = 0;
        for task in tasks {
            if task.await.expect("task") == StatusCode::OK {
                ok += 1;
            }
        }
        assert_eq!(ok, 1, "{}", t.name);
        assert_eq!(
            balance(&t, "racer").await,
            50_000 + 10_000_000,
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn charity_accounts_get_200_on_the_first_top_up_and_10_percent_on_every_one() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "charity").await;
        let id = account_id(&t, "charity").await.to_string();
        let r = admin
            .server_fn("set_charity", &[("account_id", &id), ("charity", "true")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for amount in ["300", "1000"] {
            let (_, body) = record_payment(&mut c, amount).await;
            let r = admin
                .server_fn(
                    "decide_payment",
                    &[
                        ("payment_id", body.trim()),
                        ("approve", "true"),
                        ("reason", ""),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        // 5 trial + 300 + 200 first + 30 + 1000 + 100 = HK$1,635.
        assert_eq!(balance(&t, "charity").await, 16_350_000, "{}", t.name);
        let bonuses: Vec<i64> =
            sqlx::query("SELECT amount_minor FROM ledger_entries WHERE kind = 'bonus' ORDER BY id")
                .fetch_all(t.db.pool())
                .await
                .expect("q")
                .into_iter()
                .map(|r| r.try_get(0).expect("amount"))
                .collect();
        assert_eq!(bonuses, vec![2_000_000, 300_000, 1_000_000], "{}", t.name);
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_changes_no_balance() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "rejected").await;
        let (_, body) = record_payment(&mut c, "500").await;
        let r = admin
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", body.trim()),
                    ("approve", "false"),
                    ("reason", " "),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = admin
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", body.trim()),
                    ("approve", "false"),
                    ("reason", "Receipt unreadable"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(balance(&t, "rejected").await, 50_000);
        let mine = c.server_fn("my_payments", &[]).await;
        assert!(mine.body.contains("Receipt unreadable"), "{}", mine.body);
    }
}

#[tokio::test]
async fn staff_create_at_most_five_valid_sender_ids_which_only_their_account_sees() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut a = Client::new(&t);
        sign_up(&mut a, "alpha").await;
        let mut b = Client::new(&t);
        sign_up(&mut b, "bravo").await;
        let alpha = account_id(&t, "alpha").await.to_string();

        let bad = admin
            .server_fn(
                "create_sender_id",
                &[
                    ("account_id", alpha.as_str()),
                    ("sender_id", "TOO-LONG-NAME!"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        let unregistered = admin
            .server_fn(
                "create_sender_id",
                &[("account_id", alpha.as_str()), ("sender_id", "#ACME")],
            )
            .await;
        assert_eq!(unregistered.status, StatusCode::UNPROCESSABLE_ENTITY);
        let registered = admin
            .server_fn(
                "create_sender_id",
                &[
                    ("account_id", alpha.as_str()),
                    ("sender_id", "#ACME"),
                    ("registered", "on"),
                ],
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::OK,
            "{}: {}",
            t.name,
            registered.body
        );
        for id in ["ACME", "AcmeHK", "85299887766", "Acme4"] {
            let r = admin
                .server_fn(
                    "create_sender_id",
                    &[("account_id", alpha.as_str()), ("sender_id", id)],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{id}: {}", r.body);
        }
        let sixth = admin
            .server_fn(
                "create_sender_id",
                &[("account_id", alpha.as_str()), ("sender_id", "Sixth")],
            )
            .await;
        assert_eq!(sixth.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(sixth.body.contains("at most 5"), "{}", sixth.body);

        let mine = a.server_fn("my_sender_ids", &[]).await;
        assert!(
            mine.body.contains("AcmeHK") && mine.body.contains("#ACME"),
            "{}",
            mine.body
        );
        let theirs = b.server_fn("my_sender_ids", &[]).await;
        assert_eq!(theirs.body, "[]", "{}", t.name);
        // Customers cannot create their own.
        let r = a
            .server_fn(
                "create_sender_id",
                &[("account_id", alpha.as_str()), ("sender_id", "Mine")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'sender_id.create'"
            )
            .await,
            5
        );
    }
}

#[tokio::test]
async fn transfers_move_money_only_between_linked_accounts_and_show_on_both_statements() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut p = Client::new(&t);
        sign_up(&mut p, "parent").await;
        let mut s = Client::new(&t);
        sign_up(&mut s, "dept").await;
        let mut o = Client::new(&t);
        sign_up(&mut o, "outsider").await;
        let parent = account_id(&t, "parent").await.to_string();
        let dept = account_id(&t, "dept").await.to_string();
        let outsider = account_id(&t, "outsider").await.to_string();

        let r = admin
            .server_fn(
                "transfer_balance",
                &[
                    ("from_account_id", &parent),
                    ("to_account_id", &dept),
                    ("amount", "1"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not linked yet: {}",
            r.body
        );
        let r = admin
            .server_fn(
                "link_sub_account",
                &[("account_id", &dept), ("primary_login", "parent")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = admin
            .server_fn(
                "transfer_balance",
                &[
                    ("from_account_id", &parent),
                    ("to_account_id", &dept),
                    ("amount", "2.50"),
                    ("note", "budget"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        assert_eq!(balance(&t, "parent").await, 25_000);
        assert_eq!(balance(&t, "dept").await, 75_000);
        let r = admin
            .server_fn(
                "transfer_balance",
                &[
                    ("from_account_id", &parent),
                    ("to_account_id", &dept),
                    ("amount", "2.51"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "overdraw: {}",
            r.body
        );
        let r = admin
            .server_fn(
                "transfer_balance",
                &[
                    ("from_account_id", &dept),
                    ("to_account_id", &outsider),
                    ("amount", "1"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        let ps = p.get("/account/statement.csv").await;
        assert!(
            ps.body
                .contains("Transfer out,Transfer to dept: budget,-2.5000,2.5000"),
            "{}",
            ps.body
        );
        let ds = s.get("/account/statement.csv").await;
        assert!(
            ds.body
                .contains("Transfer in,Transfer from parent: budget,2.5000,7.5000"),
            "{}",
            ds.body
        );
        // The staff member is recorded on both entries.
        let staff_id = account_id(&t, "admin").await;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM ledger_entries WHERE kind IN ('transfer_in','transfer_out') AND created_by = $1")
            .bind(staff_id)
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("n");
        assert_eq!(n, 2, "{}", t.name);
    }
}

#[tokio::test]
async fn china_signature_approval_charges_the_fee_unless_a_20000_top_up_was_confirmed() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "brand").await;
        let r = c
            .server_fn("apply_china_signature", &[("signature", "ab")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "too short: {}",
            r.body
        );
        let r = c
            .server_fn("apply_china_signature", &[("signature", "渡輪公司")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let app_id: i64 = sqlx::query("SELECT id FROM signature_applications")
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("id");
        let r = admin
            .server_fn(
                "decide_signature",
                &[
                    ("application_id", &app_id.to_string()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "HK$5 cannot pay HK$2,000: {}",
            r.body
        );
        assert!(r.body.contains("HK$2,000.00"), "{}", r.body);
        // The refusal rolled back: still pending, nothing charged.
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM signature_applications WHERE status = 'pending'"
            )
            .await,
            1
        );

        let (_, pay) = record_payment(&mut c, "20000").await;
        admin
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", pay.trim()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        let r = admin
            .server_fn(
                "decide_signature",
                &[
                    ("application_id", &app_id.to_string()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            balance(&t, "brand").await,
            50_000 + 200_000_000,
            "fee waived: {}",
            t.name
        );
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'fee'").await,
            0
        );
        let sig: Option<String> =
            sqlx::query("SELECT china_signature FROM accounts WHERE login_name = 'brand'")
                .fetch_one(t.db.pool())
                .await
                .expect("q")
                .try_get(0)
                .expect("sig");
        assert_eq!(sig.as_deref(), Some("渡輪公司"));
    }
}

#[tokio::test]
async fn china_signature_fee_is_charged_without_a_large_top_up() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "payfee").await;
        let (_, pay) = record_payment(&mut c, "2500").await;
        admin
            .server_fn(
                "decide_payment",
                &[
                    ("payment_id", pay.trim()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        let r = c
            .server_fn("apply_china_signature", &[("signature", "FerHK")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c
            .server_fn("apply_china_signature", &[("signature", "Ferry")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "one pending application at a time"
        );
        let app_id: i64 = sqlx::query("SELECT id FROM signature_applications")
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("id");
        let r = admin
            .server_fn(
                "decide_signature",
                &[
                    ("application_id", &app_id.to_string()),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            balance(&t, "payfee").await,
            50_000 + 25_000_000 - 20_000_000,
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn approving_a_business_registration_lets_a_trial_account_send_to_anyone() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "trialco").await;
        let check = serde_json::json!({
            "route": "HkBusiness", "purpose": "Notification", "text": "hi", "recipients": "61234567",
            "client": { "encoding": "GSM7", "parts": 1, "unit_price": 3200 }
        });
        let r = c.server_fn_json("check_broadcast", check.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "trial: {}",
            r.body
        );
        let r = c
            .server_fn_multipart(
                "upload_registration",
                &[],
                Some(("certificate", "br.pdf", PDF)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let reg_id = r.body.trim().to_string();
        let r = admin
            .server_fn(
                "decide_registration",
                &[
                    ("registration_id", &reg_id),
                    ("approve", "true"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c.server_fn_json("check_broadcast", check).await;
        assert_eq!(r.status, StatusCode::OK, "normal account: {}", r.body);
    }
}

#[tokio::test]
async fn no_account_can_read_another_accounts_documents_or_statement_and_ids_404() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut a = Client::new(&t);
        sign_up(&mut a, "owner").await;
        let mut b = Client::new(&t);
        sign_up(&mut b, "prober").await;
        // b is a's sub-account: a primary sees its sub-accounts' data no more than strangers do.
        let b_id = account_id(&t, "prober").await.to_string();
        admin
            .server_fn(
                "link_sub_account",
                &[("account_id", &b_id), ("primary_login", "owner")],
            )
            .await;
        record_payment(&mut a, "300").await;
        let doc: i64 = sqlx::query("SELECT id FROM documents")
            .fetch_one(t.db.pool())
            .await
            .expect("q")
            .try_get(0)
            .expect("id");
        assert_eq!(
            a.get(&format!("/documents/{doc}")).await.status,
            StatusCode::OK
        );
        assert_eq!(
            b.get(&format!("/documents/{doc}")).await.status,
            StatusCode::NOT_FOUND,
            "{}",
            t.name
        );
        assert_eq!(
            b.get("/documents/999999").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin.get(&format!("/documents/{doc}")).await.status,
            StatusCode::OK
        );
        assert_eq!(
            Client::new(&t)
                .get(&format!("/documents/{doc}"))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        let b_payments = b.server_fn("my_payments", &[]).await;
        assert_eq!(b_payments.body, "[]", "{}", t.name);
        let b_statement = b.get("/account/statement.csv").await;
        assert!(
            !b_statement.body.contains("owner") && b_statement.body.lines().count() == 2,
            "{}",
            b_statement.body
        );
        // Staff-only reads refuse customers.
        for f in [
            "pending_payments",
            "pending_registrations",
            "pending_signatures",
            "audit_entries",
            "price_rows",
        ] {
            assert_eq!(
                b.server_fn(f, &[]).await.status,
                StatusCode::FORBIDDEN,
                "{f}"
            );
        }
        let r = b
            .server_fn("staff_account_detail", &[("account_id", "1")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = admin
            .server_fn("staff_account_detail", &[("account_id", "999999")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_ip_allow_list_guards_sign_in_and_every_request_until_staff_clear_it() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t); // from 192.0.2.10
        sign_up(&mut c, "locked").await;
        let settings = |list: &str| {
            vec![
                ("validity_minutes", "120".to_string()),
                ("single_sms_limit", String::new()),
                ("ip_allow_list", list.to_string()),
                ("unsubscribe_hotline", String::new()),
                ("callback_url", String::new()),
            ]
        };
        let form = |v: &Vec<(&'static str, String)>| {
            v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
        };
        let lockout = form(&settings("198.51.100.0/24"));
        let r = c
            .server_fn(
                "update_settings",
                &lockout
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "would lock out the caller: {}",
            r.body
        );
        let ok = form(&settings("192.0.2.0/24\n2001:db8::/32"));
        let r = c
            .server_fn(
                "update_settings",
                &ok.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);

        // The same session from another network is not signed in there.
        let mut elsewhere = Client::from_ip(&t, [203, 0, 113, 9], c.cookie.clone());
        assert_eq!(
            elsewhere.server_fn("viewer", &[]).await.body,
            "null",
            "{}",
            t.name
        );
        let r = elsewhere
            .server_fn(
                "login",
                &[
                    ("login_name", "locked"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            r.body.contains("IP allow-list") && r.body.contains("203.0.113.9"),
            "{}",
            r.body
        );

        let id = account_id(&t, "locked").await.to_string();
        let r = admin
            .server_fn("clear_ip_allow_list", &[("account_id", &id)])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = elsewhere
            .server_fn(
                "login",
                &[
                    ("login_name", "locked"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'account.clear_ip_allow_list'"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn settings_reject_each_bad_field_and_password_change_ends_other_sessions() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "settler").await;
        let r = c
            .server_fn(
                "update_settings",
                &[
                    ("validity_minutes", "1381"),
                    ("single_sms_limit", "abc"),
                    ("ip_allow_list", "10.0.0.0/33"),
                    ("unsubscribe_hotline", "12"),
                    ("callback_url", "ftp://x"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for f in [
            "validity_minutes",
            "single_sms_limit",
            "ip_allow_list",
            "unsubscribe_hotline",
            "callback_url",
        ] {
            assert!(r.body.contains(&format!("\"{f}\"")), "{f}: {}", r.body);
        }
        let r = c
            .server_fn(
                "update_settings",
                &[
                    ("validity_minutes", "10"),
                    ("single_sms_limit", "0.50"),
                    ("ip_allow_list", ""),
                    ("unsubscribe_hotline", "2123 4567"),
                    ("callback_url", "https://example.com/mo"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let s = c.server_fn("my_settings", &[]).await;
        assert!(
            s.body.contains("\"validity_minutes\":10")
                && s.body.contains("\"single_sms_limit\":5000")
                && s.body.contains("21234567"),
            "{}",
            s.body
        );

        let mut other = Client::new(&t);
        other
            .server_fn(
                "login",
                &[
                    ("login_name", "settler"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        let r = c
            .server_fn(
                "change_password",
                &[
                    ("current_password", "wrong"),
                    ("new_password", "another long password"),
                    ("new_password_confirmation", "another long password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c
            .server_fn(
                "change_password",
                &[
                    ("current_password", "a long enough password"),
                    ("new_password", "another long password"),
                    ("new_password_confirmation", "another long password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            other.server_fn("viewer", &[]).await.body,
            "null",
            "{}: other session ended",
            t.name
        );
        assert_ne!(
            c.server_fn("viewer", &[]).await.body,
            "null",
            "this session stays"
        );
    }
}

#[tokio::test]
async fn password_reset_sends_a_charged_sms_code_and_records_16_when_the_balance_cannot_pay() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "forgetful").await;
        c.server_fn("logout", &[]).await;
        let r = c
            .server_fn("request_password_reset", &[("login_name", "forgetful")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        // The code travels as a real one-message batch to the registered mobile, priced like any SMS.
        let row = sqlx::query(
            "SELECT b.final_text, m.destination, m.unit_price_minor FROM batches b JOIN messages m ON m.batch_id = b.id \
             JOIN accounts a ON a.id = b.account_id WHERE a.login_name = 'forgetful' AND b.content = 'Password reset code'",
        )
        .fetch_one(t.db.pool())
        .await
        .expect("reset batch");
        let text: String = row.try_get(0).expect("text");
        assert_eq!(row.try_get::<String, _>(1).expect("dest"), "85291234567");
        assert_eq!(row.try_get::<i64, _>(2).expect("price"), 3_200);
        let code = last_code_sms(&t.db, "forgetful", "Password reset code").await;
        assert!(text.contains(&code) && code.len() == 8, "{text}");
        // Unknown login names get the same answer and no SMS.
        let r = c
            .server_fn("request_password_reset", &[("login_name", "nobody")])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let wrong = c
            .server_fn(
                "reset_password",
                &[
                    ("login_name", "forgetful"),
                    ("code", "00000000"),
                    ("new_password", "brand new password"),
                    ("new_password_confirmation", "brand new password"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ok = c
            .server_fn(
                "reset_password",
                &[
                    ("login_name", "forgetful"),
                    ("code", &code),
                    ("new_password", "brand new password"),
                    ("new_password_confirmation", "brand new password"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        let again = c
            .server_fn(
                "reset_password",
                &[
                    ("login_name", "forgetful"),
                    ("code", &code),
                    ("new_password", "another new password"),
                    ("new_password_confirmation", "another new password"),
                ],
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a code works once"
        );
        let login = c
            .server_fn(
                "login",
                &[
                    ("login_name", "forgetful"),
                    ("password", "brand new password"),
                ],
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);

        // An account whose balance cannot pay for the SMS: no code is sent, and its owner finds
        // the reset as UNDELIVERABLE with 16 Insufficient Balance in Delivery Results. The
        // caller's answer is the same as for anyone else (it tells nothing about the account).
        let mut poor = Client::new(&t);
        sign_up(&mut poor, "brokeco").await;
        sqlx::query("UPDATE accounts SET held_minor = balance_minor WHERE login_name = 'brokeco'")
            .execute(t.db.pool())
            .await
            .expect("hold everything");
        let r = poor
            .server_fn("request_password_reset", &[("login_name", "brokeco")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let row = sqlx::query(
            "SELECT m.status, m.error_code, m.charge_minor FROM messages m JOIN batches b ON b.id = m.batch_id \
             JOIN accounts a ON a.id = b.account_id WHERE a.login_name = 'brokeco' AND b.content = 'Password reset code'",
        )
        .fetch_one(t.db.pool())
        .await
        .expect("the refused reset is recorded");
        assert_eq!(row.try_get::<i64, _>(0).expect("status"), 21);
        assert_eq!(row.try_get::<i64, _>(1).expect("error"), 16);
        assert_eq!(row.try_get::<i64, _>(2).expect("charge"), 0);
    }
}

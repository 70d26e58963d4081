//! `sender_ids::store` against every backend (§2): staff create at most 5 valid IDs per
//! customer, each account sees only its own, retired IDs leave the active list.

use super::store::{create, list, retire};
use super::MAX_SENDER_IDS;
use crate::db::testing::all_backends;
use crate::error::Error;
use crate::testing::{audit_entries, count, fixture, SENDER_ID};

async fn names(db: &crate::db::Db, account_id: i64, active_only: bool) -> Vec<String> {
    list(db, account_id, active_only)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.sender_id)
        .collect()
}

fn sender_id_error(err: &Error) -> &str {
    err.message_for("sender_id")
        .unwrap_or_else(|| panic!("a sender_id field error, got {err:?}"))
}

#[tokio::test]
async fn each_account_lists_only_its_own_sender_ids() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let mine = list(&t.db, f.customer, true).await.expect("list");
        assert_eq!(mine.len(), 1, "{}", t.name);
        assert_eq!(mine[0].sender_id, SENDER_ID, "{}", t.name);
        assert_eq!(mine[0].status, "active", "{}", t.name);
        assert!(!mine[0].registered, "{}", t.name);
        assert!(
            names(&t.db, f.sub_account, false).await.is_empty(),
            "{}",
            t.name
        );
        // The same text for the sub-account is its own ID, not a duplicate.
        create(&t.db, f.staff, f.sub_account, SENDER_ID, false)
            .await
            .expect("another account may use the same text");
        assert_eq!(names(&t.db, f.sub_account, true).await, [SENDER_ID]);
        assert_eq!(names(&t.db, f.customer, true).await, [SENDER_ID]);
    }
}

#[tokio::test]
async fn ids_breaking_the_format_rules_are_refused_and_nothing_is_stored() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        for bad in [
            "TOO-LONG-NAME!",
            "ABCDEFGHIJKL",
            "Ferry Ltd",
            "Ferry_HK",
            "渡輪",
            "+85299887766",
            "852-9988-7766",
            "",
            "   ",
        ] {
            let err = create(&t.db, f.staff, f.customer, bad, false)
                .await
                .expect_err(bad);
            assert!(
                sender_id_error(&err).starts_with("Sender ID:"),
                "{}: {bad:?}: {err:?}",
                t.name
            );
        }
        // A `#` (Hong Kong SSRS) ID only once staff mark it registered.
        let err = create(&t.db, f.staff, f.customer, "#ACME", false)
            .await
            .expect_err("unregistered #ID");
        assert!(sender_id_error(&err).contains("registered"), "{err:?}");
        assert_eq!(names(&t.db, f.customer, false).await, [SENDER_ID]);
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'sender_id.create' AND target_account_id = $1",
                f.customer
            )
            .await,
            1,
            "{}: only the fixture's ID was audited",
            t.name
        );

        create(&t.db, f.staff, f.customer, "#ACME", true)
            .await
            .expect("registered #ID");
        create(&t.db, f.staff, f.customer, "85299887766", false)
            .await
            .expect("a mobile number with its country code");
        create(&t.db, f.staff, f.customer, "  Acme4 ", false)
            .await
            .expect("trimmed");
        let all = list(&t.db, f.customer, true).await.expect("list");
        let got: Vec<(&str, bool)> = all
            .iter()
            .map(|s| (s.sender_id.as_str(), s.registered))
            .collect();
        assert_eq!(
            got,
            [
                (SENDER_ID, false),
                ("#ACME", true),
                ("85299887766", false),
                ("Acme4", false)
            ],
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_duplicate_is_refused_and_a_sixth_active_id_waits_for_a_retirement() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        for dup in [SENDER_ID, " ACME "] {
            let err = create(&t.db, f.staff, f.customer, dup, false)
                .await
                .expect_err("duplicate");
            assert!(
                sender_id_error(&err).contains("already has"),
                "{}: {err:?}",
                t.name
            );
        }
        for id in ["Two", "Three", "Four", "Five"] {
            create(&t.db, f.staff, f.customer, id, false)
                .await
                .expect(id);
        }
        let err = create(&t.db, f.staff, f.customer, "Sixth", false)
            .await
            .expect_err("sixth");
        assert!(
            sender_id_error(&err).contains(&format!("at most {MAX_SENDER_IDS}")),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(names(&t.db, f.customer, false).await.len(), 5, "{}", t.name);

        let two = list(&t.db, f.customer, true).await.expect("list")[1].clone();
        assert_eq!(two.sender_id, "Two");
        retire(&t.db, f.staff, two.id).await.expect("retire");
        create(&t.db, f.staff, f.customer, "Sixth", false)
            .await
            .expect("room after a retirement");
        assert_eq!(
            names(&t.db, f.customer, true).await,
            [SENDER_ID, "Three", "Four", "Five", "Sixth"],
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_retired_id_leaves_the_active_list_keeps_its_record_and_retires_once() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let acme = list(&t.db, f.customer, true).await.expect("list")[0].clone();
        retire(&t.db, f.staff, acme.id).await.expect("retire");
        assert!(
            names(&t.db, f.customer, true).await.is_empty(),
            "{}",
            t.name
        );
        let all = list(&t.db, f.customer, false).await.expect("list");
        assert_eq!(all.len(), 1, "{}", t.name);
        assert_eq!(
            (all[0].id, all[0].status.as_str()),
            (acme.id, "retired"),
            "{}",
            t.name
        );
        assert_eq!(
            retire(&t.db, f.staff, acme.id).await,
            Err(Error::NotFound),
            "{}: already retired",
            t.name
        );
        assert_eq!(
            retire(&t.db, f.staff, acme.id + 1000).await,
            Err(Error::NotFound),
            "{}",
            t.name
        );
        let retirements: Vec<_> = audit_entries(&t.db)
            .await
            .into_iter()
            .filter(|(action, ..)| action == "sender_id.retire")
            .collect();
        assert_eq!(retirements.len(), 1, "{}", t.name);
        assert_eq!(retirements[0].1, Some(f.customer), "{}", t.name);
        assert!(retirements[0].3.contains("\"retired\""), "{}", t.name);
        // Staff may give the account the same ID again: a new, active record.
        create(&t.db, f.staff, f.customer, SENDER_ID, false)
            .await
            .expect("recreate");
        let active = list(&t.db, f.customer, true).await.expect("list");
        assert_eq!(active.len(), 1, "{}", t.name);
        assert_ne!(active[0].id, acme.id, "{}", t.name);
    }
}

#[tokio::test]
async fn sender_ids_are_only_for_existing_customer_accounts() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        assert_eq!(
            create(&t.db, f.staff, f.staff, "Staff", false).await,
            Err(Error::NotFound),
            "{}: a staff account never sends",
            t.name
        );
        assert_eq!(
            create(&t.db, f.staff, f.customer + 1000, "Ghost", false).await,
            Err(Error::NotFound),
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM sender_ids WHERE account_id <> $1",
                f.customer
            )
            .await,
            0,
            "{}",
            t.name
        );
        // Each creation is audited with the staff member who made it.
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'sender_id.create' AND staff_id = $1",
                f.staff
            )
            .await,
            1,
            "{}",
            t.name
        );
    }
}

//! `staff::accounts::store` against every backend (§2, §3, §13): search, detail, sub-account
//! links, transfers (both statements, balances equal to their entries, nothing half-done) and
//! the charity flag, each audited.

use super::store::{detail, link, search, set_charity, transfer};
use crate::auth::AccountStatus;
use crate::db::testing::all_backends;
use crate::db::Db;
use crate::error::Error;
use crate::testing::{
    audit_entries, balance, count, customer, customer_account, fixture, Fixture, CUSTOMER_BALANCE,
    CUSTOMER_LOGIN, MOBILE, SENDER_ID, SUB_ACCOUNT_BALANCE, SUB_ACCOUNT_LOGIN,
};
use sms::Money;

async fn entries(db: &Db, account_id: i64) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM ledger_entries WHERE account_id = $1",
        account_id,
    )
    .await
}

fn logins(rows: &[super::AccountRow]) -> Vec<&str> {
    rows.iter().map(|r| r.login_name.as_str()).collect()
}

#[tokio::test]
async fn search_finds_customers_by_login_company_or_mobile_but_never_staff() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let other = customer_account(&t.db, "zeta", "Zeta Trading", AccountStatus::Trial).await;
        let rows = search(&t.db, "acme").await.expect("search");
        assert_eq!(
            logins(&rows),
            [SUB_ACCOUNT_LOGIN, CUSTOMER_LOGIN],
            "{}: newest first",
            t.name
        );
        assert_eq!(rows[0].primary_login.as_deref(), Some(CUSTOMER_LOGIN));
        assert_eq!(rows[0].balance, SUB_ACCOUNT_BALANCE, "{}", t.name);
        assert_eq!(rows[1].primary_login, None, "{}", t.name);
        assert_eq!(rows[1].balance, CUSTOMER_BALANCE, "{}", t.name);
        assert_eq!(rows[1].status, "normal", "{}", t.name);
        assert_eq!(
            logins(&search(&t.db, "  ZETA trad ").await.expect("search")),
            ["zeta"],
            "{}: company names, any case",
            t.name
        );
        assert_eq!(search(&t.db, "zeta").await.expect("search")[0].id, other);
        assert_eq!(
            search(&t.db, &MOBILE[3..]).await.expect("search").len(),
            3,
            "{}: by mobile",
            t.name
        );
        assert!(
            search(&t.db, "admin").await.expect("search").is_empty(),
            "{}: staff are not customers",
            t.name
        );
        // `_` and `%` are not wildcards: "a_m" would match "acme" if they were.
        assert!(
            search(&t.db, "a_m").await.expect("search").is_empty(),
            "{}",
            t.name
        );
        let _ = f;
    }
}

#[tokio::test]
async fn detail_shows_the_account_its_links_settings_sender_ids_and_statement() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let d = detail(&t.db, f.customer).await.expect("detail");
        assert_eq!(d.account.id, f.customer, "{}", t.name);
        assert_eq!(d.account.login_name, CUSTOMER_LOGIN);
        assert_eq!(d.account.balance, CUSTOMER_BALANCE, "{}", t.name);
        assert!(!d.account.is_charity);
        assert_eq!(d.mobile, MOBILE);
        assert_eq!(d.primary, None, "{}", t.name);
        assert_eq!(
            d.sub_accounts,
            [super::LinkedAccount {
                id: f.sub_account,
                login_name: SUB_ACCOUNT_LOGIN.into()
            }],
            "{}",
            t.name
        );
        assert_eq!(d.settings.validity_minutes, 120, "{}", t.name);
        assert_eq!(d.sender_ids.len(), 1, "{}", t.name);
        assert_eq!(d.sender_ids[0].sender_id, SENDER_ID);
        assert_eq!(d.recent_entries.len(), 1, "{}", t.name);
        assert_eq!(d.recent_entries[0].kind, "top_up", "{}", t.name);
        assert_eq!(d.recent_entries[0].amount, CUSTOMER_BALANCE, "{}", t.name);

        let sub = detail(&t.db, f.sub_account).await.expect("detail");
        assert_eq!(
            sub.primary,
            Some(super::LinkedAccount {
                id: f.customer,
                login_name: CUSTOMER_LOGIN.into()
            }),
            "{}",
            t.name
        );
        assert!(sub.sub_accounts.is_empty(), "{}", t.name);
        assert!(sub.sender_ids.is_empty(), "{}", t.name);

        assert_eq!(
            detail(&t.db, f.staff).await.map(|_| ()),
            Err(Error::NotFound),
            "{}: staff accounts are not customer accounts",
            t.name
        );
        assert_eq!(
            detail(&t.db, f.customer + 1000).await.map(|_| ()),
            Err(Error::NotFound),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn links_form_one_level_and_are_audited() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let other = customer(&t.db, "other", f.staff, Money::ZERO).await;
        let field = |r: Result<(), Error>| {
            r.expect_err("refused")
                .message_for("primary_login")
                .map(str::to_owned)
                .expect("a primary_login error")
        };
        assert!(field(link(&t.db, f.staff, other, "other").await).contains("its own primary"));
        assert!(
            field(link(&t.db, f.staff, other, SUB_ACCOUNT_LOGIN).await)
                .contains("itself a sub-account"),
            "{}",
            t.name
        );
        assert!(
            field(link(&t.db, f.staff, f.customer, "other").await)
                .contains("has sub-accounts of its own"),
            "{}",
            t.name
        );
        assert!(field(link(&t.db, f.staff, other, "nobody").await).contains("No customer"));
        assert!(field(link(&t.db, f.staff, other, "admin").await).contains("No customer"));
        assert_eq!(
            link(&t.db, f.staff, f.staff, CUSTOMER_LOGIN).await,
            Err(Error::NotFound),
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM accounts WHERE primary_account_id IS NOT NULL AND id <> $1",
                f.sub_account
            )
            .await,
            0,
            "{}: no refused link was made",
            t.name
        );

        link(&t.db, f.staff, other, "  ACME ")
            .await
            .expect("login names are matched as typed at sign-in");
        let subs: Vec<i64> = detail(&t.db, f.customer)
            .await
            .expect("detail")
            .sub_accounts
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(subs, [f.sub_account, other], "{}", t.name);
        let links: Vec<_> = audit_entries(&t.db)
            .await
            .into_iter()
            .filter(|(action, ..)| action == "account.link_sub_account")
            .collect();
        assert_eq!(links.len(), 2, "{}: the fixture's and this one", t.name);
        assert_eq!(links[1].1, Some(other));
        assert_eq!(links[1].2, r#"{"primary_account_id":null}"#, "{}", t.name);
        assert_eq!(
            links[1].3,
            format!(r#"{{"primary_account_id":{}}}"#, f.customer),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_transfer_moves_money_between_linked_accounts_on_both_statements() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        transfer(
            &t.db,
            f.staff,
            f.customer,
            f.sub_account,
            "2.50",
            " budget ",
        )
        .await
        .expect("transfer");
        assert_eq!(
            balance(&t.db, f.customer).await,
            Money::from_minor(CUSTOMER_BALANCE.minor() - 25_000),
            "{}",
            t.name
        );
        assert_eq!(
            balance(&t.db, f.sub_account).await,
            Money::from_minor(SUB_ACCOUNT_BALANCE.minor() + 25_000),
            "{}",
            t.name
        );
        let out = &detail(&t.db, f.customer)
            .await
            .expect("detail")
            .recent_entries[0];
        assert_eq!(
            (out.kind.as_str(), out.amount, out.description.as_str()),
            (
                "transfer_out",
                Money::from_minor(-25_000),
                "Transfer to acme-dept: budget"
            ),
            "{}",
            t.name
        );
        let inc = &detail(&t.db, f.sub_account)
            .await
            .expect("detail")
            .recent_entries[0];
        assert_eq!(
            (inc.kind.as_str(), inc.amount, inc.description.as_str()),
            (
                "transfer_in",
                Money::from_minor(25_000),
                "Transfer from acme: budget"
            ),
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind IN ('transfer_in', 'transfer_out') AND created_by = $1",
                f.staff
            )
            .await,
            2,
            "{}: the staff member is on both entries",
            t.name
        );
        let audit: Vec<_> = audit_entries(&t.db)
            .await
            .into_iter()
            .filter(|(action, ..)| action == "ledger.transfer")
            .collect();
        assert_eq!(audit.len(), 1, "{}", t.name);
        assert!(audit[0].3.contains("\"amount\":25000"), "{}", audit[0].3);

        // Back from the sub-account to its primary, and between two subs of one primary.
        transfer(&t.db, f.staff, f.sub_account, f.customer, "1", "")
            .await
            .expect("sub to primary");
        let sibling = customer(&t.db, "acme-sales", f.staff, Money::ZERO).await;
        link(&t.db, f.staff, sibling, CUSTOMER_LOGIN)
            .await
            .expect("link");
        transfer(&t.db, f.staff, f.sub_account, sibling, "0.0001", "")
            .await
            .expect("between siblings");
        assert_eq!(
            balance(&t.db, sibling).await,
            Money::from_minor(1),
            "{}",
            t.name
        );
        assert_eq!(
            balance(&t.db, f.sub_account).await,
            Money::from_minor(SUB_ACCOUNT_BALANCE.minor() + 25_000 - 10_000 - 1),
            "{}",
            t.name
        );
        assert!(
            crate::ledger::store::accounts_out_of_balance(&t.db)
                .await
                .expect("check")
                .is_empty(),
            "{}",
            t.name
        );
    }
}

/// Snapshot of what a refused transfer must leave exactly as it was.
async fn state(db: &Db, f: &Fixture, other: i64) -> Vec<(Money, i64)> {
    let mut out = Vec::new();
    for id in [f.customer, f.sub_account, other] {
        out.push((balance(db, id).await, entries(db, id).await));
    }
    out
}

#[tokio::test]
async fn a_refused_transfer_changes_nothing_in_either_direction() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let outsider = customer(&t.db, "outsider", f.staff, Money::hkd(50)).await;
        let before = state(&t.db, &f, outsider).await;
        // More than the balance, from the lower id (its entry is posted first) and from the
        // higher id (the other account's transfer-in is posted first and must be undone).
        let over_sub = format!("{}.0001", SUB_ACCOUNT_BALANCE.minor() / 10_000);
        for (from, to, amount, login) in [
            (f.customer, f.sub_account, "100.0001", CUSTOMER_LOGIN),
            (
                f.sub_account,
                f.customer,
                over_sub.as_str(),
                SUB_ACCOUNT_LOGIN,
            ),
        ] {
            let err = transfer(&t.db, f.staff, from, to, amount, "")
                .await
                .expect_err("more than the balance");
            assert!(
                err.message_for("amount")
                    .is_some_and(|m| m.contains("too little") && m.contains(login)),
                "{}: {err:?}",
                t.name
            );
            assert_eq!(state(&t.db, &f, outsider).await, before, "{}", t.name);
        }
        for amount in ["0", "-1", "abc", ""] {
            let err = transfer(&t.db, f.staff, f.customer, f.sub_account, amount, "")
                .await
                .expect_err(amount);
            assert!(err.message_for("amount").is_some(), "{amount}: {err:?}");
        }
        let err = transfer(&t.db, f.staff, f.customer, f.customer, "1", "")
            .await
            .expect_err("to itself");
        assert!(err.message_for("to_account_id").is_some(), "{err:?}");
        let err = transfer(&t.db, f.staff, f.sub_account, outsider, "1", "")
            .await
            .expect_err("not linked");
        assert!(
            err.message_for("to_account_id")
                .is_some_and(|m| m.contains("primary account and its sub-accounts")),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(
            transfer(&t.db, f.staff, f.customer, f.staff, "1", "").await,
            Err(Error::NotFound),
            "{}: not to a staff account",
            t.name
        );
        assert_eq!(state(&t.db, &f, outsider).await, before, "{}", t.name);
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.transfer' AND staff_id = $1",
                f.staff
            )
            .await,
            0,
            "{}",
            t.name
        );

        // The whole balance is not too much (§14: the exact boundary passes).
        transfer(&t.db, f.staff, f.sub_account, f.customer, "10", "")
            .await
            .expect("exactly the balance");
        assert_eq!(
            balance(&t.db, f.sub_account).await,
            Money::ZERO,
            "{}",
            t.name
        );
        assert_eq!(
            balance(&t.db, f.customer).await,
            Money::from_minor(CUSTOMER_BALANCE.minor() + SUB_ACCOUNT_BALANCE.minor()),
            "{}",
            t.name
        );
    }
}

/// §14 (playSMS #522) for transfers: racing transfers against a balance that covers N−1 of
/// them → exactly N−1 go through, every one of those is a success (not an error), and no
/// balance goes below zero.
#[tokio::test]
async fn concurrent_transfers_never_overdraw_and_each_covered_one_succeeds() {
    const N: i64 = 12;
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        // The sub-account holds HK$10; each transfer moves HK$10/(N-1) rounded down, so N-1 fit.
        let each = SUB_ACCOUNT_BALANCE.minor() / (N - 1);
        let amount = format!("{}.{:04}", each / 10_000, each % 10_000);
        let mut tasks = Vec::new();
        for _ in 0..N {
            let db = t.db.clone();
            let amount = amount.clone();
            let (staff, from, to) = (f.staff, f.sub_account, f.customer);
            tasks.push(tokio::spawn(async move {
                transfer(&db, staff, from, to, &amount, "").await
            }));
        }
        let mut ok = 0;
        let mut refused = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(()) => ok += 1,
                Err(e) if e.message_for("amount").is_some() => refused += 1,
                Err(e) => panic!("{}: a transfer failed: {e:?}", t.name),
            }
        }
        assert_eq!((ok, refused), (N - 1, 1), "{}", t.name);
        assert_eq!(
            balance(&t.db, f.sub_account).await,
            Money::from_minor(SUB_ACCOUNT_BALANCE.minor() - (N - 1) * each),
            "{}",
            t.name
        );
        assert_eq!(
            balance(&t.db, f.customer).await,
            Money::from_minor(CUSTOMER_BALANCE.minor() + (N - 1) * each),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn staff_set_and_unset_the_charity_flag_with_an_audit_entry() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        set_charity(&t.db, f.staff, f.customer, true)
            .await
            .expect("set");
        assert!(
            detail(&t.db, f.customer)
                .await
                .expect("d")
                .account
                .is_charity
        );
        assert!(
            !detail(&t.db, f.sub_account)
                .await
                .expect("d")
                .account
                .is_charity,
            "{}: only that account",
            t.name
        );
        set_charity(&t.db, f.staff, f.customer, false)
            .await
            .expect("unset");
        assert!(
            !detail(&t.db, f.customer)
                .await
                .expect("d")
                .account
                .is_charity
        );
        assert_eq!(
            set_charity(&t.db, f.staff, f.staff, true).await,
            Err(Error::NotFound),
            "{}",
            t.name
        );
        let audit: Vec<(String, String)> = audit_entries(&t.db)
            .await
            .into_iter()
            .filter(|(action, target, ..)| {
                action == "account.set_charity" && *target == Some(f.customer)
            })
            .map(|(_, _, before, after)| (before, after))
            .collect();
        assert_eq!(
            audit,
            [
                (
                    r#"{"is_charity":false}"#.to_string(),
                    r#"{"is_charity":true}"#.to_string()
                ),
                (
                    r#"{"is_charity":true}"#.to_string(),
                    r#"{"is_charity":false}"#.to_string()
                )
            ],
            "{}",
            t.name
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM accounts WHERE is_charity <> 0 AND id <> $1",
                0
            )
            .await,
            0,
            "{}",
            t.name
        );
    }
}

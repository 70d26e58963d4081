//! `settings::store` against every backend: load, update (the lock-out guard and the country
//! code check), and staff clearing an allow-list with its audit entry.

use super::store::{clear_ip_allow_list, load, update};
use super::*;
use crate::db::testing::all_backends;
use crate::testing::{audit_entries, fixture};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn settings(ip_allow_list: &str) -> AccountSettings {
    validate(
        "30",
        "0.50",
        ip_allow_list,
        "2123 4567",
        "https://acme.example/hook",
        "https://acme.example/status",
        "853",
    )
    .expect("valid settings")
}

#[tokio::test]
async fn a_new_account_loads_the_defaults_and_an_unknown_one_is_not_found() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = load(&t.db, f.customer).await.expect("load");
        assert_eq!(
            s,
            AccountSettings {
                validity_minutes: DEFAULT_VALIDITY_MINUTES,
                single_sms_limit: None,
                ip_allow_list: String::new(),
                unsubscribe_hotline: String::new(),
                callback_url: String::new(),
                status_callback_url: String::new(),
                default_country_code: 852,
            },
            "{}",
            t.name
        );
        assert_eq!(
            load(&t.db, f.customer + 1000).await,
            Err(Error::NotFound),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn updated_settings_load_back_exactly_and_only_for_their_account() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let wanted = settings("203.0.113.0/24\n2001:db8::/32");
        update(&t.db, f.customer, ip("203.0.113.9"), wanted.clone())
            .await
            .expect("update");
        let got = load(&t.db, f.customer).await.expect("load");
        assert_eq!(got, wanted, "{}", t.name);
        assert_eq!(got.single_sms_limit, Some(Money::from_minor(5_000)));
        assert_eq!(got.unsubscribe_hotline, "21234567");
        assert_eq!(got.default_country_code, 853);
        // The sub-account's settings are its own.
        let sub = load(&t.db, f.sub_account).await.expect("load sub");
        assert_eq!(sub.validity_minutes, DEFAULT_VALIDITY_MINUTES, "{}", t.name);
        assert_eq!(sub.ip_allow_list, "", "{}", t.name);
    }
}

#[tokio::test]
async fn an_allow_list_that_would_lock_the_caller_out_is_refused_and_nothing_changes() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let err = update(
            &t.db,
            f.customer,
            ip("198.51.100.7"),
            settings("203.0.113.0/24"),
        )
        .await
        .expect_err("locks the caller out");
        assert!(
            err.message_for("ip_allow_list")
                .is_some_and(|m| m.contains("198.51.100.7")),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(
            load(&t.db, f.customer).await.expect("load"),
            load(&t.db, f.sub_account).await.expect("defaults"),
            "{}: nothing was saved",
            t.name
        );
        // The same list from inside it, and from its IPv4-mapped IPv6 form, is accepted.
        update(
            &t.db,
            f.customer,
            ip("::ffff:203.0.113.200"),
            settings("203.0.113.0/24"),
        )
        .await
        .expect("the caller is inside the list");
        assert_eq!(
            load(&t.db, f.customer).await.expect("load").ip_allow_list,
            "203.0.113.0/24",
            "{}",
            t.name
        );
    }
}

/// An allow-list the engine cannot parse must never be stored: sign-in and every request read
/// an unparsable list as empty, which lets every address in (fail open). `update` is the one
/// door every caller (portal, API, CLI) saves through, so it must refuse it itself.
#[tokio::test]
async fn an_unparsable_allow_list_is_refused_not_stored_as_allow_everyone() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let bad = AccountSettings {
            ip_allow_list: "203.0.113.0/24\nnot-an-address".into(),
            ..settings("")
        };
        let err = update(&t.db, f.customer, ip("203.0.113.9"), bad)
            .await
            .expect_err("an unparsable allow-list");
        assert!(
            err.message_for("ip_allow_list")
                .is_some_and(|m| m.contains("not-an-address")),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(
            load(&t.db, f.customer).await.expect("load").ip_allow_list,
            "",
            "{}: nothing was saved",
            t.name
        );
    }
}

#[tokio::test]
async fn an_unknown_default_country_code_is_refused() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let s = AccountSettings {
            default_country_code: 999,
            ..settings("")
        };
        let err = update(&t.db, f.customer, ip("192.0.2.1"), s)
            .await
            .expect_err("999 is no country");
        assert!(
            err.message_for("default_country_code").is_some(),
            "{}: {err:?}",
            t.name
        );
        assert_eq!(
            load(&t.db, f.customer)
                .await
                .expect("load")
                .default_country_code,
            852,
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn staff_clear_an_allow_list_with_an_audit_entry_of_before_and_after() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        update(
            &t.db,
            f.customer,
            ip("203.0.113.9"),
            settings("203.0.113.0/24\n198.51.100.7"),
        )
        .await
        .expect("update");
        clear_ip_allow_list(&t.db, f.staff, f.customer)
            .await
            .expect("clear");
        let after = load(&t.db, f.customer).await.expect("load");
        assert_eq!(after.ip_allow_list, "", "{}", t.name);
        assert!(
            IpAllowList::parse(&after.ip_allow_list)
                .expect("empty")
                .allows(ip("192.0.2.1")),
            "{}: any address may sign in again",
            t.name
        );
        // The other settings are untouched.
        assert_eq!(
            after,
            AccountSettings {
                ip_allow_list: String::new(),
                ..settings("")
            },
            "{}",
            t.name
        );
        let entries: Vec<_> = audit_entries(&t.db)
            .await
            .into_iter()
            .filter(|(action, ..)| action == "account.clear_ip_allow_list")
            .collect();
        assert_eq!(entries.len(), 1, "{}", t.name);
        let (_, target, before, after) = &entries[0];
        assert_eq!(*target, Some(f.customer), "{}", t.name);
        let before: serde_json::Value = serde_json::from_str(before).expect("json");
        let after: serde_json::Value = serde_json::from_str(after).expect("json");
        assert_eq!(
            before["ip_allow_list"], "203.0.113.0/24\n198.51.100.7/32",
            "{}",
            t.name
        );
        assert_eq!(after["ip_allow_list"], "", "{}", t.name);

        // An account that does not exist: not found, and no audit entry.
        assert_eq!(
            clear_ip_allow_list(&t.db, f.staff, f.customer + 1000).await,
            Err(Error::NotFound),
            "{}",
            t.name
        );
        let n = audit_entries(&t.db)
            .await
            .iter()
            .filter(|(action, ..)| action == "account.clear_ip_allow_list")
            .count();
        assert_eq!(n, 1, "{}", t.name);
    }
}

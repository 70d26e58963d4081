//! Staff-managed SMSC connections against every backend: every field checked at once, names
//! fixed and unique (also against ferry.toml's), the password never read back nor audited,
//! disable before remove, and what the dispatcher is given.

use super::store::{enabled, list, remove, save, set_enabled};
use super::*;
use crate::db::testing::all_backends;
use crate::error::Error;
use crate::testing::{audit_entries, fixture};

fn form(name: &str) -> SmscForm {
    SmscForm {
        name: name.into(),
        address: "smsc.operator.example:2775".into(),
        system_id: "ferry01".into(),
        password: "s3cret".into(),
        priority: "2".into(),
        window: "50".into(),
        max_per_second: "200".into(),
        msg_id_matching: "submit_hex_receipt_decimal".into(),
        route_hk_business: "on".into(),
        route_china: "on".into(),
        ..SmscForm::default()
    }
}

fn fields(e: &Error) -> Vec<&str> {
    match e {
        Error::Invalid(list) => list.iter().map(|f| f.field.as_str()).collect(),
        other => panic!("not a field error: {other:?}"),
    }
}

#[test]
fn matching_names_are_the_smpp_crates() {
    let smpp: Vec<&str> = smpp::MsgIdMatching::ALL
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert_eq!(smpp, MATCHING_NAMES);
}

#[test]
fn addresses_are_host_and_port() {
    for good in [
        "smsc.example:2775",
        "10.0.0.5:2775",
        "[::1]:2775",
        "localhost:1",
    ] {
        assert!(valid_address(good), "{good}");
    }
    for bad in [
        "",
        "smsc.example",
        "smsc.example:0",
        "smsc.example:70000",
        ":2775",
        "smsc example:2775",
        "-bad.example:2775",
        "::1:2775",
        "smsc.example:2775/path",
    ] {
        assert!(!valid_address(bad), "{bad}");
    }
}

#[tokio::test]
async fn every_wrong_field_is_named_at_once_and_nothing_is_stored() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let bad = SmscForm {
            name: "has space".into(),
            address: "no-port".into(),
            system_id: "a-system-id-that-is-too-long".into(),
            password: "ninechars".into(),
            priority: "-1".into(),
            window: "0".into(),
            max_per_second: "lots".into(),
            msg_id_matching: "hex".into(),
            ..SmscForm::default()
        };
        let e = save(&t.db, f.staff, &bad, &[]).await.expect_err("rejected");
        assert_eq!(
            fields(&e),
            [
                "name",
                "address",
                "system_id",
                "password",
                "routes",
                "priority",
                "window",
                "max_per_second",
                "msg_id_matching"
            ],
            "{}",
            t.name
        );
        assert!(list(&t.db).await.expect("list").is_empty());
        // Names of ferry.toml's connections and the simulator's are taken.
        for taken in ["csl", SIMULATOR_NAME] {
            let e = save(&t.db, f.staff, &form(taken), &["csl".to_string()])
                .await
                .expect_err("taken");
            assert_eq!(fields(&e), ["name"]);
        }
    }
}

#[tokio::test]
async fn staff_add_edit_disable_and_remove_a_connection_audited() {
    for t in all_backends().await {
        let f = fixture(&t.db).await;
        let id = save(&t.db, f.staff, &form("csl-1"), &[])
            .await
            .expect("add");
        let e = save(&t.db, f.staff, &form("csl-1"), &[])
            .await
            .expect_err("duplicate");
        assert_eq!(fields(&e), ["name"], "{}", t.name);

        let stored = list(&t.db).await.expect("list");
        assert_eq!(stored.len(), 1);
        let c = &stored[0];
        assert_eq!(
            (
                c.id,
                c.name.as_str(),
                c.address.as_str(),
                c.system_id.as_str()
            ),
            (id, "csl-1", "smsc.operator.example:2775", "ferry01")
        );
        assert_eq!(c.routes, ["HK_BUSINESS", "CHINA"]);
        assert_eq!((c.priority, c.window, c.max_per_second), (2, 50, 200));
        assert!(c.enabled);

        // What the dispatcher runs, password included.
        let configs = enabled(&t.db).await.expect("enabled");
        assert_eq!(configs.len(), 1);
        let run = &configs[0];
        assert_eq!(run.password, "s3cret");
        assert_eq!(run.routes, [sms::Route::HkBusiness, sms::Route::China]);
        assert_eq!(run.max_per_second, Some(200.0));
        assert_eq!(run.window, 50);
        assert_eq!(
            run.msg_id_matching,
            smpp::MsgIdMatching::SubmitHexReceiptDecimal
        );

        // An edit with the password box empty keeps the password; the name cannot change.
        let edit = SmscForm {
            id: id.to_string(),
            password: String::new(),
            priority: "5".into(),
            max_per_second: String::new(),
            route_china: String::new(),
            ..form("csl-1")
        };
        save(&t.db, f.staff, &edit, &[]).await.expect("edit");
        let run = &enabled(&t.db).await.expect("enabled")[0];
        assert_eq!(run.password, "s3cret");
        assert_eq!(run.priority, 5);
        assert_eq!(run.max_per_second, None);
        assert_eq!(run.routes, [sms::Route::HkBusiness]);
        let renamed = SmscForm {
            name: "csl-2".into(),
            ..edit.clone()
        };
        let e = save(&t.db, f.staff, &renamed, &[])
            .await
            .expect_err("renamed");
        assert_eq!(fields(&e), ["name"]);
        let e = save(
            &t.db,
            f.staff,
            &SmscForm {
                id: "999999".into(),
                ..edit.clone()
            },
            &[],
        )
        .await
        .expect_err("unknown id");
        assert_eq!(e, Error::NotFound);

        // Enabled connections cannot be removed; disabled ones are not run.
        assert!(matches!(
            remove(&t.db, f.staff, id).await,
            Err(Error::Conflict(_))
        ));
        set_enabled(&t.db, f.staff, id, false)
            .await
            .expect("disable");
        assert!(enabled(&t.db).await.expect("enabled").is_empty());
        assert!(!list(&t.db).await.expect("list")[0].enabled);
        remove(&t.db, f.staff, id).await.expect("remove");
        assert!(list(&t.db).await.expect("list").is_empty());

        let audit: Vec<_> = audit_entries(&t.db)
            .await
            .into_iter()
            .filter(|(action, ..)| action.starts_with("smsc."))
            .collect();
        let actions: Vec<&str> = audit.iter().map(|(a, ..)| a.as_str()).collect();
        assert_eq!(
            actions,
            ["smsc.add", "smsc.edit", "smsc.disable", "smsc.remove"]
        );
        for (_, _, before, after) in &audit {
            assert!(!before.contains("s3cret") && !after.contains("s3cret"));
        }
        assert!(
            audit[1].3.contains("\"password_changed\":false"),
            "{}",
            audit[1].3
        );
        assert!(audit[1].2.contains("\"priority\":2") && audit[1].3.contains("\"priority\":5"));
    }
}

//! Recipients through the real router (§6): quick import of CSV/XLSX files, the do-not-call
//! register (staff import, atomic replacement, filtering with consent), and the address book
//! with its tenant isolation. Every test runs on SQLite and PostgreSQL.

mod common;

use common::{account_id, sign_up, staff, Client};
use engine::db::testing::{all_backends, TestDb};
use http::StatusCode;
use sqlx::Row;

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.db.pool())
        .await
        .expect("query")
        .try_get(0)
        .expect("count")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn an_uploaded_file_comes_back_as_normalised_numbers_with_every_rejected_row() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        let anonymous = c
            .server_fn_multipart(
                "import_recipients",
                &[],
                Some(("file", "a.csv", b"91234567")),
            )
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        sign_up(&mut c, "importer").await;

        let csv = "Phone\r\n9123 4567\r\n+852 9123 4567\r\n6123-4567\r\nnope\r\n2123 4567\r\n";
        let r = c
            .server_fn_multipart(
                "import_recipients",
                &[],
                Some(("file", "list.csv", csv.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let v = json(&r.body);
        assert_eq!(
            v["numbers"],
            serde_json::json!(["85291234567", "85261234567"])
        );
        assert_eq!(v["duplicates"], 1);
        let rejected: Vec<i64> = v["rejected"]
            .as_array()
            .expect("rejected")
            .iter()
            .map(|r| r["row"].as_i64().expect("row"))
            .collect();
        assert_eq!(rejected, vec![5, 6]);

        // An XLSX named .csv: read for what it is.
        let xlsx = include_bytes!("../../engine/tests/fixtures/recipients.xlsx");
        let r = c
            .server_fn_multipart(
                "import_recipients",
                &[],
                Some(("file", "renamed.csv", xlsx)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = json(&r.body);
        assert_eq!(
            v["numbers"],
            serde_json::json!(["85291234567", "85261234567"])
        );
        assert_eq!(v["rejected"].as_array().map(Vec::len), Some(2));

        let utf16: Vec<u8> = [0xFFu8, 0xFE]
            .into_iter()
            .chain("91234567\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let r = c
            .server_fn_multipart("import_recipients", &[], Some(("file", "u.csv", &utf16)))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("\"file\"") && r.body.contains("CSV UTF-8"),
            "{}",
            r.body
        );

        let big = vec![b'9'; app::import::MAX_IMPORT_BYTES + 10];
        let r = c
            .server_fn_multipart("import_recipients", &[], Some(("file", "big.csv", &big)))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("the limit is 6 MB"), "{}", r.body);
    }
}

fn register_csv(numbers: &[String]) -> Vec<u8> {
    let mut csv = String::from("Telephone Number\r\n");
    for n in numbers {
        csv.push_str(n);
        csv.push_str("\r\n");
    }
    csv.into_bytes()
}

#[tokio::test]
async fn staff_replace_the_register_and_the_filter_keeps_consented_numbers() {
    for t in all_backends().await {
        let mut admin = staff(&t).await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "sender").await;
        let listed: Vec<String> = (0..1000).map(|i| format!("{}", 91_000_000 + i)).collect();

        // Customers cannot touch the register.
        let r = c
            .server_fn_multipart(
                "import_dnc_register",
                &[("register_date", "2026-11-01")],
                Some(("file", "dnc.csv", &register_csv(&listed))),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = admin
            .server_fn_multipart(
                "import_dnc_register",
                &[("register_date", "2026-11-01")],
                Some(("file", "dnc.csv", &register_csv(&listed))),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        assert_eq!(json(&r.body)["version"]["number_count"], 1000);
        let current = admin.server_fn("dnc_register", &[]).await;
        assert!(current.body.contains("2026-11-01"), "{}", current.body);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'dnc.import'"
            )
            .await,
            1
        );
        let page = admin.page("/admin/dnc").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("1000 numbers"), "{}", page.body);

        // The customer records consent for one listed number.
        let r = c
            .server_fn(
                "add_consent",
                &[
                    ("consent_number", "9100 0001"),
                    ("consent_date", "2026-10-01"),
                    ("note", "signed form"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let account = account_id(&t, "sender").await;
        let batch: Vec<String> = ["85291000000", "85291000001", "85261234567"]
            .map(String::from)
            .to_vec();
        let (kept, filtered) = app::dnc::filter(&t.db, account, &batch)
            .await
            .expect("filter");
        assert_eq!(kept, vec!["85291000001", "85261234567"], "{}", t.name);
        assert_eq!(filtered, vec!["85291000000"]);

        // Another account's consent does not help this one.
        let mut other = Client::new(&t);
        sign_up(&mut other, "other").await;
        let other_id = account_id(&t, "other").await;
        let (kept, _) = app::dnc::filter(&t.db, other_id, &batch)
            .await
            .expect("filter");
        assert_eq!(kept, vec!["85261234567"]);

        // Consent imported from CSV, with a bad row reported.
        let r = other
            .server_fn_multipart(
                "import_consents",
                &[],
                Some((
                    "file",
                    "consent.csv",
                    b"number,date,note\r\n91000000,2026-09-30,web form\r\n91000002,yesterday,\r\n",
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = json(&r.body);
        assert_eq!(v["added"], 1);
        assert_eq!(v["rejected"][0]["row"], 3);
        let (kept, _) = app::dnc::filter(&t.db, other_id, &batch)
            .await
            .expect("filter");
        assert_eq!(kept, vec!["85291000000", "85261234567"]);

        // A bad file leaves the register as it was.
        let r = admin
            .server_fn_multipart(
                "import_dnc_register",
                &[("register_date", "2026-12-01")],
                Some(("file", "dnc.csv", b"\xff\xfe\x00junk")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(
            engine::dnc::store::current(&t.db)
                .await
                .expect("current")
                .expect("v")
                .number_count,
            1000
        );
    }
}

#[tokio::test]
async fn a_reader_sees_the_old_register_or_the_new_one_never_a_mix_or_nothing() {
    for t in all_backends().await {
        let _admin = staff(&t).await;
        let staff_id = account_id(&t, "admin").await;
        let mut c = Client::new(&t);
        sign_up(&mut c, "reader").await;
        let account = account_id(&t, "reader").await;
        let list = |base: u32, n: u32| -> Vec<String> {
            let mut v: Vec<String> = (0..n).map(|i| format!("852{}", base + i)).collect();
            v.sort();
            v
        };
        let a = list(91_000_000, 30_000);
        let b = list(92_000_000, 40_000);
        engine::dnc::store::replace(&t.db, staff_id, "2026-11-01", "a.csv", &a)
            .await
            .expect("a");
        // Probe numbers spread over both lists, so a half-loaded or mixed list shows.
        let probe: Vec<String> = a
            .iter()
            .step_by(997)
            .chain(b.iter().step_by(997))
            .cloned()
            .collect();
        let only_a: Vec<String> = probe.iter().filter(|n| a.contains(n)).cloned().collect();
        let only_b: Vec<String> = probe.iter().filter(|n| b.contains(n)).cloned().collect();

        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..3 {
            let (db, probe, stop) = (t.db.clone(), probe.clone(), stop.clone());
            readers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (_, filtered) = app::dnc::filter(&db, account, &probe)
                        .await
                        .expect("filter");
                    seen.push(filtered);
                    tokio::task::yield_now().await;
                }
                seen
            }));
        }
        for (i, next) in [&b, &a, &b].into_iter().enumerate() {
            engine::dnc::store::replace(&t.db, staff_id, "2026-11-02", &format!("{i}.csv"), next)
                .await
                .expect("replace");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut reads = 0;
        for r in readers {
            for filtered in r.await.expect("reader") {
                reads += 1;
                assert!(
                    filtered == only_a || filtered == only_b,
                    "{}: a reader saw {} numbers, neither list",
                    t.name,
                    filtered.len()
                );
            }
        }
        assert!(reads > 3, "{}: only {reads} reads", t.name);
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM dnc_numbers").await,
            40_000,
            "old versions are removed"
        );
    }
}

#[tokio::test]
async fn the_address_book_is_private_to_its_account() {
    for t in all_backends().await {
        let mut alpha = Client::new(&t);
        sign_up(&mut alpha, "alpha").await;
        let mut bravo = Client::new(&t);
        sign_up(&mut bravo, "bravo").await;

        let r = alpha
            .server_fn(
                "save_contact",
                &[("name", "Ann Chan"), ("number", "9123 4567")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let contact = r.body.trim().to_string();
        let dup = alpha
            .server_fn(
                "save_contact",
                &[("name", "Ann again"), ("number", "+85291234567")],
            )
            .await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.body);
        let r = alpha
            .server_fn("create_group", &[("group_name", "VIP")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let group = r.body.trim().to_string();
        let r = alpha
            .server_fn(
                "set_membership",
                &[
                    ("group_id", &group),
                    ("contact_id", &contact),
                    ("member", "true"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let numbers = alpha
            .server_fn("group_numbers", &[("group_id", &group)])
            .await;
        assert_eq!(json(&numbers.body), serde_json::json!(["85291234567"]));

        // Bravo cannot see, change or use any of it: 404, as for ids that do not exist.
        for (name, form) in [
            ("group_numbers", vec![("group_id", group.as_str())]),
            ("delete_group", vec![("group_id", group.as_str())]),
            ("delete_contact", vec![("contact_id", contact.as_str())]),
            (
                "save_contact",
                vec![
                    ("contact_id", contact.as_str()),
                    ("name", "Mine"),
                    ("number", "61234567"),
                ],
            ),
            (
                "set_membership",
                vec![
                    ("group_id", group.as_str()),
                    ("contact_id", contact.as_str()),
                    ("member", "false"),
                ],
            ),
        ] {
            let r = bravo.server_fn(name, &form).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{}: {name}: {}",
                t.name,
                r.body
            );
        }
        let book = bravo.server_fn("load_address_book", &[]).await;
        assert_eq!(
            json(&book.body),
            serde_json::json!({ "contacts": [], "groups": [] })
        );
        let export = bravo.get("/address-book/contacts.csv").await;
        assert_eq!(export.body, "name,number,groups\r\n");
        assert_eq!(count(&t, "SELECT COUNT(*) FROM contacts").await, 1);

        let export = alpha.get("/address-book/contacts.csv").await;
        assert_eq!(export.status, StatusCode::OK);
        assert_eq!(
            export.body,
            "name,number,groups\r\nAnn Chan,+85291234567,VIP\r\n"
        );
        let page = alpha.page("/address-book").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Ann Chan"), "{}", page.body);

        let mut anonymous = Client::new(&t);
        assert_eq!(
            anonymous.get("/address-book/contacts.csv").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn contacts_import_from_csv_into_groups_and_export_again() {
    for t in all_backends().await {
        let mut c = Client::new(&t);
        sign_up(&mut c, "importer").await;
        let csv = "Name,Mobile,Group\r\nAnn,9123 4567,VIP\r\nBen,6123 4567,VIP\r\nCat,5123 4567,\r\nBad,12,VIP\r\nAnn Chan,+852 9123 4567,Staff\r\n";
        let r = c
            .server_fn_multipart(
                "import_contacts",
                &[],
                Some(("file", "c.csv", csv.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", t.name, r.body);
        let v = json(&r.body);
        assert_eq!(
            (v["added"].as_i64(), v["updated"].as_i64()),
            (Some(3), Some(1))
        );
        assert_eq!(v["rejected"][0]["row"], 5);
        let book = json(&c.server_fn("load_address_book", &[]).await.body);
        let groups: Vec<(String, i64)> = book["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| {
                (
                    g["name"].as_str().expect("name").to_string(),
                    g["members"].as_i64().expect("n"),
                )
            })
            .collect();
        assert_eq!(groups, vec![("Staff".into(), 1), ("VIP".into(), 2)]);
        let export = c.get("/address-book/contacts.csv").await;
        assert!(
            export.body.contains("Ann Chan,+85291234567,VIP; Staff\r\n"),
            "{}",
            export.body
        );
    }
}

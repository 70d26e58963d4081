//! Fixtures for the engine's store tests (and other crates' tests): the accounts a test needs,
//! made through the engine's own functions (`auth::accounts::create_account`, ledger postings,
//! `sender_ids::store::create`, `staff::accounts::store::link`), so a fixture can never hold a
//! state the engine itself could not reach. Pair with [`crate::db::testing::all_backends`].

use crate::auth::accounts::{create_account, NewAccount, TRIAL_CREDIT};
use crate::auth::{AccountStatus, Role};
use crate::db::Db;
use crate::ledger::store::{balance_and_entry_sum, post, Posting};
use crate::ledger::EntryKind;
use sms::Money;

/// The registered mobile of every fixture customer (E.164 digits, as sign-up stores it).
pub const MOBILE: &str = "85291234567";
/// Login names of [`fixture`]'s accounts.
pub const STAFF_LOGIN: &str = "admin";
pub const CUSTOMER_LOGIN: &str = "acme";
pub const SUB_ACCOUNT_LOGIN: &str = "acme-dept";
/// The customer's approved sender ID.
pub const SENDER_ID: &str = "ACME";
/// What [`fixture`]'s customer and sub-account start with.
pub const CUSTOMER_BALANCE: Money = Money::hkd(100);
pub const SUB_ACCOUNT_BALANCE: Money = Money::hkd(10);
/// The price list the migrations install, per part: HK Business, HK Economic, China,
/// International (whole route) and Macau (`853`).
pub const HK_BUSINESS_PRICE: Money = Money::from_minor(3_200);
pub const HK_ECONOMIC_PRICE: Money = Money::from_minor(2_200);
pub const CHINA_PRICE: Money = Money::from_minor(4_500);
pub const INTERNATIONAL_PRICE: Money = Money::from_minor(6_800);
pub const MACAU_PRICE: Money = Money::from_minor(4_800);

/// A customer with a balance and an approved sender ID, its sub-account (with a balance of its
/// own and no sender ID), and a staff member.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub staff: i64,
    pub customer: i64,
    pub sub_account: i64,
}

/// Builds [`Fixture`] on a fresh database.
pub async fn fixture(db: &Db) -> Fixture {
    let staff = staff(db, STAFF_LOGIN).await;
    let customer = customer(db, CUSTOMER_LOGIN, staff, CUSTOMER_BALANCE).await;
    crate::sender_ids::store::create(db, staff, customer, SENDER_ID, false)
        .await
        .expect("create the customer's sender ID");
    let sub_account =
        customer_account(db, SUB_ACCOUNT_LOGIN, "Acme Dept", AccountStatus::Normal).await;
    top_up(db, sub_account, staff, SUB_ACCOUNT_BALANCE).await;
    crate::staff::accounts::store::link(db, staff, sub_account, CUSTOMER_LOGIN)
        .await
        .expect("link the sub-account");
    Fixture {
        staff,
        customer,
        sub_account,
    }
}

/// A staff account.
pub async fn staff(db: &Db, login: &str) -> i64 {
    create_account(
        db,
        NewAccount {
            login_name: login,
            password_hash: "not-a-hash",
            role: Role::Staff,
            status: AccountStatus::Staff,
            company_name: "Ferry staff",
            contact_email: "staff@ferry.example",
            mobile: "",
            opening_credit: None,
        },
    )
    .await
    .expect("create staff")
}

/// A customer account (no credit) in `status`; a trial account gets its HK$5 trial credit as
/// sign-up gives it.
pub async fn customer_account(db: &Db, login: &str, company: &str, status: AccountStatus) -> i64 {
    create_account(
        db,
        NewAccount {
            login_name: login,
            password_hash: "not-a-hash",
            role: Role::Customer,
            status,
            company_name: company,
            contact_email: "ops@acme.example",
            mobile: MOBILE,
            opening_credit: (status == AccountStatus::Trial).then_some(TRIAL_CREDIT),
        },
    )
    .await
    .expect("create customer")
}

/// A normal (approved) customer topped up with `balance` by `staff_id`.
pub async fn customer(db: &Db, login: &str, staff_id: i64, balance: Money) -> i64 {
    let id = customer_account(db, login, "Acme Ltd", AccountStatus::Normal).await;
    if balance.minor() > 0 {
        top_up(db, id, staff_id, balance).await;
    }
    id
}

/// A trial account whose registered mobile ([`MOBILE`]) is verified the way its owner would:
/// the code sent by SMS, read back from that SMS, and confirmed.
pub async fn verified_trial(db: &Db, login: &str) -> i64 {
    let id = customer_account(db, login, "Trial Co", AccountStatus::Trial).await;
    crate::auth::verify::send_verification(db, id, [192, 0, 2, 10].into())
        .await
        .expect("send the verification code");
    let text: String = sqlx::query_scalar(
        "SELECT final_text FROM batches WHERE account_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await
    .expect("the code SMS");
    let code = text
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| w.len() == 8 && w.bytes().all(|b| b.is_ascii_digit()))
        .expect("an 8-digit code in the SMS");
    crate::auth::verify::confirm_verification(db, id, code)
        .await
        .expect("confirm the code");
    id
}

/// Posts a top-up of `amount` confirmed by `staff_id`.
pub async fn top_up(db: &Db, account_id: i64, staff_id: i64, amount: Money) {
    let mut tx = db.begin_write().await.expect("begin");
    post(
        &mut tx,
        Posting {
            account_id,
            kind: EntryKind::TopUp,
            amount,
            description: "Top-up",
            reference: None,
            created_by: Some(staff_id),
        },
    )
    .await
    .expect("top up");
    tx.commit().await.expect("commit");
}

/// The account's balance, asserted equal to the sum of its ledger entries (§3).
pub async fn balance(db: &Db, account_id: i64) -> Money {
    let mut conn = db.pool().acquire().await.expect("connection");
    let (balance, sum) = balance_and_entry_sum(&mut conn, account_id)
        .await
        .expect("balance");
    assert_eq!(
        balance, sum,
        "account {account_id}: the balance must equal the sum of its ledger entries"
    );
    balance
}

/// The single number an SQL query returns, with `$1` bound to `id`.
pub async fn count(db: &Db, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Audit entries as (action, target account, before, after), oldest first.
pub async fn audit_entries(db: &Db) -> Vec<(String, Option<i64>, String, String)> {
    sqlx::query_as(
        "SELECT action, target_account_id, before_state, after_state FROM audit_log ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .expect("audit log")
}

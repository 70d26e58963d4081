//! Fixtures of the delivery-engine tests: a customer with a balance, a simulator, a
//! dispatcher bound to it, batches of one route, and waiting for a batch to finish.

use engine::db::testing::TestDb;
use engine::db::{now_ms, Db};
use engine::delivery::dispatcher::{self, DispatcherConfig, DispatcherHandle, SmscConfig};
use engine::delivery::store::{self, ClaimedMessage, NewBatch};
use engine::ledger::store::{accounts_out_of_balance, post, Posting};
use engine::ledger::EntryKind;
use smpp::{Behaviour, MsgIdMatching, Outcome, Simulator, SimulatorConfig, SimulatorHandle};
use sms::{Money, Route};
use sqlx::Row;
use std::collections::HashMap;
use std::time::Duration;

pub const PRICE: Money = Money::from_minor(3_200);

pub async fn customer(db: &Db, login: &str, balance: Money) -> i64 {
    let id: i64 = sqlx::query(
        "INSERT INTO accounts (login_name, password_hash, role, status, company_name, contact_email, mobile, created_at) \
         VALUES ($1, 'x', 'customer', 'normal', 'Co', 'a@b.example', '85291234567', $2) RETURNING id",
    )
    .bind(login)
    .bind(now_ms())
    .fetch_one(db.pool())
    .await
    .expect("account")
    .try_get(0)
    .expect("id");
    if balance.minor() > 0 {
        post_entry(db, id, EntryKind::TopUp, balance, "top-up").await;
    }
    id
}

/// One ledger entry on `account_id` (a top-up, or a fee staff take), in a transaction of its
/// own.
pub async fn post_entry(
    db: &Db,
    account_id: i64,
    kind: EntryKind,
    amount: Money,
    description: &str,
) {
    let mut tx = db.pool().begin().await.expect("tx");
    post(
        &mut tx,
        Posting {
            account_id,
            kind,
            amount,
            description,
            reference: None,
            created_by: None,
        },
    )
    .await
    .expect(description);
    tx.commit().await.expect("commit");
}

pub fn numbers(n: usize, first: u64) -> Vec<String> {
    (0..n as u64)
        .map(|i| format!("8529{:07}", first + i))
        .collect()
}

pub fn new_batch(account_id: i64, route: Route, text: &str, recipients: &[String]) -> NewBatch {
    assert!(
        sms::segment(text, route.segment_table()).parts.is_some(),
        "fits"
    );
    NewBatch {
        sender_id: route.allows_sender_id().then(|| "FerryTest".to_string()),
        ..NewBatch::on_route(
            account_id,
            route,
            text,
            recipients.iter().map(|n| (n.clone(), PRICE)),
        )
    }
}

pub async fn simulator(behaviour: Behaviour) -> SimulatorHandle {
    Simulator::start(SimulatorConfig {
        behaviour,
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator")
}

pub fn fast(outcomes: Vec<(Outcome, u32)>) -> Behaviour {
    Behaviour {
        receipt_delay: Duration::from_millis(20),
        retry_delay: Duration::from_millis(40),
        outcomes,
        ..Behaviour::default()
    }
}

/// One connection to the test simulator serving every route.
pub fn sim_smsc(sim: &SimulatorHandle, window: usize, matching: MsgIdMatching) -> SmscConfig {
    SmscConfig {
        name: "sim".into(),
        address: sim.addr.to_string(),
        system_id: "ferry".into(),
        password: "pw".into(),
        routes: Route::ALL.to_vec(),
        window,
        max_per_second: None,
        msg_id_matching: matching,
        priority: 1,
    }
}

pub fn dispatcher_for(db: &Db, sim: &SimulatorHandle, matching: MsgIdMatching) -> DispatcherHandle {
    dispatcher::start(
        db.clone(),
        DispatcherConfig {
            workers: 2,
            claim_batch: 100,
            idle_poll: Duration::from_millis(50),
            expiry_grace: Duration::from_millis(500),
            smscs: vec![sim_smsc(sim, 50, matching)],
            ..DispatcherConfig::default()
        },
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub destination: String,
    pub status: i64,
    pub error: Option<i64>,
    pub charge: i64,
}

/// What a dispatcher worker does before it submits, by hand: `node` beats, claims the due
/// messages (at most 10) and holds their charges, every one of which the balance covers.
pub async fn claim_and_hold(db: &Db, node: &str) -> Vec<ClaimedMessage> {
    store::heartbeat(db, node).await.expect("heartbeat");
    let claimed = store::claim(db, node, 10, 60_000).await.expect("claim");
    let decisions = store::prepare(db, &claimed).await.expect("holds");
    assert!(
        decisions.iter().all(|d| *d == store::Prepared::Send),
        "{decisions:?}"
    );
    claimed
}

/// The operator's acceptance of a one-part message as SMSC `sim` id `smsc_id` (looked up
/// exactly), valid for an hour: what a submit's response records.
pub fn accepted_as(smsc_id: &str) -> store::SubmitResult {
    store::SubmitResult::Accepted {
        smsc: "sim".into(),
        parts: vec![(
            1,
            smsc_id.to_string(),
            MsgIdMatching::Exact.submit_keys(smsc_id),
        )],
        final_on_acceptance: false,
        expires_at: now_ms() + 3_600_000,
    }
}

pub async fn messages(db: &Db, batch_id: i64) -> Vec<Msg> {
    sqlx::query("SELECT destination, status, error_code, charge_minor FROM messages WHERE batch_id = $1 ORDER BY id")
        .bind(batch_id)
        .fetch_all(db.pool())
        .await
        .expect("messages")
        .into_iter()
        .map(|r| Msg {
            destination: r.try_get(0).expect("d"),
            status: r.try_get(1).expect("s"),
            error: r.try_get(2).expect("e"),
            charge: r.try_get(3).expect("c"),
        })
        .collect()
}

pub fn is_final(status: i64) -> bool {
    matches!(status, 1 | 5 | 20 | 21 | 22)
}

pub async fn wait_final(db: &Db, batch_id: i64, timeout: Duration) -> Vec<Msg> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let ms = messages(db, batch_id).await;
        if ms.iter().all(|m| is_final(m.status)) {
            return ms;
        }
        if std::time::Instant::now() > deadline {
            let mut counts: HashMap<i64, usize> = HashMap::new();
            for m in &ms {
                *counts.entry(m.status).or_default() += 1;
            }
            let unmatched: Vec<String> =
                sqlx::query("SELECT key FROM unmatched_receipt_keys LIMIT 3")
                    .fetch_all(db.pool())
                    .await
                    .expect("q")
                    .into_iter()
                    .map(|r| r.try_get::<String, _>(0).expect("keys"))
                    .collect();
            let keys: Vec<String> = sqlx::query("SELECT key FROM smsc_keys LIMIT 8")
                .fetch_all(db.pool())
                .await
                .expect("q")
                .into_iter()
                .map(|r| r.try_get::<String, _>(0).expect("key"))
                .collect();
            // Where the first open messages stand: their claim, attempts and stored parts.
            let open: Vec<String> = sqlx::query(
                "SELECT m.id, m.status, m.attempts, m.claimed_until, m.claimed_by, m.due_at, \
                   (SELECT COUNT(*) FROM message_parts p WHERE p.message_id = m.id) AS parts_known \
                 FROM messages m WHERE m.batch_id = $1 AND m.status NOT IN (1, 5, 20, 21, 22) \
                 ORDER BY m.id LIMIT 3",
            )
            .bind(batch_id)
            .fetch_all(db.pool())
            .await
            .expect("open messages")
            .into_iter()
            .map(|r| {
                format!(
                    "message {} status {} attempts {} claimed_until {} by {:?} due {} parts_known {}",
                    r.try_get::<i64, _>(0).expect("id"),
                    r.try_get::<i64, _>(1).expect("status"),
                    r.try_get::<i64, _>(2).expect("attempts"),
                    r.try_get::<i64, _>(3).expect("claimed_until"),
                    r.try_get::<Option<String>, _>(4).expect("claimed_by"),
                    r.try_get::<i64, _>(5).expect("due_at"),
                    r.try_get::<i64, _>(6).expect("parts_known"),
                )
            })
            .collect();
            panic!("batch {batch_id} not final after {timeout:?} (now {}): {counts:?}; open messages {open:?}; unmatched receipts {unmatched:?}; part keys {keys:?}", engine::db::now_ms());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn balance(db: &Db, account_id: i64) -> (i64, i64) {
    let r = sqlx::query("SELECT balance_minor, held_minor FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(db.pool())
        .await
        .expect("balance");
    (r.try_get(0).expect("b"), r.try_get(1).expect("h"))
}

pub async fn charges(db: &Db, account_id: i64) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM ledger_entries WHERE account_id = $1 AND kind = 'charge'")
        .bind(account_id)
        .fetch_one(db.pool())
        .await
        .expect("q")
        .try_get(0)
        .expect("n")
}

pub async fn check_ledger(t: &TestDb) {
    assert_eq!(
        accounts_out_of_balance(&t.db).await.expect("check"),
        Vec::<i64>::new(),
        "{}",
        t.name
    );
}

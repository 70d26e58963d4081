//! `ferry bench …`: the measuring half of `bench/run.sh` (BENCHMARKS.md). Each subcommand sets
//! up its own throwaway database, runs one measurement and prints one JSON line, so the
//! scripts can repeat runs and compare them with other gateways in the same session.

use app::ledger::EntryKind;
use engine::db::testing::TestDb;
use engine::db::{now_ms, Db};
use engine::delivery::dispatcher::{self, DispatcherConfig, SmscConfig};
use engine::delivery::store::{create_batch, NewBatch};
use engine::ledger::store::{post, Posting};
use serde_json::json;
use sms::{Money, Route};
use sqlx::Row;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub mod load;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database: {0}")]
    Open(#[from] engine::db::DbError),
    #[error("ledger: {0}")]
    Ledger(#[from] engine::ledger::store::LedgerError),
    #[error("batch: {0}")]
    Batch(#[from] engine::delivery::store::BatchError),
    #[error("{0}")]
    Setup(String),
    #[error("the ledger is inconsistent: {0}")]
    InconsistentLedger(serde_json::Value),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh migrated database: a SQLite file in a temp dir, or a new database on the cluster at
/// `FERRY_TEST_PG_URL` (what `scripts/pg-cluster.sh` exports).
async fn fresh_database(backend: Backend) -> Result<TestDb, BenchError> {
    match backend {
        Backend::Sqlite => Ok(engine::db::testing::sqlite().await),
        Backend::Postgres => {
            if std::env::var("FERRY_TEST_PG_URL").is_err() {
                return Err(BenchError::Setup(
                    "set FERRY_TEST_PG_URL (source scripts/pg-cluster.sh) to benchmark PostgreSQL"
                        .into(),
                ));
            }
            engine::db::testing::postgres()
                .await
                .ok_or_else(|| BenchError::Setup("no PostgreSQL cluster".into()))
        }
    }
}

pub const SENDER_ID: &str = "FerryBench";
const PRICE: Money = Money::from_minor(3_200);

/// A customer that may send anywhere, with a sender ID, a large balance and a session.
/// Returns (account id, session token).
pub async fn customer(db: &Db, login: &str) -> Result<(i64, String), BenchError> {
    engine::auth::accounts::ensure_first_staff(db)
        .await
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let staff_id: i64 =
        sqlx::query("SELECT id FROM accounts WHERE role = 'staff' ORDER BY id LIMIT 1")
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO accounts (login_name, password_hash, role, status, company_name, contact_email, mobile, created_at) \
         VALUES ($1, 'no password: benchmark session only', 'customer', 'normal', 'Benchmark Ltd', 'bench@ferry.example', '85291234567', $2) RETURNING id",
    )
    .bind(login)
    .bind(now)
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    sqlx::query(
        "INSERT INTO sender_ids (account_id, sender_id, registered, status, created_by, created_at) VALUES ($1, $2, 1, 'active', $3, $4)",
    )
    .bind(id)
    .bind(SENDER_ID)
    .bind(staff_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    let mut tx = db.begin_write().await?;
    post(
        &mut tx,
        Posting {
            account_id: id,
            kind: EntryKind::TopUp,
            amount: Money::hkd(1_000_000),
            description: "Benchmark top-up",
            reference: Some("bench"),
            created_by: Some(staff_id),
        },
    )
    .await?;
    tx.commit().await?;
    let token = engine::auth::accounts::create_session(
        db,
        id,
        std::net::IpAddr::from([127, 0, 0, 1]),
        &crate::config::Config::default().auth_settings(),
    )
    .await
    .map_err(|e| BenchError::Setup(e.to_string()))?;
    Ok((id, token))
}

/// `ferry bench prepare`: the database a `ferry serve` under load will use.
pub async fn prepare(database_url: &str) -> Result<serde_json::Value, BenchError> {
    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    let (account_id, token) = customer(&db, "bench").await?;
    let key = engine::api_keys::store::create(&db, account_id, "benchmark")
        .await
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    db.close().await;
    Ok(json!({
        "cookie": format!("{}={token}", app::auth::context::SESSION_COOKIE),
        "api_key": key.secret,
        "sender_id": SENDER_ID,
        "route": "HkBusiness",
        "unit_price": PRICE.minor(),
    }))
}

/// The four texts of the mixed dispatch workload: GSM-7 and UCS-2, one and two parts each.
pub fn mixed_texts() -> [&'static str; 4] {
    [
        "Your verification code is 482913. It expires in 10 minutes.",
        "Dear customer, your order 88213 has been packed and leaves our Kwai Chung warehouse today. Track it at ferry.example/t/88213 or reply HELP for assistance. Thank you!",
        "您的驗證碼是482913,10分鐘內有效。",
        "親愛的客戶,您的訂單88213已包裝完畢,今天從葵涌倉庫出發。請到ferry.example/t/88213追蹤,如需協助請致電客戶服務熱線。多謝惠顧!祝您有美好的一天。",
    ]
}

fn batch_of(account_id: i64, text: &str, first: u64, n: u64) -> NewBatch {
    NewBatch {
        sender_id: Some(SENDER_ID.into()),
        validity_minutes: 24 * 60,
        ..NewBatch::on_route(
            account_id,
            Route::HkBusiness,
            text,
            (first..first + n).map(|i| (format!("8526{i:07}"), PRICE)),
        )
    }
}

/// This process's peak resident memory (VmHWM), in kB.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub struct DispatchArgs {
    pub backend: Backend,
    /// `None`: Ferry's own simulator, in-process.
    pub smsc: Option<String>,
    pub messages: u64,
    pub timeline: Option<std::path::PathBuf>,
    /// The SMPP window: submits awaiting their response or their recording (the `[[smsc]]`
    /// `window` setting; it also bounds what a crash can resubmit).
    pub window: usize,
    /// SMPP connections to the SMSC (`[[smsc]]` entries of equal priority serving every route),
    /// each with its own window.
    pub connections: usize,
}

/// `ferry bench dispatch`: the whole workload stored first, then timed from the dispatcher's
/// start until the SMSC accepted every message and every receipt was applied.
pub async fn dispatch(args: DispatchArgs) -> Result<serde_json::Value, BenchError> {
    let t = fresh_database(args.backend).await?;
    let (account, _) = customer(&t.db, "bench").await?;
    let texts = mixed_texts();
    let per_batch = args.messages / texts.len() as u64;
    let mut batches = Vec::new();
    let mut parts_total = 0u64;
    for (i, text) in texts.iter().enumerate() {
        let n = if i + 1 == texts.len() {
            args.messages - per_batch * (texts.len() as u64 - 1)
        } else {
            per_batch
        };
        let batch = batch_of(account, text, i as u64 * 1_000_000, n);
        parts_total += n * u64::from(batch.parts);
        batches.push(create_batch(&t.db, &batch).await?);
    }
    let simulator = match &args.smsc {
        Some(_) => None,
        None => Some(
            smpp::Simulator::start(smpp::SimulatorConfig {
                behaviour: smpp::Behaviour {
                    receipt_delay: Duration::from_millis(1),
                    outcomes: vec![(smpp::Outcome::Delivered, 1)],
                    ..smpp::Behaviour::default()
                },
                ..smpp::SimulatorConfig::default()
            })
            .await
            .map_err(|e| BenchError::Setup(format!("simulator: {e}")))?,
        ),
    };
    let address = match (&args.smsc, &simulator) {
        (Some(a), _) => a.clone(),
        (None, Some(s)) => s.addr.to_string(),
        (None, None) => return Err(BenchError::Setup("no SMSC".into())),
    };
    let started = Instant::now();
    let d = dispatcher::start(
        t.db.clone(),
        DispatcherConfig {
            workers: 2,
            claim_batch: 500,
            idle_poll: Duration::from_millis(20),
            smscs: (1..=args.connections.max(1))
                .map(|n| SmscConfig {
                    name: if n == 1 {
                        "bench".into()
                    } else {
                        format!("bench-{n}")
                    },
                    address: address.clone(),
                    system_id: "ferry".into(),
                    password: "pw".into(),
                    routes: Route::ALL.to_vec(),
                    window: args.window,
                    max_per_second: None,
                    msg_id_matching: smpp::MsgIdMatching::Auto,
                    priority: 1,
                })
                .collect(),
            ..DispatcherConfig::default()
        },
    );
    let ids = batches
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // Progress comes from the dispatcher's own counters, read in memory: a query counting the
    // workload's messages four times a second would scan them all each time, work of the
    // harness measured as Ferry's (a tenth of PostgreSQL's time on 50,000 messages). Only once
    // the counters say every receipt is stored does the database confirm that every message is
    // DELIVERED, as before.
    let delivered_sql = format!(
        "SELECT COUNT(*) FROM messages WHERE batch_id IN ({ids}) AND status = {}",
        i64::from(sms::DeliveryStatus::Delivered)
    );
    let links = d.links();
    let total = args.messages as i64;
    let mut timeline = Vec::new();
    let mut accepted_at = None;
    let deadline = Duration::from_secs(1_800);
    // The counters are read every few milliseconds, so the times measured are within that of
    // the last acceptance and the last receipt (read every 250 ms, as the timeline is sampled,
    // a run's time came out up to 250 ms late: up to 5% of a 5-second run).
    let quarter = Duration::from_millis(250);
    let mut sampled_at = Duration::ZERO;
    // The database is asked only once the counters say every receipt is stored, and then at
    // most every 250 ms (a receipt parked unmatched is applied later, by housekeeping).
    let mut confirmed_at: Option<Duration> = None;
    let outcome = loop {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let (accepted, receipts) = links.states().iter().fold((0, 0), |(a, r), link| {
            (
                a + link.counters.submits_accepted.load(Ordering::Relaxed),
                r + link.counters.receipts.load(Ordering::Relaxed),
            )
        });
        let at = started.elapsed();
        let confirm = receipts >= parts_total && confirmed_at.is_none_or(|c| at >= c + quarter);
        let point =
            || json!({ "t_s": at.as_secs_f64(), "accepted": accepted, "receipts": receipts });
        if at >= sampled_at + quarter {
            sampled_at = at;
            timeline.push(point());
        }
        if accepted_at.is_none() && accepted >= args.messages {
            accepted_at = Some(at);
        }
        if confirm {
            confirmed_at = Some(at);
            let delivered: i64 = sqlx::query_scalar(&delivered_sql)
                .fetch_one(t.db.pool())
                .await?;
            if delivered >= total {
                if sampled_at != at {
                    timeline.push(point());
                }
                break Ok(at);
            }
        }
        if at > deadline {
            break Err(BenchError::Setup(format!(
                "not finished after {} s: {accepted} accepted, {receipts} receipts of {parts_total} parts",
                deadline.as_secs()
            )));
        }
    };
    d.shutdown().await;
    if let Some(s) = simulator {
        s.shutdown();
    }
    let done = outcome?;
    let accepted = accepted_at.unwrap_or(done);
    if let Some(path) = &args.timeline {
        std::fs::write(path, serde_json::Value::Array(timeline).to_string()).map_err(|source| {
            BenchError::Write {
                path: path.display().to_string(),
                source,
            }
        })?;
    }
    let ledger = ledger_check(&t.db).await?;
    let charges: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'charge'")
            .fetch_one(t.db.pool())
            .await?;
    t.db.close().await;
    Ok(json!({
        "kind": "dispatch",
        "backend": match args.backend { Backend::Sqlite => "sqlite", Backend::Postgres => "postgres" },
        "smsc": if args.smsc.is_some() { "external" } else { "simulator" },
        "window": args.window,
        "connections": args.connections,
        "messages": args.messages,
        "parts": parts_total,
        "accepted_s": accepted.as_secs_f64(),
        "accepted_per_s": args.messages as f64 / accepted.as_secs_f64(),
        "parts_per_s": parts_total as f64 / accepted.as_secs_f64(),
        "receipts_s": done.as_secs_f64(),
        "receipts_per_s": args.messages as f64 / done.as_secs_f64(),
        "peak_rss_kb": peak_rss_kb(),
        "charges": charges,
        "ledger": ledger,
        "writes": write_profile(),
    }))
}

/// Per kind of write transaction of this process: how many, their rows on average, and the
/// time from begin to commit (in total and on average): where the database time went.
pub fn write_profile() -> serde_json::Value {
    engine::delivery::write_sizes::snapshot()
        .into_iter()
        .filter(|s| s.transactions > 0)
        .map(|s| {
            (
                s.kind.label().to_string(),
                json!({
                    "transactions": s.transactions,
                    "rows": s.rows,
                    "rows_per_transaction": s.rows as f64 / s.transactions as f64,
                    "seconds": s.seconds,
                    "ms_per_transaction": s.seconds * 1e3 / s.transactions as f64,
                }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The ledger's invariant over the whole database (every account's balance is the sum of its
/// entries, every entry's `balance_after` the running sum) and no part or receipt key without
/// its message, as the end of every benchmark reports it, with how long the check took.
pub async fn ledger_check(db: &Db) -> Result<serde_json::Value, BenchError> {
    let started = Instant::now();
    let out_of_balance = engine::ledger::store::accounts_out_of_balance(db).await?;
    let check_ms = started.elapsed().as_secs_f64() * 1000.0;
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries")
        .fetch_one(db.pool())
        .await?;
    // Parts and receipt keys whose message is gone: on PostgreSQL no foreign key stops them
    // (migration 0023), so every benchmark checks that none was written.
    let orphan_rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM message_parts p WHERE NOT EXISTS \
                   (SELECT 1 FROM messages m WHERE m.id = p.message_id)) \
              + (SELECT COUNT(*) FROM smsc_keys k WHERE NOT EXISTS \
                   (SELECT 1 FROM messages m WHERE m.id = k.message_id))",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(json!({
        "consistent": out_of_balance.is_empty() && orphan_rows == 0,
        "accounts_out_of_balance": out_of_balance,
        "orphan_rows": orphan_rows,
        "entries": entries,
        "check_ms": check_ms,
    }))
}

/// `ferry-bench check-ledger`: [`ledger_check`] on a database a benchmark has just used; an
/// inconsistent ledger is an error, so the script that runs it fails.
pub async fn check_ledger(database_url: &str) -> Result<serde_json::Value, BenchError> {
    let db = Db::connect(database_url).await?;
    let report = ledger_check(&db).await?;
    db.close().await;
    if report["consistent"] == json!(true) {
        Ok(report)
    } else {
        Err(BenchError::InconsistentLedger(report))
    }
}

/// Milliseconds of `runs` timings: min, median, max.
fn spread(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    let median = ms.get(ms.len() / 2).copied().unwrap_or(0.0);
    json!({
        "min_ms": ms.first().copied().unwrap_or(0.0),
        "median_ms": median,
        "max_ms": ms.last().copied().unwrap_or(0.0),
    })
}

/// `ferry bench results`: the Delivery Results pages and functions on one batch of `messages`
/// messages in a realistic mix of statuses, through the real router (session, guards, SSR).
pub async fn results(
    backend: Backend,
    messages: u64,
    runs: usize,
) -> Result<serde_json::Value, BenchError> {
    use axum::body::Body;
    use http::{header, Request};
    use tower::ServiceExt;

    let t = fresh_database(backend).await?;
    let (account, token) = customer(&t.db, "bench").await?;
    let batch = create_batch(&t.db, &batch_of(account, mixed_texts()[0], 0, messages)).await?;
    let now = now_ms();
    // 90% delivered, 6% unknown subscriber, 3% expired, 1% still processing.
    let statuses = [
        "status = 22, done_at = $2, charge_minor = 3200 WHERE batch_id = $1",
        "status = 21, error_code = 3, charge_minor = 0 WHERE batch_id = $1 AND id % 100 < 6 AND $2 > 0",
        "status = 20, error_code = 7 WHERE batch_id = $1 AND id % 100 BETWEEN 6 AND 8 AND $2 > 0",
        "status = 4, done_at = NULL, charge_minor = 0 WHERE batch_id = $1 AND id % 100 = 9 AND $2 > 0",
    ];
    for set in statuses {
        sqlx::query(&format!(
            "UPDATE messages SET submitted_at = {}, {set}",
            now - 60_000
        ))
        .bind(batch)
        .bind(now - 30_000)
        .execute(t.db.pool())
        .await?;
    }
    let config = crate::config::Config::default();
    let router =
        crate::http::router(&config, crate::server_state(&config, t.db.clone())).layer(
            axum::middleware::map_request(|mut req: Request<Body>| async move {
                req.extensions_mut().insert(axum::extract::ConnectInfo(
                    std::net::SocketAddr::from(([127, 0, 0, 1], 40000)),
                ));
                req
            }),
        );
    let cookie = format!("{}={token}", app::auth::context::SESSION_COOKIE);
    let last_page = messages.div_ceil(100);
    let requests: Vec<(&str, String, bool)> = vec![
        ("results list page (SSR)", "/results".into(), true),
        (
            "batch page 1 (SSR: summary, chart, 100 messages)",
            format!("/results/{batch}"),
            true,
        ),
        (
            "batch page, last page",
            format!("/results/{batch}?page={last_page}"),
            true,
        ),
        (
            "batch page, UNDELIVERABLE filter",
            format!("/results/{batch}?status=21"),
            true,
        ),
        (
            "batch_detail, error 7 filter, page 5",
            format!("/api/batch_detail?batch_id={batch}&status=0&error=7&number=&page=5"),
            false,
        ),
        (
            "batch_detail, number search",
            format!("/api/batch_detail?batch_id={batch}&status=0&error=0&number=60012345&page=1"),
            false,
        ),
        (
            "batch_timeline (chart data)",
            format!("/api/batch_timeline?batch_id={batch}"),
            false,
        ),
        (
            "search_batches (period, status)",
            "/api/search_batches?from=&to=&sender_id=&status=21&page=1".into(),
            false,
        ),
        (
            "CSV export, all messages (streamed)",
            format!("/batches/{batch}/messages.csv"),
            false,
        ),
    ];
    let mut figures = serde_json::Map::new();
    for (name, path, html) in requests {
        let mut times = Vec::with_capacity(runs);
        let mut bytes = 0usize;
        for _ in 0..runs.max(1) {
            let is_api = path.starts_with("/api/");
            let mut req = Request::builder()
                .method(if is_api { "POST" } else { "GET" })
                .uri(if is_api {
                    path.split('?').next().unwrap_or(&path).to_string()
                } else {
                    path.clone()
                })
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT, if html { "text/html" } else { "*/*" });
            let body = if is_api {
                req = req
                    .header(header::ORIGIN, "http://127.0.0.1:3000")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(
                    path.split_once('?')
                        .map(|(_, q)| q.to_string())
                        .unwrap_or_default(),
                )
            } else {
                Body::empty()
            };
            let req = req
                .body(body)
                .map_err(|e| BenchError::Setup(format!("request: {e}")))?;
            let started = Instant::now();
            let response = router
                .clone()
                .oneshot(req)
                .await
                .map_err(|e| BenchError::Setup(format!("{name}: {e}")))?;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map_err(|e| BenchError::Setup(format!("{name}: {e}")))?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                return Err(BenchError::Setup(format!(
                    "{name}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                )));
            }
            bytes = body.len();
        }
        let mut entry = spread(times);
        entry["bytes"] = json!(bytes);
        figures.insert(name.to_string(), entry);
    }
    t.db.close().await;
    Ok(json!({
        "kind": "results",
        "backend": match backend { Backend::Sqlite => "sqlite", Backend::Postgres => "postgres" },
        "messages": messages,
        "runs": runs,
        "requests": figures,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dispatch_workload_mixes_encodings_and_part_counts() {
        let got: Vec<(sms::Encoding, Option<u8>)> = super::mixed_texts()
            .iter()
            .map(|t| {
                let s = sms::segment(t, sms::Route::HkBusiness.segment_table());
                (s.encoding, s.parts)
            })
            .collect();
        use sms::Encoding::{Gsm7, Ucs2};
        assert_eq!(
            got,
            vec![
                (Gsm7, Some(1)),
                (Gsm7, Some(2)),
                (Ucs2, Some(1)),
                (Ucs2, Some(2))
            ]
        );
    }
}
